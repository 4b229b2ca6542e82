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
  /** `brd` (IPv4 broadcast address), when shown. */
  broadcast?: string;
  /** `secondary`: not the first address of its prefix on the interface (it shares the primary's source role). */
  secondary?: boolean;
  /** Other address flags as written: `dynamic`, `deprecated`, `tentative`, `nodad`, `noprefixroute`, `permanent` … */
  flags?: string[];
  /** `peer` address of a point-to-point address (`inet 10.0.0.1 peer 10.0.0.2/32`). */
  peer?: string;
  /** The `inet`/`inet6` line (or JSON object) as written. */
  raw?: string;
  source?: SourceRef;
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
  /** `link-netns NAME` when ip knows the peer namespace by name (`ip netns`), instead of an id. */
  linkNetns?: string;
  /** Slave kind from `ip -d` (`bridge_slave`, `bond_slave`) for enslaved interfaces. */
  slaveKind?: string;
  master?: string;
  addresses: InterfaceAddress[];
  /** The interface header line (`3: eth0@if4: <…> mtu 1500 …`) or JSON object as written. */
  raw?: string;
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
  /** Flags as written (`onlink`, `linkdown`, `dead`, `pervasive`, `offload` …). */
  flags: string[];
  /** Multipath routes: one hop per `nexthop` line (or JSON `nexthops`); `gateway`/`device` are then absent. */
  nexthops?: RouteNexthop[];
  /** IPv6 route preference (`pref medium`). */
  preference?: string;
  /** Attributes this parser does not model, as written (`mtu 1400`, `expires 299sec`, `error -113`). */
  otherOptions?: string[];
  raw: string;
  source?: SourceRef;
}

/** One hop of a multipath route (`nexthop via 192.168.56.2 dev eth0 weight 1`). */
export interface RouteNexthop {
  gateway?: string;
  device?: string;
  weight?: number;
  flags: string[];
}
