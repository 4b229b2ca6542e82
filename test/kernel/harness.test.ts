/**
 * Tests of the kernel harness itself: its parsers on real tool output, and a live lab whose kernel
 * answers are checked against the sample file alone (no knetdbg code), so a harness bug cannot hide
 * behind an engine bug in trace-agreement.test.ts.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  Lab,
  NETNS_PREFIX,
  cleanupStale,
  firstTraversal,
  indexDump,
  kernelPath,
  netnsUnavailableReason,
  parseConntrack,
  parseNftHandles,
  parseTraceOutput,
  run,
  traceRuleText,
} from './harness.js';

// Captured from xtables-monitor --trace (iptables 1.8.9) on samples/clusterip-nginx.rules; the second
// block is a retransmitted SYN that must not be appended to the first traversal.
const MONITOR = `PACKET: 2 9ba61f14 IN=veth5e6f7a8b MACSRC=82:ef:4c:84:5:6c MACDST=ee:ee:ee:ee:ee:ee MACPROTO=0800 SRC=10.244.1.3 DST=10.96.34.82 LEN=60 TOS=0x0 TTL=64 ID=8539 DF SPORT=35202 DPORT=80 SYN 
 TRACE: 2 9ba61f14 raw:PREROUTING:rule:0x2:CONTINUE  -4 -t raw -A PREROUTING -d 10.96.34.82/32 -p tcp -j TRACE
 TRACE: 2 9ba61f14 raw:PREROUTING:policy:ACCEPT 
PACKET: 2 9ba61f14 IN=veth5e6f7a8b MACSRC=82:ef:4c:84:5:6c MACDST=ee:ee:ee:ee:ee:ee MACPROTO=0800 SRC=10.244.1.3 DST=10.96.34.82 LEN=60 TOS=0x0 TTL=64 ID=8539 DF SPORT=35202 DPORT=80 SYN 
 TRACE: 2 9ba61f14 nat:PREROUTING:rule:0x1c:JUMP:KUBE-SERVICES  -4 -t nat -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
 TRACE: 2 9ba61f14 nat:KUBE-SERVICES:rule:0x3f:JUMP:KUBE-SVC-2CMXP7HKUVJN7L6M  -4 -t nat -A KUBE-SERVICES -d 10.96.34.82/32 -p tcp -j KUBE-SVC-2CMXP7HKUVJN7L6M
 TRACE: 2 9ba61f14 nat:KUBE-POSTROUTING:rule:0x2a:0xfffffffb  -4 -t nat -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
 TRACE: 2 9ba61f14 nat:POSTROUTING:policy:ACCEPT 
PACKET: 2 77aa0001 IN=veth5e6f7a8b SRC=10.244.1.3 DST=10.96.34.82 LEN=60 SPORT=35202 DPORT=80 SYN 
 TRACE: 2 77aa0001 raw:PREROUTING:rule:0x2:CONTINUE  -4 -t raw -A PREROUTING -d 10.96.34.82/32 -p tcp -j TRACE
PACKET: 2 77aa0001 IN=veth5e6f7a8b SRC=10.244.1.3 DST=10.96.34.82 LEN=60 SPORT=35202 DPORT=80 SYN 
 TRACE: 2 77aa0001 nat:PREROUTING:rule:0x1c:JUMP:KUBE-SERVICES  -4 -t nat -A PREROUTING -j KUBE-SERVICES
`;

describe('harness parsers', () => {
  test('parseTraceOutput splits PACKET records and TRACE events', () => {
    const records = parseTraceOutput(MONITOR);
    expect(records).toHaveLength(4);
    expect(records[0]!.packet.SPORT).toBe('35202');
    expect(records[0]!.flags.has('SYN')).toBe(true);
    const ev = records[1]!.events[1]!;
    expect(ev).toMatchObject({ table: 'nat', chain: 'KUBE-SERVICES', kind: 'rule', handle: 0x3f, verdict: 'JUMP:KUBE-SVC-2CMXP7HKUVJN7L6M' });
    expect(records[1]!.events[2]!.verdict).toBe('0xfffffffb');
    expect(records[1]!.events[3]).toMatchObject({ kind: 'policy', verdict: 'ACCEPT' });
  });

  test('firstTraversal stops at a retransmission', () => {
    const events = firstTraversal(parseTraceOutput(MONITOR), '10.244.1.3', 35202, 'tcp');
    expect(events.map((e) => `${e.table}:${e.chain}:${e.kind}`)).toEqual([
      'raw:PREROUTING:rule',
      'raw:PREROUTING:policy',
      'nat:PREROUTING:rule',
      'nat:KUBE-SERVICES:rule',
      'nat:KUBE-POSTROUTING:rule',
      'nat:POSTROUTING:policy',
    ]);
    expect(firstTraversal(parseTraceOutput(MONITOR), '10.244.1.3', 1, 'tcp')).toEqual([]);
  });

  test('parseNftHandles numbers rules per chain', () => {
    const listing = `table ip nat { # handle 3
\tchain PREROUTING { # handle 1
\t\ttype nat hook prerouting priority dstnat; policy accept;
\t\t counter packets 0 bytes 0 jump KUBE-SERVICES # handle 35
\t}

\tchain KUBE-EXT-X { # handle 5
\t\tip saddr 10.244.0.0/16  counter packets 0 bytes 0 jump KUBE-SVC-X # handle 38
\t\t fib saddr type local counter packets 0 bytes 0 jump KUBE-MARK-MASQ # handle 39
\t}
}`;
    const map = parseNftHandles('nat', listing);
    expect(map.get(35)).toEqual({ table: 'nat', chain: 'PREROUTING', rule: 1 });
    expect(map.get(39)).toEqual({ table: 'nat', chain: 'KUBE-EXT-X', rule: 2 });
    expect(map.has(5)).toBe(false);
  });

  test.each([
    [
      'tcp      6 117 TIME_WAIT src=10.244.1.3 dst=10.96.34.82 sport=35202 dport=80 src=10.244.2.2 dst=10.244.1.3 sport=80 dport=35202 [ASSURED] mark=0 use=1',
      { protocol: 'tcp', orig: { dst: '10.96.34.82', sport: 35202 }, reply: { src: '10.244.2.2', dst: '10.244.1.3' } },
    ],
    [
      'udp      17 29 src=10.244.1.20 dst=10.96.0.10 sport=20001 dport=53 src=10.244.2.3 dst=10.244.1.20 sport=53 dport=20001 mark=0 use=1',
      { protocol: 'udp', orig: { dport: 53 }, reply: { src: '10.244.2.3', sport: 53 } },
    ],
  ])('parseConntrack %#', (line, expected) => {
    expect(parseConntrack(`${line}\nconntrack v1.4.7 (conntrack-tools): 1 flow entries have been shown.\n`)).toMatchObject([expected]);
  });

  test('indexDump and traceRuleText agree on the rule text', () => {
    const text = readFileSync('samples/clusterip-nginx.rules', 'utf8');
    const idx = indexDump(text);
    const rules = idx.get('nat/KUBE-SVC-2CMXP7HKUVJN7L6M')!;
    expect(rules).toHaveLength(2);
    expect(text.split('\n')[rules[1]!.line - 1]).toBe(rules[1]!.text);
    expect(traceRuleText('-4 -t nat -A KUBE-SVC-2CMXP7HKUVJN7L6M -m comment --comment "default/nginx" -j KUBE-SEP-HUXRPHBUO34UVPEF')).toBe(rules[1]!.text);
  });
});

const unavailable = await netnsUnavailableReason();

describe.skipIf(unavailable !== undefined).sequential(`harness on the kernel${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const sample = 'samples/clusterip-nginx.rules';
  const text = readFileSync(sample, 'utf8');
  let lab: Lab | undefined;

  beforeAll(async () => {
    await cleanupStale();
    lab = await Lab.create({
      nodeIp: '172.18.0.2',
      externalIp: '172.18.0.100',
      pods: [
        { name: 'nginx', ip: '10.244.2.2', tcp: [80] },
        { name: 'client', ip: '10.244.1.3' },
      ],
    });
    await lab.loadRules(text);
    await lab.startTrace([{ protocol: 'tcp', dst: '10.96.34.82', port: 80 }]);
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
  }, 60_000);

  test('a pod reaches the ClusterIP, and TRACE maps to the sample file rule by rule', async () => {
    const [conn] = await lab!.connect({ kind: 'pod', name: 'client' }, '10.96.34.82', 80, { count: 1, timeoutMs: 2000 });
    expect(conn).toMatchObject({ outcome: 'answered', answeredBy: 'nginx' });
    const ct = (await lab!.conntrack()).find((e) => e.orig.sport === conn!.sport);
    expect(ct?.reply).toMatchObject({ src: '10.244.2.2', sport: 80, dst: '10.244.1.3' });

    const events = firstTraversal(parseTraceOutput(await lab!.traceOutput()), conn!.src, conn!.sport, 'tcp');
    const steps = kernelPath(events, await lab!.ruleHandles(), await lab!.traceRuleHandles());
    const idx = indexDump(text);
    // Every matched rule TRACE names is the rule at that position of that chain in the file.
    for (const s of steps) expect(idx.get(`${s.table}/${s.chain}`)?.[s.rule - 1]?.text).toBe(traceRuleText(s.text));
    expect(steps.map((s) => `${s.table}:${s.chain}`)).toContain('nat:KUBE-SEP-HUXRPHBUO34UVPEF');
    expect(steps.at(-1)).toMatchObject({ table: 'nat', chain: 'KIND-MASQ-AGENT', rule: 1 });
  }, 30_000);

  test('cleanupStale removes namespaces of dead runs only', async () => {
    const stale = `${NETNS_PREFIX}999999999-dead-node`;
    await run('ip', ['netns', 'add', stale]);
    const removed = await cleanupStale();
    expect(removed).toContain(stale);
    expect(removed).not.toContain(lab!.node);
    const list = await run('ip', ['netns', 'list']);
    expect(list.stdout).not.toContain(stale);
    expect(list.stdout).toContain(lab!.node);
  }, 30_000);

  test('destroy removes every namespace of the lab', async () => {
    const probe = await Lab.create({ nodeIp: '192.0.2.1', externalIp: '192.0.2.2', pods: [{ name: 'p', ip: '10.244.9.9', tcp: [80] }] });
    const names = [probe.node, probe.ext];
    await probe.destroy();
    const list = await run('ip', ['netns', 'list']);
    for (const n of names) expect(list.stdout).not.toContain(n);
    expect(list.stdout).not.toContain(probe.prefix);
  }, 30_000);
});
