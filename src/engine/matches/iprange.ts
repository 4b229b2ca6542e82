import { compileAddressRange, lookupAddress } from './address-test.js';
import { allOf, checkArgCount, formatOption, unsupportedOption } from './combine.js';
import { bool, type MatchModule, type MatchTest } from './match-module.js';

/** `-m iprange [!] --src-range a-b [!] --dst-range a-b` (iptables-extensions(8) "iprange"; xt_iprange.c). */
export const iprangeModule: MatchModule = {
  name: 'iprange',
  compile(match) {
    const tests: MatchTest[] = [];
    for (const option of match.options) {
      if (option.name !== 'src-range' && option.name !== 'dst-range') return unsupportedOption('iprange', option);
      const argError = checkArgCount('iprange', option, 1);
      if (argError) return argError;
      const inRange = compileAddressRange(option.args[0]!);
      if (!inRange) return { error: `iprange: bad range in ${formatOption(option)}` };
      const src = option.name === 'src-range';
      const negated = option.negated;
      tests.push((p) => {
        const a = lookupAddress(src ? p.src : p.dst);
        return bool((a !== undefined && inRange(a)) !== negated);
      });
    }
    return allOf(tests);
  },
};
