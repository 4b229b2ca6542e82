/**
 * Kernel agreement harness: builds a Kubernetes-like node out of network namespaces, loads a ruleset
 * into it, sends real connections and reads back what netfilter did (TRACE events, conntrack).
 *
 * Topology (one "lab"):
 *  - `<prefix>node`: the node. `eth0` is a veth to `<prefix>ext` carrying the node IP (/24), default route
 *    via the external client, `ip_forward=1` (set inside this netns only). Rules are loaded here.
 *  - `<prefix>ext`: an external client on the node's LAN; it routes everything else via the node.
 *  - `<prefix>p<i>`: one namespace per pod, wired like Calico's CNI plugin does it (calico
 *    `cni-plugin/pkg/dataplane/linux`): host side `cali…` veth with MAC ee:ee:ee:ee:ee:ee and no address,
 *    a /32 route to the pod on the node, and in the pod `eth0` with the pod IP/32, a link route to
 *    169.254.1.1, a static neighbour entry for it and the default route through it.
 * All traffic stays between these namespaces. Every namespace name starts with `knetdbg-k-<pid>-`, so
 * `cleanupStale()` can remove leftovers of dead test runs without touching a live parallel run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';

/** Prefix of every namespace this harness creates. */
export const NETNS_PREFIX = 'knetdbg-k-';

