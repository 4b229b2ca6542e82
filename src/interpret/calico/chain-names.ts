/**
 * Calico felix's chain names as data (STYLE.md 4): every exact name and prefix felix writes into
 * iptables, with what it is for. `classifyCalicoChain` is the only place mapping a chain name to its meaning.
 *
 * Sources: /work/shared/reference/calico.md §2 (felix `felix/rules/rule_defs.go` prefixes, `dispatch.go`
 * sub-dispatch naming, `felix/hashutils/id.go` GetLengthLimitedID), §4 (rendering order).
 */
import { createHash } from 'node:crypto';

/** What a felix chain is for. */
export type CalicoChainKind =
  /** Top-level chains the kernel chains jump to (cali-FORWARD, cali-INPUT …). */
  | 'top-level'
  /** cali-from-wl-dispatch[-x]: input interface → the pod's from-workload chain. */
  | 'from-workload-dispatch'
  /** cali-to-wl-dispatch[-x]: output interface → the pod's to-workload chain. */
  | 'to-workload-dispatch'
  /** cali-fw-<iface>: pod egress. */
  | 'from-workload'
  /** cali-tw-<iface>: pod ingress. */
  | 'to-workload'
  | 'policy-inbound'
  | 'policy-outbound'
  | 'profile-inbound'
  | 'profile-outbound'
  | 'policy-group-inbound'
  | 'policy-group-outbound'
  | 'from-host-endpoint'
  | 'to-host-endpoint'
  | 'from-host-endpoint-forward'
  | 'to-host-endpoint-forward'
  | 'host-endpoint-dispatch'
  | 'set-endpoint-mark'
  | 'endpoint-mark'
  | 'workload-to-host'
  | 'failsafe'
  | 'cidr-block'
  | 'nat-outgoing'
  | 'floating-ip'
  | 'wireguard'
  | 'rpf'
  | 'other'
  /** Felix 1.x names (califw-, calipi-, felix-*): felix still deletes them on start. */
  | 'legacy';

/** One well-known felix name or prefix. */
export interface CalicoChainName {
  /** Exact name, or the prefix when `prefix` is true. */
  name: string;
  prefix: boolean;
  kind: CalicoChainKind;
  /** What the suffix after a prefix is: an interface, a policy ID, a profile name, a group ID or a dispatch character. */
  suffix?: 'interface' | 'policy' | 'profile' | 'group' | 'dispatch-char';
  description: string;
}

/** Prefix of pod ingress chains (`WorkloadToEndpointPfx`, rule_defs.go). */
export const CALI_TW_PREFIX = 'cali-tw-';
/** Prefix of pod egress chains (`WorkloadFromEndpointPfx`). */
export const CALI_FW_PREFIX = 'cali-fw-';
/** Inbound policy chain (`PolicyInboundPfx`). */
export const CALI_PI_PREFIX = 'cali-pi-';
/** Outbound policy chain (`PolicyOutboundPfx`). */
export const CALI_PO_PREFIX = 'cali-po-';
/** Inbound profile chain (`ProfileInboundPfx`). */
export const CALI_PRI_PREFIX = 'cali-pri-';
/** Outbound profile chain (`ProfileOutboundPfx`). */
export const CALI_PRO_PREFIX = 'cali-pro-';
/** Policy group chains, 3.28+ (calico.md §4.4). */
export const CALI_GI_PREFIX = 'cali-gi-';
export const CALI_GO_PREFIX = 'cali-go-';
/** Dispatch roots; sub-chains append `-<next char>` (dispatch.go buildSingleDispatchChains). */
export const CALI_FROM_WL_DISPATCH = 'cali-from-wl-dispatch';
export const CALI_TO_WL_DISPATCH = 'cali-to-wl-dispatch';
/** Workload → host traffic, reached by `cali-INPUT -i cali+ -g` (static.go). */
export const CALI_WL_TO_HOST = 'cali-wl-to-host';
/** felix's iptables chain-name limit (`MaxChainNameLength`, calico.md §2.2). */
export const MAX_CHAIN_NAME_LENGTH = 28;

