import { negateResult } from './combine.js';
import { createFixedResultModule } from './fixed-result.js';
import { MATCHED } from './match-module.js';

/**
 * `-m limit --limit rate --limit-burst n` (iptables-extensions(8) "limit"; xt_limit.c token bucket). The
 * bucket starts full with `burst` tokens, so the first packet of a connection, the one knetdbg traces, is
 * within the burst and matches (assuming the bucket is not drained by other traffic).
 */
export const limitModule = createFixedResultModule('limit', ['limit', 'limit-burst'], (negated) => negateResult(MATCHED, negated));
