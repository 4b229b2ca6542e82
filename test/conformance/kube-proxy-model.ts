/**
 * A small model of what kube-proxy's iptables mode (1.28+, `pkg/proxy/iptables/proxier.go`
 * `syncProxyRules`) writes for a set of service ports, rendered as the `iptables-restore` input kube-proxy
 * feeds the kernel. The conformance fixtures in `test/fixtures/conformance/` are this input after a real
 * `iptables-nft-restore` + `iptables-nft-save` round trip (see `generate-fixtures.ts`).
 *
 * Written from kube-proxy's documented behaviour (shared/reference/kube-proxy.md §3) and the rule sets its
 * own unit tests expect (`pkg/proxy/iptables/proxier_test.go` TestOverallIPTablesRules, TestLoadBalancer,
 * TestNodePorts …); no kube-proxy code is copied. Endpoint selection follows `pkg/proxy/topology.go`
 * `CategorizeEndpoints` without topology hints.
 */
import { cidrContains, formatEndpoint, parseAddress, parseCidr } from '../../src/model/address.js';
import { endpointChainName, serviceChainName } from '../../src/interpret/kube-proxy/hash.js';

/** One endpoint of a service port, with its EndpointSlice conditions (absent = true, as in the API). */
export interface ModelEndpoint {
  ip: string;
  port: number;
  /** On this node (`nodeName` equals kube-proxy's node). */
  local?: boolean;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

/** One service port as kube-proxy sees it (a `ServicePortInfo`). */
export interface ModelServicePort {
  namespace: string;
  name: string;
  /** `''` for an unnamed port: the service port name is then `ns/name`. */
  portName: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  clusterIp: string;
  port: number;
  nodePort?: number;
  externalIps?: string[];
  loadBalancerIps?: string[];
  loadBalancerSourceRanges?: string[];
  externalTrafficPolicy?: 'Cluster' | 'Local';
  internalTrafficPolicy?: 'Cluster' | 'Local';
  healthCheckNodePort?: number;
  /** ClientIP session affinity timeout; absent = no affinity. */
  affinitySeconds?: number;
  endpoints: ModelEndpoint[];
}

/** kube-proxy's own settings and the node's addresses (what `NewFakeProxier` configures in its tests). */
export interface ModelProxyConfig {
  family: 4 | 6;
  /** `--cluster-cidr` local-traffic detector; absent = no detector (`NewNoOpLocalDetector`). */
  clusterCidr?: string;
  masqueradeAll?: boolean;
  /** `--iptables-localhost-nodeports` (IPv4 only; default true). */
  localhostNodePorts: boolean;
  /** `--nodeport-addresses`; absent = all local addresses (`addrtype LOCAL`). */
  nodePortAddresses?: string[];
  /** The node's interface addresses, loopback included: what `--nodeport-addresses` is matched against. */
  interfaceAddresses: string[];
  /** kube-proxy's primary node IP (`proxier.nodeIP`): decides the LB-IP source rules of KUBE-FW. */
  nodeIp: string;
}

const COMMENT = (text: string): string[] => ['-m', 'comment', '--comment', `"${text}"`];

/** `ns/name:port`, or `ns/name` for an unnamed port (kube-proxy.md §2). */
export function servicePortName(sp: ModelServicePort): string {
  return sp.portName ? `${sp.namespace}/${sp.name}:${sp.portName}` : `${sp.namespace}/${sp.name}`;
}

const isReady = (e: ModelEndpoint): boolean => e.ready ?? true;
const isServingTerminating = (e: ModelEndpoint): boolean => (e.serving ?? true) && (e.terminating ?? false);

/** Whether the port takes external traffic at all (NodePort, externalIPs or LB IPs). */
function externallyAccessible(sp: ModelServicePort): boolean {
  return (sp.nodePort ?? 0) !== 0 || (sp.externalIps?.length ?? 0) > 0 || (sp.loadBalancerIps?.length ?? 0) > 0;
}

/** The endpoints each policy uses (topology.go CategorizeEndpoints, no topology hints). */
export function categorizeEndpoints(sp: ModelServicePort): {
  cluster: ModelEndpoint[];
  local: ModelEndpoint[];
  reachable: ModelEndpoint[];
  hasAny: boolean;
} {
  const internalLocal = sp.internalTrafficPolicy === 'Local';
  const externalLocal = sp.externalTrafficPolicy === 'Local' && externallyAccessible(sp);
  const usesCluster = !internalLocal || externallyAccessible(sp);
  const usesLocal = internalLocal || externalLocal;
  let cluster: ModelEndpoint[] = [];
  let hasAny = false;
  if (usesCluster) {
    cluster = sp.endpoints.filter(isReady);
    // No ready endpoint anywhere: fall back to serving, terminating ones (KEP-1669).
    if (cluster.length === 0) cluster = sp.endpoints.filter(isServingTerminating);
    if (cluster.length > 0) hasAny = true;
  }
  if (!usesLocal) return { cluster, local: [], reachable: cluster, hasAny };
  let localReady = false;
  let localServingTerminating = false;
  for (const e of sp.endpoints) {
    if (isReady(e)) {
      hasAny = true;
      if (e.local) localReady = true;
    } else if (isServingTerminating(e)) {
      hasAny = true;
      if (e.local) localServingTerminating = true;
    }
  }
  let local: ModelEndpoint[] = [];
  if (localReady) local = sp.endpoints.filter((e) => e.local && isReady(e));
  else if (localServingTerminating) local = sp.endpoints.filter((e) => e.local && isServingTerminating(e));
  if (!usesCluster) return { cluster, local, reachable: local, hasAny };
  const byKey = new Map<string, ModelEndpoint>();
  for (const e of [...cluster, ...local]) byKey.set(formatEndpoint(e.ip, e.port), e);
  return { cluster, local, reachable: [...byKey.values()], hasAny };
}

/** kube-proxy's `computeProbability`: `%0.10f` of 1/n. */
function probability(n: number): string {
  return (1 / n).toFixed(10);
}

const prefixLength = (family: 4 | 6): number => (family === 4 ? 32 : 128);

/**
 * Renders the restore input kube-proxy would write for these service ports, plus the jump rules it (and
 * kubelet) ensure in the built-in chains, in the order `iptables-save` shows them on a real node
 * (kube-proxy.md §3.1). Returns one `iptables-restore` text with mangle, filter and nat.
 */
export function renderKubeProxyRules(config: ModelProxyConfig, ports: ModelServicePort[]): string {
  const v6 = config.family === 6;
  const nat: { chains: string[]; rules: string[] } = { chains: [], rules: [] };
  const filter: { chains: string[]; rules: string[] } = { chains: [], rules: [] };
  const detector = config.clusterCidr;

  for (const sp of ports) {
    const spn = servicePortName(sp);
    const proto = sp.protocol;
    const svc = serviceChainName('KUBE-SVC-', spn, proto);
    const svl = serviceChainName('KUBE-SVL-', spn, proto);
    const ext = serviceChainName('KUBE-EXT-', spn, proto);
    const fw = serviceChainName('KUBE-FW-', spn, proto);
    const { cluster, local, reachable, hasAny } = categorizeEndpoints(sp);
    const internalLocal = sp.internalTrafficPolicy === 'Local';
    const externalLocal = sp.externalTrafficPolicy === 'Local' && externallyAccessible(sp);
    const usesClusterChain = cluster.length > 0 && (!internalLocal || externallyAccessible(sp));
    const usesLocalChain = local.length > 0 && (internalLocal || externalLocal);
    const internalChain = internalLocal ? svl : svc;
    const hasInternal = hasAny && (!internalLocal || local.length > 0);
    const externalPolicyChain = externalLocal ? svl : svc;
    const hasExternal = hasAny && (!externalLocal || local.length > 0);
    const usesExt = hasAny && externallyAccessible(sp);
    const lbIps = sp.loadBalancerIps ?? [];
    const ranges = sp.loadBalancerSourceRanges ?? [];
    const usesFw = hasAny && lbIps.length > 0 && ranges.length > 0;
    const lbChain = usesFw ? fw : ext;
    const noEpTarget = !hasAny ? 'REJECT' : 'DROP';
    const noEpComment = !hasAny ? `${spn} has no endpoints` : `${spn} has no local endpoints`;
    const portMatch = ['-m', proto, '-p', proto];

    if (hasInternal) {
      nat.rules.push(['-A KUBE-SERVICES', ...COMMENT(`${spn} cluster IP`), ...portMatch, '-d', sp.clusterIp, '--dport', String(sp.port), '-j', internalChain].join(' '));
    } else {
      filter.rules.push(['-A KUBE-SERVICES', ...COMMENT(noEpComment), ...portMatch, '-d', sp.clusterIp, '--dport', String(sp.port), '-j', noEpTarget].join(' '));
    }
    for (const ip of sp.externalIps ?? []) {
      if (hasAny) nat.rules.push(['-A KUBE-SERVICES', ...COMMENT(`${spn} external IP`), ...portMatch, '-d', ip, '--dport', String(sp.port), '-j', ext].join(' '));
      if (!hasExternal) filter.rules.push(['-A KUBE-EXTERNAL-SERVICES', ...COMMENT(noEpComment), ...portMatch, '-d', ip, '--dport', String(sp.port), '-j', noEpTarget].join(' '));
    }
    for (const ip of lbIps) {
      if (hasAny) nat.rules.push(['-A KUBE-SERVICES', ...COMMENT(`${spn} loadbalancer IP`), ...portMatch, '-d', ip, '--dport', String(sp.port), '-j', lbChain].join(' '));
      if (usesFw) filter.rules.push(['-A KUBE-PROXY-FIREWALL', ...COMMENT(`${spn} traffic not accepted by ${fw}`), ...portMatch, '-d', ip, '--dport', String(sp.port), '-j DROP'].join(' '));
    }
    if (!hasExternal) {
      for (const ip of lbIps) filter.rules.push(['-A KUBE-EXTERNAL-SERVICES', ...COMMENT(noEpComment), ...portMatch, '-d', ip, '--dport', String(sp.port), '-j', noEpTarget].join(' '));
    }
    if (sp.nodePort) {
      if (hasAny) nat.rules.push(['-A KUBE-NODEPORTS', ...COMMENT(spn), ...portMatch, '--dport', String(sp.nodePort), '-j', ext].join(' '));
      if (!hasExternal) {
        filter.rules.push(['-A KUBE-EXTERNAL-SERVICES', ...COMMENT(noEpComment), '-m addrtype --dst-type LOCAL', ...portMatch, '--dport', String(sp.nodePort), '-j', noEpTarget].join(' '));
      }
    }
    // Health-check node ports exist for eTP=Local services only (the API server allocates none otherwise).
    if (sp.healthCheckNodePort && externalLocal) {
      filter.rules.push(['-A KUBE-NODEPORTS', ...COMMENT(`${spn} health check node port`), '-m tcp -p tcp --dport', String(sp.healthCheckNodePort), '-j ACCEPT'].join(' '));
    }

    if (hasInternal) {
      const args = ['-A', internalChain, ...COMMENT(`${spn} cluster IP`), ...portMatch, '-d', sp.clusterIp, '--dport', String(sp.port)];
      if (config.masqueradeAll) nat.rules.push([...args, '-j KUBE-MARK-MASQ'].join(' '));
      else if (detector) nat.rules.push([...args, '!', '-s', detector, '-j KUBE-MARK-MASQ'].join(' '));
    }
    if (usesExt) {
      nat.chains.push(ext);
      if (!externalLocal) {
        nat.rules.push(['-A', ext, ...COMMENT(`masquerade traffic for ${spn} external destinations`), '-j KUBE-MARK-MASQ'].join(' '));
      } else {
        if (detector) nat.rules.push(['-A', ext, ...COMMENT(`pod traffic for ${spn} external destinations`), '-s', detector, '-j', svc].join(' '));
        nat.rules.push(['-A', ext, ...COMMENT(`masquerade LOCAL traffic for ${spn} external destinations`), '-m addrtype --src-type LOCAL -j KUBE-MARK-MASQ'].join(' '));
        nat.rules.push(['-A', ext, ...COMMENT(`route LOCAL traffic for ${spn} external destinations`), '-m addrtype --src-type LOCAL -j', svc].join(' '));
      }
      if (hasExternal) nat.rules.push(['-A', ext, '-j', externalPolicyChain].join(' '));
    }
    if (usesFw) {
      nat.chains.push(fw);
      const nodeInRange = ranges.some((r) => cidrContains(parseCidr(r)!, config.nodeIp));
      for (const r of ranges) nat.rules.push(['-A', fw, ...COMMENT(`${spn} loadbalancer IP`), '-s', r, '-j', ext].join(' '));
      // A node reaching its own LB VIP loops back with the VIP as source (proxier.go "allowFromNode").
      if (nodeInRange) for (const ip of lbIps) nat.rules.push(['-A', fw, ...COMMENT(`${spn} loadbalancer IP`), '-s', ip, '-j', ext].join(' '));
      nat.rules.push(['-A', fw, ...COMMENT(`other traffic to ${spn} will be dropped by KUBE-PROXY-FIREWALL`)].join(' '));
    }
    const writeBalancing = (chain: string, eps: ModelEndpoint[]): void => {
      nat.chains.push(chain);
      if (sp.affinitySeconds !== undefined) {
        for (const e of eps) {
          const sep = endpointChainName(spn, proto, formatEndpoint(e.ip, e.port));
          nat.rules.push(['-A', chain, ...COMMENT(`${spn} -> ${formatEndpoint(e.ip, e.port)}`), '-m recent --name', sep, '--rcheck --seconds', String(sp.affinitySeconds), '--reap -j', sep].join(' '));
        }
      }
      eps.forEach((e, i) => {
        const sep = endpointChainName(spn, proto, formatEndpoint(e.ip, e.port));
        const stat = i < eps.length - 1 ? ['-m statistic --mode random --probability', probability(eps.length - i)] : [];
        nat.rules.push(['-A', chain, ...COMMENT(`${spn} -> ${formatEndpoint(e.ip, e.port)}`), ...stat, '-j', sep].join(' '));
      });
    };
    if (usesClusterChain) writeBalancing(svc, cluster);
    if (usesLocalChain) writeBalancing(svl, local);
    for (const e of reachable) {
      const ep = formatEndpoint(e.ip, e.port);
      const sep = endpointChainName(spn, proto, ep);
      nat.chains.push(sep);
      nat.rules.push(['-A', sep, ...COMMENT(spn), '-s', e.ip, '-j KUBE-MARK-MASQ'].join(' '));
      const affinity = sp.affinitySeconds !== undefined ? ['-m recent --name', sep, '--set'] : [];
      nat.rules.push(['-A', sep, ...COMMENT(spn), ...affinity, ...portMatch, '-j DNAT --to-destination', ep].join(' '));
    }
  }

  // The tail call to KUBE-NODEPORTS, after every service rule (proxier.go "this must be the last rule").
  const lastComment = COMMENT('kubernetes service nodeports; NOTE: this must be the last rule in this chain');
  if (!config.nodePortAddresses) {
    const not = v6 ? ['!', '-d', '::1/128'] : config.localhostNodePorts ? [] : ['!', '-d', '127.0.0.0/8'];
    nat.rules.push(['-A KUBE-SERVICES', ...lastComment, '-m addrtype --dst-type LOCAL', ...not, '-j KUBE-NODEPORTS'].join(' '));
  } else {
    const cidrs = config.nodePortAddresses.map((c) => parseCidr(c)!).filter((c) => c.family === config.family);
    for (const ip of config.interfaceAddresses) {
      const a = parseAddress(ip);
      if (!a || a.family !== config.family || !cidrs.some((c) => cidrContains(c, ip))) continue;
      const loopback = v6 ? ip === '::1' : ip.startsWith('127.');
      // Localhost NodePorts never work on IPv6 and are off with --iptables-localhost-nodeports=false.
      if (loopback && (v6 || !config.localhostNodePorts)) continue;
      nat.rules.push(['-A KUBE-SERVICES', ...lastComment, '-d', `${ip}/${prefixLength(config.family)}`, '-j KUBE-NODEPORTS'].join(' '));
    }
  }

  const localhostFirewall =
    !v6 &&
    config.localhostNodePorts &&
    (!config.nodePortAddresses || config.nodePortAddresses.some((c) => cidrContains(parseCidr(c)!, '127.0.0.1')));
  const lines: string[] = [];
  lines.push('*mangle', ':KUBE-IPTABLES-HINT - [0:0]', ':KUBE-PROXY-CANARY - [0:0]', 'COMMIT');
  lines.push('*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]');
  for (const c of ['KUBE-EXTERNAL-SERVICES', 'KUBE-FIREWALL', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-CANARY', 'KUBE-PROXY-FIREWALL', 'KUBE-SERVICES']) {
    lines.push(`:${c} - [0:0]`);
  }
  const NEW = '-m conntrack --ctstate NEW';
  lines.push(
    `-A INPUT ${NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    `-A INPUT ${NEW} -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
    '-A INPUT -j KUBE-FIREWALL',
    `-A FORWARD ${NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    `-A FORWARD ${NEW} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
    `-A FORWARD ${NEW} -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`,
    `-A OUTPUT ${NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`,
    `-A OUTPUT ${NEW} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`,
    '-A OUTPUT -j KUBE-FIREWALL',
  );
  lines.push(...filter.rules);
  if (localhostFirewall) {
    lines.push('-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP');
  }
  lines.push(
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    'COMMIT',
  );
  lines.push('*nat', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':POSTROUTING ACCEPT [0:0]');
  for (const c of ['KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-PROXY-CANARY', 'KUBE-SERVICES', ...new Set(nat.chains)]) {
    lines.push(`:${c} - [0:0]`);
  }
  lines.push(
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ...nat.rules,
    'COMMIT',
  );
  return `${lines.join('\n')}\n`;
}
