import { checkArgCount, formatOption, negateResult, unsupportedOption, assumedResult } from './combine.js';
import type { MatchModule } from './match-module.js';
import { parseUnsigned } from './values.js';

/** Symbolic TOS values (libxt_tos.c / iptables-extensions(8) "tos"). */
const TOS_NAMES: ReadonlyMap<string, number> = new Map([
  ['minimize-delay', 0x10], ['maximize-throughput', 0x08], ['maximize-reliability', 0x04],
  ['minimize-cost', 0x02], ['normal-service', 0x00],
]);

/** The traced packet's TOS byte: 0, what a socket sends without IP_TOS (and what a pod sends by default). */
export const ASSUMED_TOS = 0;
/** The assumption both tos and dscp state. */
export const TOS_ASSUMPTION = 'TOS/DSCP of the packet assumed 0 (socket default)';

/** `-m tos [!] --tos value[/mask]|name`: `(tos & mask) == value` (xt_dscp.c `tos_mt`), TOS assumed 0. */
export const tosModule: MatchModule = {
  name: 'tos',
  compile(match) {
    if (match.options.length !== 1) return { error: 'tos: expects one --tos' };
    const option = match.options[0]!;
    if (option.name !== 'tos') return unsupportedOption('tos', option);
    const argError = checkArgCount('tos', option, 1);
    if (argError) return argError;
    const text = option.args[0]!;
    const slash = text.indexOf('/');
    const valueText = slash < 0 ? text : text.slice(0, slash);
    const value = TOS_NAMES.get(valueText.toLowerCase()) ?? parseUnsigned(valueText, 0xff);
    const mask = slash < 0 ? 0xff : parseUnsigned(text.slice(slash + 1), 0xff);
    if (value === undefined || mask === undefined) return { error: `tos: bad value in ${formatOption(option)}` };
    const result = negateResult(assumedResult((ASSUMED_TOS & mask) === value, TOS_ASSUMPTION), option.negated);
    return () => result;
  },
};
