/**
 * What `knetdbg collect` captures, as data: one entry per source with the file it lands in inside a dump,
 * the exact argument array, and which parser reads it back. The live collector (live.ts), the POSIX script
 * (script.ts) and the dump loader (load-snapshot.ts) all read this one list, so the three cannot drift apart.
 *
 * Every command here only reads: `*-save` lists rules (iptables-save(8)), `ipset list` lists sets (ipset(8)),
 * `conntrack -L` dumps the table (conntrack(8)), `ip … show` and `nft list` print state. Nothing is ever
 * given `-F`, `-D`, `-X`, `restore`, `flush` or `-w`.
 */

/**
 * Which parser reads a source's file back (src/parse/*), `text` for sources kept verbatim, `pods` for the pod
 * discovery captures of pods.ts (read together by its parsePodSources).
 */
export type SourceParser = 'iptables' | 'ipset' | 'conntrack' | 'ip-addr' | 'ip-route' | 'sysctl' | 'text' | 'pods' | 'pod-list' | 'xt-recent';

/**
 * `core`: the analysis uses it, and its absence goes to `snapshot.missing`. `extra`: context for a human
 * (ip rule, nft ruleset, uname) or a second view of a core source (the other iptables backend), absent
 * without complaint.
 */
export type SourceImportance = 'core' | 'extra';

interface SourceBase {
  /** Stable id, used in meta.json and `snapshot.missing`. */
  id: string;
  /** File name inside the dump folder. */
  file: string;
  parser: SourceParser;
  importance: SourceImportance;
  /** Address family the output covers, when the command is family-specific. */
  family?: 4 | 6;
  /**
   * This source is a second form of `fallbackFor`'s data (text when JSON is unavailable, e.g. iproute2 before
   * 4.13 has no `-j`): the loader reads it only when that source has no usable output.
   */
  fallbackFor?: string;
  /** Why knetdbg captures it (shown by `collect --script` as a comment, and in docs). */
  why: string;
}

/** A source produced by running one program. */
export interface CommandSource extends SourceBase {
  kind: 'command';
  /** Argument array, never a shell string. */
  command: readonly string[];
  /** Output can be huge (200k conntrack entries ≈ 60 MB): written straight to the file, never held in memory. */
  stream?: boolean;
  /** Per-command timeout; DEFAULT_TIMEOUT_MS (runner.ts) when absent. */
  timeoutMs?: number;
}

/**
 * A source the collector reads itself from /proc/sys (sysctl(8) is only a front end to these files, and may
 * be missing from minimal node images). Written as `key = value` lines, the `sysctl -a` form parseSysctl reads.
 */
export interface ProcSysSource extends SourceBase {
  kind: 'proc-sys';
  /** Dotted sysctl keys; `net.ipv4.ip_forward` is /proc/sys/net/ipv4/ip_forward. */
  keys: readonly string[];
}

/**
 * A source the collector reads itself as every file of one /proc directory, each file a named list: the
 * kernel's xt_recent lists, `/proc/net/xt_recent/<NAME>` (iptables-extensions(8) "recent"; one file per
 * `--name`, created when a rule naming it is added, net/netfilter/xt_recent.c `recent_mt_check`). Written in
 * the format of xt-recent.ts: a line `# list <NAME>` per file, then the file's lines verbatim. The files are
 * only read: writing `+addr`, `-addr` or `/` to them changes the list.
 *
 * An absent directory is not a failure: the module is not loaded (or the kernel lacks it), so no list
 * exists; the record says so on stderr and the file is written empty. /proc/net follows the network
 * namespace of the reading process (proc(5)), like /proc/sys.
 */
export interface ProcDirSource extends SourceBase {
  kind: 'proc-dir';
  /** Absolute path of the directory. */
  dir: string;
  /** What an absent directory means, for the record's stderr (`xt_recent not loaded: no recent lists`). */
  absentMeans: string;
}

/** One captured source. */
export type SourceSpec = CommandSource | ProcSysSource | ProcDirSource;

/** conntrack -L on 200k entries takes ~2 s; a minute leaves room for slow nodes without hanging forever. */
const CONNTRACK_TIMEOUT_MS = 60_000;

/**
 * Sysctls that change the packet path knetdbg explains:
 * - ip_forward: pod traffic to a ClusterIP is forwarded only when on (netfilter.md §8);
 * - conf.all.route_localnet: NodePorts on 127.0.0.1 (kube-proxy sets it for `--nodeport-addresses` with localhost);
 * - conf.all.rp_filter: strict reverse-path filtering drops asymmetric (e.g. DNAT'd, multi-NIC) traffic;
 * - bridge-nf-call-iptables: bridged pod traffic (cni0, docker0) reaches iptables only when 1 (br_netfilter);
 * - nf_conntrack_tcp_be_liberal: kube-proxy sets it to avoid spurious INVALID drops on out-of-window packets;
 * - nf_conntrack_max / nf_conntrack_count: a full table drops new connections ("table full, dropping packet").
 */