/** Result of running one program. */
export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a program (no shell) and collects its output; rejects on a non-zero exit unless `allowFail`. */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; allowFail?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const result = { stdout, stderr, code: code ?? -1 };
      if (result.code !== 0 && !opts.allowFail) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${result.code}: ${stderr.trim()}`));
      } else resolve(result);
    });
    if (child.stdin) {
      // A program that exits without reading its input must not crash the test run with EPIPE.
      child.stdin.on('error', () => undefined);
      child.stdin.end(opts.input);
    }
  });
}

/** Runs a program inside a network namespace (`ip netns exec`, ip-netns(8)). */
export function runIn(ns: string, cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
}

/**
 * Whether this process may create network namespaces. The kernel suite skips (with this reason) when it
 * may not; any other failure is a real failure.
 */
export async function netnsUnavailableReason(): Promise<string | undefined> {
  const probe = `${NETNS_PREFIX}${process.pid}-probe${randomBytes(3).toString('hex')}`;
  try {
    const r = await run('ip', ['netns', 'add', probe], { allowFail: true });
    if (r.code !== 0) return `ip netns add is not permitted here: ${r.stderr.trim()}`;
    await run('ip', ['netns', 'del', probe], { allowFail: true });
    return undefined;
  } catch (e) {
    return `cannot run ip(8): ${(e as Error).message}`;
  }
}

/** True when a process with this pid exists. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes namespaces left by earlier runs that died before their cleanup: names with our prefix whose
 * owning pid is gone. Processes still inside them are killed first (ip netns pids).
 */
export async function cleanupStale(): Promise<string[]> {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(NETNS_PREFIX)) continue;
    const pid = Number(name.slice(NETNS_PREFIX.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
    await deleteNetns(name);
    removed.push(name);
  }
  return removed;
}

/** Kills the processes inside a namespace, then deletes it (exported for labs built outside `Lab`, e.g. IPv6). */
export async function deleteNetns(name: string): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', name], { allowFail: true });
  for (const p of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  await run('ip', ['netns', 'del', name], { allowFail: true });
}

/** A pod namespace: its name answers on every listed port. */
export interface PodSpec {
  name: string;
  ip: string;
  tcp?: number[];
  udp?: number[];
}

/** What to build. */
export interface LabSpec {
  /** The node's IP on `eth0` (a /24 shared with the external client). */
  nodeIp: string;
  /** The external client's IP, in the node's /24. */
  externalIp: string;
  /** Extra addresses the external client owns (e.g. an address inside a loadBalancerSourceRange). */
  externalExtraIps?: string[];
  pods: PodSpec[];
}

/** Where a connection came from. */
export type ClientRef = { kind: 'pod'; name: string } | { kind: 'external'; src?: string } | { kind: 'node' };

/** What one connection attempt saw from the client side. */
export interface ConnectionResult {
  /** Client source address and port (set explicitly, so the kernel trace can be matched to it). */
  src: string;
  sport: number;
  /** `answered`: a pod replied with its name; `refused`: ECONNREFUSED (REJECT/RST); `timeout`: no answer. */
  outcome: 'answered' | 'refused' | 'timeout' | 'error';
  /** The pod name that answered. */
  answeredBy?: string;
  /** Errno code for `error`/`refused`. */
  code?: string;
  ms: number;
}

/** One conntrack entry (conntrack(8) `-L` output: original tuple, then reply tuple). */
export interface ConntrackEntry {
  protocol: string;
  orig: { src: string; dst: string; sport: number; dport: number };
  reply: { src: string; dst: string; sport: number; dport: number };
  raw: string;
}

/** A matched-rule event from `xtables-monitor --trace`, mapped to the rule's 1-based index in its chain. */
export interface KernelStep {
  table: string;
  chain: string;
  rule: number;
  /** The nft rule handle the TRACE line named. */
  handle: number;
  verdict: string;
  text: string;
}

/** One TRACE line, parsed. */
export interface TraceEvent {
  id: string;
  table: string;
  chain: string;
  kind: 'rule' | 'policy' | 'return' | string;
  handle?: number;
  verdict: string;
  text: string;
}

/** A `PACKET:` line and the TRACE lines that followed it with the same trace id. */
export interface TraceRecord {
  id: string;
  packet: Record<string, string>;
  flags: Set<string>;
  events: TraceEvent[];
}

/**
 * Parses `xtables-monitor --trace` output (iptables 1.8.9 `xtables-monitor.c` trace_print_*):
 * `PACKET: <family> <id> IN=… SRC=… DST=… SPORT=… DPORT=… SYN` followed by
 * ` TRACE: <family> <id> <table>:<chain>:rule:0x<handle>:<VERDICT>[:<target>]  <rule text>`,
 * `… <table>:<chain>:policy:<VERDICT>` or `… <table>:<chain>:return:`.
 */
export function parseTraceOutput(text: string): TraceRecord[] {
  const records: TraceRecord[] = [];
  let current: TraceRecord | undefined;
  for (const line of text.split('\n')) {
    const pkt = /^PACKET: \d+ ([0-9a-f]+) (.*)$/.exec(line);
    if (pkt) {
      const packet: Record<string, string> = {};
      const flags = new Set<string>();
      for (const tok of pkt[2]!.trim().split(/\s+/)) {
        const eq = tok.indexOf('=');
        if (eq > 0) packet[tok.slice(0, eq)] = tok.slice(eq + 1);
        else flags.add(tok);
      }
      current = { id: pkt[1]!, packet, flags, events: [] };
      records.push(current);
      continue;
    }
    const tr = /^\s*TRACE: \d+ ([0-9a-f]+) (\S+)(?:\s+(.*))?$/.exec(line);
    if (!tr || !current || tr[1] !== current.id) continue;
    const parts = tr[2]!.split(':');
    const [table, chain, kind] = parts;
    if (!table || !chain || !kind) continue;
    const ev: TraceEvent = { id: tr[1]!, table, chain, kind, verdict: '', text: (tr[3] ?? '').trim() };
    if (kind === 'rule') {
      ev.handle = Number.parseInt(parts[3] ?? '', 16);
      ev.verdict = parts.slice(4).join(':');
    } else {
      ev.verdict = parts.slice(3).join(':');
    }
    current.events.push(ev);
  }
  return records;
}

/**
 * The events of the FIRST traversal of a connection's first packet: from the first record whose packet
 * has this source address/port (for TCP: a SYN without ACK) until the stack starts over at the raw table
 * (a retransmission). Only the first packet of a connection walks the nat chains (netfilter.md §2), so
 * that traversal is the one `trace` predicts.
 */
export function firstTraversal(records: TraceRecord[], src: string, sport: number, protocol: string): TraceEvent[] {
  const isFirst = (r: TraceRecord): boolean =>
    r.packet.SRC === src &&
    r.packet.SPORT === String(sport) &&
    (protocol !== 'tcp' || (r.flags.has('SYN') && !r.flags.has('ACK')));
  const start = records.findIndex(isFirst);
  if (start < 0) return [];
  const out: TraceEvent[] = [];
  let leftRaw = false;
  for (let i = start; i < records.length; i++) {
    const r = records[i]!;
    // Replies and other connections interleave; this connection's packets keep SPORT until SNAT,
    // which happens after the nat POSTROUTING events are reported.
    if (r.packet.SPORT !== String(sport)) continue;
    const first = r.events[0];
    if (first && first.table === 'raw' && leftRaw) break;
    if (first && first.table !== 'raw') leftRaw = true;
    out.push(...r.events);
  }
  return out;
}

/** Parses `nft -a list table ip <t>`: handle → (chain, 1-based position), nft(8) "-a, --handle". */
export function parseNftHandles(table: string, text: string): Map<number, { table: string; chain: string; rule: number }> {
  const map = new Map<number, { table: string; chain: string; rule: number }>();
  let chain: string | undefined;
  let index = 0;
  for (const line of text.split('\n')) {
    const head = /^\s*chain (\S+) \{/.exec(line);
    if (head) {
      chain = head[1]!.replace(/^"|"$/g, '');
      index = 0;
      continue;
    }
    if (/^\s*\}/.test(line)) {
      chain = undefined;
      continue;
    }
    const h = /# handle (\d+)\s*$/.exec(line);
    if (chain && h) {
      index++;
      map.set(Number(h[1]), { table, chain, rule: index });
    }
  }
  return map;
}

/** Parses `conntrack -L` lines into original/reply tuples. */
export function parseConntrack(text: string): ConntrackEntry[] {
  const out: ConntrackEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\w+)\s+\d+\s/.exec(line);
    if (!m) continue;
    const vals = (k: string): string[] => [...line.matchAll(new RegExp(`\\b${k}=(\\S+)`, 'g'))].map((x) => x[1]!);
    const src = vals('src');
    const dst = vals('dst');
    const sport = vals('sport');
    const dport = vals('dport');
    if (src.length < 2 || dst.length < 2 || sport.length < 2 || dport.length < 2) continue;
    out.push({
      protocol: m[1]!,
      orig: { src: src[0]!, dst: dst[0]!, sport: Number(sport[0]), dport: Number(dport[0]) },
      reply: { src: src[1]!, dst: dst[1]!, sport: Number(sport[1]), dport: Number(dport[1]) },
      raw: line,
    });
  }
  return out;
}

/** The listener every pod runs: answers each TCP connection and UDP datagram with its pod name. */
const SERVER_JS = `
const net = require('net'), dgram = require('dgram');
const [name, tcp, udp] = [process.argv[1], JSON.parse(process.argv[2]), JSON.parse(process.argv[3])];
let pending = tcp.length + udp.length;
const ready = () => { if (--pending === 0) process.stdout.write('ready\\n'); };
for (const p of tcp) net.createServer((s) => { s.on('error', () => {}); s.end(name + '\\n'); }).listen(p, '0.0.0.0', ready);
for (const p of udp) { const u = dgram.createSocket('udp4'); u.on('message', (m, r) => u.send(name + '\\n', r.port, r.address)); u.bind(p, '0.0.0.0', ready); }
if (pending === 0) process.stdout.write('ready\\n');
`;

/**
 * The client: N sequential attempts from fixed local ports, each bounded by a timeout; prints JSON.
 * A connected UDP socket reports an ICMP port unreachable as ECONNREFUSED, like TCP does for a REJECT.
 */
const CLIENT_JS = `
const net = require('net'), dgram = require('dgram');
const a = JSON.parse(process.argv[1]);
function one(sport) {
  return new Promise((resolve) => {
    const t0 = Date.now(); let done = false;
    const finish = (r) => { if (done) return; done = true; clearTimeout(timer); try { s.destroy ? s.destroy() : s.close(); } catch {} resolve({ sport, ms: Date.now() - t0, ...r }); };
    let s;
    const timer = setTimeout(() => finish({ outcome: 'timeout' }), a.timeoutMs);
    if (a.protocol === 'udp') {
      s = dgram.createSocket('udp4');
      s.on('error', (e) => finish({ outcome: e.code === 'ECONNREFUSED' ? 'refused' : 'error', code: e.code }));
      s.on('message', (m) => finish({ outcome: 'answered', answeredBy: String(m).trim() }));
      s.bind({ port: sport, address: a.src }, () => s.connect(a.port, a.host, (e) => { if (e) return finish({ outcome: 'error', code: e.code }); s.send('q'); }));
    } else {
      s = net.connect({ port: a.port, host: a.host, localPort: sport, localAddress: a.src });
      let buf = '';
      s.on('data', (d) => { buf += d; if (buf.includes('\\n')) finish({ outcome: 'answered', answeredBy: buf.trim() }); });
      s.on('end', () => finish(buf ? { outcome: 'answered', answeredBy: buf.trim() } : { outcome: 'error', code: 'EOF' }));
      s.on('error', (e) => finish({ outcome: e.code === 'ECONNREFUSED' ? 'refused' : 'error', code: e.code }));
    }
  });
}
(async () => { const out = []; for (let i = 0; i < a.count; i++) { if (i) await new Promise((r) => setTimeout(r, a.gapMs)); out.push(await one(a.firstPort + i)); } process.stdout.write(JSON.stringify(out)); })();
`;

/**
 * Starts `script` with node inside network namespace `ns` and resolves once it prints `ready` (a listener
 * bound to its ports); rejects if it exits or is not ready within 10 s. The child is added to `children`
 * so the lab that owns it kills it on teardown.
 */
export function startNetnsServer(ns: string, label: string, script: string, args: string[], children: ChildProcess[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    const timer = setTimeout(() => reject(new Error(`listener in ${label} not ready: ${err}`)), 10_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`listener in ${label} exited ${code}: ${err}`));
    });
  });
}

/** A running lab. Create with `Lab.create`, always `destroy()` in a finally/afterAll. */
export class Lab {
  readonly prefix: string;
  readonly node: string;
  readonly ext: string;
  private readonly podNs = new Map<string, string>();
  private readonly podByName = new Map<string, PodSpec>();
  private readonly namespaces: string[] = [];
  private readonly children: ChildProcess[] = [];
  private monitor?: { child: ChildProcess; output: () => string; errors: () => string };
  private nextPort = 20000 + Math.floor(Math.random() * 20000);

  private constructor(readonly spec: LabSpec) {
    this.prefix = `${NETNS_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}-`;
    this.node = `${this.prefix}node`;
    this.ext = `${this.prefix}ext`;
  }

  /** Builds the namespaces and starts the pod listeners. On any failure, tears down what was built. */
  static async create(spec: LabSpec): Promise<Lab> {
    const lab = new Lab(spec);
    try {
      await lab.build();
      return lab;
    } catch (e) {
      await lab.destroy();
      throw e;
    }
  }

  private async addNetns(name: string): Promise<void> {
    await run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await runIn(name, 'ip', ['link', 'set', 'lo', 'up']);
  }

  private async build(): Promise<void> {
    const { spec, node, ext } = this;
    await this.addNetns(node);
    await this.addNetns(ext);
    // sysctl(8) inside the node netns only: forwarding on, reverse-path filtering off (netfilter.md §8).
    await runIn(node, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=0', 'net.ipv4.conf.default.rp_filter=0']);
    await run('ip', ['link', 'add', 'eth0', 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ext]);
    await runIn(node, 'ip', ['addr', 'add', `${spec.nodeIp}/24`, 'dev', 'eth0']);
    await runIn(node, 'ip', ['link', 'set', 'eth0', 'up']);
    await runIn(node, 'ip', ['route', 'add', 'default', 'via', spec.externalIp]);
    await runIn(ext, 'ip', ['addr', 'add', `${spec.externalIp}/24`, 'dev', 'eth0']);
    for (const extra of spec.externalExtraIps ?? []) await runIn(ext, 'ip', ['addr', 'add', `${extra}/32`, 'dev', 'lo']);
    await runIn(ext, 'ip', ['link', 'set', 'eth0', 'up']);
    await runIn(ext, 'ip', ['route', 'add', 'default', 'via', spec.nodeIp]);

    let i = 0;
    for (const pod of spec.pods) {
      const ns = `${this.prefix}p${i}`;
      const host = `cali${randomBytes(6).toString('hex').slice(0, 11)}`;
      i++;
      await this.addNetns(ns);
      this.podNs.set(pod.name, ns);
      this.podByName.set(pod.name, pod);
      await run('ip', ['link', 'add', host, 'netns', node, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
      await runIn(node, 'ip', ['link', 'set', host, 'address', 'ee:ee:ee:ee:ee:ee', 'up']);
      await runIn(node, 'ip', ['route', 'add', `${pod.ip}/32`, 'dev', host]);
      await runIn(ns, 'ip', ['addr', 'add', `${pod.ip}/32`, 'dev', 'eth0']);
      await runIn(ns, 'ip', ['link', 'set', 'eth0', 'up']);
      await runIn(ns, 'ip', ['route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link']);
      await runIn(ns, 'ip', ['neigh', 'add', '169.254.1.1', 'lladdr', 'ee:ee:ee:ee:ee:ee', 'dev', 'eth0']);
      await runIn(ns, 'ip', ['route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0']);
      if ((pod.tcp?.length ?? 0) + (pod.udp?.length ?? 0) > 0) await this.startServer(ns, pod);
    }
  }

  private startServer(ns: string, pod: PodSpec): Promise<void> {
    return startNetnsServer(ns, pod.name, SERVER_JS, [pod.name, JSON.stringify(pod.tcp ?? []), JSON.stringify(pod.udp ?? [])], this.children);
  }

  /** Loads an iptables-save dump into the node with `iptables-nft-restore` (iptables-restore(8)). */
  async loadRules(text: string): Promise<void> {
    await runIn(this.node, 'iptables-nft-restore', [], { input: text });
  }

  /**
   * Marks packets to `dst` for tracing (iptables-extensions(8) TRACE: raw table, PREROUTING and OUTPUT)
   * and starts `xtables-monitor --trace` in the node. Returns once the monitor is listening.
   */
  async startTrace(targets: Array<{ protocol: 'tcp' | 'udp'; dst: string; port: number }>): Promise<void> {
    for (const t of targets) {
      // Only first packets: TCP SYNs (`--syn`) and datagrams to the service port. Tracing every packet
      // floods the monitor's netlink socket (it then exits with ENOBUFS) and adds nothing, since only
      // the first packet of a connection walks the nat table (netfilter.md §2).
      const match = t.protocol === 'tcp' ? ['-p', 'tcp', '--syn'] : ['-p', 'udp'];
      for (const chain of ['PREROUTING', 'OUTPUT']) {
        await runIn(this.node, 'iptables-nft', ['-t', 'raw', '-I', chain, '-d', t.dst, ...match, '--dport', String(t.port), '-j', 'TRACE']);
      }
    }
    // xtables-monitor prints with stdio; on a pipe that is block-buffered, so force line buffering (stdbuf(1)).
    const child = spawn('ip', ['netns', 'exec', this.node, 'stdbuf', '-oL', 'xtables-monitor', '--trace'], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.push(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    this.monitor = { child, output: () => out, errors: () => err };
    // The monitor subscribes to NFNLGRP_NFTRACE right after start; give it a moment before traffic.
    await new Promise((r) => setTimeout(r, 400));
  }

  /** TRACE output collected so far (waits briefly for the netlink backlog). */
  async traceOutput(): Promise<string> {
    // xtables-monitor looks each traced rule up over netlink before printing it, so it lags behind the
    // traffic. Wait until its output has been quiet for 600 ms (at most 20 s).
    let last = -1;
    let quiet = 0;
    for (let i = 0; i < 200 && quiet < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const len = this.monitor?.output().length ?? 0;
      quiet = len === last ? quiet + 1 : 0;
      last = len;
    }
    const m = this.monitor;
    if (!m) throw new Error('startTrace() was not called');
    if (m.child.exitCode !== null || m.child.signalCode !== null) {
      throw new Error(`xtables-monitor stopped (${m.child.exitCode ?? m.child.signalCode}): ${m.errors().trim()}`);
    }
    return m.output();
  }

  /** The handle → (chain, position) map of every table in the node, from `nft -a list table ip T`. */
  async ruleHandles(): Promise<Map<string, Map<number, { table: string; chain: string; rule: number }>>> {
    const out = new Map<string, Map<number, { table: string; chain: string; rule: number }>>();
    const tables = await runIn(this.node, 'nft', ['list', 'tables', 'ip']);
    for (const m of tables.stdout.matchAll(/^table ip (\S+)/gm)) {
      const t = m[1]!;
      const listing = await runIn(this.node, 'nft', ['-a', 'list', 'table', 'ip', t]);
      out.set(t, parseNftHandles(t, listing.stdout));
    }
    return out;
  }

  /** Handles of the TRACE rules this harness added (to leave them out of the comparison). */
  async traceRuleHandles(): Promise<Set<number>> {
    const listing = await runIn(this.node, 'nft', ['-a', 'list', 'table', 'ip', 'raw'], { allowFail: true });
    const set = new Set<number>();
    for (const line of listing.stdout.split('\n')) {
      const h = /# handle (\d+)\s*$/.exec(line);
      if (h && /nftrace set 1|xt target "TRACE"|TRACE/.test(line)) set.add(Number(h[1]));
    }
    return set;
  }

  /** Where a client's packets come from: a pod's IP, the external client, or the node itself. */
  sourceOf(client: ClientRef): { ns: string; src: string } {
    if (client.kind === 'pod') {
      const ns = this.podNs.get(client.name);
      const pod = this.podByName.get(client.name);
      if (!ns || !pod) throw new Error(`no pod ${client.name} in this lab`);
      return { ns, src: pod.ip };
    }
    if (client.kind === 'external') return { ns: this.ext, src: client.src ?? this.spec.externalIp };
    return { ns: this.node, src: this.spec.nodeIp };
  }

  /** Makes `count` sequential connection attempts from `client` to host:port, each bounded by `timeoutMs`. */
  async connect(
    client: ClientRef,
    host: string,
    port: number,
    opts: { protocol?: 'tcp' | 'udp'; count?: number; timeoutMs?: number } = {},
  ): Promise<ConnectionResult[]> {
    const { ns, src } = this.sourceOf(client);
    const count = opts.count ?? 1;
    const firstPort = this.nextPort;
    this.nextPort += count;
    // The gap paces the attempts so xtables-monitor, which reads each traced rule back over netlink
    // before printing it, keeps up instead of overrunning its socket buffer (ENOBUFS).
    const args = { host, port, src, protocol: opts.protocol ?? 'tcp', count, firstPort, timeoutMs: opts.timeoutMs ?? 1000, gapMs: 25 };
    const r = await runIn(ns, process.execPath, ['-e', CLIENT_JS, JSON.stringify(args)], {
      timeoutMs: count * (args.timeoutMs + args.gapMs + 2000) + 5000,
    });
    const rows = JSON.parse(r.stdout) as Array<Omit<ConnectionResult, 'src'>>;
    return rows.map((row) => ({ src, ...row }));
  }

  /** The node's conntrack table (conntrack(8) `-L`). */
  async conntrack(): Promise<ConntrackEntry[]> {
    const r = await runIn(this.node, 'conntrack', ['-L'], { allowFail: true });
    return parseConntrack(r.stdout);
  }

  /** Kills every process this lab started and deletes its namespaces. Safe to call twice. */
  async destroy(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    this.children.length = 0;
    for (const ns of this.namespaces.reverse()) await deleteNetns(ns);
    this.namespaces.length = 0;
  }
}

/**
 * Maps a connection's first-packet TRACE events to matched rules (table, chain, 1-based index), dropping
 * policy/return events and the harness's own TRACE rules.
 */
export function kernelPath(
  events: TraceEvent[],
  handles: Map<string, Map<number, { table: string; chain: string; rule: number }>>,
  ignoreHandles: Set<number>,
): KernelStep[] {
  const out: KernelStep[] = [];
  for (const ev of events) {
    if (ev.kind !== 'rule' || ev.handle === undefined) continue;
    if (ev.table === 'raw' && ignoreHandles.has(ev.handle)) continue;
    const pos = handles.get(ev.table)?.get(ev.handle);
    if (!pos) throw new Error(`TRACE names ${ev.table}:${ev.chain} handle ${ev.handle}, not in nft -a listing`);
    if (pos.chain !== ev.chain) throw new Error(`handle ${ev.handle} is in ${pos.chain}, TRACE said ${ev.chain}`);
    out.push({ table: ev.table, chain: ev.chain, rule: pos.rule, handle: ev.handle, verdict: ev.verdict, text: ev.text });
  }
  return out;
}

/** A rule of an iptables-save dump as written: its line number (1-based) and text (`-A CHAIN …`). */
export interface DumpRule {
  line: number;
  text: string;
}

/**
 * Indexes the `-A` lines of an iptables-save dump by `table/chain`, in order, so a (table, chain, N)
 * triple can be checked against the file independently of the parser under test.
 */
export function indexDump(text: string): Map<string, DumpRule[]> {
  const out = new Map<string, DumpRule[]>();
  let table: string | undefined;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (line.startsWith('*')) table = line.slice(1);
    else if (table && line.startsWith('-A ')) {
      const chain = line.split(' ')[1]!;
      const key = `${table}/${chain}`;
      if (!out.has(key)) out.set(key, []);
      out.get(key)!.push({ line: i + 1, text: line });
    }
  });
  return out;
}

/** The rule text of a TRACE line (`-4 -t nat -A CHAIN …`) in iptables-save form (`-A CHAIN …`). */
export function traceRuleText(text: string): string {
  return text.replace(/^-[46] -t \S+ /, '').trim();
}
