import { type Cidr, cidrContains, formatAddress, parseAddress, parseCidr } from '../model/address.js';
import type { ConntrackEntry } from '../model/conntrack.js';
import type { Pod } from '../model/pod.js';
import type { Family } from '../model/rule.js';
import type { NodeSnapshot } from '../model/snapshot.js';
import type { NodeContext } from '../engine/context.js';
import { lookupRoute } from '../parse/ip-route.js';

/** What a node snapshot tells the trace beyond the rules. */
export interface SnapshotView {
  node: NodeContext;
  /** The interface a packet from `source` arrives on (reverse route: how the node reaches `source`). */
  arrivalInterface(source: string): string | undefined;
  /** The pod with this IP, if the snapshot knows it. */
  getPodByIp(address: string): Pod | undefined;
  /** Facts to state in the output (what was used, what was missing). */
  assumptions: string[];
}

/** The kernel's `local` table holds these ranges whatever the interfaces say (netfilter.md §6 addrtype). */
const LOOPBACK: Record<Family, string> = { 4: '127.0.0.0/8', 6: '::1/128' };

/**
 * Turns a snapshot into the engine's node context: LOCAL addresses from `ip addr` plus `local` routes
 * (IPVS VIPs on kube-ipvs0 are interface addresses too), routing from `ip route show table all`, ipsets
 * from `ipset list`. Interface and route data make the address list complete, so addrtype needs no
 * assumption.
 */
export interface ViewOptions {
  /**
   * Pods are reached through their own host interface (Calico's per-pod /32 routes): without captured routes,
   * a pod's `hostInterface` is also the way out to it. Not so for bridge CNIs (cni0), so only when known.
   */
  podRoutesViaHostInterface?: boolean;
}

export function viewSnapshot(snapshot: NodeSnapshot, family: Family, options: ViewOptions = {}): SnapshotView {
  const assumptions: string[] = [];
  const local: Cidr[] = [parseCidr(LOOPBACK[family])!];
  for (const iface of snapshot.interfaces) {
    for (const a of iface.addresses) {
      if (a.family !== family) continue;
      const c = parseCidr(a.address);
      if (c) local.push(c);
    }
  }
  for (const r of snapshot.routes) {
    if (r.family !== family || r.type !== 'local') continue;
    const c = parseCidr(r.destination);
    if (c) local.push(c);
  }
  const haveAddresses = snapshot.interfaces.length > 0;
  if (!haveAddresses) assumptions.push("the snapshot has no `ip addr` output: the node's own addresses are not known");
  const routes = snapshot.routes.filter((r) => r.family === family);
  if (routes.length === 0) {
    assumptions.push(
      options.podRoutesViaHostInterface && snapshot.pods.some((p) => p.hostInterface)
        ? "the snapshot has no routes: a pod of this node is taken to be reached through its own Calico interface; other interfaces are not known"
        : 'the snapshot has no routes: output and input interfaces are not known',
    );
  }

  const podsByIp = new Map<string, Pod>();
  for (const pod of snapshot.pods) for (const ip of pod.ips) podsByIp.set(canonical(ip), pod);
  const routeDevice = (address: string): string | undefined => {
    if (routes.length === 0) {
      return options.podRoutesViaHostInterface ? podsByIp.get(canonical(address))?.hostInterface : undefined;
    }
    const route = lookupRoute(routes, address);
    return route?.type === 'local' ? 'lo' : route?.device;
  };

  const recentLists = readRecentLists(snapshot);
  const routeLocalnet = snapshot.sysctls['net.ipv4.conf.all.route_localnet'];
  const node: NodeContext = {
    localAddresses: local,
    localAddressesComplete: haveAddresses,
    ipsets: new Map(snapshot.ipsets.map((s) => [s.name, s])),
    routeOutInterface: routeDevice,
    ...(recentLists ? { recentLists } : {}),
    ...(routeLocalnet === undefined ? {} : { routeLocalnet: routeLocalnet.trim() === '1' }),
  };
  return {
    node,
    arrivalInterface: (source) => {
      const pod = podsByIp.get(canonical(source));
      if (pod?.hostInterface) return pod.hostInterface;
      return routeDevice(source);
    },
    getPodByIp: (address) => podsByIp.get(canonical(address)),
    assumptions,
  };
}

/** `/proc/net/xt_recent/<list>` contents when the dump captured them (`src=<addr> ttl: …` lines). */
function readRecentLists(snapshot: NodeSnapshot): Map<string, Set<string>> | undefined {
  const texts = (snapshot.texts ?? []).filter((t) => t.id.startsWith('xt-recent-'));
  if (texts.length === 0) return undefined;
  const lists = new Map<string, Set<string>>();
  for (const t of texts) {
    const members = new Set<string>();
    for (const m of t.text.matchAll(/^src=(\S+)/gm)) members.add(m[1]!);
    lists.set(t.id.slice('xt-recent-'.length), members);
  }
  return lists;
}

/** One text per address (RFC 5952 for IPv6), so `fd00:0::5` from a pod list meets `fd00::5` in a packet. */
function canonical(address: string): string {
  const a = parseAddress(address);
  if (!a || a.family === 4) return address;
  return formatAddress(6, a.value);
}

/** Conntrack entries of the traced flow: same protocol and original destination (and port when given). */
export function listFlowEntries(entries: readonly ConntrackEntry[], protocol: string, destination: string, port?: number): ConntrackEntry[] {
  const dst = parseCidr(destination);
  return entries.filter(
    (e) =>
      e.protocol === protocol &&
      dst !== undefined &&
      cidrContains(dst, e.original.dst) &&
      (port === undefined || e.original.dport === port),
  );
}
