import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { traceQuery } from '../../src/interpret/trace-query.js';
import { InputError } from '../../src/model/source.js';
import { parseIpsetList } from '../../src/parse/ipset.js';

function sample(name: string): { text: string; file: string } {
  const file = `samples/${name}`;
  return { text: readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'), file };
}

const sum = (xs: { probability: number }[]) => xs.reduce((s, x) => s + x.probability, 0);

describe('traceQuery: what it assumes, and says', () => {
  test('without --src the source is a pod address of the cluster CIDR, not an endpoint, and is stated', () => {
    const r = traceQuery(sample('nodeport-webapp.rules'), { destination: '10.103.46.104', port: 80 });
    expect(r.query.sourceAssumed).toBe(true);
    expect(r.query.source).toMatch(/^10\.244\./);
    expect(['10.244.120.102', '10.244.120.103']).not.toContain(r.query.source);
    expect(r.assumptions.some((a) => a.includes(r.query.source) && /pod of this cluster/.test(a))).toBe(true);
    expect(r.outcomes.map((o) => o.destination).sort()).toEqual(['10.244.120.102:80', '10.244.120.103:80']);
    expect(sum(r.outcomes)).toBeCloseTo(1, 12);
    for (const o of r.outcomes) expect(o.masquerade).toBe(false);
  });

  test('a NodePort traced without --node-ip: the destination is taken as the node, and that is said', () => {
    const r = traceQuery(sample('nodeport-webapp.rules'), { destination: '192.168.49.2', port: 31380, src: '192.168.49.100' });
    expect(r.assumptions.some((a) => /192\.168\.49\.2 assumed to be an address of this node/.test(a))).toBe(true);
    expect(r.outcomes).toHaveLength(2);
    for (const o of r.outcomes) {
      expect(o.verdict).toBe('ACCEPT');
      expect(o.masquerade).toBe(true);
      expect(o.probability).toBeCloseTo(0.5, 9);
    }
  });

  test('--node-ip: the node address list is what the user gave, said once', () => {
    const r = traceQuery(sample('etp-local-no-endpoint.rules'), {
      destination: '192.168.49.3',
      port: 30080,
      src: '192.168.49.100',
      nodeIps: ['192.168.49.3'],
    });
    expect(r.assumptions.filter((a) => /own addresses are not known/.test(a))).toEqual([]);
    expect(r.assumptions.some((a) => /local addresses are taken to be 192\.168\.49\.3, 127\.0\.0\.0\/8/.test(a))).toBe(true);
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]!.verdict).toBe('DROP');
    expect(r.outcomes[0]!.path.at(-1)!.chain).toBe('KUBE-FIREWALL');
    expect(r.findings.map((f) => f.code)).toContain('no-local-endpoints');
  });

  test('a client outside the pod network arrives on eth0 (assumed, said); --in-iface overrides it', () => {
    const q = { destination: '192.168.49.3', port: 30080, src: '192.168.49.100', nodeIps: ['192.168.49.3'] };
    const assumed = traceQuery(sample('etp-local-no-endpoint.rules'), q);
    expect(assumed.query.inInterface).toBe('eth0');
    expect(assumed.assumptions.some((a) => /uplink, assumed to be eth0/.test(a))).toBe(true);
    const given = traceQuery(sample('etp-local-no-endpoint.rules'), { ...q, inInterface: 'docker0' });
    expect(given.query.inInterface).toBe('docker0');
    // nat DOCKER's `-i docker0 -j RETURN` now matches: the path differs, the verdict does not.
    expect(given.outcomes[0]!.path.some((s) => s.chain === 'DOCKER')).toBe(true);
    expect(assumed.outcomes[0]!.path.some((s) => s.chain === 'DOCKER')).toBe(false);
    expect(given.outcomes[0]!.verdict).toBe('DROP');
  });

  test('a pod source with unknown interface: forks on -i that end alike are merged, not doubled', () => {
    const r = traceQuery(sample('etp-local-no-endpoint.rules'), {
      destination: '192.168.49.3',
      port: 30080,
      src: '10.244.205.9',
      nodeIps: ['192.168.49.3'],
    });
    expect(r.query.inInterface).toBeUndefined();
    // Each set of undecidable conditions sums to 1 on its own.
    const scenarios = new Map<string, number>();
    for (const o of r.outcomes) scenarios.set(o.given.join('|'), (scenarios.get(o.given.join('|')) ?? 0) + o.probability);
    for (const total of scenarios.values()) expect(total).toBeCloseTo(1, 9);
  });

  test('a locally generated packet starts on OUTPUT', () => {
    const r = traceQuery(sample('clusterip-nginx.rules'), { destination: '10.96.34.82', port: 80, src: '172.18.0.2', nodeIps: ['172.18.0.2'] });
    expect(r.query.startHook).toBe('OUTPUT');
    expect(r.outcomes[0]!.hooks[0]).toBe('OUTPUT');
    expect(r.outcomes[0]!.masquerade).toBe(true);
    expect(r.outcomes[0]!.destination).toBe('10.244.2.2:80');
  });
});

