import type { ConntrackEntry } from './conntrack.js';
import type { IpSet } from './ipset.js';
import type { NetInterface, Route } from './network.js';
import type { Pod } from './pod.js';
import type { Diagnostic } from './source.js';

/** The raw text of one captured source, as the collector or the dump holds it. */
export interface CapturedText {
  /** Source id (`iptables-save`, `ip6tables-save`, `iptables-legacy-save`, `ipset-list`, `conntrack`, `ip-addr`, `ip-route` …). */
  id: string;
  /** File name inside the dump (or the live command, for live collection). */
  file: string;
  text: string;
  /** The raw bytes, when the text was read from a file (large iptables dumps are indexed from these). */
  bytes?: Uint8Array;
}

/** What happened to each source during collection (meta.json). */
export interface SourceRecord {
  id: string;
  /** The exact command as an argument array. */
  command: string[];
  exitCode: number | null;
  durationMs: number;
  stderr: string;
  /** File the output was written to, relative to the dump root. */
  file?: string;
  /** Why it has no output: tool missing, command failed, timed out. */
  error?: string;
}

/** meta.json of a dump written by `knetdbg collect`. */
export interface DumpMeta {
  format: 'knetdbg-dump';
  formatVersion: 1;
  hostname?: string;
  capturedAt: string;
  kernel?: string;
  tool: { name: string; version: string };
  toolVersions: Record<string, string>;
  sources: SourceRecord[];
}

/** Everything known about a node: parsed from a dump or collected live. */
export interface NodeSnapshot {
  /** Where it came from (`live`, a folder, a tarball, a single file). */
  origin: string;
  meta?: DumpMeta;
  /** iptables-save text per family/backend; parsed by the trace with parseIptables. */
  iptables: CapturedText[];
  ipsets: IpSet[];
  conntrack: ConntrackEntry[];
  interfaces: NetInterface[];
  routes: Route[];
  sysctls: Record<string, string>;
  pods: Pod[];
  /** Sources that are absent or failed: the analysis says what it could not use. */
  missing: { id: string; why: string }[];
  diagnostics: Diagnostic[];
  /**
   * Sources kept as text without a model (`nft list ruleset`, `ip rule`, `uname -a`, a bundle's `hostname`):
   * context for a reader, and for later analyses (nft-native kube-proxy, policy routing). Absent when none.
   */
  texts?: CapturedText[];
}

