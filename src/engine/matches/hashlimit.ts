import { unsupportedOption } from './combine.js';
import { MATCHED, NOT_MATCHED, type MatchModule } from './match-module.js';

const OPTIONS = new Set([
  'hashlimit', 'hashlimit-upto', 'hashlimit-above', 'hashlimit-burst', 'hashlimit-mode', 'hashlimit-srcmask',
  'hashlimit-dstmask', 'hashlimit-name', 'hashlimit-htable-size', 'hashlimit-htable-max',
  'hashlimit-htable-expire', 'hashlimit-htable-gcinterval', 'hashlimit-rate-match', 'hashlimit-rate-interval',
]);

/**
 * `-m hashlimit` (iptables-extensions(8) "hashlimit"; xt_hashlimit.c). A new connection's first packet
 * opens a fresh bucket holding `burst` tokens: `--hashlimit-upto` matches it, `--hashlimit-above` does
 * not. `--hashlimit-rate-match` measures the rate instead: not understood.
 */
export const hashlimitModule: MatchModule = {
  name: 'hashlimit',
  compile(match) {
    let above = false;
    for (const option of match.options) {
      if (!OPTIONS.has(option.name) || option.negated || option.name === 'hashlimit-rate-match') {
        return unsupportedOption('hashlimit', option);
      }
      if (option.name === 'hashlimit-above') above = true;
    }
    return above ? () => NOT_MATCHED : () => MATCHED;
  },
};