describe('traceQuery: excerpts', () => {
  test('an excerpt is traced with inferred tables and assumed kube-proxy rules, each one said', () => {
    const r = traceQuery(sample('excerpt-grep.txt'), { destination: '192.168.49.2', port: 31380, src: '192.168.49.100', nodeIps: ['192.168.49.2'] });
    expect(r.assumptions.some((a) => /nat/.test(a))).toBe(true);
    const accepted = r.outcomes.filter((o) => o.verdict === 'ACCEPT');
    expect(accepted.map((o) => o.destination)).toEqual(['10.244.120.102:80']);
    expect(accepted[0]!.probability).toBeCloseTo(0.5, 9);
    // The PREROUTING jump is not in the excerpt: it is an assumed rule, line 0, flagged.
    const first = accepted[0]!.path[0]!;
    expect(first.chain).toBe('PREROUTING');
    expect(first.line).toBe(0);
    expect(first.assumed).toBeTruthy();
    // The cut removed the other endpoint's chain: that half is UNKNOWN, reported as a missing chain.
    const unknown = r.outcomes.filter((o) => o.verdict === 'UNKNOWN');
    expect(unknown).toHaveLength(1);
    expect(unknown[0]!.probability).toBeCloseTo(0.5, 9);
    expect(r.findings.map((f) => f.code)).toContain('missing-chain');
  });
});

describe('traceQuery: input errors are InputErrors, not crashes', () => {
  test.each([
    [{ destination: 'not-an-ip' }, /not an IPv4 or IPv6 address/],
    [{ destination: '10.0.0.1', src: 'nope' }, /--src "nope" is not an IP address/],
    [{ destination: '10.0.0.1', nodeIps: ['x.y'] }, /--node-ip "x.y"/],
  ])('%o', (q, message) => {
    expect(() => traceQuery(sample('clusterip-nginx.rules'), q)).toThrowError(InputError);
    expect(() => traceQuery(sample('clusterip-nginx.rules'), q)).toThrowError(message);
  });

  test('an iptables -L listing is refused with a clear message', () => {
    const listing = 'Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\nACCEPT     all  --  anywhere             anywhere\n';
    expect(() => traceQuery({ text: listing, file: 'l.txt' }, { destination: '10.0.0.1', port: 80 })).toThrowError(/iptables-save/);
  });
});

describe('traceQuery: IPv6', () => {
  test('an IPv6 destination is written [addr]:port after DNAT', () => {
    const text = [
      '# Generated by ip6tables-save v1.8.9 (nf_tables) on Sat Nov 21 08:00:00 2026',
      '*nat',
      ':PREROUTING ACCEPT [0:0]',
      ':INPUT ACCEPT [0:0]',
      ':OUTPUT ACCEPT [0:0]',
      ':POSTROUTING ACCEPT [0:0]',
      ':KUBE-SEP-V6 - [0:0]',
      ':KUBE-SERVICES - [0:0]',
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A KUBE-SEP-V6 -p tcp -m comment --comment "default/web6" -m tcp -j DNAT --to-destination [fd00:10:244::5]:8080',
      '-A KUBE-SERVICES -d fd00:10:96::10/128 -p tcp -m comment --comment "default/web6 cluster IP" -m tcp --dport 80 -j KUBE-SEP-V6',
      'COMMIT',
      '',
    ].join('\n');
    const r = traceQuery({ text, file: 'v6.rules' }, { destination: 'fd00:10:96::10', port: 80, src: 'fd00:10:244::9' });
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]!.destination).toBe('[fd00:10:244::5]:8080');
  });
});

describe('traceQuery: without --node-ip the unknown node addresses are said once', () => {
  test('one assumption line, not one per address', () => {
    const r = traceQuery(sample('three-endpoints.rules'), { destination: '10.105.120.204', port: 30050, src: '172.17.0.9' });
    expect(r.outcomes).toHaveLength(3);
    expect(r.assumptions.filter((a) => /own addresses are not known/.test(a))).toHaveLength(1);
  });
});

describe('traceQuery: kube-proxy IPVS mode', () => {
  const fixture = (name: string) => readFileSync(new URL(`../fixtures/interpret/${name}`, import.meta.url), 'utf8');
  const ipsets = () => parseIpsetList(fixture('ipvs-mode.ipsets'), 'ipvs-mode.ipsets').sets;
  const snapshotWith = (sets: ReturnType<typeof ipsets>) => ({
    origin: 'test', iptables: [], ipsets: sets, conntrack: [], interfaces: [], routes: [], sysctls: {}, pods: [], missing: [], diagnostics: [],
  });

  test('a ClusterIP in KUBE-CLUSTER-IP is local (kube-ipvs0): handed to IPVS after filter INPUT, said so', () => {
    const r = traceQuery({ text: fixture('ipvs-mode.rules'), file: 'ipvs-mode.rules', snapshot: snapshotWith(ipsets()) }, { destination: '10.96.0.10', port: 53, src: '10.244.1.5' });
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]!.hooks).toEqual(['PREROUTING', 'INPUT']);
    expect(r.outcomes[0]!.reason).toMatch(/accepted into IPVS: 10\.96\.0\.10:53 is a virtual server on kube-ipvs0/);
    expect(r.findings.map((f) => f.code)).toContain('ipvs-mode');
    expect(r.assumptions.some((a) => /IPVS mode: the service address of its ipsets is bound to kube-ipvs0/.test(a))).toBe(true);
  });

  test('without the ipsets the service address cannot be told LOCAL, and the output says what to add', () => {
    const r = traceQuery({ text: fixture('ipvs-mode.rules'), file: 'ipvs-mode.rules' }, { destination: '10.96.0.10', port: 53, src: '10.244.1.5' });
    expect(r.assumptions.some((a) => /IPVS mode, but its ipsets .* were not given/.test(a))).toBe(true);
    expect(r.findings.map((f) => f.code)).toContain('ipvs-mode');
  });
});
