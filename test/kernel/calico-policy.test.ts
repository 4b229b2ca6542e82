/**
 * Kernel agreement for Calico: the sample rules and ipsets are loaded into a namespace "node" whose pod veths
 * carry Calico's interface names, real TCP connections are made between pod namespaces (and from an external
 * client), and what netfilter did — delivery or timeout, conntrack, and the TRACE rule sequence of the first
 * packet — must be what `traceQuery` (over a snapshot read back from that node) and `explainPolicy` with
 * `peer` predicted, down to the deciding rule.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { explainPolicy } from '../../src/interpret/calico/explain-policy.js';
import type { TraceOutcome } from '../../src/interpret/report.js';
import { traceQuery } from '../../src/interpret/trace-query.js';
import type { NodeSnapshot } from '../../src/model/snapshot.js';
import { parseIpsetList } from '../../src/parse/ipset.js';
import { parseIptables } from '../../src/parse/iptables-save.js';
import { createCalicoLab, labPodName, readNodeSnapshot, renumberWithoutTraceRules, type CalicoLab, type CalicoLabSpec } from './calico-harness.js';
import { cleanupStale, firstTraversal, indexDump, kernelPath, netnsUnavailableReason, parseTraceOutput, traceRuleText, type ClientRef } from './harness.js';

/** One connection to make and what it must show. */
interface Query {
  title: string;
  /** `ns/name` of a client pod, or an address of the external client. */
  from: { pod: string } | { external: string };
  /** `ns/name` of the pod connected to. */
  to: string;
  port: number;
  verdict: 'ACCEPT' | 'DROP';
  /** The rule that decides, as `table/chain` and 1-based position: a DROP, or the policy rule setting the accept mark. */
  decidedBy: { chain: string; rule: number };
  /** Further rules the kernel must walk (the pass action of a tier). */
  alsoWalks?: { chain: string; rule: number }[];
  count: number;
}

interface Scenario {
  sample: string;
  lab: CalicoLabSpec;
  queries: Query[];
}

const SCENARIOS: Scenario[] = [
  {
    sample: 'samples/calico-frontend-backend-db',
    lab: {
      nodeIp: '192.168.49.2',
      externalIp: '192.168.49.100',
      pods: [
        { namespace: 'default', name: 'frontend-8b474f47-zdqdv', ip: '10.88.0.24' },
        { namespace: 'default', name: 'db-8d66ff5f7-bp6kf', ip: '10.88.0.26', tcp: [5432] },
        { namespace: 'default', name: 'backend-867fd6dff-mjf92', ip: '10.88.0.27' },
      ],
    },
    queries: [
      {
        title: 'frontend → db is dropped by "Drop if no policies passed packet"',
        from: { pod: 'default/frontend-8b474f47-zdqdv' }, to: 'default/db-8d66ff5f7-bp6kf', port: 5432, verdict: 'DROP',
        decidedBy: { chain: 'cali-tw-cali95aa86cbb2a', rule: 7 }, count: 1,
      },
      {
        title: 'backend → db is accepted by the policy\'s allow rule',
        from: { pod: 'default/backend-867fd6dff-mjf92' }, to: 'default/db-8d66ff5f7-bp6kf', port: 5432, verdict: 'ACCEPT',
        decidedBy: { chain: 'cali-pi-_tTE-E7yY40ogArNVgKt', rule: 1 }, count: 2,
      },
    ],
  },
  {
    sample: 'samples/calico-tiers',
    lab: {
      nodeIp: '192.168.56.11',
      externalIp: '192.168.56.100',
      externalExtraIps: ['10.99.0.5'],
      pods: [
        { namespace: 'shop', name: 'frontend-6d4cf56db6-x7k2p', ip: '10.244.1.10' },
        { namespace: 'shop', name: 'api-7c9d8b5f4-q2w8e', ip: '10.244.1.11', tcp: [8080] },
        { namespace: 'monitoring', name: 'prometheus-main-0', ip: '10.244.1.12' },
      ],
    },
    queries: [
      {
        title: 'frontend → api:8080: tier security passes (quarantine rule 2), the default-tier policy allows',
        from: { pod: 'shop/frontend-6d4cf56db6-x7k2p' }, to: 'shop/api-7c9d8b5f4-q2w8e', port: 8080, verdict: 'ACCEPT',
        decidedBy: { chain: 'cali-pi-_xdHM31viflDw6aP1Ewf', rule: 1 },
        alsoWalks: [{ chain: 'cali-pi-_QIRcAtmYy_qsy1m9LE7', rule: 2 }], count: 2,
      },
      {
        title: 'a quarantined client → api:8080 is denied in tier security',
        from: { external: '10.99.0.5' }, to: 'shop/api-7c9d8b5f4-q2w8e', port: 8080, verdict: 'DROP',
        decidedBy: { chain: 'cali-pi-_QIRcAtmYy_qsy1m9LE7', rule: 1 }, count: 1,
      },
    ],
  },
];

function enginePath(o: TraceOutcome): string[] {
  return o.path.filter((s) => s.rule > 0).map((s) => `${s.table}:${s.chain}:${s.rule}`);
}

const unavailable = await netnsUnavailableReason();

