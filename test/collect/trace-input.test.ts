import { describe, expect, test } from 'vitest';
import { loadTraceInput, mergeSnapshots } from '../../src/collect/trace-input.js';
import { traceQuery } from '../../src/interpret/trace-query.js';
import type { NodeSnapshot } from '../../src/model/snapshot.js';

const SAMPLE = 'samples/calico-frontend-backend-db';
const options = { family: 4 as const, protocol: 'tcp', destination: '10.88.0.26' };

describe('loadTraceInput: files of different kinds make one snapshot', () => {
  test('rules + ipset list + pod list: rules to trace, sets and pods in the snapshot, nothing reported missing twice', async () => {
    const input = await loadTraceInput([`${SAMPLE}/iptables-save.rules`, `${SAMPLE}/ipset-list.txt`, `${SAMPLE}/pods.txt`], options);
    expect(input.file).toBe(`${SAMPLE}/iptables-save.rules`);
    expect(input.snapshot!.ipsets.map((s) => s.name)).toContain('cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge');
    expect(input.snapshot!.pods.map((p) => p.name).sort()).toEqual(['backend-867fd6dff-mjf92', 'db-8d66ff5f7-bp6kf', 'frontend-8b474f47-zdqdv']);
    const missing = input.snapshot!.missing.map((m) => m.id);
    expect(missing).not.toContain('iptables-save');
    expect(missing).not.toContain('ipset-list');
    expect(missing).not.toContain('pods');
    expect(new Set(missing).size).toBe(missing.length);
  });

  test('with the pod list a Calico trace is decided: one branch, the endpoint named', async () => {
    const input = await loadTraceInput([`${SAMPLE}/iptables-save.rules`, `${SAMPLE}/ipset-list.txt`, `${SAMPLE}/pods.txt`], options);
    const r = traceQuery(
      { text: input.text, file: input.file, snapshot: input.snapshot! },
      { destination: '10.88.0.26', port: 80, src: '10.88.0.24', nodeIps: ['192.168.49.2'] },
    );
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]!.verdict).toBe('DROP');
    expect(r.outcomes[0]!.endpoint).toBe('default/db-8d66ff5f7-bp6kf (10.88.0.26, cali95aa86cbb2a)');
    expect(r.query.inInterface).toBe('cali505cfbeac50');
  });

  test('rules only: no snapshot is passed (nothing but rules to add)', async () => {
    const input = await loadTraceInput([`${SAMPLE}/iptables-save.rules`], options);
    expect(input.snapshot).toBeUndefined();
  });

  test('a file with no rules among the inputs is a clear error', async () => {
    await expect(loadTraceInput([`${SAMPLE}/ipset-list.txt`], options)).rejects.toThrow(/no iptables-save rules for IPv4 in the input/);
  });
});

describe('mergeSnapshots', () => {
  const base = (over: Partial<NodeSnapshot>): NodeSnapshot => ({
    origin: 'x', iptables: [], ipsets: [], conntrack: [], interfaces: [], routes: [], sysctls: {}, pods: [], missing: [], diagnostics: [], ...over,
  });
  test('a source one input lacks but another has is not missing; one all lack is, once', () => {
    const merged = mergeSnapshots([
      base({ missing: [{ id: 'ipset-list', why: 'a' }, { id: 'conntrack', why: 'a' }] }),
      base({ missing: [{ id: 'iptables-save', why: 'b' }, { id: 'conntrack', why: 'b' }] }),
    ]);
    expect(merged.missing.map((m) => m.id)).toEqual(['conntrack']);
  });
});
