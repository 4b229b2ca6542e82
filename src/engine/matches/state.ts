import type { CtState } from '../packet.js';
import { checkArgCount, formatOption, unsupportedOption } from './combine.js';
import { compileStateTest, parseNameList } from './conntrack.js';
import type { MatchModule } from './match-module.js';

/** The legacy `-m state` knows the five real states only, not SNAT/DNAT (iptables-extensions(8) "state"). */
const STATE_NAMES: readonly CtState[] = ['INVALID', 'ESTABLISHED', 'NEW', 'RELATED', 'UNTRACKED'];

/** `-m state [!] --state list` (net/netfilter/xt_state.c: `(statemask & statebit) != 0`). */
export const stateModule: MatchModule = {
  name: 'state',
  compile(match) {
    if (match.options.length !== 1 || match.options[0]!.name !== 'state') {
      return match.options[0] ? unsupportedOption('state', match.options[0]) : { error: 'state: --state missing' };
    }
    const option = match.options[0];
    const argError = checkArgCount('state', option, 1);
    if (argError) return argError;
    const states = parseNameList(option.args[0]!, STATE_NAMES);
    if (!states) return { error: `state: bad state in ${formatOption(option)}` };
    return compileStateTest(states, option.negated);
  },
};
