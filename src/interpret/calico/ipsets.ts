/**
 * Calico's ipset names (calico.md §3.1, felix/ipsets/ipset_defs.go): `cali` + `4`|`6` + `0` + set ID,
 * cut to 31 characters; `t` instead of `0` for felix's temporary swap sets; Felix 2.x used `-` instead of
 * `0`. nftables mode names the same sets with `-` for `:` (`cali40s-…`).
 */
import { cidrContains, parseCidr } from '../../model/address.js';
import type { IpSet } from '../../model/ipset.js';
import type { Pod } from '../../model/pod.js';

/** What a Calico set holds. */
export type CalicoIpsetKind =
  | 'selector'
  | 'named-port'
  | 'service'
  | 'service-no-port'
  | 'all-ipam-pools'
  | 'masq-ipam-pools'
  | 'all-hosts-net'
  | 'all-vxlan-net'
  | 'all-tunnel-net'
  | 'this-host'
  | 'temporary'
  | 'other';

/** One known set ID or ID prefix. */
interface IpsetIdEntry {
  id: string;
  prefix: boolean;
  kind: CalicoIpsetKind;
  description: string;
}

/** Set IDs (ipset_defs.go; libcalico-go lib/hash unique_id.go for the hashed ones). */
export const CALICO_IPSET_IDS: readonly IpsetIdEntry[] = [
  { id: 's:', prefix: true, kind: 'selector', description: 'IPs of the endpoints a policy rule selector matches' },
  { id: 'n:', prefix: true, kind: 'named-port', description: 'IP,protocol:port pairs of a named port on the endpoints a selector matches' },
  { id: 'svcnoport:', prefix: true, kind: 'service-no-port', description: 'IPs of a Kubernetes service (any port)' },
  { id: 'svc:', prefix: true, kind: 'service', description: 'IP,port pairs of a Kubernetes service' },
  { id: 'all-ipam-pools', prefix: false, kind: 'all-ipam-pools', description: 'all Calico IP pools' },
  { id: 'masq-ipam-pools', prefix: false, kind: 'masq-ipam-pools', description: 'IP pools with natOutgoing (masqueraded when leaving the pools)' },
  { id: 'all-hosts-net', prefix: false, kind: 'all-hosts-net', description: 'addresses of all Calico nodes (IPIP allowed from them)' },
  { id: 'all-vxlan-net', prefix: false, kind: 'all-vxlan-net', description: 'addresses of all Calico nodes (VXLAN allowed from them)' },
  { id: 'all-tunnel-net', prefix: false, kind: 'all-tunnel-net', description: 'tunnel addresses of all Calico nodes' },
  { id: 'this-host', prefix: false, kind: 'this-host', description: 'addresses of this node' },
];

/** A Calico set name decoded. */
export interface CalicoIpsetName {
  kind: CalicoIpsetKind;
  family: 4 | 6;
  /** The set ID after the `cali40` header (`s:LrVD8vMIGQDyv8Y7sPFB1Ge`, `all-ipam-pools`). */
  id: string;
  description: string;
  /** `felix-2` for `cali4-…` names, `nftables` for `cali40s-…` names. */
  style: 'iptables' | 'felix-2' | 'nftables';
}

/**
 * Decodes a Calico set name; undefined when it is not one. `cali40s:…` → selector set (IPv4);
 * `cali4-all-ipam-pools` → Felix 2.x; `cali40s-…` (nftables) → selector set.
 */
export function classifyCalicoIpset(name: string): CalicoIpsetName | undefined {
  const m = /^cali([46])([0t-])(.+)$/.exec(name);
  if (!m) return undefined;
  const family = m[1] === '4' ? 4 : 6;
  if (m[2] === 't') return { kind: 'temporary', family, id: m[3]!, description: 'felix temporary set (swapped in for an update)', style: 'iptables' };
  let id = m[3]!;
  let style: CalicoIpsetName['style'] = m[2] === '-' ? 'felix-2' : 'iptables';
  const nft = /^(s|n|svc|svcnoport)-(.+)$/.exec(id);
  if (nft && !id.includes(':') && style === 'iptables') {
    id = `${nft[1]}:${nft[2]}`;
    style = 'nftables';
  }
  for (const entry of CALICO_IPSET_IDS) {
    if (entry.prefix ? id.startsWith(entry.id) : id === entry.id) {
      return { kind: entry.kind, family, id, description: entry.description, style };
    }
  }
  return { kind: 'other', family, id, description: 'Calico set', style };
}

/** A set member with the pod it belongs to, when known. */
export interface ResolvedMember {
  /** As listed: `10.88.0.27`, `10.88.0.0/16`, `10.88.0.27,tcp:80`. */
  text: string;
  /** `default/backend-867fd6dff-mjf92` for a member that is (or contains only) a known pod's IP. */
  pod?: string;
  nomatch: boolean;
}

/** Members of a set, each with the pod whose IP it is (host members) when the pod list knows it. */
export function resolveIpsetMembers(set: IpSet, pods: readonly Pod[] = []): ResolvedMember[] {
  return set.members.map((member) => {
    const text = member.elements.join(',');
    const address = member.elements[0] ?? '';
    const cidr = parseCidr(address);
    const host = cidr !== undefined && cidr.prefixLength === (cidr.family === 4 ? 32 : 128);
    const pod = host ? pods.find((p) => p.ips.some((ip) => cidrContains(cidr, ip))) : undefined;
    return { text, ...(pod ? { pod: `${pod.namespace}/${pod.name}` } : {}), nomatch: member.nomatch };
  });
}

/** `{10.88.0.27 (default/backend-…), 10.88.1.5}`: a set's members for one line, at most `limit` shown. */
export function formatIpsetMembers(set: IpSet, pods: readonly Pod[] = [], limit = 5): string {
  const members = resolveIpsetMembers(set, pods);
  const shown = members.slice(0, limit).map((m) => `${m.nomatch ? 'not ' : ''}${m.text}${m.pod ? ` (${m.pod})` : ''}`);
  const more = members.length > limit ? `, … ${members.length - limit} more` : '';
  return `{${shown.join(', ')}${more}}`;
}
