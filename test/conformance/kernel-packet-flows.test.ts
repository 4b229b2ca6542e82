/**
 * The kernel's word on the conformance corpus: a cross-section of kube-proxy's packet-flow cases (one of
 * each path kind: pod/node/localhost/external sources, hairpin, UDP, eTP/iTP short-circuits, the LB
 * firewall, no-endpoint REJECT, untranslated traffic) is replayed with real connections through the
 * fixture's rules loaded into a namespace "node" (test/kernel/harness.ts), and what the kernel did must be
 * what `traceQuery` predicted: which pod answered, REJECT (refused) or DROP (timeout), and masquerade
 * (conntrack's reply tuple). kube-proxy-packet-flows.test.ts checks the same predictions against
 * kube-proxy's expected answers, so agreement here ties all three together.
 *
 * The node gets kube-proxy's sysctl `route_localnet=1` (kube-proxy.md §3.2): without it the kernel will not
 * route 127.0.0.1-sourced packets off the loopback device and localhost NodePorts cannot work.
 * Balanced cases make 16 connections, so a predicted endpoint with p = 1/2 is missed with probability 2^-16.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { traceQuery } from '../../src/interpret/trace-query.js';
import type { TraceOutcome } from '../../src/interpret/report.js';
import { type ClientRef, type ConntrackEntry, Lab, type PodSpec, cleanupStale, netnsUnavailableReason, runIn } from '../kernel/harness.js';
import { type Flow, type Scenario, SCENARIOS } from './scenarios.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'conformance');
const NODE = '192.168.0.2';
/** The node's other addresses in kube-proxy's test setup (proxier_test.go testNodeIPs). */
const NODE_EXTRA = ['192.168.1.2', '192.168.99.11'];
const EXTERNAL_CLIENTS = ['203.0.113.2', '203.0.113.130'];

/** Which flows of which fixture are replayed (by kube-proxy's case name). */
const SELECTED: Record<string, string[]> = {
  'masquerade-base': [
    'pod to ClusterIP',
    'node to ClusterIP',
    'localhost to NodePort',
    'external to NodePort with eTP:Local',
    'pod to LB with eTP:Local',
    'node to LB with eTP:Local',
    'external to ClusterIP with iTP:Local',
  ],
  'cluster-ip-general': ['hairpin to cluster IP', 'clusterIP with TCP, UDP, and SCTP on same port (UDP)'],
  'load-balancer': ['blocked external to LB1', 'pod to LB1 (blocked by LoadBalancerSourceRanges)', 'node to LB1 (allowed by LoadBalancerSourceRanges)'],
  'no-endpoints-reject': ['external to NodePort with no endpoints', 'pod to LoadBalancer IP with no endpoints'],
  'nodeports-v4-no-localhost': ['localhost to nodePort is ignored'],
};

/** Pods for every endpoint of the scenario plus every pod-network client; named by their IP. */
function podsOf(s: Scenario): PodSpec[] {
  const pods = new Map<string, PodSpec>();
  for (const sp of s.ports) {
    for (const e of sp.endpoints) {
      const pod = pods.get(e.ip) ?? { name: e.ip, ip: e.ip, tcp: [], udp: [] };
      if (sp.protocol === 'tcp' && !pod.tcp!.includes(e.port)) pod.tcp!.push(e.port);
      if (sp.protocol === 'udp' && !pod.udp!.includes(e.port)) pod.udp!.push(e.port);
      pods.set(e.ip, pod);
    }
  }
  for (const f of s.flows) {
    if (f.src.startsWith('10.') && !pods.has(f.src)) pods.set(f.src, { name: f.src, ip: f.src });
  }
  return [...pods.values()];
}

function clientOf(src: string): ClientRef | 'localhost' {
  if (src === '127.0.0.1') return 'localhost';
  if (src === NODE) return { kind: 'node' };
  if (EXTERNAL_CLIENTS.includes(src)) return { kind: 'external', src };
  return { kind: 'pod', name: src };
}

/** One observed connection: the verdict the client saw, and conntrack's entry when there is one. */
interface Observation {
  outcome: 'answered' | 'refused' | 'timeout' | 'error';
  answeredBy?: string;
  ct?: ConntrackEntry;
}

