import { unsupportedOption } from './combine.js';
import { MATCHED, type MatchModule } from './match-module.js';

/** `-m comment --comment TEXT`: always matches (iptables-extensions(8) "comment"; xt_comment.c returns true). */
export const commentModule: MatchModule = {
  name: 'comment',
  compile(match) {
    for (const option of match.options) if (option.name !== 'comment') return unsupportedOption('comment', option);
    return () => MATCHED;
  },
};
