import { formatAddress, parseCidr, type Cidr } from '../../model/address.js';
import type { Rule } from '../../model/rule.js';
import { getChain, type Ruleset } from '../../model/ruleset.js';
import { listDestinationCandidates, listRulesMentioning } from '../../parse/rule-prefilter.js';
import {
  classifyChain,
  KUBE_EXT_PREFIX,
  KUBE_EXTERNAL_SERVICES,
  KUBE_FW_PREFIX,
  KUBE_IPVS_FILTER,
  KUBE_LOAD_BALANCER,
  KUBE_MARK_DROP,
  KUBE_MARK_MASQ,
  KUBE_NODE_PORT,
  KUBE_NODEPORTS,
  KUBE_PROXY_FIREWALL,
  KUBE_SEP_PREFIX,
  KUBE_SERVICES,
  KUBE_SVC_PREFIX,
  KUBE_SVL_PREFIX,
  KUBE_XLB_PREFIX,
} from './chain-names.js';
import { getKubeComment, getRuleComment, type KubeComment } from './comments.js';
import { endpointChainHash, servicePortChainHash } from './hash.js';
import {
  getDestinationPort,
  getDnatDestination,
  getHostDestination,
  getMatchSet,
  getProtocol,
  getRandomProbability,
  getTargetChain,
  usesRecent,
} from './rule-facts.js';
import { parseServicePortName, type ServicePortName } from './service-port-name.js';
import type { CatalogServicePort, ServiceCatalog, TrafficPolicy } from './services.js';

/** An address:port a service port is reached at, with the rule that says so. */
export interface ServiceAddress {
  address?: string;
  port?: number;
  protocol?: string;
  rule: Rule;
}

/** One KUBE-SEP- chain: the pod endpoint it DNATs to and its share in the balancing chain that lists it. */
export interface ServiceEndpoint {
  chain: string;
  address?: string;
  port?: number;
  /** `ip:port` / `[ip6]:port`. */
  text?: string;
  /** Share of new connections this endpoint gets in its SVC/SVL/XLB chain (product of statistic shares). */
  share?: number;
  /** The DNAT rule (absent when the SEP chain is not in the input and the endpoint came from a comment). */
  rule?: Rule;
}

/** The SVC/SVL/EXT/FW/XLB chains present for one hash. */
export interface ServicePortChains {
  svc?: string;
  svl?: string;
  ext?: string;
  fw?: string;
  xlb?: string;
}

/** Everything the rules say about one service port, in kube-proxy terms. */
export interface ServicePort {
  hash: string;
  /** Service port name as kube-proxy printed it (`ns/svc:port`, `ns/svc`, `ns/svc:`); undefined = unknown. */
  name?: string;
  parsedName?: ServicePortName;
  nameSource?: 'comment' | 'catalog';
  protocol?: string;
  chains: ServicePortChains;
  clusterIP?: ServiceAddress;
  nodePort?: ServiceAddress;
  externalIPs: ServiceAddress[];
  loadBalancerIPs: ServiceAddress[];
  /** Endpoints of the cluster-wide chain (KUBE-SVC), in balancing order. */
  endpoints: ServiceEndpoint[];
  /** Endpoints of the node-local chain (KUBE-SVL / KUBE-XLB); undefined when there is no local chain. */
  localEndpoints?: ServiceEndpoint[];
  /** Hints from the chain shapes (kube-proxy.md §3.3, §4); undefined when the rules do not tell. */
  externalTrafficPolicy?: TrafficPolicy;
  internalTrafficPolicy?: TrafficPolicy;
  /** `"X has no endpoints"` REJECT rules (filter). */
  noEndpoints: Rule[];
  /** `"X has no local endpoints"` rules: nat → KUBE-MARK-DROP (≤1.24) or filter DROP (1.25+). */
  noLocalEndpoints: Rule[];
  /** `loadBalancerSourceRanges` from KUBE-FW `-s` rules. */
  sourceRanges: string[];
  /** filter KUBE-PROXY-FIREWALL drops for this service (1.25+). */
  firewallDrops: Rule[];
  /** True when the SVC→SEP or SEP rules carry no comment (large cluster mode, kube-proxy.md §3.7). */
  commentsMissing: boolean;
  catalog?: CatalogServicePort;
  /** True when a Service list was given and no port in it hashes to this chain (stale chain or other cluster). */
  notInCatalog: boolean;
}

/** Which kube-proxy generation wrote the rules (kube-proxy.md §1, §4, §5). */
export type GenerationId = 'iptables-1.21-or-older' | 'iptables-1.22-1.23' | 'iptables-1.23-or-older' | 'iptables-1.24' | 'iptables-1.25-or-newer' | 'iptables' | 'ipvs' | 'unknown';

export interface GenerationGuess {
  id: GenerationId;
  label: string;
  /** What in the rules points to it. */
  evidence: string[];
}

