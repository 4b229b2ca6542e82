import type { Cidr } from '../model/address.js';
import type { IpSet } from '../model/ipset.js';
import type { TableName } from '../model/rule.js';
import type { Hook } from './packet.js';

/** What the engine knows about the node the rules are installed on. */
export interface NodeContext {
  /**
   * Addresses of type LOCAL (xt_addrtype: routes in the `local` table): node IPs, 127.0.0.0/8, ::1,
   * IPVS VIPs on kube-ipvs0.
   */
  localAddresses: Cidr[];
  /** Whether `localAddresses` is the node's complete list (from `ip addr`) or only what the user told us. */
  localAddressesComplete: boolean;
  /** ipsets by name; a set not here makes `-m set` evaluate to unknown. */
  ipsets: Map<string, IpSet>;
  /**
   * Contents of xt_recent lists (`/proc/net/xt_recent/NAME`: the addresses in each), when captured. Without
   * them, `-m recent --rcheck/--update` is decided by `recentDefault`.
   */
  recentLists?: Map<string, Set<string>>;
  /**
   * What to take for a recent list that was not captured: `empty` (the client's first connection, the
   * question an SRE usually asks, said as an assumption) or `unknown` (fork on every check). Default `empty`.
   */
  recentDefault?: 'empty' | 'unknown';
  /**
   * `net.ipv4.conf.all.route_localnet` (netfilter.md §8): whether a 127/8 source may leave on a non-loopback
   * device. Undefined = not captured.
   */
  routeLocalnet?: boolean;
  /** Routing: which interface a destination leaves by. Undefined result = unknown. */
  routeOutInterface?: (dst: string) => string | undefined;
}

/** Where in the walk a match or target is evaluated (some modules depend on it, e.g. addrtype's limit-iface). */
export interface EvalContext {
  node: NodeContext;
  hook: Hook;
  table: TableName;
  chain: string;
}
