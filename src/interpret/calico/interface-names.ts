/**
 * Calico's host-side interface names for pods (calico.md §2.4, libcalico-go
 * `lib/backend/k8s/conversion/workload_endpoint_default.go` VethNameForWorkload): the interface prefix
 * (`FELIX_INTERFACEPREFIX`, default `cali`) + the first 11 hex digits of sha1("<namespace>.<pod>").
 * Verified on the seed article's workload endpoints: default/db-8d66ff5f7-bp6kf → cali95aa86cbb2a.
 */
import { CALICO_INTERFACE_PREFIX, calicoInterfaceName, type Pod } from '../../model/pod.js';

/** The default `FELIX_INTERFACEPREFIX`. */
export const DEFAULT_INTERFACE_PREFIX = CALICO_INTERFACE_PREFIX;

/** The interface Calico's CNI plugin names for a pod (defined once, in src/model/pod.ts). */
export { calicoInterfaceName };

/**
 * The pod behind an interface: a pod whose known `hostInterface` is it, else one whose Calico name
 * recomputes to it (prefix taken from the interface itself, so `eni…`/`azv…` setups work too).
 */
export function matchPodByInterface(iface: string, pods: readonly Pod[]): Pod | undefined {
  const known = pods.find((p) => p.hostInterface === iface);
  if (known) return known;
  if (iface.length < 12) return undefined;
  const prefix = iface.slice(0, iface.length - 11);
  return pods.find((p) => calicoInterfaceName(p.namespace, p.name, prefix) === iface);
}
