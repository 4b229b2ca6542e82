/**
 * Kernel agreement over IPv6: a kube-proxy `ip6tables-save` dump (ClusterIP fd00:10:96::10:80, two
 * endpoints `[fd00:10:244::2]:8080` and `[fd00:10:244::3]:8080`, test/fixtures/kernel/clusterip-ipv6.rules)
 * is loaded with `ip6tables-nft-restore` into a namespace "node", real TCP connections are made from a pod
 * and from the node itself, and what netfilter did must be what `traceQuery` predicted: the endpoint
 * conntrack chose, masquerade (conntrack's reply tuple) and the rule path of the first packet
 * (`xtables-monitor --trace`, handles mapped with `nft -a list table ip6 …`).
 *
 * The harness's `Lab` builds IPv4 labs only, so this file wires its own small IPv6 lab out of the
 * harness's primitives. Topology, modelled on Calico's CNI plugin for IPv6 (calico
 * `cni-plugin/pkg/dataplane/linux`): the host-side `cali…` veth has MAC ee:ee:ee:ee:ee:ee, hence the
 * link-local fe80::ecee:eeff:feee:eeee (EUI-64, RFC 4291 app. A); the pod has its address as /128 and a
 * default route via that link-local; the node has a /128 route per pod. The node's own address sits on
 * `eth0`, a veth to a gateway namespace holding the default route, so a packet to the ClusterIP from the
 * node has a route before DNAT, as on a real node (the kernel has no dummy driver here); anything left
 * untranslated ends in that namespace, never outside.
 * DAD is turned off (`accept_dad=0` per namespace, `nodad` per address) so addresses are usable at once.
 *
 * Statistics: the service balances 1/2, 1/2; with 24 pod connections an endpoint is missed with
 * probability 2·(1/2)^24 ≈ 1e-7, so "both endpoints are seen" is asserted, no frequencies.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { traceQuery } from '../../src/interpret/trace-query.js';
import type { TraceOutcome } from '../../src/interpret/report.js';
import {
  type ConntrackEntry,
  type KernelStep,
  type TraceRecord,
  NETNS_PREFIX,
  cleanupStale,
  deleteNetns,
  firstTraversal,
  indexDump,
  kernelPath,
  netnsUnavailableReason,
  parseConntrack,
  parseNftHandles,
  run,
  runIn,
  startNetnsServer,
} from './harness.js';

const FIXTURE = 'test/fixtures/kernel/clusterip-ipv6.rules';
const SERVICE_IP = 'fd00:10:96::10';
const SERVICE_PORT = 80;
const NODE_IP = 'fd00:172:18::2';
/** The node's default gateway, in a namespace of its own (nothing listens there). */
const GATEWAY_IP = 'fd00:172:18::1';
/** Link-local of a veth whose MAC is ee:ee:ee:ee:ee:ee (modified EUI-64), Calico's IPv6 next hop. */
const HOST_LINK_LOCAL = 'fe80::ecee:eeff:feee:eeee';
const POD_CONNECTIONS = 24;
const NODE_CONNECTIONS = 4;

interface Pod6 {
  name: string;
  ip: string;
  tcp?: number;
}

const PODS: Pod6[] = [
  { name: 'web-a', ip: 'fd00:10:244::2', tcp: 8080 },
  { name: 'web-b', ip: 'fd00:10:244::3', tcp: 8080 },
  { name: 'client', ip: 'fd00:10:244::4' },
];

/** Listener: answers every TCP connection on `::` with the pod name. */
const SERVER_JS = `
const [name, port] = [process.argv[1], Number(process.argv[2])];
require('net').createServer((s) => { s.on('error', () => {}); s.end(name + '\\n'); }).listen(port, '::', () => process.stdout.write('ready\\n'));
`;

