import { describe, expect, test } from 'vitest';
import {
  endpointChainHash,
  endpointChainName,
  serviceChainName,
  servicePortChainHash,
} from '../../../src/interpret/kube-proxy/hash.js';

describe('servicePortChainHash', () => {
  // kube-proxy.md §2 verified vectors, plus chain names seen in the seed articles' real dumps.
  test.each([
    ['kube-system/kube-dns:dns', 'udp', 'TCOU7JCQXEZGVUNU'],
    ['ns1/svc1:p80', 'tcp', 'XPGD46QRK7WJZT7O'],
    ['ns1/svc1:p80', 'TCP', 'XPGD46QRK7WJZT7O'],
    ['default/webapp', 'tcp', '2IRACUALRELARSND'],
    ['default/nginx', 'tcp', '2CMXP7HKUVJN7L6M'],
    // seed 001, ≤1.18 trailing-colon spelling of an unnamed port
    ['default/my-nginx-nodeport:', 'tcp', '6JXEEPSEELXY3JZG'],
    ['default/my-nginx-cluster:', 'tcp', '52FY5WPFTOHXARFK'],
  ])('%s + %s → %s', (name, protocol, expected) => {
    expect(servicePortChainHash(name, protocol)).toBe(expected);
  });

  test('the trailing-colon and current spellings hash differently', () => {
    expect(servicePortChainHash('default/webapp:', 'tcp')).not.toBe(servicePortChainHash('default/webapp', 'tcp'));
  });
});

describe('endpointChainHash', () => {
  test.each([
    ['ns1/svc1:p80', 'tcp', '10.180.0.1:80', 'SXIVWICOYRO3J4NJ'],
    ['ns1/svc1:p80', 'tcp', '10.180.0.2:80', 'LXVODXWDISEETFEF'],
    // seed 000 / 004 real SEP chains
    ['default/webapp', 'tcp', '10.244.120.102:80', 'AO6KYGU752IZFEZ4'],
    ['default/webapp', 'tcp', '10.244.120.111:80', '5T4S2ILYSXWY3R2J'],
    ['default/nginx', 'tcp', '10.244.2.2:80', 'HUXRPHBUO34UVPEF'],
  ])('%s %s %s → %s', (name, protocol, endpoint, expected) => {
    expect(endpointChainHash(name, protocol, endpoint)).toBe(expected);
  });
});

describe('chain names', () => {
  test.each([
    ['KUBE-SVC-', 'KUBE-SVC-XPGD46QRK7WJZT7O'],
    ['KUBE-SVL-', 'KUBE-SVL-XPGD46QRK7WJZT7O'],
    ['KUBE-EXT-', 'KUBE-EXT-XPGD46QRK7WJZT7O'],
    ['KUBE-FW-', 'KUBE-FW-XPGD46QRK7WJZT7O'],
    ['KUBE-XLB-', 'KUBE-XLB-XPGD46QRK7WJZT7O'],
  ] as const)('%s prefix shares the hash', (prefix, expected) => {
    expect(serviceChainName(prefix, 'ns1/svc1:p80', 'tcp')).toBe(expected);
  });

  test('endpointChainName', () => {
    expect(endpointChainName('ns1/svc1:p80', 'tcp', '10.180.0.1:80')).toBe('KUBE-SEP-SXIVWICOYRO3J4NJ');
  });
});
