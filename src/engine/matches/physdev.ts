import type { MatchOption } from '../../model/rule.js';
import type { EvalContext } from '../context.js';
import type { Packet } from '../packet.js';
import { allOf, checkArgCount, unknownResult, unsupportedOption } from './combine.js';
import { bool, MATCHED, NOT_MATCHED, type MatchModule, type MatchResult, type MatchTest } from './match-module.js';
import { compileInterfaceName } from './values.js';

const UNKNOWN_BRIDGED = unknownResult('physdev: whether the packet is bridged (br_netfilter) is unknown');
const UNKNOWN_PHYS_IN = unknownResult('physdev: bridge input port unknown');
const UNKNOWN_PHYS_OUT = unknownResult('physdev: bridge output port unknown');

/** Hooks where a bridged packet has no output port yet (it is set when the bridge forwards it). */
function outPortNotYetChosen(ctx: EvalContext): boolean {
  return ctx.hook === 'PREROUTING' || ctx.hook === 'INPUT';
}

/** Each physdev option's condition on a bridged packet, before `!`. */
function compileCondition(option: MatchOption): ((p: Packet, ctx: EvalContext) => MatchResult) | { error: string } {
  switch (option.name) {
    case 'physdev-in': {
      const argError = checkArgCount('physdev', option, 1);
      if (argError) return argError;
      const matches = compileInterfaceName(option.args[0]!);
      return (p) => (p.physIn === undefined ? UNKNOWN_PHYS_IN : bool(matches(p.physIn)));
    }
    case 'physdev-out': {
      const argError = checkArgCount('physdev', option, 1);
      if (argError) return argError;
      const matches = compileInterfaceName(option.args[0]!);
      // Without an output port yet the kernel skips --physdev-out and matches (`if (!physoutdev) return true`),
      // whatever the `!`: the caller handles that case before negating.
      return (p, ctx) =>
        p.physOut !== undefined ? bool(matches(p.physOut)) : outPortNotYetChosen(ctx) ? MATCHED : UNKNOWN_PHYS_OUT;
    }
    case 'physdev-is-in':
      return () => MATCHED;
    case 'physdev-is-out':
    case 'physdev-is-bridged':
      return (p, ctx) => (p.physOut !== undefined ? MATCHED : outPortNotYetChosen(ctx) ? NOT_MATCHED : UNKNOWN_PHYS_OUT);
    default:
      return { error: '' };
  }
}

/**
 * `-m physdev` (iptables-extensions(8) "physdev"; net/netfilter/xt_physdev.c `physdev_mt`; netfilter.md §7).
 * A packet that is not bridged matches only if every option given is negated. For a bridged packet each
 * option is tested and `!` inverts it; a bridged packet always has an input port, and has an output port
 * from FORWARD on (`physdev-is-out`/`-is-bridged` false on PREROUTING/INPUT). `packet.bridged` undefined
 * is unknown.
 */
export const physdevModule: MatchModule = {
  name: 'physdev',
  compile(match) {
    const tests: MatchTest[] = [];
    let allNegated = true;
    for (const option of match.options) {
      const withArg = option.name === 'physdev-in' || option.name === 'physdev-out';
      if (!withArg) {
        const argError = checkArgCount('physdev', option, 0);
        if (argError) return argError;
      }
      const condition = compileCondition(option);
      if ('error' in condition) return unsupportedOption('physdev', option);
      const negated = option.negated;
      allNegated &&= negated;
      const skipWithoutOutPort = option.name === 'physdev-out';
      tests.push((p, ctx) => {
        const r = condition(p, ctx);
        if (skipWithoutOutPort && p.physOut === undefined && r.kind === 'bool') return MATCHED;
        if (r.kind !== 'bool') return r;
        return bool(r.value !== negated);
      });
    }
    const bridgedTest = allOf(tests);
    const notBridged = bool(allNegated);
    return (p, ctx) => {
      if (p.bridged === undefined) return UNKNOWN_BRIDGED;
      return p.bridged ? bridgedTest(p, ctx) : notBridged;
    };
  },
};
