import type { Match } from '../../model/rule.js';
import type { Packet } from '../packet.js';
import { checkArgCount, formatOption, unsupportedOption } from './combine.js';
import { bool, type MatchTest } from './match-module.js';
import type { MatchModule } from './match-module.js';
import { parseValueMask } from './values.js';

/**
 * Compiles `[!] --mark value[/mask]` against the mark `read` returns: `(mark & mask) == value`, mask
 * defaulting to 0xffffffff (xt_mark.c `mark_mt`, xt_connmark.c `connmark_mt`).
 */
export function compileMarkMatch(module: string, match: Match, read: (p: Packet) => number): MatchTest | { error: string } {
  if (match.options.length !== 1) return { error: `${module}: expects one --mark option` };
  const option = match.options[0]!;
  if (option.name !== 'mark') return unsupportedOption(module, option);
  const argError = checkArgCount(module, option, 1);
  if (argError) return argError;
  const vm = parseValueMask(option.args[0]!);
  if (!vm) return { error: `${module}: bad value/mask in ${formatOption(option)}` };
  const { value, mask } = vm;
  const negated = option.negated;
  return (p) => bool((((read(p) & mask) >>> 0) === value) !== negated);
}

/** `-m mark [!] --mark value[/mask]` on the packet's skb->mark (iptables-extensions(8) "mark"). */
export const markModule: MatchModule = {
  name: 'mark',
  compile: (match) => compileMarkMatch('mark', match, (p) => p.mark),
};
