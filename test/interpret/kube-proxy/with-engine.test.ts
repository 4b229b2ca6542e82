/**
 * The interpretation over real traces: fixtures parsed by src/parse/iptables-save.ts and walked by
 * src/engine/walk.ts, then named by this layer. The fixtures are canonical (each restores into iptables 1.8.9
 * and saves back unchanged).
 */
import { describe, expect, test } from 'vitest';
import { parseCidr } from '../../../src/model/address.js';
import type { NodeContext } from '../../../src/engine/context.js';
import type { Packet } from '../../../src/engine/packet.js';
import { tracePacket } from '../../../src/engine/walk.js';
import { parseIptables } from '../../../src/parse/iptables-save.js';
import { assumeStandardChains } from '../../../src/interpret/kube-proxy/assume-standard-chains.js';
import { describeBranch, describeStep } from '../../../src/interpret/kube-proxy/explain.js';
import { listFindings } from '../../../src/interpret/kube-proxy/findings.js';
import { buildServiceIndex } from '../../../src/interpret/kube-proxy/service-index.js';
import { CLUSTERIP_NGINX, CURRENT_NO_LOCAL, CURRENT_WITH_LOCAL, NO_ENDPOINTS, THREE_ENDPOINTS_OLD, XLB_NO_LOCAL, XLB_WITH_LOCAL } from './fixtures.js';

const NODE_IP = '192.168.49.3';

function trace(text: string, src: string, dst: string, dport: number, format?: 'excerpt') {
  const ruleset = parseIptables(text, 'fixture.rules');
  if (format) expect(ruleset.format).toBe('excerpt');
  assumeStandardChains(ruleset);
  const node: NodeContext = { localAddresses: [parseCidr('127.0.0.0/8')!, parseCidr(NODE_IP)!], localAddressesComplete: true, ipsets: new Map() };
  const packet: Packet = {
    family: 4,
    protocol: 'tcp',
    src,
    dst,
    dport,
    sport: 40000,
    inInterface: 'eth0',
    outInterface: '',
    mark: 0,
    ct: { state: new Set(['NEW']), status: new Set(), origSrc: src, origDst: dst, origDport: dport, replySrc: dst, replyDst: src, mark: 0 },
  };
  const result = tracePacket(ruleset, packet, 'remote', node);
  const index = buildServiceIndex(ruleset);
  return { result, index, ruleset, findings: listFindings(result, index, ruleset) };
}

describe('interpretation of real traces', () => {
  test.each([
    ['ClusterIP nginx from a pod', CLUSTERIP_NGINX, '10.244.1.3', '10.96.34.82', 80, [['default/nginx', '10.244.2.2:80', 1, false]], []],
    ['ClusterIP nginx from outside the cluster CIDR', CLUSTERIP_NGINX, '192.168.49.100', '10.96.34.82', 80, [['default/nginx', '10.244.2.2:80', 1, true]], ['masquerade']],
    [
      'three endpoints, ≤1.18 names',
      THREE_ENDPOINTS_OLD,
      '192.167.5.5',
      '10.97.229.148',
      80,
      [
        ['default/my-nginx-nodeport:', '192.167.1.138:80', 1 / 3, false],
        ['default/my-nginx-nodeport:', '192.167.2.17:80', 1 / 3, false],
        ['default/my-nginx-nodeport:', '192.167.3.9:80', 1 / 3, false],
      ],
      ['comments-missing'],
    ],
    ['XLB era, no local endpoint, NodePort from outside', XLB_NO_LOCAL, '192.168.49.100', NODE_IP, 30080, [['default/webapp', undefined, 1, false]], ['no-local-endpoints', 'mark-drop']],
    ['XLB era, local endpoint, NodePort from outside', XLB_WITH_LOCAL, '192.168.49.100', NODE_IP, 30080, [['default/webapp', '10.244.120.111:80', 1, false]], []],
    ['1.25+, no local endpoint, NodePort from outside', CURRENT_NO_LOCAL, '192.168.49.100', NODE_IP, 30080, [['default/webapp', undefined, 1, false]], ['no-local-endpoints']],
    ['1.25+, no local endpoint, LB IP from a pod (short-circuit)', CURRENT_NO_LOCAL, '10.244.1.3', '203.0.113.10', 80, [['default/webapp', '10.244.120.111:80', 1, false]], ['no-local-endpoints']],
    ['1.25+, local endpoint, NodePort from outside', CURRENT_WITH_LOCAL, '192.168.49.100', NODE_IP, 30080, [['default/webapp', '10.244.120.111:80', 1, false]], []],
    ['no endpoints', NO_ENDPOINTS, '10.244.1.3', '10.96.5.5', 80, [['default/broken:http', undefined, 1, false]], ['no-endpoints']],
  ] as const)('%s', (_label, dump, src, dst, dport, outcomes, codes) => {
    const { result, index, findings } = trace(dump, src, dst, dport);
    const got = result.branches
      .map((b) => {
        const d = describeBranch(b, index);
        return [d.service, d.endpoint, b.probability, b.masquerade] as const;
      })
      .sort((a, b) => String(a[1]).localeCompare(String(b[1])));
    expect(got.length).toBe(outcomes.length);
    got.forEach((g, i) => {
      const [service, endpoint, p, masq] = outcomes[i]!;
      expect(g[0]).toBe(service);
      expect(g[1]).toBe(endpoint);
      expect(g[2]).toBeCloseTo(p, 4); // ≤1.18 printed %0.5f: a third is 0.33333
      expect(g[3]).toBe(masq);
    });
    expect([...new Set(findings.map((f) => f.code))].sort()).toEqual([...codes].sort());
    // every kube-proxy rule on every path has a meaning
    for (const b of result.branches) {
      for (const s of b.path) if (s.kind === 'rule' && /KUBE-/.test(s.chain)) expect(describeStep(s, index), s.text).toBeDefined();
    }
  });

  test('an excerpt traces once the standard chains are assumed', () => {
    const excerpt = `$ iptables-save -t nat | grep nginx
-A KUBE-SERVICES -d 10.96.34.82/32 -p tcp -m comment --comment "default/nginx cluster IP" -m tcp --dport 80 -j KUBE-SVC-2CMXP7HKUVJN7L6M
-A KUBE-SVC-2CMXP7HKUVJN7L6M ! -s 10.244.0.0/16 -d 10.96.34.82/32 -p tcp -m comment --comment "default/nginx cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-2CMXP7HKUVJN7L6M -m comment --comment "default/nginx" -j KUBE-SEP-HUXRPHBUO34UVPEF
-A KUBE-SEP-HUXRPHBUO34UVPEF -s 10.244.2.2/32 -m comment --comment "default/nginx" -j KUBE-MARK-MASQ
-A KUBE-SEP-HUXRPHBUO34UVPEF -p tcp -m comment --comment "default/nginx" -m tcp -j DNAT --to-destination 10.244.2.2:80
`;
    const { result, index, ruleset } = trace(excerpt, '192.168.49.100', '10.96.34.82', 80, 'excerpt');
    expect(ruleset.assumptions.some((a) => a.includes('nat PREROUTING → KUBE-SERVICES'))).toBe(true);
    expect(result.branches).toHaveLength(1);
    const [b] = result.branches;
    expect(describeBranch(b!, index)).toMatchObject({ service: 'default/nginx', endpoint: '10.244.2.2:80' });
    expect(b!.masquerade).toBe(true);
    expect(b!.path.some((s) => s.ruleRef?.assumed !== undefined && s.chain === 'KUBE-POSTROUTING')).toBe(true);
  });
});
