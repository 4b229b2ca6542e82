/**
 * kube-proxy's and kubelet's chain names and marks as data (STYLE.md 4). Every entry cites where the name
 * comes from; `classifyChain` is the only place that maps a chain name to its meaning.
 *
 * Sources: /work/shared/reference/kube-proxy.md (§ numbers below), kubernetes/kubernetes
 * `pkg/proxy/iptables/proxier.go` (iptables mode), `pkg/proxy/ipvs/proxier.go` (IPVS mode),
 * `pkg/kubelet/kubelet_network_linux.go` (kubelet-owned chains), `pkg/util/iptables/iptables.go` (canaries).
 */

/** What a kube-proxy/kubelet chain is for. */
export type KubeChainKind =
  /** nat: dispatch by destination VIP:port; filter: REJECT/DROP for services without (local) endpoints. */
  | 'services'
  /** Per service port: balances over all (Cluster) endpoints. */
  | 'service'
  /** Per service port: balances over node-local endpoints (1.24+). */
  | 'service-local'
  /** Per service port: external traffic (NodePort, externalIP, LB IP) policy chain (1.24+). */
  | 'external'
  /** Per service port: loadBalancerSourceRanges (1.24+) or every LB IP (≤1.23). */
  | 'load-balancer-firewall'
  /** Per service port: externalTrafficPolicy=Local chain of ≤1.23. */
  | 'external-local'
  /** Per endpoint: hairpin masquerade + DNAT. */
  | 'endpoint'
  | 'nodeports'
  | 'mark-masquerade'
  | 'mark-drop'
  | 'postrouting'
  | 'forward'
  | 'external-services'
  | 'proxy-firewall'
  | 'firewall'
  | 'canary'
  | 'iptables-hint'
  | 'ipvs-node-port'
  | 'ipvs-load-balancer'
  | 'ipvs-filter'
  | 'ipvs-out-filter'
  | 'source-ranges-firewall';

/** One well-known name or prefix. */
export interface KubeChainName {
  /** Exact chain name, or the prefix when `prefix` is true. */
  name: string;
  prefix: boolean;
  kind: KubeChainKind;
  description: string;
  /** Where the name is defined. */
  source: string;
}

/** nat/filter KUBE-SERVICES: the entry point kube-proxy hooks into PREROUTING/OUTPUT (kube-proxy.md §3.1). */
export const KUBE_SERVICES = 'KUBE-SERVICES';
/** Per service port, Cluster endpoints: `servicePortChainName` in proxier.go (kube-proxy.md §2). */
export const KUBE_SVC_PREFIX = 'KUBE-SVC-';
/** Per service port, Local endpoints (1.24+, #109060): `servicePortPolicyLocalChainName` (kube-proxy.md §4). */
export const KUBE_SVL_PREFIX = 'KUBE-SVL-';
/** Per service port, external traffic (1.24+): `externalTrafficChainName` (kube-proxy.md §3.3). */
export const KUBE_EXT_PREFIX = 'KUBE-EXT-';
/** Per service port, LB firewall: `serviceFirewallChainName` (kube-proxy.md §3.5, §4). */
export const KUBE_FW_PREFIX = 'KUBE-FW-';
/** Per service port, externalTrafficPolicy=Local in ≤1.23: `serviceLBChainName` (kube-proxy.md §4). */
export const KUBE_XLB_PREFIX = 'KUBE-XLB-';
/** Per endpoint: `servicePortEndpointChainName` (kube-proxy.md §2). */
export const KUBE_SEP_PREFIX = 'KUBE-SEP-';
/** nat: NodePort dispatch; filter: health-check node ports (kube-proxy.md §3.1, §3.3). */
export const KUBE_NODEPORTS = 'KUBE-NODEPORTS';
/** Sets the masquerade mark (kube-proxy.md §3.2). */
export const KUBE_MARK_MASQ = 'KUBE-MARK-MASQ';
/** kubelet's drop mark chain, ≤1.26 (kube-proxy.md §4 "kubelet-owned rules"). */
export const KUBE_MARK_DROP = 'KUBE-MARK-DROP';
/** nat POSTROUTING → masquerade packets carrying the mark (kube-proxy.md §3.2). */
export const KUBE_POSTROUTING = 'KUBE-POSTROUTING';
/** filter FORWARD: accept marked and established service traffic (kube-proxy.md §3.2). */
export const KUBE_FORWARD = 'KUBE-FORWARD';
/** filter: no-endpoint REJECT / no-local-endpoint DROP for external destinations (kube-proxy.md §3.4). */
export const KUBE_EXTERNAL_SERVICES = 'KUBE-EXTERNAL-SERVICES';
/** filter: loadBalancerSourceRanges drops, 1.25+ (#110289, kube-proxy.md §3.5, §4). */
export const KUBE_PROXY_FIREWALL = 'KUBE-PROXY-FIREWALL';
/** filter: kubelet's 0x8000 drop (≤1.26) and the localnet rule (kube-proxy.md §3.2, §4). */
export const KUBE_FIREWALL = 'KUBE-FIREWALL';
/** Empty chain kube-proxy watches to detect a flush (`pkg/util/iptables` Monitor, kube-proxy.md §3.1). */
export const KUBE_PROXY_CANARY = 'KUBE-PROXY-CANARY';
/** kubelet's canary, until IPTablesOwnershipCleanup (kube-proxy.md §4). */
export const KUBE_KUBELET_CANARY = 'KUBE-KUBELET-CANARY';
/** mangle: tells containerised iptables which backend the host uses, kubelet 1.24+ (#109059, kube-proxy.md §4). */
export const KUBE_IPTABLES_HINT = 'KUBE-IPTABLES-HINT';
/** IPVS mode nat/filter: NodePort handling via ipsets (kube-proxy.md §5). */
export const KUBE_NODE_PORT = 'KUBE-NODE-PORT';
/** IPVS mode nat: LB IP handling via ipsets (kube-proxy.md §5). */
export const KUBE_LOAD_BALANCER = 'KUBE-LOAD-BALANCER';
/** IPVS mode filter: blocks other ports on VIPs (#72236, kube-proxy.md §5). */
export const KUBE_IPVS_FILTER = 'KUBE-IPVS-FILTER';
/** IPVS mode filter OUTPUT counterpart (#119656, kube-proxy.md §5). */
export const KUBE_IPVS_OUT_FILTER = 'KUBE-IPVS-OUT-FILTER';
/** IPVS mode filter: loadBalancerSourceRanges (kube-proxy.md §5). */
export const KUBE_SOURCE_RANGES_FIREWALL = 'KUBE-SOURCE-RANGES-FIREWALL';

