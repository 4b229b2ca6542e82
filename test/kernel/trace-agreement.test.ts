/**
 * Kernel agreement: every sample is loaded into a namespace "node", real connections are made, and what
 * netfilter did (which pod answered, refusals and timeouts, conntrack's reply tuple, the TRACE rule
 * sequence of the first packet) must be what `traceQuery` predicted for that branch.
 *
 * Statistics without flakes: a query that balances over endpoints makes 30 connections. An endpoint the
 * trace gives p ≥ 1/3 is then missed with probability ≤ (2/3)^30 ≈ 5e-6, so "each such endpoint is seen"
 * is asserted. No frequency test is made. Seen endpoints must be a subset of the predicted ones, which
 * holds for any number of connections.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { traceQuery } from '../../src/interpret/trace-query.js';
import type { TraceOutcome, TraceReport } from '../../src/interpret/report.js';
import {
  type ClientRef,
  type ConnectionResult,
  type ConntrackEntry,
  type KernelStep,
  Lab,
  type LabSpec,
  cleanupStale,
  firstTraversal,
  indexDump,
  kernelPath,
  netnsUnavailableReason,
  parseTraceOutput,
  traceRuleText,
} from './harness.js';

/** One query against a scenario: who connects where, how often, and what `trace` is asked. */
interface Query {
  title: string;
  client: ClientRef;
  dst: string;
  port: number;
  protocol: 'tcp' | 'udp';
  count: number;
  timeoutMs: number;
  /** `--src`/`--node-ip` as a user would pass them. */
  src: string;
  nodeIps?: string[];
  /** The verdicts this query is meant to exercise: guards against a scenario silently testing nothing. */
  expectVerdicts: Array<TraceOutcome['verdict']>;
}

interface Scenario {
  sample: string;
  lab: LabSpec;
  queries: Query[];
}

const N = 30; // connections per balanced query (see header)