/** A TCP connection from 127.0.0.1 inside the node, with bash's /dev/tcp (bash(1) REDIRECTION). */
async function connectFromLocalhost(lab: Lab, port: number): Promise<Observation> {
  const r = await runIn(lab.node, 'timeout', ['2', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port} && head -n 1 <&3`], { allowFail: true });
  if (r.code === 0 && r.stdout.trim()) return { outcome: 'answered', answeredBy: r.stdout.trim() };
  if (/refused/i.test(r.stderr)) return { outcome: 'refused' };
  return { outcome: r.code === 124 ? 'timeout' : 'error' };
}

const VERDICT: Record<Observation['outcome'], TraceOutcome['verdict'] | undefined> = {
  answered: 'ACCEPT',
  refused: 'REJECT',
  timeout: 'DROP',
  error: undefined,
};

const unavailable = await netnsUnavailableReason();
const GROUPS = Object.entries(SELECTED).map(([fixture, names]) => {
  const scenario = SCENARIOS.find((s) => s.fixture === fixture)!;
  return { fixture, scenario, flows: names.map((n) => scenario.flows.find((f) => f.name === n)!) };
});

describe.skipIf(unavailable !== undefined).sequential(`conformance fixtures in the kernel${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  beforeAll(async () => {
    await cleanupStale();
  });

  test('every selected flow exists in the corpus', () => {
    for (const g of GROUPS) for (const f of g.flows) expect(f, g.fixture).toBeDefined();
  });

  describe.each(GROUPS)('$fixture', ({ fixture, scenario, flows }) => {
    const text = readFileSync(join(FIXTURES, `${fixture}.rules`), 'utf8');
    let lab: Lab | undefined;

    beforeAll(async () => {
      lab = await Lab.create({ nodeIp: NODE, externalIp: '192.168.0.100', externalExtraIps: EXTERNAL_CLIENTS, pods: podsOf(scenario) });
      for (const ip of NODE_EXTRA) await runIn(lab.node, 'ip', ['addr', 'add', `${ip}/32`, 'dev', 'eth0']);
      await runIn(lab.node, 'sysctl', ['-qw', 'net.ipv4.conf.all.route_localnet=1']);
      await lab.loadRules(text);
    }, 60_000);

    afterAll(async () => {
      await lab?.destroy();
    }, 60_000);

    test.each(flows)('$name', async (flow: Flow) => {
      const protocol = flow.protocol === 'udp' ? 'udp' : 'tcp';
      const report = traceQuery(
        { text, file: `test/fixtures/conformance/${fixture}.rules` },
        { destination: flow.dst, port: flow.port, protocol, src: flow.src, nodeIps: scenario.nodeIps },
      );
      const predicted = report.outcomes.filter((o) => o.probability > 0);
      const balanced = new Set(predicted.filter((o) => o.verdict === 'ACCEPT').map((o) => o.destination)).size > 1;
      const dropOrReject = predicted.every((o) => o.verdict !== 'ACCEPT');
      const client = clientOf(flow.src);

      const observations: Observation[] = [];
      if (client === 'localhost') {
        // bash does not let the source port be chosen: one connection at a time, each read back from conntrack.
        for (let i = 0; i < (balanced ? 16 : 1); i++) {
          const before = new Set((await lab!.conntrack()).map((e) => e.orig.sport));
          const obs = await connectFromLocalhost(lab!, flow.port);
          obs.ct = (await lab!.conntrack()).find(
            (e) => e.orig.src === '127.0.0.1' && e.orig.dport === flow.port && !before.has(e.orig.sport),
          );
          observations.push(obs);
        }
      } else {
        const conns = await lab!.connect(client, flow.dst, flow.port, { protocol, count: balanced ? 16 : dropOrReject ? 1 : 3, timeoutMs: 1000 });
        const conntrack = await lab!.conntrack();
        for (const c of conns) {
          const ct = conntrack.find((e) => e.orig.src === c.src && e.orig.sport === c.sport && e.protocol === protocol);
          observations.push({ outcome: c.outcome, answeredBy: c.answeredBy, ct });
        }
      }

      const prediction = predicted.map((o) => `${o.verdict} ${o.destination} masq=${o.masquerade}`).join(', ');
      const seen = new Set<string>();
      for (const obs of observations) {
        const context = `kernel: ${obs.outcome} ${obs.answeredBy ?? ''} ${obs.ct?.raw ?? '(no conntrack entry)'}; predicted ${prediction}`;
        // No listener on the node's own port: the kernel's TCP stack refuses what netfilter accepted.
        const untranslated = predicted.every((o) => o.verdict === 'ACCEPT' && !o.path.some((s) => / -j DNAT /.test(s.text)));
        if (untranslated) {
          expect(obs.outcome, context).not.toBe('answered');
          if (obs.ct) expect(`${obs.ct.reply.src}:${obs.ct.reply.sport}`, context).toBe(`${flow.dst}:${flow.port}`);
          continue;
        }
        const verdict = VERDICT[obs.outcome];
        expect(verdict, context).toBeDefined();
        const candidates = predicted.filter((o) => o.verdict === verdict);
        expect(candidates.length, context).toBeGreaterThan(0);
        if (verdict !== 'ACCEPT') continue;
        expect(obs.ct, context).toBeDefined();
        const destination = `${obs.ct!.reply.src}:${obs.ct!.reply.sport}`;
        expect(obs.answeredBy, context).toBe(obs.ct!.reply.src);
        const match = candidates.find((o) => o.destination === destination);
        expect(match, context).toBeDefined();
        // SNAT to another address, or (MASQUERADE --random-fully) to another port of the same address: a
        // node-sourced connection is masqueraded to the node's own address.
        const masqueraded = obs.ct!.reply.dst !== obs.ct!.orig.src || obs.ct!.reply.dport !== obs.ct!.orig.sport;
        expect(match!.masquerade, context).toBe(masqueraded);
        seen.add(destination);
      }
      if (balanced) {
        expect(seen, prediction).toEqual(new Set(predicted.filter((o) => o.verdict === 'ACCEPT').map((o) => o.destination)));
      }
    }, 60_000);
  });
});