/** Client: sequential TCP connects from fixed source address/ports, each bounded; prints JSON. */
const CLIENT_JS = `
const net = require('net');
const a = JSON.parse(process.argv[1]);
function one(sport) {
  return new Promise((resolve) => {
    let done = false, buf = '';
    const s = net.connect({ host: a.host, port: a.port, localAddress: a.src, localPort: sport });
    const finish = (r) => { if (done) return; done = true; clearTimeout(t); s.destroy(); resolve({ sport, ...r }); };
    const t = setTimeout(() => finish({ outcome: 'timeout' }), a.timeoutMs);
    s.on('data', (d) => { buf += d; if (buf.includes('\\n')) finish({ outcome: 'answered', answeredBy: buf.trim() }); });
    s.on('error', (e) => finish({ outcome: e.code === 'ECONNREFUSED' ? 'refused' : 'error', code: e.code }));
  });
}
(async () => { const out = []; for (let i = 0; i < a.count; i++) { if (i) await new Promise((r) => setTimeout(r, 25)); out.push(await one(a.firstPort + i)); } process.stdout.write(JSON.stringify(out)); })();
`;

interface Conn6 {
  src: string;
  sport: number;
  outcome: 'answered' | 'refused' | 'timeout' | 'error';
  answeredBy?: string;
  code?: string;
}

type Handles = Map<string, Map<number, { table: string; chain: string; rule: number }>>;

/** A node namespace and one namespace per pod, IPv6 only. Always `destroy()`. */
class Lab6 {
  readonly prefix = `${NETNS_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}-`;
  readonly node = `${this.prefix}node`;
  /** The node's LAN neighbour: its default gateway, which never answers for the service. */
  readonly ext = `${this.prefix}ext`;
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  private readonly podNs = new Map<string, string>();
  private monitor?: { child: ChildProcess; out: () => string; err: () => string };
  private nextPort = 20000 + Math.floor(Math.random() * 20000);

  private async addNetns(name: string): Promise<void> {
    await run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await runIn(name, 'ip', ['link', 'set', 'lo', 'up']);
    // Links created later in this namespace inherit `default`; DAD off makes addresses usable at once.
    await runIn(name, 'sysctl', ['-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0']);
  }