describe.skipIf(unavailable !== undefined).sequential(`Calico rules agree with the kernel${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  beforeAll(async () => {
    await cleanupStale();
  });

  describe.each(SCENARIOS)('$sample', (scenario) => {
    const text = readFileSync(`${scenario.sample}/iptables-save.rules`, 'utf8');
    const sets = parseIpsetList(readFileSync(`${scenario.sample}/ipset-list.txt`, 'utf8'), `${scenario.sample}/ipset-list.txt`).sets;
    const dump = indexDump(text);
    const ruleset = parseIptables(text, `${scenario.sample}/iptables-save.rules`);
    const ipOf = (name: string): string => scenario.lab.pods.find((p) => labPodName(p) === name)!.ip;
    let box: CalicoLab | undefined;
    let snapshot: NodeSnapshot | undefined;

    beforeAll(async () => {
      box = await createCalicoLab(scenario.lab, text, sets);
      snapshot = await readNodeSnapshot(box.lab, box.pods);
      const targets = new Map<string, { protocol: 'tcp'; dst: string; port: number }>();
      for (const q of scenario.queries) targets.set(`${q.to}:${q.port}`, { protocol: 'tcp', dst: ipOf(q.to), port: q.port });
      await box.lab.startTrace([...targets.values()]);
    }, 60_000);

    afterAll(async () => {
      await box?.lab.destroy();
    }, 60_000);

    test.each(scenario.queries)('$title', async (q) => {
      const dst = ipOf(q.to);
      const src = 'pod' in q.from ? ipOf(q.from.pod) : q.from.external;
      const decided = `filter:${q.decidedBy.chain}:${q.decidedBy.rule}`;
      const decidedLine = dump.get(`filter/${q.decidedBy.chain}`)?.[q.decidedBy.rule - 1]?.line;
      expect(decidedLine, `${decided} exists in the sample`).toBeDefined();

      // The predictions: the trace over the snapshot read from the node, and explain-policy's peer check.
      const report = traceQuery({ text, file: `${scenario.sample}/iptables-save.rules`, snapshot: snapshot! }, { destination: dst, port: q.port, protocol: 'tcp', src });
      expect(report.outcomes.map((o) => o.verdict)).toEqual([q.verdict]);
      const predicted = report.outcomes[0]!;
      const [namespace, name] = q.to.split('/') as [string, string];
      const explained = explainPolicy(ruleset, {
        pod: name, namespace, ipsets: new Map(snapshot!.ipsets.map((s) => [s.name, s])), pods: snapshot!.pods,
        routes: snapshot!.routes, interfaces: snapshot!.interfaces, peer: src, port: q.port,
      });
      expect(explained.status).toBe('explained');
      const ingress = explained.reach!.find((r) => r.direction === 'ingress')!;
      expect(ingress.answer).toBe(q.verdict === 'ACCEPT' ? 'yes' : 'no');
      expect(ingress.outcomes).toHaveLength(1);
      expect(ingress.outcomes[0]!.decidedBy).toMatchObject({ table: 'filter', chain: q.decidedBy.chain, rule: q.decidedBy.rule, line: decidedLine });

      // The kernel.
      const client: ClientRef = 'pod' in q.from ? { kind: 'pod', name: q.from.pod } : { kind: 'external', src };
      const conns = await box!.lab.connect(client, dst, q.port, { count: q.count, timeoutMs: q.verdict === 'DROP' ? 1000 : 2000 });
      const records = parseTraceOutput(await box!.lab.traceOutput());
      const conntrack = await box!.lab.conntrack();
      const ignore = await box!.lab.traceRuleHandles();
      const handles = renumberWithoutTraceRules(await box!.lab.ruleHandles(), ignore);
      for (const c of conns) {
        expect(c.outcome, `connection ${c.src}:${c.sport}`).toBe(q.verdict === 'ACCEPT' ? 'answered' : 'timeout');
        if (q.verdict === 'ACCEPT') expect(c.answeredBy).toBe(q.to);
        const steps = kernelPath(firstTraversal(records, c.src, c.sport, 'tcp'), handles, ignore);
        for (const s of steps) expect(dump.get(`${s.table}/${s.chain}`)?.[s.rule - 1]?.text, `${s.table}:${s.chain}:${s.rule}`).toBe(traceRuleText(s.text));
        const kernel = steps.map((s) => `${s.table}:${s.chain}:${s.rule}`);
        expect(enginePath(predicted), `rule path of ${c.src}:${c.sport}`).toEqual(kernel);
        expect(kernel).toContain(decided);
        for (const also of q.alsoWalks ?? []) expect(kernel).toContain(`filter:${also.chain}:${also.rule}`);
        if (q.verdict === 'DROP') {
          expect(kernel.at(-1)).toBe(decided);
          expect(steps.at(-1)!.verdict).toBe('DROP');
        }
        const ct = conntrack.find((e) => e.orig.src === c.src && e.orig.sport === c.sport && e.protocol === 'tcp');
        if (q.verdict === 'ACCEPT') {
          expect(ct, `conntrack entry of ${c.src}:${c.sport}`).toBeDefined();
          expect(ct!.reply.src).toBe(dst);
        } else {
          // A SYN dropped in FORWARD never reaches conntrack's confirm (POSTROUTING): no entry is left.
          expect(ct).toBeUndefined();
        }
      }
    }, 60_000);
  });
});
