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
  /** How knetdbg found it: which source said so. */
  foundBy: 'crictl' | 'nsenter' | 'cni-cache' | 'pod-log-dir' | 'calico-name' | 'given';
}
