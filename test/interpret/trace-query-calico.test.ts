import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { traceQuery } from '../../src/interpret/trace-query.js';
import { parseIpsetList } from '../../src/parse/ipset.js';
import { parseIpRoute } from '../../src/parse/ip-route.js';
import type { NodeSnapshot } from '../../src/model/snapshot.js';

const read = (f: string) => readFileSync(new URL(`../../samples/${f}`, import.meta.url), 'utf8');
const RULES = { text: read('calico-frontend-backend-db/iptables-save.rules'), file: 'samples/calico-frontend-backend-db/iptables-save.rules' };

/** The sample node: three pods on cali interfaces, their /32 routes, and the ipsets felix programmed. */
function snapshot(): NodeSnapshot {
  const routes = parseIpRoute(
    [
      '10.88.0.24 dev cali505cfbeac50 scope link',
      '10.88.0.26 dev cali95aa86cbb2a scope link',
      '10.88.0.27 dev cali2b1490aa46a scope link',
      'default via 192.168.49.1 dev eth0',
      'local 192.168.49.2 dev eth0 table local proto kernel scope host src 192.168.49.2',
    ].join('\n'),
    'ip-route.txt',
  ).routes;
  return {
    origin: 'test',
    iptables: [],
    ipsets: parseIpsetList(read('calico-frontend-backend-db/ipset-list.txt'), 'samples/calico-frontend-backend-db/ipset-list.txt').sets,
    conntrack: [],
    interfaces: [],
    routes,
    sysctls: {},
    pods: [
      { namespace: 'default', name: 'frontend-8b474f47-zdqdv', ips: ['10.88.0.24'], hostInterface: 'cali505cfbeac50', foundBy: 'given' },
      { namespace: 'default', name: 'db-8d66ff5f7-bp6kf', ips: ['10.88.0.26'], hostInterface: 'cali95aa86cbb2a', foundBy: 'given' },
      { namespace: 'default', name: 'backend-867fd6dff-mjf92', ips: ['10.88.0.27'], hostInterface: 'cali2b1490aa46a', foundBy: 'given' },
    ],
    missing: [],
    diagnostics: [],
  };
}

describe('trace through Calico chains, with the node snapshot', () => {
  test('frontend → db is dropped by "Drop if no policies passed packet", named in Calico terms', () => {
    const r = traceQuery({ ...RULES, snapshot: snapshot() }, { destination: '10.88.0.26', port: 80, src: '10.88.0.24', nodeIps: ['192.168.49.2'] });
    expect(r.query.inInterface).toBe('cali505cfbeac50');
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0]!;
    expect(o.verdict).toBe('DROP');
    const last = o.path.at(-1)!;
    expect(last.chain).toBe('cali-tw-cali95aa86cbb2a');
    expect(last.line).toBe(170);
    expect(last.text).toContain('Drop if no policies passed packet');
    expect(last.meaning).toBeTruthy();
    // Every Calico step is explained, the dispatch to the workload names the pod.
    expect(o.path.some((s) => /default\/db-8d66ff5f7-bp6kf/.test(s.meaning ?? ''))).toBe(true);
    expect(r.findings.map((f) => f.code)).toContain('calico-policy-drop');
  });

  test('backend → db is accepted through the policy rule that matches the backend ipset', () => {
    const r = traceQuery({ ...RULES, snapshot: snapshot() }, { destination: '10.88.0.26', port: 80, src: '10.88.0.27', nodeIps: ['192.168.49.2'] });
    expect(r.outcomes).toHaveLength(1);
    const o = r.outcomes[0]!;
    expect(o.verdict).toBe('ACCEPT');
    const policyStep = o.path.find((s) => s.line === 138)!;
    expect(policyStep.meaning).toMatch(/10\.88\.0\.27 \(default\/backend-867fd6dff-mjf92\)/);
  });
});
