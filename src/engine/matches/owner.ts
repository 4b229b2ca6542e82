import { createFixedResultModule } from './fixed-result.js';

/**
 * `-m owner --uid-owner/--gid-owner/--socket-exists …` (OUTPUT/POSTROUTING only, iptables-extensions(8)
 * "owner"): the sending process of a locally generated packet is not known.
 */
export const ownerModule = createFixedResultModule('owner', ['uid-owner', 'gid-owner', 'socket-exists', 'suppl-groups'], {
  kind: 'unknown',
  reason: 'owner match: the local process that sent the packet is unknown',
});