export const SYSCTL_KEYS: readonly string[] = [
  'net.ipv4.ip_forward',
  'net.ipv6.conf.all.forwarding',
  'net.ipv4.conf.all.route_localnet',
  'net.ipv4.conf.all.rp_filter',
  'net.ipv4.conf.default.rp_filter',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.netfilter.nf_conntrack_tcp_be_liberal',
  'net.netfilter.nf_conntrack_max',
  'net.netfilter.nf_conntrack_count',
];

/**
 * The sources, in capture order (rules first: they matter most and are quickest). `-c` on the `*-save`
 * commands adds `[packets:bytes]` counters to each rule (iptables-save(8)), so a reader sees which rules ever
 * matched; the iptables parser reads them.
 *
 * Both iptables backends are captured explicitly besides the default `iptables-save`: the legacy (xtables
 * setsockopt) and nf_tables backends keep separate rule sets, and when both hold rules the kernel runs both —
 * rules invisible to the default tool are a classic cause of "ghost" drops. iptables-nft-save also warns
 * `# Warning: iptables-legacy tables present` on stderr in that case (iptables nft-shared.c).
 */
export const SOURCES: readonly SourceSpec[] = [
  {
    kind: 'command', id: 'iptables-save', file: 'iptables-save.txt', parser: 'iptables', importance: 'core', family: 4,
    command: ['iptables-save', '-c'], why: 'IPv4 rules of the default iptables backend, with counters',
  },
  {
    kind: 'command', id: 'ip6tables-save', file: 'ip6tables-save.txt', parser: 'iptables', importance: 'core', family: 6,
    command: ['ip6tables-save', '-c'], why: 'IPv6 rules of the default iptables backend, with counters',
  },
  {
    kind: 'command', id: 'iptables-legacy-save', file: 'iptables-legacy-save.txt', parser: 'iptables', importance: 'extra', family: 4,
    command: ['iptables-legacy-save', '-c'], why: 'IPv4 rules of the legacy backend (ghost rules when both backends hold rules)',
  },
  {
    kind: 'command', id: 'ip6tables-legacy-save', file: 'ip6tables-legacy-save.txt', parser: 'iptables', importance: 'extra', family: 6,
    command: ['ip6tables-legacy-save', '-c'], why: 'IPv6 rules of the legacy backend',
  },
  {
    kind: 'command', id: 'iptables-nft-save', file: 'iptables-nft-save.txt', parser: 'iptables', importance: 'extra', family: 4,
    command: ['iptables-nft-save', '-c'], why: 'IPv4 rules of the nf_tables backend',
  },
  {
    kind: 'command', id: 'ip6tables-nft-save', file: 'ip6tables-nft-save.txt', parser: 'iptables', importance: 'extra', family: 6,
    command: ['ip6tables-nft-save', '-c'], why: 'IPv6 rules of the nf_tables backend',
  },
  {
    kind: 'command', id: 'ipset-list', file: 'ipset-list.txt', parser: 'ipset', importance: 'core',
    command: ['ipset', 'list'], why: 'sets behind `-m set --match-set` (kube-proxy, Calico), with header fields and members',
  },
  {
    kind: 'command', id: 'conntrack', file: 'conntrack.txt', parser: 'conntrack', importance: 'core', family: 4, stream: true,
    timeoutMs: CONNTRACK_TIMEOUT_MS,
    // conntrack(8): "If this option is not passed, the default layer 3 protocol will be IPv4."
    command: ['conntrack', '-L', '-o', 'extended'], why: 'IPv4 connections the kernel already tracks (pinned endpoints, stale UDP entries)',
  },
  {
    kind: 'command', id: 'conntrack6', file: 'conntrack6.txt', parser: 'conntrack', importance: 'core', family: 6, stream: true,
    timeoutMs: CONNTRACK_TIMEOUT_MS,
    command: ['conntrack', '-L', '-f', 'ipv6', '-o', 'extended'], why: 'IPv6 tracked connections',
  },
  {
    kind: 'command', id: 'ip-addr', file: 'ip-addr.json', parser: 'ip-addr', importance: 'core',
    command: ['ip', '-j', '-d', 'addr', 'show'], why: 'LOCAL addresses (addrtype), interfaces and veth peers, as JSON',
  },
  {
    kind: 'command', id: 'ip-addr-text', file: 'ip-addr.txt', parser: 'ip-addr', importance: 'extra', fallbackFor: 'ip-addr',
    command: ['ip', '-d', 'addr', 'show'], why: 'the same, as text for humans (and iproute2 without -j)',
  },
  {
    kind: 'command', id: 'ip-route', file: 'ip-route.json', parser: 'ip-route', importance: 'core', family: 4,
    command: ['ip', '-j', 'route', 'show', 'table', 'all'], why: 'IPv4 routes of every table (local, main, policy tables): routing after DNAT',
  },
  {
    kind: 'command', id: 'ip6-route', file: 'ip6-route.json', parser: 'ip-route', importance: 'core', family: 6,
    command: ['ip', '-6', '-j', 'route', 'show', 'table', 'all'], why: 'IPv6 routes of every table',
  },
  {
    kind: 'command', id: 'ip-route-text', file: 'ip-route.txt', parser: 'ip-route', importance: 'extra', family: 4, fallbackFor: 'ip-route',
    command: ['ip', 'route', 'show', 'table', 'all'], why: 'IPv4 routes as text',
  },
  {
    kind: 'command', id: 'ip6-route-text', file: 'ip6-route.txt', parser: 'ip-route', importance: 'extra', family: 6, fallbackFor: 'ip6-route',
    command: ['ip', '-6', 'route', 'show', 'table', 'all'], why: 'IPv6 routes as text',
  },
  {
    kind: 'command', id: 'ip-rule', file: 'ip-rule.txt', parser: 'text', importance: 'extra',
    command: ['ip', 'rule', 'show'], why: 'policy routing rules that pick the table (kept as text)',
  },
  {
    kind: 'proc-sys', id: 'sysctl', file: 'sysctl.txt', parser: 'sysctl', importance: 'core',
    keys: SYSCTL_KEYS, why: 'forwarding, rp_filter, br_netfilter and conntrack limits (read from /proc/sys)',
  },
  {
    kind: 'proc-dir', id: 'xt-recent', file: 'xt-recent.txt', parser: 'xt-recent', importance: 'extra',
    dir: '/proc/net/xt_recent', absentMeans: 'absent: xt_recent is not loaded, so no recent list exists',
    why: 'xt_recent lists behind `-m recent --rcheck` (kube-proxy ClientIP session affinity), read from /proc/net/xt_recent',
  },
  {
    kind: 'command', id: 'nft-ruleset', file: 'nft-ruleset.txt', parser: 'text', importance: 'extra',
    command: ['nft', 'list', 'ruleset'], why: 'everything in nf_tables, including non-iptables tables (kept as text)',
  },
  {
    kind: 'command', id: 'uname', file: 'uname.txt', parser: 'text', importance: 'extra',
    command: ['uname', '-a'], why: 'kernel build, for behaviour that changed between kernels',
  },
];