/** What the generation guess may ask of nat KUBE-SERVICES without parsing all of it. */
interface NatServicesView {
  count: number;
  mentioning(needle: string, limit?: number): DispatchEntry[];
}

interface DispatchEntry {
  rule: Rule;
  address?: string;
  port?: number;
  protocol?: string;
  target?: string;
  comment?: KubeComment;
}

const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;

function readChain(ruleset: Ruleset, table: 'nat' | 'filter', name: string): readonly Rule[] {
  return getChain(ruleset, table, name)?.listRules() ?? [];
}

function toEntry(rule: Rule): DispatchEntry {
  const address = getHostDestination(rule);
  const port = getDestinationPort(rule);
  const protocol = getProtocol(rule);
  const target = getTargetChain(rule);
  const comment = getKubeComment(rule);
  return {
    rule,
    ...(address !== undefined ? { address } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(protocol !== undefined ? { protocol } : {}),
    ...(target !== undefined ? { target } : {}),
    ...(comment !== undefined ? { comment } : {}),
  };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Hash of a name read from a comment, with the protocol when known (tries tcp/udp/sctp otherwise). */
function hashesOf(name: string, protocol: string | undefined): string[] {
  return protocol ? [servicePortChainHash(name, protocol)] : PROTOCOLS.map((p) => servicePortChainHash(name, p));
}

/**
 * Lazy, per-query view of kube-proxy's rules. Building it parses nothing: each question reads only the
 * chains it needs (STYLE.md "index chains once, parse rules lazily"). The three dispatch chains (nat
 * KUBE-SERVICES, nat KUBE-NODEPORTS, and filter KUBE-SERVICES/KUBE-EXTERNAL-SERVICES/KUBE-PROXY-FIREWALL/
 * KUBE-NODEPORTS) are each indexed in one pass on first use.
 */
export class ServiceIndex {
  /** nat KUBE-SERVICES entries parsed so far, by 0-based rule index (the chain is read lazily, see NatServicesView). */
  private readonly natServiceEntries = new Map<number, DispatchEntry>();
  private readonly natServicesByAddressCache = new Map<string, DispatchEntry[]>();
  private readonly natServicesByTargetCache = new Map<string, DispatchEntry[]>();
  private natNodePorts?: { byPort: Map<number, DispatchEntry[]>; byTarget: Map<string, DispatchEntry[]> };
  private filterRules?: { byHash: Map<string, DispatchEntry[]>; byAddress: Map<string, DispatchEntry[]> };
  private readonly ports = new Map<string, ServicePort | undefined>();
  private readonly endpointOwner = new Map<string, string>();
  private readonly endpoints = new Map<string, ServiceEndpoint | undefined>();
  private generationGuess?: GenerationGuess;
  private cidrs?: Cidr[];

  constructor(
    readonly ruleset: Ruleset,
    readonly catalog?: ServiceCatalog,
  ) {}

  /** The generation of kube-proxy that wrote these rules, guessed once from chain names and shapes. */
  get generation(): GenerationGuess {
    this.generationGuess ??= guessGeneration(this.ruleset, this.natServicesView());
    return this.generationGuess;
  }

  /** Pod CIDRs from masquerade rules (see `clusterCidrs`). */
  get clusterCidrs(): Cidr[] {
    this.cidrs ??= clusterCidrs(this.ruleset);
    return this.cidrs;
  }

  /**
   * The service port a kube-proxy chain belongs to: KUBE-SVC/SVL/EXT/FW/XLB by hash, KUBE-SEP through
   * the SVC chain that listed it, its own comment, or the Service list. Undefined for other chains.
   */
  getServiceByChain(chain: string): ServicePort | undefined {
    const c = classifyChain(chain);
    if (!c?.hash) return undefined;
    if (c.kind === 'endpoint') return this.getEndpointOwner(chain, c.hash);
    if (c.kind === 'service' || c.kind === 'service-local' || c.kind === 'external' || c.kind === 'load-balancer-firewall' || c.kind === 'external-local') {
      return this.getServicePort(c.hash);
    }
    return undefined;
  }

  /** The service port by its name as kube-proxy prints it (`ns/svc:port`), with the protocol when known. */
  getServiceByName(name: string, protocol?: string): ServicePort | undefined {
    for (const hash of hashesOf(name, protocol)) {
      const port = this.getServicePort(hash);
      if (port) return port;
    }
    return undefined;
  }

  /**
   * Service ports whose cluster IP, external IP or LB IP is `address` (and `port`/`protocol` when given),
   * from nat KUBE-SERVICES and the filter no-endpoint rules. One map lookup after the first call.
   */
  listServicesByDestination(address: string, port?: number, protocol?: string): ServicePort[] {
    const out = new Map<string, ServicePort>();
    const wanted = (e: DispatchEntry): boolean =>
      (port === undefined || e.port === undefined || e.port === port) && (protocol === undefined || e.protocol === undefined || e.protocol === protocol.toLowerCase());
    const key = canonical(address);
    for (const entry of this.natServicesByAddress(key)) {
      if (!wanted(entry) || !entry.target) continue;
      const sp = this.getServiceByChain(entry.target);
      if (sp) out.set(sp.hash, sp);
    }
    for (const entry of this.getFilterRules().byAddress.get(key) ?? []) {
      if (!wanted(entry) || !entry.comment?.name) continue;
      const sp = this.getServiceByName(entry.comment.name, entry.protocol);
      if (sp) out.set(sp.hash, sp);
    }
    return [...out.values()];
  }

  /** The service port behind a NodePort, from nat KUBE-NODEPORTS (or the filter no-endpoint rules). */
  getServiceByNodePort(port: number, protocol?: string): ServicePort | undefined {
    for (const entry of this.getNatNodePorts().byPort.get(port) ?? []) {
      if (protocol !== undefined && entry.protocol !== undefined && entry.protocol !== protocol.toLowerCase()) continue;
      if (!entry.target) continue;
      const sp = this.getServiceByChain(entry.target);
      if (sp) return sp;
    }
    for (const entries of this.getFilterRules().byHash.values()) {
      for (const entry of entries) {
        if (entry.port === port && entry.address === undefined && entry.comment?.name && entry.rule.chain === KUBE_EXTERNAL_SERVICES) {
          if (protocol === undefined || entry.protocol === protocol.toLowerCase()) return this.getServiceByName(entry.comment.name, entry.protocol);
        }
      }
    }
    return undefined;
  }

  /** True when nat KUBE-SERVICES or a filter no-endpoint rule has `address` as a service destination. */
  isServiceAddress(address: string): boolean {
    const key = canonical(address);
    return this.natServicesByAddress(key).length > 0 || this.getFilterRules().byAddress.has(key);
  }

  /** True when `port` is a NodePort (nat KUBE-NODEPORTS, or a filter no-endpoint NodePort rule). */
  isNodePort(port: number, protocol?: string): boolean {
    return this.getServiceByNodePort(port, protocol) !== undefined;
  }

  /**
   * Endpoint addresses of the service ports at `destination` (`port`, `protocol`), or, without a destination,
   * of every service port looked up so far. Reading every KUBE-SEP chain of a 10k-service dump is what the
   * lazy index avoids, so it never does that.
   */
  endpointAddresses(destination?: string, port?: number, protocol?: string): string[] {
    let ports: (ServicePort | undefined)[];
    if (destination === undefined) ports = [...this.ports.values()];
    else {
      ports = this.listServicesByDestination(destination, port, protocol);
      // Only an address no service owns can be a node address reached on a NodePort; reading KUBE-NODEPORTS
      // (thousands of rules on big clusters) is not needed otherwise.
      if (ports.length === 0 && port !== undefined) ports = [this.getServiceByNodePort(port, protocol)];
    }
    const out = new Set<string>();
    for (const sp of ports) {
      for (const e of [...(sp?.endpoints ?? []), ...(sp?.localEndpoints ?? [])]) if (e.address) out.add(e.address);
    }
    return [...out];
  }

  /** What a KUBE-SEP- chain DNATs to (reads only that chain). */
  getEndpoint(chain: string): ServiceEndpoint | undefined {
    if (this.endpoints.has(chain)) return this.endpoints.get(chain);
    const rules = readChain(this.ruleset, 'nat', chain);
    let endpoint: ServiceEndpoint | undefined;
    for (const rule of rules) {
      const dnat = getDnatDestination(rule);
      if (!dnat) continue;
      endpoint = {
        chain,
        ...(dnat.address !== undefined ? { address: dnat.address } : {}),
        ...(dnat.port !== undefined ? { port: dnat.port } : {}),
        text: dnat.text,
        rule,
      };
      break;
    }
    this.endpoints.set(chain, endpoint);
    return endpoint;
  }

  /** The service port for a hash, assembled from the chains carrying it; cached. */
  getServicePort(hash: string): ServicePort | undefined {
    if (this.ports.has(hash)) return this.ports.get(hash);
    const sp = this.assemble(hash);
    this.ports.set(hash, sp);
    return sp;
  }

  private getEndpointOwner(chain: string, hash: string): ServicePort | undefined {
    const owner = this.endpointOwner.get(chain);
    if (owner) return this.getServicePort(owner);
    const endpoint = this.getEndpoint(chain);
    const rules = readChain(this.ruleset, 'nat', chain);
    const protocol = rules.map(getProtocol).find((p) => p !== undefined);
    const names = [...new Set(rules.map((r) => getKubeComment(r)?.name).filter((n): n is string => n !== undefined))];
    // The SEP hash covers name + protocol + endpoint: a match proves the name (kube-proxy.md §2). A name that
    // does not verify (hand-edited rules) is still used, after every verified candidate.
    const candidates: { name: string; protocol: string; verified: boolean }[] = [];
    for (const name of names) {
      for (const p of protocol ? [protocol] : PROTOCOLS) {
        candidates.push({ name, protocol: p, verified: endpoint?.text !== undefined && endpointChainHash(name, p, endpoint.text) === hash });
      }
    }
    candidates.sort((x, y) => Number(y.verified) - Number(x.verified));
    for (const c of candidates) {
      const sp = this.getServicePort(servicePortChainHash(c.name, c.protocol));
      if (sp) {
        this.endpointOwner.set(chain, sp.hash);
        return sp;
      }
    }
    if (this.catalog && endpoint?.text) {
      const match = this.catalog.getByEndpointHash(hash, endpoint.text, protocol);
      if (match) {
        const sp = this.getServicePort(servicePortChainHash(match.hashedName, match.port.protocol));
        if (sp) {
          this.endpointOwner.set(chain, sp.hash);
          return sp;
        }
      }
    }
    return undefined;
  }

  /**
   * nat KUBE-SERVICES is read lazily: it holds one rule per service port (10k+ on big clusters) and a query
   * needs a handful. Candidates come from the raw lines (src/parse/rule-prefilter.ts) and are then parsed
   * and checked exactly.
   */
  private natServiceEntry(index: number): DispatchEntry {
    let entry = this.natServiceEntries.get(index);
    if (!entry) {
      entry = toEntry(getChain(this.ruleset, 'nat', KUBE_SERVICES)!.getRule(index));
      this.natServiceEntries.set(index, entry);
    }
    return entry;
  }

  /** KUBE-SERVICES entries whose destination is `address` (canonical). */
  private natServicesByAddress(address: string): DispatchEntry[] {
    let list = this.natServicesByAddressCache.get(address);
    if (list) return list;
    const chain = getChain(this.ruleset, 'nat', KUBE_SERVICES);
    list = chain
      ? listDestinationCandidates(chain, address)
          .map((i) => this.natServiceEntry(i))
          .filter((e) => e.address !== undefined && canonical(e.address) === address)
      : [];
    this.natServicesByAddressCache.set(address, list);
    return list;
  }

  /** KUBE-SERVICES entries that jump to `target`. */
  private natServicesByTarget(target: string): DispatchEntry[] {
    let list = this.natServicesByTargetCache.get(target);
    if (list) return list;
    list = this.natServicesMentioning(target).filter((e) => e.target === target);
    this.natServicesByTargetCache.set(target, list);
    return list;
  }

  /**
   * nat KUBE-NODEPORTS entries that jump to `target`: only the rules whose raw text names it are parsed (the
   * chain has a rule per NodePort, ~1000 at 10k services), unless the whole chain was read already.
   */
  private natNodePortsByTarget(target: string): DispatchEntry[] {
    if (this.natNodePorts) return this.natNodePorts.byTarget.get(target) ?? [];
    const chain = getChain(this.ruleset, 'nat', KUBE_NODEPORTS);
    if (!chain) return [];
    return listRulesMentioning(chain, target)
      .map((i) => toEntry(chain.getRule(i)))
      .filter((e) => e.target === target);
  }

  /** Parsed KUBE-SERVICES entries whose raw text contains `needle`, at most `limit` of them, in chain order. */
  private natServicesMentioning(needle: string, limit = Infinity): DispatchEntry[] {
    const chain = getChain(this.ruleset, 'nat', KUBE_SERVICES);
    if (!chain) return [];
    return listRulesMentioning(chain, needle)
      .slice(0, limit)
      .map((i) => this.natServiceEntry(i));
  }

  private natServicesView(): NatServicesView {
    return {
      count: getChain(this.ruleset, 'nat', KUBE_SERVICES)?.ruleCount ?? 0,
      mentioning: (needle, limit) => this.natServicesMentioning(needle, limit),
    };
  }

  private getNatNodePorts(): NonNullable<ServiceIndex['natNodePorts']> {
    if (this.natNodePorts) return this.natNodePorts;
    const byPort = new Map<number, DispatchEntry[]>();
    const byTarget = new Map<string, DispatchEntry[]>();
    for (const rule of readChain(this.ruleset, 'nat', KUBE_NODEPORTS)) {
      const entry = toEntry(rule);
      if (entry.port !== undefined) push(byPort, entry.port, entry);
      if (entry.target !== undefined) push(byTarget, entry.target, entry);
    }
    this.natNodePorts = { byPort, byTarget };
    return this.natNodePorts;
  }

  /** filter-table rules that name a service in their comment, keyed by the hash that name gives. */
  private getFilterRules(): NonNullable<ServiceIndex['filterRules']> {
    if (this.filterRules) return this.filterRules;
    const byHash = new Map<string, DispatchEntry[]>();
    const byAddress = new Map<string, DispatchEntry[]>();
    for (const chain of [KUBE_SERVICES, KUBE_EXTERNAL_SERVICES, KUBE_PROXY_FIREWALL, KUBE_NODEPORTS]) {
      for (const rule of readChain(this.ruleset, 'filter', chain)) {
        const entry = toEntry(rule);
        if (entry.address !== undefined) push(byAddress, entry.address, entry);
        const name = entry.comment?.name;
        if (name) for (const h of hashesOf(name, entry.protocol)) push(byHash, h, entry);
      }
    }
    this.filterRules = { byHash, byAddress };
    return this.filterRules;
  }

  private assemble(hash: string): ServicePort | undefined {
    const natChains = this.ruleset.tables.get('nat')?.chains;
    const has = (prefix: string): string | undefined => (natChains?.has(prefix + hash) ? prefix + hash : undefined);
    const chains: ServicePortChains = {};
    const svc = has(KUBE_SVC_PREFIX), svl = has(KUBE_SVL_PREFIX), ext = has(KUBE_EXT_PREFIX), fw = has(KUBE_FW_PREFIX), xlb = has(KUBE_XLB_PREFIX);
    if (svc) chains.svc = svc;
    if (svl) chains.svl = svl;
    if (ext) chains.ext = ext;
    if (fw) chains.fw = fw;
    if (xlb) chains.xlb = xlb;
    const chainNames = [svc, svl, ext, fw, xlb].filter((c): c is string => c !== undefined);
    const filterEntries = this.getFilterRules().byHash.get(hash) ?? [];
    const catalogMatch = this.catalog?.getByHash(hash);
    if (chainNames.length === 0 && filterEntries.length === 0 && !catalogMatch) return undefined;

    const dispatch = chainNames.flatMap((c) => this.natServicesByTarget(c));
    const nodePortEntries = chainNames.flatMap((c) => this.natNodePortsByTarget(c));
    const chainRules = new Map(chainNames.map((c) => [c, readChain(this.ruleset, 'nat', c)] as const));

    const sp: ServicePort = {
      hash,
      chains,
      externalIPs: [],
      loadBalancerIPs: [],
      endpoints: [],
      noEndpoints: [],
      noLocalEndpoints: [],
      sourceRanges: [],
      firewallDrops: [],
      commentsMissing: false,
      notInCatalog: this.catalog !== undefined && catalogMatch === undefined,
    };

    // Endpoints first: SEP chains also tell the protocol (DNAT `-p tcp`) and, with comments, the name.
    if (svc) sp.endpoints = this.readBalancing(svc, chainRules.get(svc) ?? [], hash, sp);
    const local = svl ?? xlb;
    if (local) sp.localEndpoints = this.readBalancing(local, chainRules.get(local) ?? [], hash, sp);

    sp.protocol =
      [...dispatch, ...nodePortEntries, ...filterEntries].map((e) => e.protocol).find((p) => p !== undefined) ??
      [...sp.endpoints, ...(sp.localEndpoints ?? [])].map((e) => (e.rule ? getProtocol(e.rule) : undefined)).find((p) => p !== undefined) ??
      catalogMatch?.port.protocol;

    this.nameServicePort(sp, [...dispatch, ...nodePortEntries, ...filterEntries].map((e) => e.comment?.name), chainRules, catalogMatch);

    for (const entry of dispatch) {
      const address: ServiceAddress = {
        ...(entry.address !== undefined ? { address: entry.address } : {}),
        ...(entry.port !== undefined ? { port: entry.port } : {}),
        ...(entry.protocol !== undefined ? { protocol: entry.protocol } : {}),
        rule: entry.rule,
      };
      const kind = entry.comment?.kind;
      if (kind === 'external-ip') sp.externalIPs.push(address);
      else if (kind === 'load-balancer-ip' || entry.target === fw) sp.loadBalancerIPs.push(address);
      else if (kind === 'cluster-ip' || (!kind && (entry.target === svc || entry.target === svl) && !sp.clusterIP)) sp.clusterIP ??= address;
      else if (entry.target === ext) sp.externalIPs.push(address);
    }
    const nodePort = nodePortEntries.find((e) => e.port !== undefined && e.target !== undefined && e.target !== KUBE_MARK_MASQ);
    if (nodePort) sp.nodePort = { ...(nodePort.port !== undefined ? { port: nodePort.port } : {}), ...(nodePort.protocol ? { protocol: nodePort.protocol } : {}), rule: nodePort.rule };

    for (const entry of filterEntries) {
      const kind = entry.comment?.kind;
      if (kind === 'no-endpoints') sp.noEndpoints.push(entry.rule);
      else if (kind === 'no-local-endpoints') sp.noLocalEndpoints.push(entry.rule);
      else if (kind === 'firewall-drop') sp.firewallDrops.push(entry.rule);
      if (!sp.clusterIP && entry.rule.chain === KUBE_SERVICES && entry.address !== undefined && (kind === 'no-endpoints' || kind === 'no-local-endpoints')) {
        sp.clusterIP = { address: entry.address, ...(entry.port !== undefined ? { port: entry.port } : {}), ...(entry.protocol ? { protocol: entry.protocol } : {}), rule: entry.rule };
      }
      if (!sp.nodePort && entry.rule.chain === KUBE_EXTERNAL_SERVICES && entry.address === undefined && entry.port !== undefined) {
        sp.nodePort = { port: entry.port, ...(entry.protocol ? { protocol: entry.protocol } : {}), rule: entry.rule };
      }
    }
    for (const [chain, rules] of chainRules) {
      for (const rule of rules) {
        const comment = getKubeComment(rule);
        if (comment?.kind === 'no-local-endpoints') sp.noLocalEndpoints.push(rule);
        if (chain === fw && rule.sourceAddress && !rule.sourceAddress.negated && getTargetChain(rule) !== KUBE_MARK_MASQ) sp.sourceRanges.push(rule.sourceAddress.value);
      }
    }
    if (catalogMatch) sp.catalog = catalogMatch.port;
    this.readTrafficPolicies(sp, chainRules, dispatch, filterEntries);
    return sp;
  }

  private readBalancing(chain: string, rules: readonly Rule[], hash: string, sp: ServicePort): ServiceEndpoint[] {
    const out: ServiceEndpoint[] = [];
    let remaining = 1;
    for (const rule of rules) {
      const target = getTargetChain(rule);
      if (!target?.startsWith(KUBE_SEP_PREFIX) || usesRecent(rule)) continue;
      if (getRuleComment(rule) === undefined) sp.commentsMissing = true;
      const p = getRandomProbability(rule) ?? 1;
      const share = remaining * p;
      remaining -= share;
      this.endpointOwner.set(target, hash);
      const found = this.getEndpoint(target);
      if (found?.rule && getRuleComment(found.rule) === undefined) sp.commentsMissing = true;
      const fromComment = getKubeComment(rule)?.endpoint;
      out.push({ ...(found ?? { chain: target, ...(fromComment ? { text: fromComment } : {}) }), share });
    }
    return out;
  }

  private nameServicePort(
    sp: ServicePort,
    dispatchNames: (string | undefined)[],
    chainRules: Map<string, readonly Rule[]>,
    catalogMatch: ReturnType<ServiceCatalog['getByHash']>,
  ): void {
    const candidates = new Set<string>();
    for (const n of dispatchNames) if (n) candidates.add(n);
    for (const rules of chainRules.values()) for (const rule of rules) { const n = getKubeComment(rule)?.name; if (n) candidates.add(n); }
    for (const e of [...sp.endpoints, ...(sp.localEndpoints ?? [])]) {
      for (const rule of readChain(this.ruleset, 'nat', e.chain)) { const n = getKubeComment(rule)?.name; if (n) candidates.add(n); }
    }
    // A comment name is trusted when it hashes to the chain (kube-proxy.md §2); otherwise kept as a fallback.
    let fallback: string | undefined;
    for (const name of candidates) {
      const protocols = sp.protocol ? [sp.protocol] : PROTOCOLS;
      const p = protocols.find((proto) => servicePortChainHash(name, proto) === sp.hash);
      if (p) {
        sp.name = name;
        sp.protocol ??= p;
        sp.nameSource = 'comment';
        break;
      }
      fallback ??= name;
    }
    if (!sp.name && catalogMatch) {
      sp.name = catalogMatch.hashedName;
      sp.nameSource = 'catalog';
      sp.protocol ??= catalogMatch.port.protocol;
    }
    if (!sp.name && fallback) {
      sp.name = fallback;
      sp.nameSource = 'comment';
    }
    const parsed = sp.name ? parseServicePortName(sp.name) : undefined;
    if (parsed) sp.parsedName = parsed;
  }

  /** True when this service port's chains have the 1.24+ shape (KUBE-EXT/KUBE-SVL, `X -> ip:port` comments). */
  private isModernShape(sp: ServicePort, chainRules: Map<string, readonly Rule[]>): boolean {
    if (sp.chains.ext || sp.chains.svl) return true;
    const svcRules = sp.chains.svc ? chainRules.get(sp.chains.svc) ?? [] : [];
    return svcRules.some((r) => getKubeComment(r)?.kind === 'endpoint');
  }

  private readTrafficPolicies(sp: ServicePort, chainRules: Map<string, readonly Rule[]>, dispatch: DispatchEntry[], filterEntries: DispatchEntry[]): void {
    const { svl, ext, xlb } = sp.chains;
    if (xlb) sp.externalTrafficPolicy = 'Local';
    if (ext) {
      const rules = chainRules.get(ext) ?? [];
      const local = rules.some((r) => {
        const k = getKubeComment(r)?.kind;
        return (svl !== undefined && getTargetChain(r) === svl) || k === 'external-pod' || k === 'local-route' || k === 'local-masquerade';
      });
      sp.externalTrafficPolicy = local ? 'Local' : 'Cluster';
    }
    if (filterEntries.some((e) => e.comment?.kind === 'no-local-endpoints' && e.rule.chain === KUBE_EXTERNAL_SERVICES)) sp.externalTrafficPolicy = 'Local';
    if (filterEntries.some((e) => e.comment?.kind === 'no-local-endpoints' && e.rule.chain === KUBE_SERVICES)) sp.internalTrafficPolicy = 'Local';
    if (svl && dispatch.some((e) => e.target === svl && e.comment?.kind === 'cluster-ip')) sp.internalTrafficPolicy = 'Local';
    else if (this.isModernShape(sp, chainRules) && dispatch.some((e) => e.target === sp.chains.svc && e.comment?.kind === 'cluster-ip')) {
      // Only from 1.24 does iTP=Local get its own KUBE-SVL chain; 1.22–1.23 filtered KUBE-SVC itself (kube-proxy.md §4).
      sp.internalTrafficPolicy ??= 'Cluster';
    }
    // The rules decide; the Service list only fills in what they do not show.
    if (sp.catalog?.externalTrafficPolicy && !sp.externalTrafficPolicy) sp.externalTrafficPolicy = sp.catalog.externalTrafficPolicy;
    if (sp.catalog?.internalTrafficPolicy && !sp.internalTrafficPolicy) sp.internalTrafficPolicy = sp.catalog.internalTrafficPolicy;
  }
}

function canonical(address: string): string {
  const c = parseCidr(address);
  return c ? formatAddress(c.family, c.network) : address;
}

/** Builds the lazy service index over a ruleset (nothing is parsed until asked). */
export function buildServiceIndex(ruleset: Ruleset, catalog?: ServiceCatalog): ServiceIndex {
  return new ServiceIndex(ruleset, catalog);
}

/**
 * Which per-service-port chain prefixes the dispatch chains jump to. Only nat KUBE-SERVICES and KUBE-NODEPORTS
 * (and what KUBE-FW/KUBE-EXT chains they name jump to, for the first few) are read: iterating a parsed dump's
 * chain names would build all ~110k Chain objects of a 10k-service node.
 */
function listDispatchPrefixes(ruleset: Ruleset, services: NatServicesView): Set<string> {
  const found = new Set<string>();
  const prefixes = [KUBE_XLB_PREFIX, KUBE_EXT_PREFIX, KUBE_SVL_PREFIX, KUBE_SVC_PREFIX, KUBE_FW_PREFIX];
  const note = (target: string | undefined): void => {
    if (!target) return;
    for (const p of prefixes) if (target.startsWith(p)) found.add(p);
  };
  const second: string[] = [];
  // One verified rule per prefix is enough to know it is used.
  for (const p of prefixes) for (const e of services.mentioning(`-j ${p}`, 8)) note(e.target);
  for (const rule of readChain(ruleset, 'nat', KUBE_NODEPORTS)) note(getTargetChain(rule));
  for (const p of [KUBE_FW_PREFIX, KUBE_EXT_PREFIX]) for (const e of services.mentioning(`-j ${p}`, 20)) if (e.target?.startsWith(p)) second.push(e.target);
  for (const rule of readChain(ruleset, 'nat', KUBE_NODEPORTS)) { const t = getTargetChain(rule); if (t?.startsWith(KUBE_EXT_PREFIX)) second.push(t); }
  for (const chain of second.slice(0, 20)) for (const rule of readChain(ruleset, 'nat', chain)) note(getTargetChain(rule));
  return found;
}

/** Guesses kube-proxy's generation from chain names and the shape of KUBE-SERVICES (kube-proxy.md §4, §5). */
function guessGeneration(ruleset: Ruleset, services: NatServicesView): GenerationGuess {
  const nat = ruleset.tables.get('nat')?.chains;
  const filter = ruleset.tables.get('filter')?.chains;
  const evidence: string[] = [];
  const ipvsSet = services.mentioning('--match-set KUBE-').find((e) => getMatchSet(e.rule)?.name.startsWith('KUBE-'));
  if (nat?.has(KUBE_NODE_PORT) || nat?.has(KUBE_LOAD_BALANCER) || filter?.has(KUBE_IPVS_FILTER) || ipvsSet) {
    if (ipvsSet) evidence.push(`KUBE-SERVICES matches ipset ${getMatchSet(ipvsSet.rule)?.name}`);
    for (const [t, c] of [[nat, KUBE_NODE_PORT], [nat, KUBE_LOAD_BALANCER], [filter, KUBE_IPVS_FILTER]] as const) if (t?.has(c)) evidence.push(`chain ${c}`);
    return { id: 'ipvs', label: 'kube-proxy IPVS mode', evidence };
  }
  const prefixes = listDispatchPrefixes(ruleset, services);
  const masqInServices = services.mentioning(KUBE_MARK_MASQ).some((e) => e.target === KUBE_MARK_MASQ && e.comment?.kind === 'cluster-ip');
  if (filter?.has(KUBE_PROXY_FIREWALL)) {
    evidence.push('filter chain KUBE-PROXY-FIREWALL (#110289, 1.25)');
    if (!nat?.has(KUBE_MARK_DROP)) evidence.push('no KUBE-MARK-DROP (kubelet ≥1.27 IPTablesOwnershipCleanup, or never referenced)');
    return { id: 'iptables-1.25-or-newer', label: 'kube-proxy iptables mode, 1.25 or newer', evidence };
  }
  if (prefixes.has(KUBE_XLB_PREFIX) || masqInServices) {
    if (prefixes.has(KUBE_XLB_PREFIX)) evidence.push('KUBE-XLB- chains (replaced in 1.24, #109060)');
    if (masqInServices) {
      evidence.push('cluster IP masquerade rule in KUBE-SERVICES (moved to KUBE-SVC in 1.22, #96959)');
      return { id: 'iptables-1.21-or-older', label: 'kube-proxy iptables mode, 1.21 or older', evidence };
    }
    const svcMasq = services.count > 0;
    return svcMasq
      ? { id: 'iptables-1.22-1.23', label: 'kube-proxy iptables mode, 1.22–1.23', evidence: [...evidence, 'no masquerade rule in KUBE-SERVICES'] }
      : { id: 'iptables-1.23-or-older', label: 'kube-proxy iptables mode, 1.23 or older', evidence };
  }
  if (prefixes.has(KUBE_EXT_PREFIX) || prefixes.has(KUBE_SVL_PREFIX)) {
    evidence.push('KUBE-EXT-/KUBE-SVL- chains (1.24+) without KUBE-PROXY-FIREWALL (1.25+)');
    return { id: 'iptables-1.24', label: 'kube-proxy iptables mode, 1.24', evidence };
  }
  if (prefixes.has(KUBE_SVC_PREFIX) || nat?.has(KUBE_SERVICES)) {
    evidence.push('KUBE-SERVICES/KUBE-SVC- chains only: no generation-specific chain present');
    return { id: 'iptables', label: 'kube-proxy iptables mode', evidence };
  }
  return { id: 'unknown', label: 'no kube-proxy rules found', evidence };
}

/** How many per-service chains `clusterCidrs` looks into before giving up (the detector is node-wide). */
const CIDR_SCAN_LIMIT = 200;

/**
 * The cluster (pod) CIDRs kube-proxy's local-traffic detector uses (pkg/proxy/util/localdetector.go,
 * kube-proxy.md §3.3): `! -s <cidr> … -j KUBE-MARK-MASQ` in KUBE-SERVICES (≤1.21, IPVS) or KUBE-SVC (1.22+),
 * `-s <cidr> … "Redirect pods …"` in KUBE-XLB, `-s <cidr> … "pod traffic for …"` in KUBE-EXT. The detector is
 * node-wide, so the scan stops at the first per-service chain that shows one. Empty when kube-proxy runs
 * without a CIDR detector (interface-based detection, or none).
 */
export function clusterCidrs(ruleset: Ruleset): Cidr[] {
  const found = new Map<string, Cidr>();
  const consider = (rule: Rule): void => {
    const s = rule.sourceAddress;
    const cidr = s ? parseCidr(s.value) : undefined;
    if (!s || !cidr) return;
    const target = getTargetChain(rule);
    const kind = getKubeComment(rule)?.kind;
    if ((s.negated && target === KUBE_MARK_MASQ) || (!s.negated && (kind === 'xlb-pod-redirect' || kind === 'external-pod'))) {
      found.set(s.value, cidr);
    }
  };
  // Only the KUBE-SERVICES rules that can be masquerade rules are parsed (raw pre-screen): the chain has a
  // rule per service port.
  const services = getChain(ruleset, 'nat', KUBE_SERVICES);
  if (services) for (const i of listRulesMentioning(services, KUBE_MARK_MASQ)) consider(services.getRule(i));
  if (found.size > 0) return [...found.values()];
  // Per-service chains named by the dispatch chains, in order; never every chain of the table.
  const candidates = new Set<string>();
  for (const dispatch of [KUBE_SERVICES, KUBE_NODEPORTS]) {
    const chain = getChain(ruleset, 'nat', dispatch);
    for (let i = 0; chain && i < chain.ruleCount && candidates.size < CIDR_SCAN_LIMIT; i++) {
      const target = getTargetChain(chain.getRule(i));
      if (target && (target.startsWith(KUBE_SVC_PREFIX) || target.startsWith(KUBE_XLB_PREFIX) || target.startsWith(KUBE_EXT_PREFIX))) candidates.add(target);
    }
  }
  for (const name of candidates) {
    for (const rule of readChain(ruleset, 'nat', name)) consider(rule);
    if (found.size > 0) break;
  }
  return [...found.values()];
}
