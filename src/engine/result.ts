import type { Rule, TableName } from '../model/rule.js';
import type { Hook, Packet } from './packet.js';

/** One step of a walk: a rule that matched (or a chain policy that decided), in the kernel's order. */
export interface TraceStep {
  hook: Hook;
  table: TableName;
  chain: string;
  /** 1-based rule index in its chain; undefined for a policy step. */
  rule?: number;
  /** Line in the input (0 when the rule was synthesised by an assumption). */
  line: number;
  file: string;
  /** The rule's raw text, or `:CHAIN POLICY` for a policy step. */
  text: string;
  /** The parsed rule (absent for policy steps). */
  ruleRef?: Rule;
  kind: 'rule' | 'policy';
  /** What the target did to the packet, in engine terms: `DNAT to 10.244.2.2:80`, `mark 0x0 -> 0x4000`. */
  effect?: string;
  /** Why this branch exists when the step forked it: `statistic: p=0.5`, `not understood: …`. */
  fork?: string;
}

export type Verdict = 'ACCEPT' | 'DROP' | 'REJECT' | 'UNKNOWN';

/** One possible fate of the packet with its share of new connections. */
export interface TraceBranch {
  /** Share of new connections taking this branch (exact product of the statistic shares, N/2^31). */
  probability: number;
  verdict: Verdict;
  /** Where the fate was sealed: delivered locally (INPUT), forwarded out, or dropped at a rule/policy. */
  disposition: 'local' | 'forwarded' | 'dropped' | 'rejected' | 'unknown';
  /** Human reason for the verdict, e.g. "rule 3 of filter KUBE-SERVICES: REJECT". */
  reason: string;
  /** The packet as it leaves (after DNAT/SNAT/marks). */
  packet: Packet;
  /** Destination before any NAT. */
  originalDestination: { address: string; port?: number };
  /** True when POSTROUTING (or nat INPUT) SNATs/masquerades this branch. */
  masquerade: boolean;
  /** The SNAT/MASQUERADE rule's effect when masquerade is true. */
  snat?: string;
  path: TraceStep[];
  /** Labels of every fork this branch went through ("not understood: …", "assumed ipset X unknown: matched"). */
  conditions: string[];
  /**
   * The undecidable conditions among `conditions` (unknown interface, ipset, affinity state, not-understood
   * rules). `probability` is the share of new connections GIVEN these; branches with the same `given` sum to 1.
   */
  given: string[];
  /** Hooks the packet traversed, in order, e.g. ['PREROUTING', 'FORWARD', 'POSTROUTING']. */
  hooks: Hook[];
}

/** Whole-walk problems: missing chains, loops, branch explosion. */
export interface TraceProblem {
  code: 'missing-chain' | 'jump-loop' | 'branch-limit' | 'not-understood';
  message: string;
  table?: TableName;
  chain?: string;
  line?: number;
}

export interface TraceResult {
  branches: TraceBranch[];
  problems: TraceProblem[];
  /** What the engine assumed while walking (unknown source port, interface …). */
  assumptions: string[];
}