/** `masqueradeBit` default 14 (`pkg/proxy/apis/config/v1alpha1/defaults.go`, kube-proxy.md §2). */
export const MASQUERADE_MARK = 0x4000;
/** kubelet's drop mark, bit 15 (kube-proxy.md §2, §4). */
export const DROP_MARK = 0x8000;

/** The registry. Exact names are looked up first, then prefixes (longest first). */
export const KUBE_CHAIN_NAMES: readonly KubeChainName[] = [
  { name: KUBE_SERVICES, prefix: false, kind: 'services', description: 'kube-proxy service dispatch (nat: VIP:port → service chain; filter: REJECT/DROP for services without endpoints)', source: 'proxier.go kubeServicesChain' },
  { name: KUBE_SVC_PREFIX, prefix: true, kind: 'service', description: 'service port chain: balances over all endpoints', source: 'proxier.go servicePortChainName' },
  { name: KUBE_SVL_PREFIX, prefix: true, kind: 'service-local', description: 'service port chain for node-local endpoints only (traffic policy Local)', source: 'proxier.go servicePortPolicyLocalChainName' },
  { name: KUBE_EXT_PREFIX, prefix: true, kind: 'external', description: 'external traffic chain (NodePort, external IP, load balancer IP)', source: 'proxier.go externalTrafficChainName' },
  { name: KUBE_FW_PREFIX, prefix: true, kind: 'load-balancer-firewall', description: 'load balancer IP chain (loadBalancerSourceRanges)', source: 'proxier.go serviceFirewallChainName' },
  { name: KUBE_XLB_PREFIX, prefix: true, kind: 'external-local', description: 'externalTrafficPolicy=Local chain (kube-proxy ≤1.23)', source: 'proxier.go serviceLBChainName (≤1.23)' },
  { name: KUBE_SEP_PREFIX, prefix: true, kind: 'endpoint', description: 'service endpoint chain: DNAT to one pod', source: 'proxier.go servicePortEndpointChainName' },
  { name: KUBE_NODEPORTS, prefix: false, kind: 'nodeports', description: 'NodePort dispatch (nat) / health check node ports (filter)', source: 'proxier.go kubeNodePortsChain' },
  { name: KUBE_MARK_MASQ, prefix: false, kind: 'mark-masquerade', description: 'mark for masquerade (0x4000)', source: 'proxier.go kubeMarkMasqChain' },
  { name: KUBE_MARK_DROP, prefix: false, kind: 'mark-drop', description: 'mark for drop (0x8000, dropped by KUBE-FIREWALL)', source: 'kubelet_network_linux.go KubeMarkDropChain' },
  { name: KUBE_POSTROUTING, prefix: false, kind: 'postrouting', description: 'masquerade packets carrying the 0x4000 mark', source: 'proxier.go kubePostroutingChain' },
  { name: KUBE_FORWARD, prefix: false, kind: 'forward', description: 'accept forwarded service traffic (marked or established)', source: 'proxier.go kubeForwardChain' },
  { name: KUBE_EXTERNAL_SERVICES, prefix: false, kind: 'external-services', description: 'REJECT/DROP for external destinations of services without (local) endpoints', source: 'proxier.go kubeExternalServicesChain' },
  { name: KUBE_PROXY_FIREWALL, prefix: false, kind: 'proxy-firewall', description: 'load balancer source-range firewall (drops traffic KUBE-FW did not DNAT)', source: 'proxier.go kubeProxyFirewallChain' },
  { name: KUBE_FIREWALL, prefix: false, kind: 'firewall', description: 'drops 0x8000-marked packets and non-loopback connections to 127.0.0.0/8', source: 'kubelet_network_linux.go / proxier.go kubeletFirewallChain' },
  { name: KUBE_PROXY_CANARY, prefix: false, kind: 'canary', description: "kube-proxy's empty canary chain (flush detection)", source: 'pkg/util/iptables Monitor' },
  { name: KUBE_KUBELET_CANARY, prefix: false, kind: 'canary', description: "kubelet's empty canary chain (flush detection)", source: 'kubelet_network_linux.go' },
  { name: KUBE_IPTABLES_HINT, prefix: false, kind: 'iptables-hint', description: 'empty hint chain telling containers which iptables backend the host uses', source: 'kubelet_network_linux.go (#109059)' },
  { name: KUBE_NODE_PORT, prefix: false, kind: 'ipvs-node-port', description: 'IPVS mode NodePort handling (ipset-based)', source: 'ipvs/proxier.go kubeNodePortChain' },
  { name: KUBE_LOAD_BALANCER, prefix: false, kind: 'ipvs-load-balancer', description: 'IPVS mode load balancer IP handling (ipset-based)', source: 'ipvs/proxier.go kubeLoadBalancerChain' },
  { name: KUBE_IPVS_FILTER, prefix: false, kind: 'ipvs-filter', description: 'IPVS mode: reject other ports on service VIPs', source: 'ipvs/proxier.go kubeIPVSFilterChain' },
  { name: KUBE_IPVS_OUT_FILTER, prefix: false, kind: 'ipvs-out-filter', description: 'IPVS mode: OUTPUT access filter for service VIPs', source: 'ipvs/proxier.go kubeIPVSOutFilterChain' },
  { name: KUBE_SOURCE_RANGES_FIREWALL, prefix: false, kind: 'source-ranges-firewall', description: 'IPVS mode load balancer source-range firewall', source: 'ipvs/proxier.go kubeSourceRangesFirewallChain' },
];

