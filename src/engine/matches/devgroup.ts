import { createFixedResultModule } from './fixed-result.js';

/** `-m devgroup --src-group/--dst-group` (iptables-extensions(8)): interface groups are not collected. */
export const devgroupModule = createFixedResultModule('devgroup', ['src-group', 'dst-group'], {
  kind: 'unknown',
  reason: 'devgroup: the device group of the interface is unknown',
});