/** The registry. Exact names are looked up first, then prefixes, longest first. */
export const CALICO_CHAIN_NAMES: readonly CalicoChainName[] = [
  { name: 'cali-PREROUTING', prefix: false, kind: 'top-level', description: 'Calico PREROUTING chain (raw: marks workload traffic and runs untracked host policy; mangle: pre-DNAT host policy; nat: floating-IP DNAT)' },
  { name: 'cali-INPUT', prefix: false, kind: 'top-level', description: 'Calico INPUT chain: workload → host traffic and host endpoint ingress policy' },
  { name: 'cali-FORWARD', prefix: false, kind: 'top-level', description: 'Calico FORWARD chain: dispatches forwarded traffic to the pods\' from/to-workload chains' },
  { name: 'cali-OUTPUT', prefix: false, kind: 'top-level', description: 'Calico OUTPUT chain: host endpoint egress policy (traffic to local pods returns early)' },
  { name: 'cali-POSTROUTING', prefix: false, kind: 'top-level', description: 'Calico POSTROUTING chain (nat: floating-IP SNAT and natOutgoing; mangle: host policy for DNATed host traffic)' },
  { name: CALI_FROM_WL_DISPATCH, prefix: false, kind: 'from-workload-dispatch', description: 'dispatch by input interface to the sending pod\'s from-workload chain' },
  { name: `${CALI_FROM_WL_DISPATCH}-`, prefix: true, kind: 'from-workload-dispatch', suffix: 'dispatch-char', description: 'from-workload dispatch sub-chain for interfaces sharing a next character' },
  { name: CALI_TO_WL_DISPATCH, prefix: false, kind: 'to-workload-dispatch', description: 'dispatch by output interface to the receiving pod\'s to-workload chain' },
  { name: `${CALI_TO_WL_DISPATCH}-`, prefix: true, kind: 'to-workload-dispatch', suffix: 'dispatch-char', description: 'to-workload dispatch sub-chain for interfaces sharing a next character' },
  { name: CALI_FW_PREFIX, prefix: true, kind: 'from-workload', suffix: 'interface', description: 'from-workload chain: the pod\'s egress policy and profiles' },
  { name: CALI_TW_PREFIX, prefix: true, kind: 'to-workload', suffix: 'interface', description: 'to-workload chain: the pod\'s ingress policy and profiles' },
  { name: CALI_PI_PREFIX, prefix: true, kind: 'policy-inbound', suffix: 'policy', description: 'ingress rules of one Calico policy' },
  { name: CALI_PO_PREFIX, prefix: true, kind: 'policy-outbound', suffix: 'policy', description: 'egress rules of one Calico policy' },
  { name: CALI_PRI_PREFIX, prefix: true, kind: 'profile-inbound', suffix: 'profile', description: 'ingress rules of one profile (kns.<namespace>, ksa.<namespace>.<serviceaccount>)' },
  { name: CALI_PRO_PREFIX, prefix: true, kind: 'profile-outbound', suffix: 'profile', description: 'egress rules of one profile' },
  { name: CALI_GI_PREFIX, prefix: true, kind: 'policy-group-inbound', suffix: 'group', description: 'ingress policy group: policies sharing one selector (Calico 3.28+)' },
  { name: CALI_GO_PREFIX, prefix: true, kind: 'policy-group-outbound', suffix: 'group', description: 'egress policy group: policies sharing one selector (Calico 3.28+)' },
  { name: 'cali-th-', prefix: true, kind: 'to-host-endpoint', suffix: 'interface', description: 'to-host-endpoint chain: egress policy of a host interface' },
  { name: 'cali-fh-', prefix: true, kind: 'from-host-endpoint', suffix: 'interface', description: 'from-host-endpoint chain: ingress policy of a host interface' },
  { name: 'cali-thfw-', prefix: true, kind: 'to-host-endpoint-forward', suffix: 'interface', description: 'host endpoint forward chain (applyOnForward policy, egress)' },
  { name: 'cali-fhfw-', prefix: true, kind: 'from-host-endpoint-forward', suffix: 'interface', description: 'host endpoint forward chain (applyOnForward policy, ingress)' },
  { name: 'cali-sm-', prefix: true, kind: 'set-endpoint-mark', suffix: 'interface', description: 'sets the endpoint mark of one interface (IPVS support)' },
  { name: 'cali-from-host-endpoint', prefix: false, kind: 'host-endpoint-dispatch', description: 'host endpoint dispatch, from-host direction (empty without host endpoints)' },
  { name: 'cali-to-host-endpoint', prefix: false, kind: 'host-endpoint-dispatch', description: 'host endpoint dispatch, to-host direction (empty without host endpoints)' },
  { name: 'cali-from-hep-forward', prefix: false, kind: 'host-endpoint-dispatch', description: 'host endpoint dispatch for forwarded traffic, ingress (empty without host endpoints)' },
  { name: 'cali-to-hep-forward', prefix: false, kind: 'host-endpoint-dispatch', description: 'host endpoint dispatch for forwarded traffic, egress (empty without host endpoints)' },
  { name: 'cali-set-endpoint-mark', prefix: false, kind: 'endpoint-mark', description: 'IPVS: records the input interface as an endpoint mark' },
  { name: 'cali-from-endpoint-mark', prefix: false, kind: 'endpoint-mark', description: 'IPVS: dispatch by endpoint mark to the from-endpoint chain' },
  { name: 'cali-forward-endpoint-mark', prefix: false, kind: 'endpoint-mark', description: 'IPVS: policy for traffic carrying an endpoint mark' },
  { name: 'cali-forward-check', prefix: false, kind: 'endpoint-mark', description: 'IPVS: tells forwarded from local traffic' },
  { name: CALI_WL_TO_HOST, prefix: false, kind: 'workload-to-host', description: 'pod → this node: the pod\'s egress chain, then DefaultEndpointToHostAction' },
  { name: 'cali-failsafe-in', prefix: false, kind: 'failsafe', description: 'failsafe inbound ports (always allowed to host endpoints)' },
  { name: 'cali-failsafe-out', prefix: false, kind: 'failsafe', description: 'failsafe outbound ports (always allowed from host endpoints)' },
  { name: 'cali-cidr-block', prefix: false, kind: 'cidr-block', description: 'blocks traffic to configured CIDRs (usually empty)' },
  { name: 'cali-nat-outgoing', prefix: false, kind: 'nat-outgoing', description: 'natOutgoing: masquerades pod traffic leaving the IP pools' },
  { name: 'cali-fip-dnat', prefix: false, kind: 'floating-ip', description: 'floating IP DNAT' },
  { name: 'cali-fip-snat', prefix: false, kind: 'floating-ip', description: 'floating IP SNAT' },
  { name: 'cali-wireguard-incoming-mark', prefix: false, kind: 'wireguard', description: 'marks incoming WireGuard traffic' },
  { name: 'cali-rpf-skip', prefix: false, kind: 'rpf', description: 'reverse-path-filter exceptions' },
  { name: 'cali-untracked-flows', prefix: false, kind: 'other', description: 'untracked (raw-table) policy flows' },
  { name: 'cali-untracked-policy', prefix: false, kind: 'other', description: 'untracked (raw-table) policy' },
  { name: 'cali-egress-', prefix: true, kind: 'other', description: 'egress gateway support' },
  { name: 'cali-qos-', prefix: true, kind: 'other', description: 'QoS / DSCP rules (pod QoS annotations)' },
  { name: 'califw-', prefix: true, kind: 'legacy', suffix: 'interface', description: 'Felix 1.x from-workload chain' },
  { name: 'calitw-', prefix: true, kind: 'legacy', suffix: 'interface', description: 'Felix 1.x to-workload chain' },
  { name: 'califh-', prefix: true, kind: 'legacy', suffix: 'interface', description: 'Felix 1.x from-host-endpoint chain' },
  { name: 'calith-', prefix: true, kind: 'legacy', suffix: 'interface', description: 'Felix 1.x to-host-endpoint chain' },
  { name: 'calipi-', prefix: true, kind: 'legacy', suffix: 'policy', description: 'Felix 1.x inbound policy chain' },
  { name: 'calipo-', prefix: true, kind: 'legacy', suffix: 'policy', description: 'Felix 1.x outbound policy chain' },
  { name: 'felix-', prefix: true, kind: 'legacy', description: 'Felix 1.x chain' },
];