/** Kinds of the per-service-port chains that share one hash (kube-proxy.md §2). */
export const SERVICE_PORT_CHAIN_KINDS: readonly KubeChainKind[] = ['service', 'service-local', 'external', 'load-balancer-firewall', 'external-local'];

/** Per-service-port chain prefixes, in the order a lookup by hash tries them. */
export const SERVICE_PORT_PREFIXES = [KUBE_SVC_PREFIX, KUBE_SVL_PREFIX, KUBE_EXT_PREFIX, KUBE_FW_PREFIX, KUBE_XLB_PREFIX] as const;
export type ServicePortPrefix = (typeof SERVICE_PORT_PREFIXES)[number];

/** A chain name classified. */
export interface ChainClass {
  kind: KubeChainKind;
  /** The 16-character hash of per-service-port and endpoint chains. */
  hash?: string;
  /** The registry prefix or name that matched. */
  registered: string;
  description: string;
}

/** kube-proxy's hash: 16 characters of the RFC 4648 base32 alphabet (kube-proxy.md §2). */
const HASH = /^[A-Z2-7]{16}$/;

const EXACT = new Map(KUBE_CHAIN_NAMES.filter((e) => !e.prefix).map((e) => [e.name, e]));
const PREFIXES = KUBE_CHAIN_NAMES.filter((e) => e.prefix).sort((a, b) => b.name.length - a.name.length);

/**
 * Classifies a chain name; undefined when it is not a kube-proxy/kubelet chain. A prefixed name whose
 * suffix is not a 16-character base32 hash is still classified (hand-written or future chains) but
 * carries no `hash`.
 */
export function classifyChain(name: string): ChainClass | undefined {
  const exact = EXACT.get(name);
  if (exact) return { kind: exact.kind, registered: exact.name, description: exact.description };
  for (const entry of PREFIXES) {
    if (!name.startsWith(entry.name)) continue;
    const rest = name.slice(entry.name.length);
    return {
      kind: entry.kind,
      registered: entry.name,
      description: entry.description,
      ...(HASH.test(rest) ? { hash: rest } : {}),
    };
  }
  return undefined;
}

/** True for KUBE-SVC-/SVL-/EXT-/FW-/XLB- chains. */
export function isServicePortChain(name: string): boolean {
  const c = classifyChain(name);
  return c !== undefined && SERVICE_PORT_CHAIN_KINDS.includes(c.kind);
}
