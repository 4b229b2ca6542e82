import { checkArgCount, formatOption, unsupportedOption } from './combine.js';
import type { MatchModule, MatchResult } from './match-module.js';
import { parseUnsigned } from './values.js';

/** `-m length [!] --length a[:b]` (iptables-extensions(8) "length"): the packet's size is not modelled. */
export const lengthModule: MatchModule = {
  name: 'length',
  compile(match) {
    if (match.options.length !== 1) return { error: 'length: expects one --length' };
    const option = match.options[0]!;
    if (option.name !== 'length') return unsupportedOption('length', option);
    const argError = checkArgCount('length', option, 1);
    if (argError) return argError;
    if (!option.args[0]!.split(':').every((x) => x === '' || parseUnsigned(x, 0xffff) !== undefined)) {
      return { error: `length: bad range in ${formatOption(option)}` };
    }
    const result: MatchResult = { kind: 'unknown', reason: `packet length unknown: ${formatOption(option)}` };
    return () => result;
  },
};
