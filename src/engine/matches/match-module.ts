import type { Match, Rule } from '../../model/rule.js';
import type { EvalContext } from '../context.js';
import type { Packet } from '../packet.js';

/**
 * Result of evaluating a match against a packet.
 * - `bool`: decided.
 * - `unknown`: cannot be decided from what is known (missing ipset, unknown interface, recent list state,
 *   a module not understood). The walk forks into both outcomes, each labelled with `reason`.
 * - `probability`: matches a share `p` of new connections (statistic); the walk forks with weights p / 1-p.
 */
export type MatchResult =
  /** `assumption`: said in the output when the answer rests on one (e.g. node addresses not collected). */
  | { kind: 'bool'; value: boolean; assumption?: string }
  | {
      kind: 'unknown';
      reason: string;
      notUnderstood?: boolean;
      /**
       * For an unknown interface: the test matches iff the interface on `side` matches `pattern` (or does not,
       * when `whenMatched` is false). The walker records the answer on each side of the fork.
       */
      constraint?: { side: 'in' | 'out'; pattern: string; whenMatched: boolean };
    }
  | { kind: 'probability'; p: number; reason: string };

export const MATCHED: MatchResult = { kind: 'bool', value: true };
export const NOT_MATCHED: MatchResult = { kind: 'bool', value: false };
export function bool(value: boolean): MatchResult {
  return value ? MATCHED : NOT_MATCHED;
}

/** A compiled test: evaluates one match (or one basic option like -s) against a packet. */
export type MatchTest = (packet: Packet, ctx: EvalContext) => MatchResult;

/**
 * A match extension: parses its own options (once per rule, lazily) and evaluates against a packet.
 * `compile` returns a string error when an option is not understood: the engine then treats the whole
 * match as "not understood" (forks, labelled), never as matched or unmatched.
 */
export interface MatchModule {
  /** Module name as after `-m` (`tcp`, `conntrack`, `set`). */
  name: string;
  compile(match: Match, rule: Rule): MatchTest | { error: string };
}
