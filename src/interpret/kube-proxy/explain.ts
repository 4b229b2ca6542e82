import { formatEndpoint } from '../../model/address.js';
import type { Rule } from '../../model/rule.js';
import { getChain } from '../../model/ruleset.js';
import type { TraceBranch, TraceStep } from '../../engine/result.js';
import {
  classifyChain,
  DROP_MARK,
  KUBE_EXTERNAL_SERVICES,
  KUBE_MARK_DROP,
  KUBE_MARK_MASQ,
  KUBE_NODE_PORT,
  KUBE_NODEPORTS,
  KUBE_SEP_PREFIX,
  MASQUERADE_MARK,
  type KubeChainKind,
} from './chain-names.js';
import { getKubeComment, getRuleComment, type KubeComment } from './comments.js';
import {
  getAddrType,
  getCtStates,
  getDestinationPort,
  getDnatDestination,
  getHostDestination,
  getHostSource,
  getMarkMatch,
  getMatchSet,
  getRandomProbability,
  getRecentSeconds,
  getTargetChain,
  usesRecent,
} from './rule-facts.js';
import type { ServiceIndex, ServicePort } from './service-index.js';

/** What `describeStep` may know beyond the step: the connection's original source, for masquerade reasons. */
export interface StepContext {
  source?: string;
}

