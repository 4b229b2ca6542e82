import type { Rule } from '../../model/rule.js';
import type { Ruleset } from '../../model/ruleset.js';
import { getChain } from '../../model/ruleset.js';
import type { TraceBranch, TraceResult, TraceStep } from '../../engine/result.js';
import {
  classifyChain,
  DROP_MARK,
  isServicePortChain,
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_MARK_DROP,
  KUBE_MARK_MASQ,
  KUBE_PROXY_FIREWALL,
  MASQUERADE_MARK,
} from './chain-names.js';
import { getKubeComment } from './comments.js';
import { describeMasqueradeReason } from './explain.js';
import { getMarkMatch, getTargetChain, usesRecent } from './rule-facts.js';
import type { ServiceIndex, ServicePort } from './service-index.js';

/** A finding about the trace or the traced service, in kube-proxy terms. */
export interface Finding {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  line?: number;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function percent(p: number): string {
  return `${(p * 100).toFixed(1)}%`;
}

function where(rule: Rule): string {
  return `${rule.table} ${rule.chain} rule ${rule.index}${rule.source.line ? ` (line ${rule.source.line})` : ''}`;
}

function lineOf(rule: Rule): { line?: number } {
  return rule.source.line ? { line: rule.source.line } : {};
}

/** How external clients reach a service port, from what the rules show. */
function externalDoors(sp: ServicePort | undefined): string {
  if (!sp) return 'its NodePort, load balancer and external IPs';
  const doors: string[] = [];
  if (sp.nodePort?.port !== undefined) doors.push(`NodePort ${sp.nodePort.port}`);
  for (const a of sp.loadBalancerIPs) if (a.address) doors.push(`load balancer IP ${a.address}`);
  for (const a of sp.externalIPs) if (a.address) doors.push(`external IP ${a.address}`);
  if (sp.catalog) {
    if (doors.length === 0 && sp.catalog.nodePort !== undefined) doors.push(`NodePort ${sp.catalog.nodePort}`);
    for (const ip of sp.catalog.loadBalancerIPs) if (!doors.some((d) => d.endsWith(ip))) doors.push(`load balancer IP ${ip}`);
  }
  return doors.length > 0 ? doors.join(', ') : 'its NodePort, load balancer and external IPs';
}

/**
 * The no-local-endpoints message in the generation's own terms (kube-proxy.md §3.4, §4): nat KUBE-XLB /
 * KUBE-SVL → KUBE-MARK-DROP (≤1.24, dropped by kubelet's KUBE-FIREWALL) or filter DROP (1.25+).
 */
function noLocalEndpointsMessage(rule: Rule, sp: ServicePort | undefined, name: string, cidrs: string[], onPath: boolean): string {
  const internal = rule.table === 'filter' && rule.chain !== KUBE_EXTERNAL_SERVICES;
  if (internal) {
    return `${name} has no local endpoints on this node (internalTrafficPolicy: Local): pods and processes on this node get no answer from its cluster IP, ${where(rule)} drops new connections (kube-proxy 1.25+); other nodes are not affected.`;
  }
  const era = classifyChain(rule.chain)?.kind === 'external-local' ? 'kube-proxy ≤1.23 KUBE-XLB shape' : 'kube-proxy 1.24 shape';
  const mechanism =
    rule.table === 'nat'
      ? `${where(rule)} jumps to KUBE-MARK-DROP (${hex(DROP_MARK)}) and filter KUBE-FIREWALL drops the marked packet (${era})`
      : `${where(rule)} drops them (kube-proxy 1.25+ shape)`;
  const pods = cidrs.length > 0 ? `pods (source in ${cidrs.join(', ')})` : 'pods';
  const shortCircuit = sp?.chains.ext ?? sp?.chains.xlb;
  const still = `${pods} and the node itself still reach the service's endpoints on other nodes through ${sp?.chains.svc ?? 'its KUBE-SVC chain'}${shortCircuit ? ` (the short-circuit rules of ${shortCircuit})` : ''}`;
  const lead = onPath ? 'this connection is dropped. ' : '';
  return `${name} has no local endpoints on this node (externalTrafficPolicy: Local): ${lead}External clients reaching it via ${externalDoors(sp)} on this node are dropped: ${mechanism}; ${still}. External clients are only served by nodes that run one of its pods.`;
}

/** The service port a rule belongs to: its own chain, or the name in its comment. */
function serviceOfRule(rule: Rule, index: ServiceIndex): ServicePort | undefined {
  const byChain = index.getServiceByChain(rule.chain);
  if (byChain) return byChain;
  const name = getKubeComment(rule)?.name;
  return name ? index.getServiceByName(name, rule.protocol?.value) : undefined;
}

class FindingList {
  readonly items: Finding[] = [];
  private readonly seen = new Set<string>();
  add(f: Finding): void {
    const key = `${f.code}\u0000${f.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.items.push(f);
  }
}

/** Service ports whose chains a branch went through, in path order. */
function servicesOnPath(branch: TraceBranch, index: ServiceIndex): ServicePort[] {
  const out = new Map<string, ServicePort>();
  for (const step of branch.path) {
    for (const chain of [step.chain, step.ruleRef ? getTargetChain(step.ruleRef) : undefined]) {
      if (!chain) continue;
      const sp = isServicePortChain(chain) || classifyChain(chain)?.kind === 'endpoint' ? index.getServiceByChain(chain) : undefined;
      if (sp) out.set(sp.hash, sp);
    }
  }
  return [...out.values()];
}

function masqueradeStep(branch: TraceBranch): TraceStep | undefined {
  return branch.path.find((s) => s.ruleRef && getTargetChain(s.ruleRef) === KUBE_MARK_MASQ);
}

function hasMarkDropRule(ruleset: Ruleset): Rule | undefined {
  for (const rule of getChain(ruleset, 'filter', KUBE_FIREWALL)?.listRules() ?? []) {
    const mark = getMarkMatch(rule);
    if (rule.target?.kind === 'DROP' && mark && !mark.negated && (mark.value & DROP_MARK) !== 0) return rule;
  }
  return undefined;
}

/**
 * Findings about a trace in kube-proxy terms: what dropped or rejected it and which traffic that affects,
 * masquerade, unnamed or stale services, rules not understood on the path, missing comments (large cluster
 * mode), KUBE-MARK-DROP. Static facts about the services the trace reached (e.g. no local endpoints on this
 * node) are reported too, as warnings, even when this packet took another way.
 */
export function listFindings(result: TraceResult, index: ServiceIndex, ruleset: Ruleset): Finding[] {
  const list = new FindingList();
  const cidrs = index.clusterCidrs.map((c) => c.text);
  const reached = new Map<string, ServicePort>();
  const masqueraded: { branch: TraceBranch; step?: TraceStep }[] = [];
  const hitNoLocal = new Set<Rule>();
  const problemLines = new Set(result.problems.filter((p) => p.code === 'not-understood').map((p) => p.line));

  for (const branch of result.branches) {
    for (const sp of servicesOnPath(branch, index)) reached.set(sp.hash, sp);
    const share = result.branches.length > 1 ? ` (${percent(branch.probability)} of new connections)` : '';
    for (const step of branch.path) {
      const rule = step.ruleRef;
      if (step.fork?.startsWith('not understood') && !problemLines.has(step.line)) {
        list.add({ severity: 'warning', code: 'not-understood', message: `${step.table} ${step.chain} rule ${step.rule ?? '?'}: ${step.fork}; both outcomes are traced`, line: step.line });
      }
      if (!rule) continue;
      const comment = getKubeComment(rule);
      const target = getTargetChain(rule);
      if (comment?.kind === 'no-local-endpoints' && (target === KUBE_MARK_DROP || rule.target?.kind === 'DROP')) {
        const sp = serviceOfRule(rule, index);
        hitNoLocal.add(rule);
        const name = sp?.name ?? comment.name ?? 'unknown service';
        list.add({ severity: 'error', code: 'no-local-endpoints', message: noLocalEndpointsMessage(rule, sp, name, cidrs, true) + share, ...lineOf(rule) });
      } else if (comment?.kind === 'no-endpoints' && rule.target?.kind === 'REJECT') {
        list.add({
          severity: 'error',
          code: 'no-endpoints',
          message: `${comment.name} has no endpoints: ${where(rule)} rejects new connections (${rule.target.rejectWith}); kube-proxy writes no NAT rules for it. Check the Service's selector and whether its pods are Ready.`,
          ...lineOf(rule),
        });
      } else if (comment?.kind === 'firewall-drop' || (rule.chain === KUBE_PROXY_FIREWALL && rule.target?.kind === 'DROP')) {
        list.add({
          severity: 'error',
          code: 'load-balancer-source-ranges',
          message: `${comment?.name ?? 'the service'}: the source is not in loadBalancerSourceRanges, ${where(rule)} drops it${share}.`,
          ...lineOf(rule),
        });
      }
      if (target === KUBE_MARK_DROP) {
        const dropper = hasMarkDropRule(ruleset);
        list.add(
          dropper
            ? { severity: 'info', code: 'mark-drop', message: `${where(rule)} sets the drop mark ${hex(DROP_MARK)} (KUBE-MARK-DROP); ${where(dropper)} drops the packet in filter INPUT/OUTPUT.`, ...lineOf(rule) }
            : {
                severity: 'warning',
                code: 'mark-drop',
                message: `${where(rule)} sets the drop mark ${hex(DROP_MARK)} (KUBE-MARK-DROP) but no filter KUBE-FIREWALL rule drops marked packets in these rules (kubelet ≥1.27 no longer creates it, IPTablesOwnershipCleanup): unless another rule does, the packet is not dropped.`,
                ...lineOf(rule),
              },
        );
      }
      if (usesRecent(rule) && target && classifyChain(target)?.kind === 'endpoint') {
        list.add({
          severity: 'info',
          code: 'session-affinity',
          message: `${rule.chain} uses ClientIP session affinity (-m recent): a client that connected recently goes back to the same endpoint; which clients are in the list is runtime state, so the shares shown are for a first connection.`,
          ...lineOf(rule),
        });
      }
    }
    if (branch.masquerade) masqueraded.push({ branch, step: masqueradeStep(branch) });
  }

  if (masqueraded.length > 0) {
    const total = masqueraded.reduce((s, m) => s + m.branch.probability, 0);
    const reasons = new Map<string, TraceStep | undefined>();
    for (const m of masqueraded) {
      const why = m.step?.ruleRef
        ? describeMasqueradeReason(m.step.ruleRef, { source: m.branch.packet.ct.origSrc })
        : `not marked by kube-proxy: ${m.branch.snat ?? 'a SNAT/MASQUERADE rule in POSTROUTING'}`;
      if (!reasons.has(why)) reasons.set(why, m.step);
    }
    const first = [...reasons.values()].find((s) => s !== undefined);
    // Shares add up only among branches that assume the same undecidable conditions (TraceBranch.given).
    const sameGiven = new Set(result.branches.map((b) => (b.given ?? []).join('\u0000'))).size === 1;
    const share = sameGiven ? ` (${percent(total)})` : '';
    const scope = masqueraded.length === result.branches.length ? 'every outcome is' : `${masqueraded.length} of ${result.branches.length} outcomes${share} are`;
    list.add({
      severity: 'info',
      code: 'masquerade',
      message: `${scope} masqueraded (${hex(MASQUERADE_MARK)} mark → KUBE-POSTROUTING MASQUERADE, source NAT to the node's address) because ${[...reasons.keys()].join('; ')}. The endpoint sees the node's address, not the client's.`,
      ...(first?.line ? { line: first.line } : {}),
    });
  }

  // The service at the traced destination, even when no branch entered its chains (e.g. filter REJECT).
  const destinations = new Set(result.branches.map((b) => `${b.originalDestination.address}\u0000${b.originalDestination.port ?? ''}\u0000${b.packet.protocol}`));
  for (const d of destinations) {
    const [address, port, protocol] = d.split('\u0000');
    for (const sp of index.listServicesByDestination(address!, port ? Number(port) : undefined, protocol)) reached.set(sp.hash, sp);
  }

  for (const sp of reached.values()) {
    const chain = sp.chains.svc ?? sp.chains.svl ?? sp.chains.ext ?? sp.chains.xlb ?? sp.chains.fw ?? `hash ${sp.hash}`;
    if (!sp.name) {
      list.add({
        severity: 'warning',
        code: 'unknown-service',
        message: index.catalog
          ? `${chain}: unknown service: no rule comment names it and no port in ${index.catalog.file} hashes to it (stale chain, or a Service list from another cluster).`
          : `${chain}: unknown service: no rule comment names it (kube-proxy omits comments in large clusters); pass --services with \`kubectl get svc -A -o json\` to name it.`,
      });
    } else if (sp.notInCatalog && index.catalog) {
      list.add({
        severity: 'warning',
        code: 'stale-service',
        message: `${sp.name} (${chain}) is not in ${index.catalog.file}: the Service was deleted or changed after kube-proxy wrote these rules, or the list comes from another cluster.`,
      });
    }
    if (sp.commentsMissing) {
      const how = sp.nameSource === 'catalog' && index.catalog ? `named from ${index.catalog.file} by chain hash` : sp.name ? 'named from the comments kube-proxy keeps on KUBE-SERVICES' : 'its name is unknown';
      list.add({
        severity: 'info',
        code: 'comments-missing',
        message: `${sp.name ?? chain}: its KUBE-SVC→KUBE-SEP and KUBE-SEP rules carry no comments (kube-proxy leaves them out in large cluster mode, more than 1000 endpoints); ${how}.`,
      });
    }
    // One static warning per service port (its NodePort/LB/external IP rules say the same thing), and none
    // when the trace itself already hit one of them.
    const [rule] = sp.noLocalEndpoints;
    if (rule && !sp.noLocalEndpoints.some((r) => hitNoLocal.has(r))) {
      list.add({ severity: 'warning', code: 'no-local-endpoints', message: noLocalEndpointsMessage(rule, sp, sp.name ?? chain, cidrs, false), ...lineOf(rule) });
    }
  }
  return list.items;
}
