import { describe, expect, test } from 'vitest';
import { classifyChain, isServicePortChain, KUBE_CHAIN_NAMES } from '../../../src/interpret/kube-proxy/chain-names.js';

describe('classifyChain', () => {
  test.each([
    ['KUBE-SERVICES', 'services', undefined],
    ['KUBE-SVC-2CMXP7HKUVJN7L6M', 'service', '2CMXP7HKUVJN7L6M'],
    ['KUBE-SVL-2IRACUALRELARSND', 'service-local', '2IRACUALRELARSND'],
    ['KUBE-EXT-2IRACUALRELARSND', 'external', '2IRACUALRELARSND'],
    ['KUBE-FW-2IRACUALRELARSND', 'load-balancer-firewall', '2IRACUALRELARSND'],
    ['KUBE-XLB-2IRACUALRELARSND', 'external-local', '2IRACUALRELARSND'],
    ['KUBE-SEP-HUXRPHBUO34UVPEF', 'endpoint', 'HUXRPHBUO34UVPEF'],
    ['KUBE-NODEPORTS', 'nodeports', undefined],
    ['KUBE-MARK-MASQ', 'mark-masquerade', undefined],
    ['KUBE-MARK-DROP', 'mark-drop', undefined],
    ['KUBE-POSTROUTING', 'postrouting', undefined],
    ['KUBE-FORWARD', 'forward', undefined],
    ['KUBE-EXTERNAL-SERVICES', 'external-services', undefined],
    ['KUBE-PROXY-FIREWALL', 'proxy-firewall', undefined],
    ['KUBE-FIREWALL', 'firewall', undefined],
    ['KUBE-PROXY-CANARY', 'canary', undefined],
    ['KUBE-KUBELET-CANARY', 'canary', undefined],
    ['KUBE-IPTABLES-HINT', 'iptables-hint', undefined],
    ['KUBE-NODE-PORT', 'ipvs-node-port', undefined],
    ['KUBE-LOAD-BALANCER', 'ipvs-load-balancer', undefined],
    ['KUBE-IPVS-FILTER', 'ipvs-filter', undefined],
    ['KUBE-IPVS-OUT-FILTER', 'ipvs-out-filter', undefined],
    ['KUBE-SOURCE-RANGES-FIREWALL', 'source-ranges-firewall', undefined],
    // a prefix without a real hash is still classified, but carries none
    ['KUBE-SVC-handmade', 'service', undefined],
  ])('%s → %s', (name, kind, hash) => {
    const c = classifyChain(name);
    expect(c?.kind).toBe(kind);
    expect(c?.hash).toBe(hash);
    expect(c?.description.length).toBeGreaterThan(10);
  });

  test.each(['PREROUTING', 'cali-PREROUTING', 'DOCKER', 'KUBE', 'kube-services'])('%s is not kube-proxy’s', (name) => {
    expect(classifyChain(name)).toBeUndefined();
  });

  test('KUBE-FIREWALL is not mistaken for the KUBE-FW- prefix, nor KUBE-SERVICES for KUBE-SEP-', () => {
    expect(classifyChain('KUBE-FIREWALL')?.kind).toBe('firewall');
    expect(classifyChain('KUBE-SERVICES')?.kind).toBe('services');
  });

  test.each([
    ['KUBE-SVC-2CMXP7HKUVJN7L6M', true],
    ['KUBE-XLB-2CMXP7HKUVJN7L6M', true],
    ['KUBE-SEP-HUXRPHBUO34UVPEF', false],
    ['KUBE-SERVICES', false],
  ])('isServicePortChain(%s) = %s', (name, expected) => {
    expect(isServicePortChain(name)).toBe(expected);
  });

  test('every registry entry cites a source', () => {
    for (const e of KUBE_CHAIN_NAMES) expect(e.source).toMatch(/\.go|iptables|Monitor/);
  });
});