/** A chain name classified. */
export interface CalicoChainClass {
  kind: CalicoChainKind;
  /** The registry name or prefix that matched. */
  registered: string;
  description: string;
  /** The workload/host interface for per-interface chains (`cali95aa86cbb2a`). */
  interface?: string;
  /**
   * The policy ID when the chain name carries it unhashed (`cali-pi-allow-icmp`, nftables-mode readable
   * names). Hashed names (`cali-pi-_tTE-E7yY40ogArNVgKt`) carry no name: see `hashed`.
   */
  policyName?: string;
  /** The profile name when unhashed (`kns.default`, `ksa.default.default`). */
  profileName?: string;
  /** The group ID of cali-gi-/cali-go- chains, or the dispatch character of a sub-dispatch chain. */
  id?: string;
  /**
   * True when the suffix is felix's length-limited hash (`_` + 19/18 base64url characters): the real
   * name is only in the chain's first-rule comment (Calico ~3.2x+) or recomputable from candidate names.
   */
  hashed?: boolean;
}

const EXACT = new Map(CALICO_CHAIN_NAMES.filter((e) => !e.prefix).map((e) => [e.name, e]));
const PREFIXES = CALICO_CHAIN_NAMES.filter((e) => e.prefix).sort((a, b) => b.name.length - a.name.length);

