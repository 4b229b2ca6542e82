import { createFixedResultModule } from './fixed-result.js';

/**
 * `-m rpfilter [--loose] [--validmark] [--accept-local] [--invert]` (iptables-extensions(8) "rpfilter";
 * Calico's raw-table anti-spoofing rule): a reverse route lookup of the source, which needs the node's
 * routing table.
 */
export const rpfilterModule = createFixedResultModule('rpfilter', ['loose', 'validmark', 'accept-local', 'invert'], {
  kind: 'unknown',
  reason: "rpfilter: the reverse-path check depends on the node's routes",
});
