import { createFixedResultModule } from './fixed-result.js';
import { MATCHED } from './match-module.js';

/** `-m nfacct --nfacct-name NAME`: counts into an accounting object and always matches (xt_nfacct.c). */
export const nfacctModule = createFixedResultModule('nfacct', ['nfacct-name'], MATCHED);