  async build(pods: Pod6[]): Promise<void> {
    const node = this.node;
    await this.addNetns(node);
    // ip-sysctl.txt: `conf/all/forwarding` turns on IPv6 routing, in the node namespace only.
    await runIn(node, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
    await this.addNetns(this.ext);
    await run('ip', ['link', 'add', 'eth0', 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', this.ext]);
    await runIn(node, 'ip', ['-6', 'addr', 'add', `${NODE_IP}/64`, 'dev', 'eth0', 'nodad']);
    await runIn(node, 'ip', ['link', 'set', 'eth0', 'up']);
    await runIn(node, 'ip', ['-6', 'route', 'add', 'default', 'via', GATEWAY_IP]);
    await runIn(this.ext, 'ip', ['-6', 'addr', 'add', `${GATEWAY_IP}/64`, 'dev', 'eth0', 'nodad']);
    await runIn(this.ext, 'ip', ['link', 'set', 'eth0', 'up']);
    let i = 0;
    for (const pod of pods) {
      const ns = `${this.prefix}p${i++}`;
      const host = `cali${randomBytes(6).toString('hex').slice(0, 11)}`;
      await this.addNetns(ns);
      this.podNs.set(pod.name, ns);
      await run('ip', ['link', 'add', host, 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await runIn(node, 'ip', ['link', 'set', host, 'address', 'ee:ee:ee:ee:ee:ee']);
      await runIn(node, 'ip', ['link', 'set', host, 'up']);
      await runIn(node, 'ip', ['-6', 'route', 'add', `${pod.ip}/128`, 'dev', host]);
      await runIn(ns, 'ip', ['-6', 'addr', 'add', `${pod.ip}/128`, 'dev', 'eth0', 'nodad']);
      await runIn(ns, 'ip', ['link', 'set', 'eth0', 'up']);
      await runIn(ns, 'ip', ['-6', 'neigh', 'add', HOST_LINK_LOCAL, 'lladdr', 'ee:ee:ee:ee:ee:ee', 'dev', 'eth0']);
      await runIn(ns, 'ip', ['-6', 'route', 'add', 'default', 'via', HOST_LINK_LOCAL, 'dev', 'eth0']);
      if (pod.tcp !== undefined) await this.startServer(ns, pod);
    }
  }

  private startServer(ns: string, pod: Pod6): Promise<void> {
    return startNetnsServer(ns, pod.name, SERVER_JS, [pod.name, String(pod.tcp)], this.children);
  }

  /** Loads an ip6tables-save dump with `ip6tables-nft-restore` (iptables-restore(8)). */
  async loadRules(text: string): Promise<void> {
    await runIn(this.node, 'ip6tables-nft-restore', [], { input: text });
  }

  /**
   * TRACE on first packets (SYNs) to the service, in ip6 raw PREROUTING and OUTPUT, then the monitor.
   * `xtables-monitor --trace` (iptables 1.8.9) cannot be used for IPv6: it exits at the first traced ip6
   * rule with `-p tcp` ("unsupported layer 4 protocol value … Parsing nftables rule failed"), and every
   * kube-proxy service rule has one. `nft monitor trace` reads the same NFNLGRP_NFTRACE events and
   * names each rule by handle (nft(8) "MONITOR", `-a`).
   */
  async startTrace(): Promise<void> {
    for (const chain of ['PREROUTING', 'OUTPUT']) {
      await runIn(this.node, 'ip6tables-nft', ['-t', 'raw', '-I', chain, '-d', SERVICE_IP, '-p', 'tcp', '--syn', '--dport', String(SERVICE_PORT), '-j', 'TRACE']);
    }
    const child = spawn('ip', ['netns', 'exec', this.node, 'stdbuf', '-oL', 'nft', '-a', 'monitor', 'trace'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    this.monitor = { child, out: () => out, err: () => err };
    await new Promise((r) => setTimeout(r, 400));
  }

  /** Monitor output once it has been quiet for 600 ms. */
  async traceOutput(): Promise<{ out: string; err: string }> {
    let last = -1;
    let quiet = 0;
    for (let i = 0; i < 200 && quiet < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const len = this.monitor?.out().length ?? 0;
      quiet = len === last ? quiet + 1 : 0;
      last = len;
    }
    const m = this.monitor!;
    if (m.child.exitCode !== null || m.child.signalCode !== null) throw new Error(`nft monitor trace stopped: ${m.err().trim()}`);
    return { out: m.out(), err: m.err() };
  }

  /** handle → (chain, position) for every ip6 table (`nft -a list table ip6 T`). */
  async ruleHandles(): Promise<Handles> {
    const out: Handles = new Map();
    const tables = await runIn(this.node, 'nft', ['list', 'tables', 'ip6']);
    for (const m of tables.stdout.matchAll(/^table ip6 (\S+)/gm)) {
      const listing = await runIn(this.node, 'nft', ['-a', 'list', 'table', 'ip6', m[1]!]);
      out.set(m[1]!, parseNftHandles(m[1]!, listing.stdout));
    }
    return out;
  }

  /** Handles of the TRACE rules added by `startTrace` (left out of the comparison). */
  async traceRuleHandles(): Promise<Set<number>> {
    const listing = await runIn(this.node, 'nft', ['-a', 'list', 'table', 'ip6', 'raw']);
    return new Set([...listing.stdout.matchAll(/(?:nftrace set 1|TRACE).*# handle (\d+)\s*$/gm)].map((m) => Number(m[1])));
  }

  /** `count` sequential connections to the service from a pod (by name) or the node (`undefined`). */
  async connect(pod: Pod6 | undefined, count: number): Promise<Conn6[]> {
    const ns = pod ? this.podNs.get(pod.name)! : this.node;
    const src = pod ? pod.ip : NODE_IP;
    const args = { host: SERVICE_IP, port: SERVICE_PORT, src, count, firstPort: this.nextPort, timeoutMs: 2000 };
    this.nextPort += count;
    const r = await runIn(ns, process.execPath, ['-e', CLIENT_JS, JSON.stringify(args)], { timeoutMs: count * 2100 + 5000 });
    return (JSON.parse(r.stdout) as Array<Omit<Conn6, 'src'>>).map((c) => ({ src, ...c }));
  }

  /** The node's IPv6 conntrack table (conntrack(8) `-L -f ipv6`). */
  async conntrack(): Promise<ConntrackEntry[]> {
    return parseConntrack((await runIn(this.node, 'conntrack', ['-L', '-f', 'ipv6'], { allowFail: true })).stdout);
  }

  async destroy(): Promise<void> {
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    this.children.length = 0;
    for (const ns of this.namespaces.reverse()) await deleteNetns(ns);
    this.namespaces.length = 0;
  }
}

/**
 * Parses `nft -a monitor trace` output (nftables `src/trace.c`) into the harness's TraceRecord shape, one
 * record per trace id (one packet's whole walk), so `firstTraversal`/`kernelPath` apply unchanged:
 * `trace id <id> ip6 <table> <chain> packet: … ip6 saddr A … tcp sport P … tcp flags == syn …`,
 * `trace id <id> ip6 <table> <chain> rule <nft rule> # handle <n> (verdict <v>)`,
 * `trace id <id> ip6 <table> <chain> policy <v>`.
 */
function parseNftTrace(text: string): TraceRecord[] {
  const byId = new Map<string, TraceRecord>();
  for (const line of text.split('\n')) {
    const m = /^trace id ([0-9a-f]+) ip6 (\S+) (\S+) (packet|rule|policy|return|verdict)\b:?\s*(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, id, table, chain, kind, rest] = m as unknown as [string, string, string, string, string, string];
    let rec = byId.get(id);
    if (!rec) {
      rec = { id, packet: {}, flags: new Set(), events: [] };
      byId.set(id, rec);
    }
    if (kind === 'packet') {
      if (rec.packet.SRC !== undefined) continue; // the first hook shows the packet as it arrived
      const field = (re: RegExp): string | undefined => re.exec(rest)?.[1];
      const put = (k: string, v: string | undefined): void => {
        if (v !== undefined) rec!.packet[k] = v;
      };
      put('SRC', field(/\bip6 saddr (\S+)/));
      put('DST', field(/\bip6 daddr (\S+)/));
      put('SPORT', field(/\btcp sport (\d+)/));
      put('DPORT', field(/\btcp dport (\d+)/));
      for (const f of field(/\btcp flags == (\S+(?: \| \S+)*)/)?.split(' | ') ?? []) rec.flags.add(f.toUpperCase());
    } else if (kind === 'rule') {
      const r = /^(.*?)\s*# handle (\d+) \(verdict ([^)]*)\)/.exec(rest);
      if (!r) continue;
      rec.events.push({ id, table, chain, kind: 'rule', handle: Number(r[2]), verdict: r[3]!, text: r[1]! });
    } else {
      rec.events.push({ id, table, chain, kind, verdict: rest.trim(), text: '' });
    }
  }
  return [...byId.values()];
}

/** Matched rules only (policy steps have rule 0), as TRACE reports them. */
function enginePath(o: TraceOutcome): string[] {
  return o.path.filter((s) => s.rule > 0).map((s) => `${s.table}:${s.chain}:${s.rule}`);
}

function kernelTriples(steps: KernelStep[]): string[] {
  return steps.map((s) => `${s.table}:${s.chain}:${s.rule}`);
}

/** Masquerade as conntrack shows it: the reply goes to another address or (--random-fully) port. */
function masqueraded(ct: ConntrackEntry): boolean {
  return ct.reply.dst !== ct.orig.src || ct.reply.dport !== ct.orig.sport;
}

const unavailable = await netnsUnavailableReason();

describe.skipIf(unavailable !== undefined).sequential(`trace agrees with the kernel over IPv6${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  const text = readFileSync(FIXTURE, 'utf8');
  const dump = indexDump(text);
  const lab = new Lab6();
  let conns: Conn6[] = [];
  let trace: { out: string; err: string } = { out: '', err: '' };
  let conntrack: ConntrackEntry[] = [];
  let handles: Handles = new Map();
  let ignore = new Set<number>();

  beforeAll(async () => {
    await cleanupStale();
    try {
      await lab.build(PODS);
      await lab.loadRules(text);
      await lab.startTrace();
      conns = [...(await lab.connect(PODS[2], POD_CONNECTIONS)), ...(await lab.connect(undefined, NODE_CONNECTIONS))];
      trace = await lab.traceOutput();
      conntrack = await lab.conntrack();
      handles = await lab.ruleHandles();
      ignore = await lab.traceRuleHandles();
    } finally {
      await lab.destroy();
    }
  }, 60_000);

  afterAll(async () => {
    await lab.destroy();
  });

  const queries = [
    { title: 'pod → ClusterIP (PREROUTING, not masqueraded)', src: PODS[2]!.ip, nodeIps: undefined, masquerade: false },
    { title: 'node → ClusterIP (OUTPUT, masqueraded)', src: NODE_IP, nodeIps: [NODE_IP], masquerade: true },
  ];

  test.each(queries)('$title', (q) => {
    const report = traceQuery({ text, file: FIXTURE }, { destination: SERVICE_IP, port: SERVICE_PORT, src: q.src, nodeIps: q.nodeIps });
    const predicted = report.outcomes.filter((o) => o.probability > 0);
    // Guard: the query really exercises both branches, each accepted, with the expected masquerade.
    expect(predicted.map((o) => `${o.verdict} ${o.destination} ${o.masquerade}`).sort()).toEqual([
      `ACCEPT [fd00:10:244::2]:8080 ${q.masquerade}`,
      `ACCEPT [fd00:10:244::3]:8080 ${q.masquerade}`,
    ]);

    const mine = conns.filter((c) => c.src === q.src);
    expect(mine.length).toBe(q.src === NODE_IP ? NODE_CONNECTIONS : POD_CONNECTIONS);
    const records = parseNftTrace(trace.out);
    const seen = new Set<string>();
    for (const c of mine) {
      expect(c.outcome, `connection from [${c.src}]:${c.sport}: ${c.code ?? ''}`).toBe('answered');
      const ct = conntrack.find((e) => e.protocol === 'tcp' && e.orig.src === c.src && e.orig.sport === c.sport);
      expect(ct, `conntrack entry for [${c.src}]:${c.sport}`).toBeDefined();
      const destination = `[${ct!.reply.src}]:${ct!.reply.sport}`;
      // The pod that answered is the one conntrack names.
      expect(PODS.find((p) => p.ip === ct!.reply.src)?.name).toBe(c.answeredBy);
      const candidates = predicted.filter((o) => o.destination === destination);
      expect(candidates.length, `kernel sent [${c.src}]:${c.sport} to ${destination}; predicted ${predicted.map((o) => o.destination).join(', ')}`).toBe(1);
      const outcome = candidates[0]!;
      expect(outcome.masquerade, `masquerade for ${destination}: ${ct!.raw}`).toBe(masqueraded(ct!));
      seen.add(outcome.destination);

      const steps = kernelPath(firstTraversal(records, c.src, c.sport, 'tcp'), handles, ignore);
      expect(steps.length, `no TRACE events for [${c.src}]:${c.sport}; monitor stderr: ${trace.err.slice(0, 300)}`).toBeGreaterThan(0);
      // The handle mapping itself: every mapped position is a rule of the file (TRACE via nft prints nft
      // syntax, so the text is not compared; the IPv4 suite checks parseNftHandles against rule text).
      for (const s of steps) expect(dump.get(`${s.table}/${s.chain}`)?.[s.rule - 1], `${s.table}:${s.chain}:${s.rule}`).toBeDefined();
      expect(enginePath(outcome), `rule path of [${c.src}]:${c.sport} → ${destination}`).toEqual(kernelTriples(steps));
    }
    if (mine.length >= POD_CONNECTIONS) expect([...seen].sort()).toEqual(predicted.map((o) => o.destination).sort());
  });
});
