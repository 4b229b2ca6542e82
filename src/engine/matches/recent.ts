import { unsupportedOption } from './combine.js';
import { MATCHED, NOT_MATCHED, bool, type MatchModule, type MatchResult } from './match-module.js';

function negateBool(value: boolean, negated: boolean): MatchResult {
  return bool(negated ? !value : value);
}

/** Options that only tune the lookup (iptables-extensions(8) "recent"). */
const MODIFIERS = new Set(['name', 'seconds', 'reap', 'hitcount', 'rttl', 'mask', 'rsource', 'rdest']);

/**
 * `-m recent` (iptables-extensions(8) "recent"; net/netfilter/xt_recent.c `recent_mt`). `--set` adds the
 * address and always matches (`! --set` never does). `--rcheck/--update/--remove` depend on the list's
 * runtime contents (`/proc/net/xt_recent/NAME`, kube-proxy's sessionAffinity: ClientIP), which a dump does
 * not hold: unknown, and the walk forks with that said (STYLE.md 8).
 */
export const recentModule: MatchModule = {
  name: 'recent',
  compile(match) {
    let action: { name: string; negated: boolean } | undefined;
    let listName = 'DEFAULT';
    let side: 'src' | 'dst' = 'src';
    for (const option of match.options) {
      if (['set', 'rcheck', 'update', 'remove'].includes(option.name)) {
        if (action || option.args.length) return { error: 'recent: one of --set/--rcheck/--update/--remove, no argument' };
        action = { name: option.name, negated: option.negated };
      } else if (MODIFIERS.has(option.name) && !option.negated) {
        if (option.name === 'name' && option.args[0] !== undefined) listName = option.args[0];
        if (option.name === 'rdest') side = 'dst';
      } else {
        return unsupportedOption('recent', option);
      }
    }
    if (!action) return { error: 'recent: --set, --rcheck, --update or --remove missing' };
    if (action.name === 'set') return action.negated ? () => NOT_MATCHED : () => MATCHED;
    const negated = action.negated;
    const unknown: MatchResult = {
      kind: 'unknown',
      reason: `session affinity: whether the client is in recent list ${listName} is runtime state`,
    };
    // --seconds/--hitcount are not checked against captured lists: a listed address counts as recent.
    return (p, ctx) => {
      const address = side === 'src' ? p.src : p.dst;
      const list = ctx.node.recentLists?.get(listName);
      if (list) return negateBool(list.has(address), negated);
      if ((ctx.node.recentDefault ?? 'empty') === 'unknown') return unknown;
      return {
        ...negateBool(false, negated),
        assumption: `recent lists (session affinity) not captured: ${address} taken as a first-time client, in none of them`,
      };
    };
  },
};