/**
 * Classifies a chain name; undefined when felix does not write it. nftables-mode names carry the table
 * as a prefix (`filter-cali-tw-…`, calico.md §9): that prefix is stripped first.
 */
export function classifyCalicoChain(name: string): CalicoChainClass | undefined {
  const bare = name.replace(/^(?:filter|nat|mangle|raw)-(?=cali)/, '');
  const exact = EXACT.get(bare);
  if (exact) return { kind: exact.kind, registered: exact.name, description: exact.description };
  for (const entry of PREFIXES) {
    if (!bare.startsWith(entry.name)) continue;
    const rest = bare.slice(entry.name.length);
    if (rest === '') continue;
    const out: CalicoChainClass = { kind: entry.kind, registered: entry.name, description: entry.description };
    const hashed = isLengthLimitedHash(entry.name, rest);
    switch (entry.suffix) {
      case 'interface':
        out.interface = rest;
        break;
      case 'policy':
        if (hashed) out.hashed = true;
        else out.policyName = rest;
        break;
      case 'profile':
        if (hashed) out.hashed = true;
        else out.profileName = rest;
        break;
      case 'group':
      case 'dispatch-char':
        out.id = rest;
        break;
    }
    return out;
  }
  return undefined;
}

/** True for felix's hashed suffix: `_` + base64url filling the name up to 28 characters (calico.md §2.2). */
function isLengthLimitedHash(prefix: string, rest: string): boolean {
  return rest.startsWith('_') && prefix.length + rest.length === MAX_CHAIN_NAME_LENGTH && /^_[A-Za-z0-9_-]+$/.test(rest);
}

