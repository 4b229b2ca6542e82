import { describe, expect, test } from 'vitest';
import { cidrContains, formatAddress, formatEndpoint, parseAddress, parseCidr } from '../../src/model/address.js';

describe('parseAddress / formatAddress', () => {
  test.each([
    ['10.96.34.82', 4, '10.96.34.82'],
    ['0.0.0.0', 4, '0.0.0.0'],
    ['fd00::1', 6, 'fd00::1'],
    ['fd00:0:0:0:0:0:0:1', 6, 'fd00::1'],
    ['::', 6, '::'],
    ['::ffff:10.1.2.3', 6, '::ffff:a01:203'],
    ['2001:db8:0:0:1:0:0:1', 6, '2001:db8::1:0:0:1'],
  ])('%s', (text, family, formatted) => {
    const a = parseAddress(text)!;
    expect(a.family).toBe(family);
    expect(formatAddress(a.family, a.value)).toBe(formatted);
  });

  test.each(['256.1.1.1', '10.1.1', 'fd00:::1', '1:2:3:4:5:6:7:8:9', 'nginx', ''])('%s is not an address', (text) => {
    expect(parseAddress(text)).toBeUndefined();
  });
});

describe('parseCidr / cidrContains', () => {
  test.each([
    ['10.244.0.0/16', '10.244.255.1', true],
    ['10.244.0.0/16', '10.245.0.1', false],
    ['10.244.1.7/16', '10.244.9.9', true],
    ['10.0.0.0/255.0.0.0', '10.9.9.9', true],
    ['10.96.34.82', '10.96.34.82', true],
    ['10.96.34.82/32', '10.96.34.83', false],
    ['0.0.0.0/0', '1.2.3.4', true],
    ['fd00::/64', 'fd00::abcd', true],
    ['fd00::/64', 'fd00:0:0:1::1', false],
    ['10.0.0.0/8', 'fd00::1', false],
  ])('%s contains %s: %s', (cidr, address, expected) => {
    expect(cidrContains(parseCidr(cidr)!, address)).toBe(expected);
  });

  test.each(['10.0.0.0/33', '10.0.0.0/255.0.255.0', 'x/8'])('%s is refused', (text) => {
    expect(parseCidr(text)).toBeUndefined();
  });
});

test.each([
  ['10.244.2.2', 80, '10.244.2.2:80'],
  ['fd00::5', 8080, '[fd00::5]:8080'],
  ['10.244.2.2', undefined, '10.244.2.2'],
])('formatEndpoint(%s, %s)', (a, p, expected) => {
  expect(formatEndpoint(a, p)).toBe(expected);
});