const SCENARIOS: Scenario[] = [
  {
    sample: 'samples/clusterip-nginx.rules',
    lab: {
      nodeIp: '172.18.0.2',
      externalIp: '172.18.0.100',
      pods: [
        { name: 'nginx', ip: '10.244.2.2', tcp: [80] },
        { name: 'client', ip: '10.244.1.3' },
      ],
    },
    queries: [
      { title: 'pod → ClusterIP', client: { kind: 'pod', name: 'client' }, dst: '10.96.34.82', port: 80, protocol: 'tcp', count: 5, timeoutMs: 2000, src: '10.244.1.3', expectVerdicts: ['ACCEPT'] },
      { title: 'node → ClusterIP (OUTPUT, masqueraded)', client: { kind: 'node' }, dst: '10.96.34.82', port: 80, protocol: 'tcp', count: 3, timeoutMs: 2000, src: '172.18.0.2', nodeIps: ['172.18.0.2'], expectVerdicts: ['ACCEPT'] },
    ],
  },
  {
    sample: 'samples/nodeport-webapp.rules',
    lab: {
      nodeIp: '192.168.49.2',
      externalIp: '192.168.49.100',
      pods: [
        { name: 'webapp-1', ip: '10.244.120.102', tcp: [80] },
        { name: 'webapp-2', ip: '10.244.120.103', tcp: [80] },
        { name: 'dnsutils', ip: '10.244.120.70' },
      ],
    },
    queries: [
      { title: 'external client → NodePort 31380', client: { kind: 'external' }, dst: '192.168.49.2', port: 31380, protocol: 'tcp', count: N, timeoutMs: 2000, src: '192.168.49.100', nodeIps: ['192.168.49.2'], expectVerdicts: ['ACCEPT'] },
      { title: 'pod → ClusterIP', client: { kind: 'pod', name: 'dnsutils' }, dst: '10.103.46.104', port: 80, protocol: 'tcp', count: N, timeoutMs: 2000, src: '10.244.120.70', expectVerdicts: ['ACCEPT'] },
    ],
  },
  {
    sample: 'samples/etp-local-no-endpoint.rules',
    lab: {
      nodeIp: '192.168.49.3',
      externalIp: '192.168.49.100',
      pods: [
        { name: 'nginx', ip: '10.244.120.111', tcp: [80] },
        { name: 'client', ip: '10.244.205.200' },
      ],
    },
    queries: [
      { title: 'external client → NodePort without local endpoint (drop)', client: { kind: 'external' }, dst: '192.168.49.3', port: 30080, protocol: 'tcp', count: 2, timeoutMs: 1000, src: '192.168.49.100', nodeIps: ['192.168.49.3'], expectVerdicts: ['DROP'] },
      { title: 'pod → ClusterIP still works', client: { kind: 'pod', name: 'client' }, dst: '10.111.243.62', port: 80, protocol: 'tcp', count: 3, timeoutMs: 2000, src: '10.244.205.200', expectVerdicts: ['ACCEPT'] },
    ],
  },
  {
    sample: 'samples/etp-local-with-endpoint.rules',
    lab: {
      nodeIp: '192.168.49.2',
      externalIp: '192.168.49.100',
      pods: [{ name: 'nginx', ip: '10.244.120.111', tcp: [80] }],
    },
    queries: [
      { title: 'external client → NodePort with local endpoint (source kept)', client: { kind: 'external' }, dst: '192.168.49.2', port: 30080, protocol: 'tcp', count: 3, timeoutMs: 2000, src: '192.168.49.100', nodeIps: ['192.168.49.2'], expectVerdicts: ['ACCEPT'] },
    ],
  },
  {
    sample: 'samples/three-endpoints.rules',
    lab: {
      nodeIp: '10.0.2.15',
      externalIp: '10.0.2.100',
      pods: [
        { name: 'nginx-zrwfs', ip: '172.17.0.15', tcp: [80] },
        { name: 'nginx-4whdj', ip: '172.17.0.17', tcp: [80] },
        { name: 'nginx-jsp2s', ip: '172.17.0.18', tcp: [80] },
        { name: 'client', ip: '172.17.0.9' },
      ],
    },
    queries: [
      { title: 'pod → ClusterIP with three endpoints', client: { kind: 'pod', name: 'client' }, dst: '10.105.120.204', port: 30050, protocol: 'tcp', count: N, timeoutMs: 2000, src: '172.17.0.9', expectVerdicts: ['ACCEPT'] },
    ],
  },
  {
    sample: 'samples/current-generation.rules',
    lab: {
      nodeIp: '192.168.1.10',
      externalIp: '192.168.1.100',
      externalExtraIps: ['198.51.100.7', '192.0.2.50'],
      pods: [
        { name: 'coredns-a', ip: '10.244.1.2', tcp: [53, 9153], udp: [53] },
        { name: 'coredns-b', ip: '10.244.2.3', tcp: [53, 9153], udp: [53] },
        { name: 'web-local', ip: '10.244.1.5', tcp: [8080] },
        { name: 'web-remote', ip: '10.244.2.7', tcp: [8080] },
        { name: 'api', ip: '10.244.2.9', tcp: [8080] },
        { name: 'shop-a', ip: '10.244.1.8', tcp: [8443] },
        { name: 'shop-b', ip: '10.244.2.4', tcp: [8443] },
        { name: 'client', ip: '10.244.1.20' },
      ],
    },
    queries: [
      { title: 'pod → kube-dns over UDP', client: { kind: 'pod', name: 'client' }, dst: '10.96.0.10', port: 53, protocol: 'udp', count: N, timeoutMs: 2000, src: '10.244.1.20', expectVerdicts: ['ACCEPT'] },
      { title: 'pod → service without endpoints (reject)', client: { kind: 'pod', name: 'client' }, dst: '10.96.77.7', port: 80, protocol: 'tcp', count: 3, timeoutMs: 2000, src: '10.244.1.20', expectVerdicts: ['REJECT'] },
      { title: 'external → eTP=Local NodePort without local endpoint (drop)', client: { kind: 'external', src: '198.51.100.7' }, dst: '192.168.1.10', port: 30081, protocol: 'tcp', count: 2, timeoutMs: 1000, src: '198.51.100.7', nodeIps: ['192.168.1.10'], expectVerdicts: ['DROP'] },
      { title: 'external → eTP=Local NodePort with local endpoint', client: { kind: 'external', src: '198.51.100.7' }, dst: '192.168.1.10', port: 30080, protocol: 'tcp', count: 3, timeoutMs: 2000, src: '198.51.100.7', nodeIps: ['192.168.1.10'], expectVerdicts: ['ACCEPT'] },
      { title: 'external → eTP=Local LoadBalancer IP', client: { kind: 'external', src: '198.51.100.7' }, dst: '203.0.113.10', port: 80, protocol: 'tcp', count: 3, timeoutMs: 2000, src: '198.51.100.7', nodeIps: ['192.168.1.10'], expectVerdicts: ['ACCEPT'] },
      { title: 'allowed source → LoadBalancer IP with source ranges', client: { kind: 'external', src: '198.51.100.7' }, dst: '203.0.113.20', port: 443, protocol: 'tcp', count: N, timeoutMs: 2000, src: '198.51.100.7', nodeIps: ['192.168.1.10'], expectVerdicts: ['ACCEPT'] },
      { title: 'other source → LoadBalancer IP with source ranges (drop)', client: { kind: 'external', src: '192.0.2.50' }, dst: '203.0.113.20', port: 443, protocol: 'tcp', count: 2, timeoutMs: 1000, src: '192.0.2.50', nodeIps: ['192.168.1.10'], expectVerdicts: ['DROP'] },
    ],
  },
];

/** A path as (table, chain, rule) triples: matched rules only (no policy steps), as TRACE reports them. */
function enginePath(o: TraceOutcome): string[] {
  return o.path.filter((s) => s.rule > 0).map((s) => `${s.table}:${s.chain}:${s.rule}`);
}

