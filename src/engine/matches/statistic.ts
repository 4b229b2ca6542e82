import { checkArgCount, formatOption, unsupportedOption } from './combine.js';
import type { MatchModule, MatchResult } from './match-module.js';
import { parseUnsigned } from './values.js';

/** 2^31: xt_statistic compares `prandom & 0x7fffffff` with the stored threshold. */
const TWO_POW_31 = 0x80000000;

/**
 * The threshold libxt_statistic stores for `--probability p`: `lround(p × 2^31)`. The match holds for
 * exactly N of 2^31 random values (net/netfilter/xt_statistic.c `(prandom_u32() & 0x7FFFFFFF) < N`), so
 * the share is N/2^31, not the printed decimal (netfilter.md §6: 0.3333333333 is saved 0.33333333349).
 */
export function getRandomThreshold(probability: number): number {
  // lround: half away from zero; p ≥ 0 so Math.floor(x + 0.5) is the same.
  return Math.floor(probability * TWO_POW_31 + 0.5);
}

/**
 * `-m statistic --mode random [!] --probability p` → a probability result with share N/2^31 (1 − that
 * under `!`); `--mode nth --every n [--packet p]` → 1/n, said to be counter-based: the kernel takes every
 * n-th packet of a shared counter, so for one new connection it is a round-robin position, modelled as a
 * 1/n share (iptables-extensions(8) "statistic").
 */
export const statisticModule: MatchModule = {
  name: 'statistic',
  compile(match) {
    let mode: string | undefined;
    let probability: { value: number; negated: boolean; text: string } | undefined;
    let every: { value: number; negated: boolean } | undefined;
    let packet: number | undefined;
    for (const option of match.options) {
      const argError = checkArgCount('statistic', option, 1);
      if (argError) return argError;
      const arg = option.args[0]!;
      switch (option.name) {
        case 'mode':
          if (option.negated || (arg !== 'random' && arg !== 'nth')) return unsupportedOption('statistic', option);
          mode = arg;
          break;
        case 'probability': {
          const v = Number(arg);
          if (!/^\d*\.?\d+(e-?\d+)?$/i.test(arg) || !(v >= 0 && v <= 1)) {
            return { error: `statistic: bad probability in ${formatOption(option)}` };
          }
          probability = { value: v, negated: option.negated, text: arg };
          break;
        }
        case 'every': {
          const n = parseUnsigned(arg);
          if (n === undefined || n === 0) return { error: `statistic: bad ${formatOption(option)}` };
          every = { value: n, negated: option.negated };
          break;
        }
        case 'packet': {
          packet = parseUnsigned(arg);
          if (packet === undefined || option.negated) return { error: `statistic: bad ${formatOption(option)}` };
          break;
        }
        default:
          return unsupportedOption('statistic', option);
      }
    }
    if (mode === 'random' && probability && !every && packet === undefined) {
      const n = getRandomThreshold(probability.value);
      const p = n / TWO_POW_31;
      const reason = `statistic random --probability ${probability.text}: ${n}/2^31 of new connections`;
      const result: MatchResult = probability.negated
        ? { kind: 'probability', p: 1 - p, reason: `not (${reason})` }
        : { kind: 'probability', p, reason };
      return () => result;
    }
    if (mode === 'nth' && every && !probability) {
      const n = every.value;
      const reason = `statistic nth --every ${n}${packet !== undefined ? ` --packet ${packet}` : ''}: every ${n}th packet by a shared counter (counter-based; modelled as a 1/${n} share)`;
      const result: MatchResult = every.negated
        ? { kind: 'probability', p: 1 - 1 / n, reason: `not (${reason})` }
        : { kind: 'probability', p: 1 / n, reason };
      return () => result;
    }
    return { error: 'statistic: needs --mode random --probability or --mode nth --every' };
  },
};
