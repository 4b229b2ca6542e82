import { describe, expect, test } from 'vitest';
import { parseCidr } from '../../../src/model/address.js';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeContext, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

describe('complete LOCAL list (192.168.1.10)', () => {
  test.each([
    ['-m addrtype --dst-type LOCAL', { dst: '192.168.1.10' }, true],
    ['-m addrtype --dst-type LOCAL', { dst: '10.96.34.82' }, false],
    ['-m addrtype ! --dst-type LOCAL', { dst: '10.96.34.82' }, true],
    ['-m addrtype --dst-type LOCAL', { dst: '127.0.0.53' }, true],
    ['-m addrtype --src-type LOCAL', { src: '192.168.1.10' }, true],
    ['-m addrtype ! --src-type LOCAL', { src: '10.244.1.5' }, true],
    ['-m addrtype --dst-type UNICAST', { dst: '10.96.34.82' }, true],
    ['-m addrtype --dst-type UNICAST', { dst: '192.168.1.10' }, false],
    ['-m addrtype --dst-type MULTICAST', { dst: '224.0.0.251' }, true],
    ['-m addrtype --dst-type BROADCAST', { dst: '255.255.255.255' }, true],
    ['-m addrtype --dst-type BROADCAST', { dst: '0.0.0.0' }, true],
    ['-m addrtype --dst-type LOCAL,MULTICAST', { dst: '239.1.1.1' }, true],
    ['-m addrtype ! --src-type LOCAL,MULTICAST', { src: '192.168.1.10' }, false],
    ['-m addrtype --dst-type BLACKHOLE', { dst: '10.96.34.82' }, false],
    ['-m addrtype --src-type LOCAL --dst-type LOCAL', { src: '192.168.1.10', dst: '10.96.34.82' }, false],
    // IPv6: UNICAST is an address-class test that local addresses pass too.
    ['-m addrtype --dst-type LOCAL', { family: 6 as const, src: 'fd00::5', dst: '::1' }, true],
    ['-m addrtype --dst-type UNICAST', { family: 6 as const, src: 'fd00::5', dst: '::1' }, true],
    ['-m addrtype --dst-type MULTICAST', { family: 6 as const, src: 'fd00::5', dst: 'ff02::1' }, true],
    ['-m addrtype --dst-type UNICAST', { family: 6 as const, src: 'fd00::5', dst: 'ff02::1' }, false],
  ])('%s with %j → %s', (raw, packet, expected) => {
    const r = evaluateMatch(raw, makePacket(packet));
    expect(summarize(r)).toBe(expected);
    expect(r.kind === 'bool' && r.assumption).toBeFalsy();
  });
});

describe('incomplete LOCAL list', () => {
  const ctx = makeContext({ localAddresses: [parseCidr('192.168.1.10')!], localAddressesComplete: false });
  test.each([
    ['-m addrtype --dst-type LOCAL', '10.96.34.82', false],
    ['-m addrtype ! --dst-type LOCAL', '10.96.34.82', true],
    ['-m addrtype --dst-type UNICAST', '10.96.34.82', true],
  ])('%s to %s → %s, with the assumption said', (raw, dst, expected) => {
    expect(evaluateMatch(raw, makePacket({ dst }), ctx)).toEqual({
      kind: 'bool',
      value: expected,
      assumption: "the node's own addresses are not known (pass --node-ip): addresses other than loopback are taken as not the node's",
    });
  });

  test('an address in the list needs no assumption', () => {
    expect(evaluateMatch('-m addrtype --dst-type LOCAL', makePacket({ dst: '192.168.1.10' }), ctx)).toEqual({ kind: 'bool', value: true });
  });
});

describe('--limit-iface-in/out', () => {
  test.each([
    ['-m addrtype --dst-type LOCAL --limit-iface-in', { dst: '192.168.1.10', inInterface: 'eth0' }, 'unknown'],
    ['-m addrtype --dst-type LOCAL --limit-iface-in', { dst: '10.96.34.82', inInterface: 'eth0' }, false],
    ['-m addrtype --dst-type LOCAL --limit-iface-in', { dst: '127.0.0.1', inInterface: 'lo' }, true],
    ['-m addrtype --dst-type LOCAL --limit-iface-in', { dst: '127.0.0.1', inInterface: 'eth0' }, false],
    ['-m addrtype --dst-type LOCAL --limit-iface-in', { dst: '127.0.0.1', inInterface: undefined }, 'unknown'],
    ['-m addrtype --dst-type LOCAL --limit-iface-out', { dst: '192.168.1.10', outInterface: 'eth0' }, 'unknown'],
  ])('%s with %j → %s', (raw, packet, expected) => {
    expect(summarize(evaluateMatch(raw, makePacket(packet)))).toBe(expected);
  });
});

test.each(['-m addrtype --dst-type FOO', '-m addrtype --limit-iface-in --limit-iface-out --dst-type LOCAL'])('%s does not compile', (raw) => {
  expect(compileMatch(makeMatch(raw), makeRule()).error).toBeDefined();
});