function kernelTriples(steps: KernelStep[]): string[] {
  return steps.map((s) => `${s.table}:${s.chain}:${s.rule}`);
}

/** How the client saw a verdict: ACCEPT answers, REJECT is refused at once, DROP times out. */
const VERDICT_OF: Record<ConnectionResult['outcome'], TraceOutcome['verdict'] | undefined> = {
  answered: 'ACCEPT',
  refused: 'REJECT',
  timeout: 'DROP',
  error: undefined,
};

/** Masquerade as conntrack shows it: the reply goes to another address (or, for --random-fully, port). */
function masqueraded(ct: ConntrackEntry): boolean {
  return ct.reply.dst !== ct.orig.src || ct.reply.dport !== ct.orig.sport;
}

const unavailable = await netnsUnavailableReason();

describe.skipIf(unavailable !== undefined).sequential(`trace agrees with the kernel${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  beforeAll(async () => {
    await cleanupStale();
  });

  describe.each(SCENARIOS)('$sample', (scenario) => {
    const text = readFileSync(scenario.sample, 'utf8');
    const dump = indexDump(text);
    let lab: Lab | undefined;

    beforeAll(async () => {
      lab = await Lab.create(scenario.lab);
      await lab.loadRules(text);
      const targets = new Map<string, { protocol: 'tcp' | 'udp'; dst: string; port: number }>();
      for (const q of scenario.queries) targets.set(`${q.protocol}/${q.dst}/${q.port}`, { protocol: q.protocol, dst: q.dst, port: q.port });
      await lab.startTrace([...targets.values()]);
    }, 60_000);

    afterAll(async () => {
      await lab?.destroy();
    }, 60_000);

    test.each(scenario.queries)('$title', async (q) => {
      const report: TraceReport = traceQuery(
        { text, file: scenario.sample },
        { destination: q.dst, port: q.port, protocol: q.protocol, src: q.src, nodeIps: q.nodeIps },
      );
      const predictedVerdicts = new Set(report.outcomes.filter((o) => o.probability > 0).map((o) => o.verdict));
      expect([...predictedVerdicts].sort()).toEqual([...new Set(q.expectVerdicts)].sort());

      const conns = await lab!.connect(q.client, q.dst, q.port, { protocol: q.protocol, count: q.count, timeoutMs: q.timeoutMs });
      const records = parseTraceOutput(await lab!.traceOutput());
      const conntrack = await lab!.conntrack();
      const handles = await lab!.ruleHandles();
      const ignore = await lab!.traceRuleHandles();

      const seen = new Set<TraceOutcome>();
      for (const c of conns) {
        const kernelVerdict = VERDICT_OF[c.outcome];
        expect(kernelVerdict, `connection from ${c.src}:${c.sport} failed: ${c.code}`).toBeDefined();
        const steps = kernelPath(firstTraversal(records, c.src, c.sport, q.protocol), handles, ignore);
        // The harness's own mapping: TRACE's rule text is the file's rule at that position.
        for (const s of steps) expect(dump.get(`${s.table}/${s.chain}`)?.[s.rule - 1]?.text, `${s.table}:${s.chain}:${s.rule}`).toBe(traceRuleText(s.text));
        const ct = conntrack.find((e) => e.orig.src === c.src && e.orig.sport === c.sport && e.protocol === q.protocol);

        let candidates = report.outcomes.filter((o) => o.probability > 0 && o.verdict === kernelVerdict);
        if (kernelVerdict === 'ACCEPT') {
          expect(ct, `conntrack entry for ${c.src}:${c.sport}`).toBeDefined();
          const destination = `${ct!.reply.src}:${ct!.reply.sport}`;
          candidates = candidates.filter((o) => o.destination === destination);
          expect(candidates.length, `kernel sent ${c.src}:${c.sport} to ${destination} (${c.answeredBy}); predicted ${report.outcomes.map((o) => `${o.verdict} ${o.destination}`).join(', ')}`).toBeGreaterThan(0);
          for (const o of candidates) expect(o.masquerade, `masquerade for ${destination}`).toBe(masqueraded(ct!));
        }
        expect(candidates.length, `kernel verdict ${kernelVerdict} was not predicted`).toBeGreaterThan(0);
        const kernel = kernelTriples(steps);
        const match = candidates.find((o) => JSON.stringify(enginePath(o)) === JSON.stringify(kernel));
        expect(match ? kernel : candidates.map(enginePath), `rule path of ${c.src}:${c.sport} (${c.outcome})`).toEqual(kernel);
        seen.add(match!);
      }

      if (q.count >= N) {
        for (const o of report.outcomes) {
          if (o.verdict === 'ACCEPT' && o.probability >= 1 / 3 - 1e-9) expect(seen.has(o), `endpoint ${o.destination} (p=${o.probability}) never chosen in ${q.count} connections`).toBe(true);
        }
      }
    }, 120_000);
  });
});