/** Short probes whose first output line goes to meta.json (`hostname`, `kernel`), not to a file. */
export const META_PROBES: readonly { field: 'hostname' | 'kernel'; command: readonly string[] }[] = [
  { field: 'hostname', command: ['uname', '-n'] },
  { field: 'kernel', command: ['uname', '-r'] },
];

/**
 * Tool versions for meta.json `toolVersions` (first line of output; `ipset -v` and `conntrack -V` print
 * `ipset v7.17, protocol version: 7`, `conntrack v1.4.7 (conntrack-tools)`). The iptables version also
 * says the default backend: `iptables v1.8.9 (nf_tables)` or `(legacy)`.
 */
export const VERSION_PROBES: readonly { tool: string; command: readonly string[] }[] = [
  { tool: 'iptables', command: ['iptables', '-V'] },
  { tool: 'ipset', command: ['ipset', '-v'] },
  { tool: 'conntrack', command: ['conntrack', '-V'] },
  { tool: 'ip', command: ['ip', '-V'] },
  { tool: 'nft', command: ['nft', '-v'] },
];

/** The meta.json file name inside a dump. */
export const META_FILE = 'meta.json';

/** /proc/sys path of a dotted sysctl key (sysctl(8): dots separate path components). */
export function procSysPath(key: string): string {
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

/** The source with this id, or undefined. */
export function getSource(id: string): SourceSpec | undefined {
  return SOURCES.find((s) => s.id === id);
}

/** The argv a source record shows for a /proc/sys read: `read` then the paths (no program runs). */
export function listProcSysCommand(source: ProcSysSource): string[] {
  return ['read', ...source.keys.map(procSysPath)];
}

/** The argv a source record shows for a directory read: `read DIR/*` (the files are known only when listed). */
export function listProcDirCommand(source: ProcDirSource): string[] {
  return ['read', `${source.dir}/*`];
}
