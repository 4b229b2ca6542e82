import { createHash } from 'node:crypto';

import type { SourceRef } from './source.js';

/**
 * Which source told knetdbg something about a pod: the container runtime (`crictl`), the pod's own network
 * namespace (`nsenter`), the CNI result cache under /var/lib/cni (`cni-cache`), the kubelet's /var/log/pods
 * directory names (`pod-log-dir`), Calico's interface-name hash (`calico-name`), or the user (`given`).
 */
export type PodSource = 'crictl' | 'nsenter' | 'cni-cache' | 'pod-log-dir' | 'calico-name' | 'given';

/** A pod sandbox on the node, with what knetdbg could learn of its network. */
export interface Pod {
  namespace: string;
  name: string;
  uid?: string;
  /** Pod IPs (IPv4 and/or IPv6). */
  ips: string[];
  /** Host side of the pod's veth (`cali95aa86cbb2a`, `veth3f2c…`), when known. */
  hostInterface?: string;
  /** PID of a process in the sandbox (for `nsenter -t PID -n`). */
  pid?: number;
  /** Network namespace path (`/var/run/netns/cni-…`). */
  netnsPath?: string;
  /**
   * How knetdbg found it: the source of `ips` when the pod has any (the fact a trace needs to name an
   * endpoint), otherwise the source of its name.
   */
  foundBy: PodSource;
  /** Pod sandbox id: crictl's sandbox id, which is also the CNI `containerId` (K8S_POD_INFRA_CONTAINER_ID). */
  sandboxId?: string;
  /** hostNetwork pod: it has the node's addresses and no veth of its own. */
  hostNetwork?: boolean;
  /** Source of namespace/name (crictl, the CNI cache's K8S_POD_* args, or a /var/log/pods directory name). */
  identityFrom?: PodSource;
  /** Source of `hostInterface`. */
  hostInterfaceFrom?: PodSource;
  /** Where the pod's identity was read (file and line of the crictl item, cache file, directory listing). */
  source?: SourceRef;
}

/** Felix's default `FELIX_INTERFACEPREFIX` (calico.md 2.4). */
export const CALICO_INTERFACE_PREFIX = 'cali';

/**
 * Calico's host-side veth name for a pod: prefix + the first 11 hex digits of sha1("<namespace>.<pod>")
 * (libcalico-go `conversion/workload_endpoint_default.go` VethNameForWorkload; calico.md 2.4:
 * `default.db-8d66ff5f7-bp6kf` → `cali95aa86cbb2a`). 15 characters with the default prefix, the kernel's IFNAMSIZ-1.
 * Shared by pod discovery (src/collect) and the Calico interpreter.
 */
export function calicoInterfaceName(namespace: string, pod: string, prefix: string = CALICO_INTERFACE_PREFIX): string {
  return prefix + createHash('sha1').update(`${namespace}.${pod}`, 'utf8').digest('hex').slice(0, 11);
}