/**
 * felix's `GetLengthLimitedID(prefix, suffix, 28)` (felix/hashutils/id.go, calico.md §2.2): the suffix
 * as is when it fits, else `_` + base64url(sha256(suffix)) cut to fill 28 characters. Verified against
 * the seeds: `cali-pi-` + `default/knp.default.allow-db-access` → `cali-pi-_tTE-E7yY40ogArNVgKt`.
 */
export function lengthLimitedChainName(prefix: string, suffix: string): string {
  const total = prefix.length + suffix.length;
  if (total < MAX_CHAIN_NAME_LENGTH || (total === MAX_CHAIN_NAME_LENGTH && !suffix.startsWith('_'))) return prefix + suffix;
  const hash = createHash('sha256').update(suffix, 'utf8').digest('base64url');
  return `${prefix}_${hash.slice(0, MAX_CHAIN_NAME_LENGTH - 1 - prefix.length)}`;
}

/** A policy as the user knows it, to match against hashed chain names. */
export interface KnownPolicy {
  /** Namespace; undefined for global policies. */
  namespace?: string;
  /** Calico name (`knp.default.allow-db-access`, `security.quarantine`) or Kubernetes name (`allow-db-access`). */
  name: string;
  /** Tier (3.29–3.31 IDs); default `default`. */
  tier?: string;
  /** Kind short name for 3.32+ IDs (`knp`, `np`, `gnp` …); default `knp` for a name without a Calico prefix, else `np`/`gnp`. */
  kind?: string;
}

/** A policy ID felix may have hashed into a chain name, with the policy name that era shows. */
export interface PolicyIdCandidate {
  /** The suffix fed to GetLengthLimitedID: `default/knp.default.allow-db-access`, `default/shop/knp.default.x`, `knp/shop/x`. */
  id: string;
  /** The policy as Calico names it in that era: `default/knp.default.allow-db-access`, `knp/shop/x` → `shop/x`. */
  name: string;
}

/**
 * Every chain-name suffix (policy ID) felix may have used for a policy, per era (calico.md §2.3):
 * ≤3.28 `<ns>/<name>` (KNP name `knp.default.<name>`), 3.29–3.31 `<tier>/<ns>/<name>`, 3.32+
 * `<kind>/<ns>/<name>` (KNP names unprefixed).
 */
export function listPolicyIdCandidates(policy: KnownPolicy): PolicyIdCandidate[] {
  const ns = policy.namespace;
  const tier = policy.tier ?? 'default';
  const knpName = policy.name.startsWith('knp.default.') ? policy.name : `knp.default.${policy.name}`;
  const plainName = policy.name.replace(/^knp\.default\./, '');
  const names = policy.name.includes('.') ? [policy.name] : [policy.name, knpName];
  const out = new Map<string, string>();
  const qualified = (n: string): string => (ns ? `${ns}/${n}` : n);
  for (const n of names) {
    out.set(qualified(n), qualified(n));
    out.set(`${tier}/${qualified(n)}`, qualified(n));
  }
  const kind = policy.kind ?? (policy.name.startsWith('knp.default.') || !policy.name.includes('.') ? 'knp' : ns ? 'np' : 'gnp');
  const modern = kind === 'knp' ? plainName : policy.name;
  out.set(`${kind}/${qualified(modern)}`, qualified(modern));
  return [...out].map(([id, name]) => ({ id, name }));
}

/**
 * Finds which known policy a (possibly hashed) cali-pi-/cali-po- chain belongs to, by recomputing the
 * chain name of every candidate ID. Returns the ID that produced it and the name that era uses.
 */
export function matchPolicyChain(chain: string, policies: readonly KnownPolicy[]): { policy: KnownPolicy; id: string; name: string } | undefined {
  const c = classifyCalicoChain(chain);
  if (!c || (c.kind !== 'policy-inbound' && c.kind !== 'policy-outbound')) return undefined;
  for (const policy of policies) {
    for (const candidate of listPolicyIdCandidates(policy)) {
      if (lengthLimitedChainName(c.registered, candidate.id) === chain) return { policy, ...candidate };
    }
  }
  return undefined;
}