/** `default/nginx` style label, or a placeholder naming the chain when the service is unknown. */
export function serviceLabel(sp: ServicePort | undefined, chain?: string): string {
  if (sp?.name) return sp.name;
  return chain ? `unknown service (${chain})` : 'unknown service';
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * `1/3` when the share is 1/n (kube-proxy balances uniformly), else a percentage. Older kube-proxy printed
 * probabilities with 5 decimals (`%0.5f`, kube-proxy.md §2), so a third reads 0.33332999982: the tolerance
 * allows that rounding while staying well below the gap between 1/n and 1/(n+1).
 */
function formatShare(share: number): string {
  for (let n = 1; n <= 1000; n++) if (Math.abs(share - 1 / n) < Math.min(2e-5, 0.1 / (n * n))) return `1/${n}`;
  return `${(share * 100).toFixed(1)}%`;
}

function addressText(address: string | undefined, port: number | undefined): string {
  return address ? formatEndpoint(address, port) : port !== undefined ? `port ${port}` : '';
}

/**
 * Why a `-j KUBE-MARK-MASQ` rule marks the connection, from its own conditions (kube-proxy.md §3.3, §4,
 * pkg/proxy/util/localdetector.go): e.g. "source 192.168.0.9 is outside the cluster CIDR 10.244.0.0/16".
 */
export function describeMasqueradeReason(rule: Rule, context: StepContext = {}): string {
  return masqueradeReason(rule, getKubeComment(rule), context);
}

function masqueradeReason(rule: Rule, comment: KubeComment | undefined, context: StepContext): string {
  const s = rule.sourceAddress;
  const src = context.source ? `source ${context.source}` : 'source';
  if (s?.negated) return `${src} is outside the cluster CIDR ${s.value}`;
  if (rule.inInterface?.negated) return `${src} did not come in on ${rule.inInterface.value} (not a pod of this node)`;
  if (s && !s.negated && s.value.startsWith('127.')) return 'localhost NodePort: a loopback source must be masqueraded';
  if (comment?.kind === 'local-masquerade') return `${src} is a LOCAL address of the node`;
  if (comment?.kind === 'external-masquerade') return `external traffic to ${comment.name ?? 'the service'} (externalTrafficPolicy: Cluster)`;
  if (comment?.kind === 'external-ip') return `traffic to an external IP of ${comment.name}`;
  if (comment?.kind === 'load-balancer-ip') return `traffic to a load balancer IP of ${comment.name}`;
  if (rule.chain === KUBE_NODEPORTS || rule.chain === KUBE_NODE_PORT) return 'NodePort traffic';
  const set = getMatchSet(rule);
  if (set) return `destination in ipset ${set.name}`;
  if (!s && comment?.kind === 'cluster-ip') return 'masqueradeAll: every client of the cluster IP';
  return 'kube-proxy marks this traffic for SNAT';
}

/** Balancing rules of a chain (SEP jumps without `-m recent`), for "endpoint i of n". */
function balancingPosition(rules: readonly Rule[], rule: Rule): { position: number; count: number; share: number } | undefined {
  let remaining = 1;
  let position = 0;
  let count = 0;
  let share: number | undefined;
  for (const r of rules) {
    if (!getTargetChain(r)?.startsWith(KUBE_SEP_PREFIX) || usesRecent(r)) continue;
    count++;
    const p = getRandomProbability(r) ?? 1;
    const s = remaining * p;
    remaining -= s;
    if (r === rule || (r.source.line === rule.source.line && r.index === rule.index)) {
      position = count;
      share = s;
    }
  }
  return share === undefined ? undefined : { position, count, share };
}

type Describer = (rule: Rule, index: ServiceIndex, context: StepContext, kind: KubeChainKind | undefined) => string | undefined;

/** nat/filter KUBE-SERVICES (kube-proxy.md §3.2–§3.4, §4, §5). */
const describeServices: Describer = (rule, index, context) => {
  const target = getTargetChain(rule);
  const comment = getKubeComment(rule);
  const dst = addressText(getHostDestination(rule), getDestinationPort(rule));
  if (rule.table === 'filter') return describeNoEndpointRule(rule, comment, index);
  if (target === KUBE_NODEPORTS) return 'not a service IP: NodePort dispatch (dst is LOCAL)';
  if (target === KUBE_NODE_PORT) return 'IPVS: destination is LOCAL → NodePort handling';
  if (target === KUBE_MARK_MASQ) return `mark for masquerade (${hex(MASQUERADE_MARK)}): ${masqueradeReason(rule, comment, context)}`;
  if (rule.target?.kind === 'RETURN' && rule.sourceAddress?.value.startsWith('127.')) return 'IPVS: loopback source, no service handling';
  if (rule.target?.kind === 'ACCEPT' && getMatchSet(rule)) return `IPVS: destination in ipset ${getMatchSet(rule)!.name}: IPVS picks the endpoint after filter INPUT`;
  if (!target) return undefined;
  const c = classifyChain(target);
  const sp = index.getServiceByChain(target);
  const label = serviceLabel(sp, target);
  if (c?.kind === 'service' || c?.kind === 'service-local') {
    const local = c.kind === 'service-local' ? ' (node-local endpoints only: internalTrafficPolicy Local)' : '';
    return `service ${label} cluster IP ${dst} → service chain${local}`;
  }
  if (c?.kind === 'external') {
    const what = comment?.kind === 'load-balancer-ip' ? 'load balancer IP' : 'external IP';
    return `service ${label} ${what} ${dst} → external traffic chain`;
  }
  if (c?.kind === 'load-balancer-firewall') return `service ${label} load balancer IP ${dst} → load balancer chain`;
  if (c?.kind === 'external-local') return `service ${label} ${dst} → externalTrafficPolicy Local chain`;
  return undefined;
};

/** filter REJECT/DROP for services without (local) endpoints (kube-proxy.md §3.4). */
function describeNoEndpointRule(rule: Rule, comment: KubeComment | undefined, index: ServiceIndex): string | undefined {
  const verdict = rule.target?.kind;
  if (!comment?.name || (verdict !== 'REJECT' && verdict !== 'DROP')) return undefined;
  const sp = index.getServiceByName(comment.name, rule.protocol?.value);
  const name = serviceLabel(sp) === 'unknown service' ? comment.name : serviceLabel(sp);
  if (comment.kind === 'no-endpoints') return `${name} has no endpoints → REJECT`;
  if (comment.kind === 'no-local-endpoints') {
    const policy = rule.chain === KUBE_EXTERNAL_SERVICES ? 'externalTrafficPolicy: Local' : 'internalTrafficPolicy: Local';
    return `${name} has no local endpoints → DROP (${policy})`;
  }
  if (comment.kind === 'firewall-drop') return `source not in loadBalancerSourceRanges of ${name} → DROP`;
  return undefined;
}

/** KUBE-SVC / KUBE-SVL / KUBE-XLB balancing (kube-proxy.md §3.3, §3.6, §4). */
const describeBalancing: Describer = (rule, index, context, kind) => {
  const target = getTargetChain(rule);
  const comment = getKubeComment(rule);
  if (target === KUBE_MARK_MASQ) return `mark for masquerade (${hex(MASQUERADE_MARK)}): ${masqueradeReason(rule, comment, context)}`;
  if (target === KUBE_MARK_DROP) {
    const name = comment?.name ?? serviceLabel(index.getServiceByChain(rule.chain), rule.chain);
    return `${name} has no local endpoints → mark for DROP (${hex(DROP_MARK)}, externalTrafficPolicy: Local)`;
  }
  if (!target) return undefined;
  const c = classifyChain(target);
  if (c?.kind === 'endpoint') {
    const endpoint = index.getEndpoint(target)?.text ?? comment?.endpoint ?? target;
    if (usesRecent(rule)) {
      const seconds = getRecentSeconds(rule);
      return `session affinity (ClientIP): a client seen within ${seconds ?? '?'}s goes back to ${endpoint}`;
    }
    const chain = getChain(index.ruleset, rule.table, rule.chain);
    const pos = chain ? balancingPosition(chain.listRules(), rule) : undefined;
    const local = kind === 'service-local' || kind === 'external-local' ? ' local' : '';
    if (!pos) return `→${local} endpoint ${endpoint}`;
    return `pick${local} endpoint ${pos.position} of ${pos.count} (p=${formatShare(pos.share)}) → ${endpoint}`;
  }
  const label = serviceLabel(index.getServiceByChain(target), target);
  if (comment?.kind === 'xlb-pod-redirect') return `pod source: redirected to the cluster-wide service chain of ${label}`;
  if (comment?.kind === 'local-route') return `node-local source (${getAddrType(rule, 'src-type') ?? 'LOCAL'}): routed to the cluster-wide service chain of ${label}`;
  if (c?.kind === 'service') return `→ cluster-wide service chain of ${label}`;
  if (c?.kind === 'service-local') return `→ node-local service chain of ${label}`;
  return undefined;
};

/** KUBE-EXT (1.24+, kube-proxy.md §3.3). */
const describeExternal: Describer = (rule, index, context) => {
  const target = getTargetChain(rule);
  const comment = getKubeComment(rule);
  if (target === KUBE_MARK_MASQ) return `mark for masquerade (${hex(MASQUERADE_MARK)}): ${masqueradeReason(rule, comment, context)}`;
  if (!target) return undefined;
  const c = classifyChain(target);
  const label = serviceLabel(index.getServiceByChain(target), target);
  if (comment?.kind === 'external-pod') return `pod source (${rule.sourceAddress?.value ?? 'cluster CIDR'}): short-circuit to the cluster-wide service chain of ${label}`;
  if (comment?.kind === 'local-route') return `node-local source: short-circuit to the cluster-wide service chain of ${label}`;
  if (c?.kind === 'service-local') return `external client: node-local endpoints only (externalTrafficPolicy: Local), source IP kept`;
  if (c?.kind === 'service') return `external traffic → service chain of ${label} (externalTrafficPolicy: Cluster)`;
  return undefined;
};

/** KUBE-FW (kube-proxy.md §3.5, §4). */
const describeFirewall: Describer = (rule, index, context) => {
  const target = getTargetChain(rule);
  const comment = getKubeComment(rule);
  if (target === KUBE_MARK_MASQ) return `mark for masquerade (${hex(MASQUERADE_MARK)}): ${masqueradeReason(rule, comment, context)}`;
  if (target === KUBE_MARK_DROP) return `source not in loadBalancerSourceRanges → mark for DROP (${hex(DROP_MARK)})`;
  if (comment?.kind === 'firewall-other') return 'source not in loadBalancerSourceRanges: left for KUBE-PROXY-FIREWALL to drop';
  if (!target) return undefined;
  const label = serviceLabel(index.getServiceByChain(target), target);
  const s = rule.sourceAddress;
  if (s && !s.negated) return `source in loadBalancerSourceRanges ${s.value} → ${label}`;
  return `load balancer IP → ${label}`;
};

/** KUBE-SEP (kube-proxy.md §3.3). */
const describeEndpoint: Describer = (rule, index) => {
  const target = getTargetChain(rule);
  if (target === KUBE_MARK_MASQ) {
    const ip = getHostSource(rule);
    return `hairpin: endpoint ${ip ?? ''} reaching itself through the service → mark for masquerade (${hex(MASQUERADE_MARK)})`.replace('  ', ' ');
  }
  const dnat = getDnatDestination(rule);
  if (dnat) {
    const sp = index.getServiceByChain(rule.chain);
    const of = sp?.name ? ` of ${sp.name}` : '';
    const affinity = usesRecent(rule) ? ' (remembered for session affinity)' : '';
    return `DNAT to endpoint ${dnat.text}${of}${affinity}`;
  }
  if (rule.target?.kind === 'MARK') return `mark for masquerade (${hex(rule.target.value)}) inline (very old kube-proxy)`;
  return undefined;
};

/** nat KUBE-NODEPORTS / IPVS KUBE-NODE-PORT / filter KUBE-NODEPORTS health checks (kube-proxy.md §3.3, §4, §5). */
const describeNodePorts: Describer = (rule, index, context) => {
  const target = getTargetChain(rule);
  const comment = getKubeComment(rule);
  const port = getDestinationPort(rule);
  if (rule.table === 'filter') {
    if (comment?.kind === 'health-check' && rule.target?.kind === 'ACCEPT') return `health check node port ${port ?? ''} of ${comment.name} → ACCEPT`;
    return undefined;
  }
  if (target === KUBE_MARK_MASQ) return `mark for masquerade (${hex(MASQUERADE_MARK)}): ${masqueradeReason(rule, comment, context)}`;
  if (!target) return undefined;
  const c = classifyChain(target);
  const label = serviceLabel(index.getServiceByChain(target), target);
  const np = port !== undefined ? `NodePort ${port}` : 'NodePort';
  if (c?.kind === 'external') return `${np} of ${label} → external traffic chain`;
  if (c?.kind === 'external-local') return `${np} of ${label} → externalTrafficPolicy Local chain`;
  if (c?.kind === 'service') return `${np} of ${label} → service chain`;
  return undefined;
};

/** KUBE-MARK-MASQ / KUBE-MARK-DROP bodies (kube-proxy.md §3.2, §4). */
const describeMark: Describer = (rule, _index, _context, kind) => {
  if (rule.target?.kind !== 'MARK') return undefined;
  if (kind === 'mark-masquerade') return `set masquerade mark ${hex(MASQUERADE_MARK)}: KUBE-POSTROUTING will SNAT this connection`;
  return `set drop mark ${hex(DROP_MARK)}: KUBE-FIREWALL drops the packet in filter INPUT/OUTPUT`;
};

/** KUBE-POSTROUTING (kube-proxy.md §3.2, §4 "Before #92035", §5). */
const describePostrouting: Describer = (rule) => {
  const mark = getMarkMatch(rule);
  if (rule.target?.kind === 'RETURN' && mark?.negated) return `no masquerade mark (${hex(MASQUERADE_MARK)}): not SNATed by kube-proxy`;
  if (rule.target?.kind === 'MARK') return `clear the ${hex(MASQUERADE_MARK)} mark so the packet is not masqueraded twice`;
  if (rule.target?.kind === 'MASQUERADE') {
    const set = getMatchSet(rule);
    if (set) return `IPVS hairpin (ipset ${set.name}): masquerade`;
    return `masquerade: packet carries ${hex(MASQUERADE_MARK)} (SNAT to the outgoing interface's address)`;
  }
  return undefined;
};

/** filter KUBE-FORWARD (kube-proxy.md §3.2, §4). */
const describeForward: Describer = (rule) => {
  const ct = getCtStates(rule);
  if (rule.target?.kind === 'DROP' && ct?.states.includes('INVALID')) return 'conntrack state INVALID → DROP';
  if (rule.target?.kind !== 'ACCEPT') return undefined;
  if (getMarkMatch(rule)) return `forwarding: packet carries the masquerade mark ${hex(MASQUERADE_MARK)} → ACCEPT`;
  if (ct) return `forwarding: ${ct.states.join(',')} connection → ACCEPT`;
  return undefined;
};

/** filter KUBE-FIREWALL (kube-proxy.md §3.2, §4). */
const describeKubeFirewall: Describer = (rule) => {
  if (rule.target?.kind !== 'DROP') return undefined;
  if (getMarkMatch(rule)) return `KUBE-MARK-DROP mark ${hex(DROP_MARK)} → DROP`;
  if (rule.destinationAddress?.value.startsWith('127.')) return 'block incoming localnet connections: 127.0.0.0/8 destination from a non-loopback source → DROP';
  return undefined;
};

/** filter KUBE-EXTERNAL-SERVICES / KUBE-PROXY-FIREWALL (kube-proxy.md §3.4, §3.5). */
const describeFilterService: Describer = (rule, index) => describeNoEndpointRule(rule, getKubeComment(rule), index);

const DESCRIBERS: Partial<Record<KubeChainKind, Describer>> = {
  services: describeServices,
  service: describeBalancing,
  'service-local': describeBalancing,
  'external-local': describeBalancing,
  external: describeExternal,
  'load-balancer-firewall': describeFirewall,
  endpoint: describeEndpoint,
  nodeports: describeNodePorts,
  'ipvs-node-port': describeNodePorts,
  'mark-masquerade': describeMark,
  'mark-drop': describeMark,
  postrouting: describePostrouting,
  forward: describeForward,
  firewall: describeKubeFirewall,
  'external-services': describeFilterService,
  'proxy-firewall': describeFilterService,
};

/**
 * A jump from a built-in (or other) chain into a kube-proxy chain, by its comment (kube-proxy.md §3.1), else
 * what the chain is. The step's effect already names the target.
 */
function describeEntry(rule: Rule): string | undefined {
  const target = getTargetChain(rule);
  if (!target) return undefined;
  const c = classifyChain(target);
  if (!c) return undefined;
  return getRuleComment(rule) ?? c.description;
}

/**
 * One short phrase saying what a step means in kube-proxy terms; undefined for steps kube-proxy did not
 * write (policy steps, other software's rules).
 */
export function describeStep(step: TraceStep, index: ServiceIndex, context: StepContext = {}): string | undefined {
  const rule = step.ruleRef;
  if (!rule) return undefined;
  const c = classifyChain(step.chain);
  const describer = c ? DESCRIBERS[c.kind] : undefined;
  return describer?.(rule, index, context, c?.kind) ?? describeEntry(rule);
}

/** The service and endpoint a branch lands on, and one line saying so. */
export interface BranchDescription {
  service?: string;
  endpoint?: string;
  summary: string;
}

/**
 * Names the service and endpoint a branch lands on: the first service-port chain (or filter no-endpoint
 * rule) on its path, and the KUBE-SEP that DNATed it. Steps are read in order, so an endpoint whose SEP
 * carries no comment is still attributed through the SVC chain that chose it.
 */
export function describeBranch(branch: TraceBranch, index: ServiceIndex): BranchDescription {
  let serviceName: string | undefined;
  let endpoint: string | undefined;
  let decisive: string | undefined;
  const context: StepContext = { source: branch.packet.ct.origSrc };
  for (const step of branch.path) {
    const rule = step.ruleRef;
    const c = classifyChain(step.chain);
    const target = rule ? getTargetChain(rule) : undefined;
    if (!serviceName && target) {
      const sp = index.getServiceByChain(target);
      if (sp) serviceName = serviceLabel(sp, target);
    }
    if (c?.kind === 'endpoint' && rule) {
      const dnat = getDnatDestination(rule);
      if (dnat) endpoint = dnat.text;
      if (!serviceName) {
        const sp = index.getServiceByChain(step.chain);
        if (sp) serviceName = serviceLabel(sp, step.chain);
      }
    }
    if (rule) {
      const comment = getKubeComment(rule);
      if (comment?.name && (comment.kind === 'no-endpoints' || comment.kind === 'no-local-endpoints' || comment.kind === 'firewall-drop')) {
        serviceName ??= comment.name;
        decisive = describeStep(step, index, context);
      }
      if (target === KUBE_MARK_DROP) decisive = describeStep(step, index, context) ?? decisive;
    }
  }
  const verdict = branch.verdict;
  const parts: string[] = [];
  parts.push(serviceName ? `${serviceName}` : 'no service');
  if (endpoint) parts.push(`→ endpoint ${endpoint}`);
  let summary = `${parts.join(' ')}: ${verdict}`;
  if (decisive && verdict !== 'ACCEPT') summary = `${decisive} (${verdict})`;
  else if (!serviceName && verdict === 'ACCEPT') summary = `not a kube-proxy service: ${verdict}, destination untranslated`;
  if (branch.masquerade) summary += ', masqueraded';
  return {
    ...(serviceName ? { service: serviceName } : {}),
    ...(endpoint ? { endpoint } : {}),
    summary,
  };
}
