import type { MatchOption } from '../../model/rule.js';
import { MATCHED, NOT_MATCHED, type MatchResult, type MatchTest } from './match-module.js';

/**
 * Three-valued helpers shared by the match modules. A match module is a conjunction of its options
 * (every xt match function returns false at the first option that fails, e.g. `conntrack_mt` in
 * net/netfilter/xt_conntrack.c), so "false" wins over "unknown", and "unknown" over "true".
 */

/** A result that cannot be decided from what is known; the walker forks on it, labelled with `reason`. */
export function unknownResult(reason: string): MatchResult {
  return { kind: 'unknown', reason };
}

/** The result of a match block or option the engine does not understand (STYLE.md 7: never silently true/false). */
export function notUnderstoodResult(rawText: string): MatchResult {
  return { kind: 'unknown', reason: `not understood: ${rawText}`, notUnderstood: true };
}

/** A decided result that rests on an assumption (said in the trace output). */
export function assumedResult(value: boolean, assumption: string): MatchResult {
  return { kind: 'bool', value, assumption };
}

/**
 * Applies `!`: bool flips (keeping its assumption), a probability p becomes 1 − p (xt_statistic.c
 * `ret ^= invert`), unknown stays unknown.
 */
export function negateResult(result: MatchResult, negated: boolean): MatchResult {
  if (!negated) return result;
  switch (result.kind) {
    case 'bool':
      if (result.assumption === undefined) return result.value ? NOT_MATCHED : MATCHED;
      return { kind: 'bool', value: !result.value, assumption: result.assumption };
    case 'probability':
      return { kind: 'probability', p: 1 - result.p, reason: `not (${result.reason})` };
    case 'unknown':
      return result;
  }
}

/**
 * Conjunction of option tests, evaluated in order. The first false decides (with its own assumption);
 * otherwise the first unknown; otherwise true, carrying the assumptions the true results rested on.
 * At most one probability is expected per match (statistic has a single deciding option).
 */
export function allOf(tests: readonly MatchTest[]): MatchTest {
  if (tests.length === 0) return () => MATCHED;
  if (tests.length === 1) return tests[0]!;
  return (packet, ctx) => {
    let pending: MatchResult | undefined;
    let assumptions: string[] | undefined;
    for (const test of tests) {
      const r = test(packet, ctx);
      if (r.kind === 'bool') {
        if (!r.value) return r;
        if (r.assumption !== undefined) (assumptions ??= []).push(r.assumption);
      } else if (pending === undefined) {
        pending = r;
      }
    }
    if (pending) return pending;
    return assumptions ? { kind: 'bool', value: true, assumption: assumptions.join('; ') } : MATCHED;
  };
}

/** The canonical text of one option (`! --dport 80`), for error messages and reasons. */
export function formatOption(option: MatchOption): string {
  return `${option.negated ? '! ' : ''}--${option.name}${option.args.length ? ` ${option.args.join(' ')}` : ''}`;
}

/** Error for `compile`: the option is not one this module understands. */
export function unsupportedOption(module: string, option: MatchOption): { error: string } {
  return { error: `${module}: option ${formatOption(option)} not understood` };
}

/** Checks an option's argument count; returns an error object when it does not fit. */
export function checkArgCount(module: string, option: MatchOption, count: number): { error: string } | undefined {
  if (option.args.length === count) return undefined;
  return { error: `${module}: ${formatOption(option)} expects ${count} argument${count === 1 ? '' : 's'}` };
}

/** Type guard for a compile error. */
export function isCompileError(x: unknown): x is { error: string } {
  return typeof x === 'object' && x !== null && 'error' in x;
}
