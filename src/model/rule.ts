import type { Negatable, SourceRef } from './source.js';
import type { Target } from './target.js';

/** The five iptables tables (iptables(8) "TABLES"). */
export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';
export const TABLE_NAMES: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter', 'security'];

/** IP family of a ruleset: iptables-save (4) or ip6tables-save (6). */
export type Family = 4 | 6;

/** One `--option [args…]` of a match or target, as written, with its own `!`. */
export interface MatchOption {
  /** Option name without leading dashes: `dport`, `ctstate`, `match-set`. */
  name: string;
  negated: boolean;
  args: string[];
}

/** One `-m module …` block (or the implicit module `-p tcp --dport` loads). Evaluated by src/engine/matches. */
export interface Match {
  module: string;
  options: MatchOption[];
  /** Raw text of this block, e.g. `-m tcp --dport 80`. */
  raw: string;
}

/** Packet/byte counters from `iptables-save -c` (`[p:b] -A …`) or a chain line. */
export interface Counters {
  packets: number;
  bytes: number;
}

/**
 * One rule of a chain, parsed from an `-A` line. Keeps its raw text and position so every
 * explanation can quote it (STYLE.md 3).
 */
export interface Rule {
  table: TableName;
  chain: string;
  /** 1-based position in its chain (what `iptables -L --line-numbers` shows). */
  index: number;
  source: SourceRef;
  /** The rule as written, from `-A` on, without a counter prefix and without the shell-prompt noise of excerpts. */
  raw: string;
  counters?: Counters;
  /** `-p`: protocol name or number as written (`tcp`, `udp`, `sctp`, `icmp`, `ipv6-icmp`, `all`, `4`). */
  protocol?: Negatable<string>;
  /** `-s`: address or CIDR as written (iptables-save adds `/32`). */
  sourceAddress?: Negatable<string>;
  /** `-d`: address or CIDR as written. */
  destinationAddress?: Negatable<string>;
  /** `-i`: interface name, `+` suffix is a wildcard. */
  inInterface?: Negatable<string>;
  /** `-o`: interface name, `+` suffix is a wildcard. */
  outInterface?: Negatable<string>;
  /** `-f` / `! -f`: second and further fragments. */
  fragment?: Negatable<true>;
  matches: Match[];
  /** `-j`/`-g`; undefined when the rule has none (counts only, then falls through). */
  target?: Target;
  /** Set when knetdbg synthesised this rule (excerpt inference); says what it assumed and why. */
  assumed?: string;
}
