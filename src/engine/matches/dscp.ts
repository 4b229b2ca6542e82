import { checkArgCount, formatOption, negateResult, unsupportedOption, assumedResult } from './combine.js';
import type { MatchModule } from './match-module.js';
import { ASSUMED_TOS, TOS_ASSUMPTION } from './tos.js';
import { parseUnsigned } from './values.js';

/** DiffServ class names (libxt_dscp / iptables-extensions(8) "dscp": BE, CSn, AFxy, EF). */
const DSCP_CLASSES: ReadonlyMap<string, number> = new Map([
  ['be', 0], ['cs0', 0], ['cs1', 8], ['cs2', 16], ['cs3', 24], ['cs4', 32], ['cs5', 40], ['cs6', 48], ['cs7', 56],
  ['af11', 10], ['af12', 12], ['af13', 14], ['af21', 18], ['af22', 20], ['af23', 22], ['af31', 26], ['af32', 28],
  ['af33', 30], ['af41', 34], ['af42', 36], ['af43', 38], ['ef', 46],
]);

/** `-m dscp [!] --dscp n | --dscp-class NAME` (xt_dscp.c `dscp_mt`), the packet's DSCP assumed 0. */
export const dscpModule: MatchModule = {
  name: 'dscp',
  compile(match) {
    if (match.options.length !== 1) return { error: 'dscp: expects one --dscp or --dscp-class' };
    const option = match.options[0]!;
    const argError = checkArgCount('dscp', option, 1);
    if (argError) return argError;
    let value: number | undefined;
    if (option.name === 'dscp') value = parseUnsigned(option.args[0]!, 0x3f);
    else if (option.name === 'dscp-class') value = DSCP_CLASSES.get(option.args[0]!.toLowerCase());
    else return unsupportedOption('dscp', option);
    if (value === undefined) return { error: `dscp: bad value in ${formatOption(option)}` };
    const result = negateResult(assumedResult(ASSUMED_TOS >> 2 === value, TOS_ASSUMPTION), option.negated);
    return () => result;
  },
};
