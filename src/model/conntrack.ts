import type { SourceRef } from './source.js';
import type { Family } from './rule.js';

/** One direction of a conntrack entry: `src=… dst=… sport=… dport=…` (plus icmp type/code/id). */
export interface ConntrackTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  icmpId?: number;
  /** `packets=`/`bytes=` when accounting is on. */
  packets?: number;
  bytes?: number;
  zone?: number;
}

/** One line of `conntrack -L` (or `-o extended`, which prefixes the L3 protocol). */
export interface ConntrackEntry {
  family: Family;
  /** L4 protocol name (`tcp`, `udp`, `icmp`, `sctp` …) */
  protocol: string;
  protocolNumber: number;
  /** Seconds left. */
  timeout?: number;
  /** Protocol state (`ESTABLISHED`, `TIME_WAIT`, `SYN_SENT` … for TCP/SCTP/DCCP). */
  state?: string;
  original: ConntrackTuple;
  reply: ConntrackTuple;
  /** `ASSURED`, `UNREPLIED`, `OFFLOAD`, `HW_OFFLOAD` … from `[…]`. */
  flags: string[];
  mark?: number;
  secctx?: string;
  zone?: number;
  use?: number;
  id?: number;
  labels?: string[];
  /**
   * `key=value` fields this parser does not model, as written (`helper=ftp`, `delta-time=12`,
   * `timestamp start=…`), so nothing in the line is silently lost.
   */
  extras?: Record<string, string>;
  raw: string;
  source?: SourceRef;
}
