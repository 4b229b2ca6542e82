import type { SourceRef } from './source.js';
import type { Family } from './rule.js';

/** One address on an interface (`ip addr`: `inet 10.244.1.1/24 scope global cni0`). */
export interface InterfaceAddress {
  family: Family;
  address: string;
  prefixLength: number;
  /** `global`, `link`, `host` … */
  scope?: string;
  /** Label when it differs from the interface name (`eth0:1`). */
  label?: string;
}

/** A network interface as `ip addr` / `ip -j addr` shows it. */
export interface NetInterface {
  /** ifindex (`3:` in `3: eth0@if4: …`). */
  index: number;
  name: string;
  /** Peer interface index from `@ifN` (veth pairs: the pod's eth0@ifN names the host side's index N). */
  linkIndex?: number;
  /** Peer name from `@name` when it is a name, not `ifN`. */
  linkName?: string;
  /** Link kind from `ip -d` (`veth`, `vxlan`, `ipip`, `dummy`, `bridge`), when shown. */
  kind?: string;
  flags: string[];
  state?: string;
  mtu?: number;
  mac?: string;
  /** `link-netns`/`link-netnsid` for veths whose peer is in another namespace. */
  linkNetnsId?: number;
  master?: string;
  addresses: InterfaceAddress[];
  source?: SourceRef;
}

/** A route (`ip route show table all`). */
export interface Route {
  family: Family;
  /** `main`, `local`, `broadcast`…, or a number as written. */
  table: string;
  /** Route type: `unicast` (default when not written), `local`, `broadcast`, `blackhole`, `unreachable`, `prohibit`, `throw`, `multicast`. */
  type: string;
  /** `default` or a CIDR/address as written. */
  destination: string;
  gateway?: string;
  device?: string;
  /** `proto` (kernel, boot, static, bird, dhcp …). */
  protocol?: string;
  scope?: string;
  /** `src` (preferred source address). */
  preferredSource?: string;
  metric?: number;
  flags: string[];
  raw: string;
  source?: SourceRef;
}
