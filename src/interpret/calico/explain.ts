/**
 * What each step of a trace means in Calico's terms (calico.md §1.4 comments, §4 rendering order, §5
 * simulator recipe): which workload a dispatch rule leads to, which policy or profile a jump runs, what a
 * policy rule matches (ipsets resolved to members and pods) and does, and why a packet was dropped.
 */
import type { IpSet } from '../../model/ipset.js';
import type { Pod } from '../../model/pod.js';
import type { Rule } from '../../model/rule.js';
import { getChain, type Ruleset } from '../../model/ruleset.js';
import { listTargetChain } from '../../model/target.js';
import type { TraceResult, TraceStep } from '../../engine/result.js';
import type { Finding } from '../report.js';
import { classifyCalicoChain, matchPolicyChain, type CalicoChainClass, type KnownPolicy } from './chain-names.js';
import { matchPodByInterface } from './interface-names.js';
import { formatIpsetMembers } from './ipsets.js';
import { describeMarkOperation, describeMarkTest, type MarkLayout } from './marks.js';
import { getDestinationPorts, getMarkTest, listMeaningfulComments, listSetMatches } from './rule-facts.js';

/** What describing a step may use beyond the step itself. */
export interface CalicoContext {
  layout: MarkLayout;
  /** ipsets by name (`ipset list`), to show members of `-m set` matches. */
  ipsets?: Map<string, IpSet>;
  /** The node's pods, to name workloads and set members. */
  pods?: Pod[];
  /** The rules, to read a policy chain's identifying first-rule comment from any of its steps. */
  ruleset?: Ruleset;
  /** Known policies, to resolve hashed cali-pi-/cali-po- names when the rules carry no comment. */
  policies?: KnownPolicy[];
}

/** Who a policy/profile chain belongs to. */
export interface ChainIdentity {
  /** `default/knp.default.allow-db-access`, `kns.default`, or the chain name when unknown. */
  name: string;
  kind: 'policy' | 'profile' | 'group';
  direction: 'ingress' | 'egress';
  /** Where the name came from. */
  from: 'comment' | 'chain-name' | 'hash-match' | 'unknown';
  /** The comment's kind word in 3.32+ (`KubernetesNetworkPolicy`), `Policy`/`Profile` before. */
  commentKind?: string;
}

/** `Policy ns/name ingress`, `KubernetesNetworkPolicy ns/name egress`, `Profile kns.default ingress` (calico.md §1.4). */
const IDENTITY_COMMENT = /^([A-Z][A-Za-z]*) (\S+) (ingress|egress)$/;

/** `default/db-8d66ff5f7-bp6kf (cali95aa86cbb2a)`, or the interface alone when no pod is known. */
export function describeWorkload(iface: string, pods: readonly Pod[] = []): string {
  const pod = matchPodByInterface(iface, pods);
  return pod ? `${pod.namespace}/${pod.name} (${iface})` : iface;
}

/**
 * The policy, profile or group a cali-pi/po/pri/pro/gi/go chain stands for: from its first rule's comment
 * (Calico ~3.2x+), the unhashed chain name, or by recomputing the hashed name from known policies.
 */
export function getChainIdentity(chain: string, context: Pick<CalicoContext, 'ruleset' | 'policies'>): ChainIdentity | undefined {
  const c = classifyCalicoChain(chain);
  if (!c) return undefined;
  const kind = c.kind === 'policy-inbound' || c.kind === 'policy-outbound' ? 'policy'
    : c.kind === 'profile-inbound' || c.kind === 'profile-outbound' ? 'profile'
    : c.kind === 'policy-group-inbound' || c.kind === 'policy-group-outbound' ? 'group' : undefined;
  if (!kind) return undefined;
  const direction = c.kind.endsWith('inbound') ? 'ingress' : 'egress';
  const first = context.ruleset ? findChain(context.ruleset, chain)?.listRules()[0] : undefined;
  if (first) {
    for (const comment of listMeaningfulComments(first)) {
      const m = IDENTITY_COMMENT.exec(comment);
      if (m) return { name: m[2]!, kind, direction, from: 'comment', commentKind: m[1]! };
    }
  }
  const plain = c.policyName ?? c.profileName;
  if (plain) return { name: plain, kind, direction, from: 'chain-name' };
  const match = context.policies ? matchPolicyChain(chain, context.policies) : undefined;
  if (match) return { name: match.name, kind, direction, from: 'hash-match' };
  return { name: chain, kind, direction, from: 'unknown' };
}

function findChain(ruleset: Ruleset, chain: string) {
  return getChain(ruleset, 'filter', chain) ?? getChain(ruleset, 'raw', chain) ?? getChain(ruleset, 'mangle', chain);
}

/** `policy default/knp.default.allow-db-access`, or `policy cali-pi-_tTE… (name hashed: …)`. */
function identityLabel(id: ChainIdentity): string {
  const what = id.kind === 'group' ? 'policy group' : id.kind;
  if (id.from !== 'unknown') return `${what} ${id.name}`;
  return `${what} ${id.name} (hashed name; this Calico version writes no comment naming it)`;
}

/** "Start of tier security" / "End of tier security. Drop if …" → `security`; "Start of policies" → `default`. */
function tierOf(comment: string): string | undefined {
  const m = /^(?:Start|End) of tier (\S+?)\.?(?: |$)/.exec(comment);
  if (m) return m[1];
  return /^Start of policies$|^Drop if no policies passed packet$/.test(comment) ? 'default' : undefined;
}

/** What a rule matches, in words: protocol, addresses, ipsets with their members, ports. */
export function describeRuleMatch(rule: Rule, context: CalicoContext): string {
  const parts: string[] = [];
  if (rule.protocol) parts.push(`${rule.protocol.negated ? 'not ' : ''}${rule.protocol.value.toUpperCase()}`);
  if (rule.sourceAddress) parts.push(`source ${rule.sourceAddress.negated ? 'not in' : 'in'} ${rule.sourceAddress.value}`);
  if (rule.destinationAddress) parts.push(`destination ${rule.destinationAddress.negated ? 'not in' : 'in'} ${rule.destinationAddress.value}`);
  for (const s of listSetMatches(rule)) {
    const who = s.flags.startsWith('src') ? 'source' : 'destination';
    const set = context.ipsets?.get(s.name);
    const members = set ? ` = ${formatIpsetMembers(set, context.pods)}` : ' (members unknown: no ipset list)';
    parts.push(`${who} ${s.negated ? 'not in' : 'in'} set ${s.name}${members}`);
  }
  const ports = getDestinationPorts(rule);
  if (ports) parts.push(`${ports.negated ? 'not ' : ''}port ${ports.ports}`);
  return parts.length ? parts.join(', ') : 'any packet';
}

/** The action of a policy/profile rule, in Calico's API words. */
function describePolicyAction(rule: Rule, layout: MarkLayout): string | undefined {
  const t = rule.target;
  if (!t) return undefined;
  if (t.kind === 'MARK') {
    if (t.value === layout.accept && t.mask === layout.accept) return 'allow: sets accept mark';
    if (t.value === layout.pass && t.mask === layout.pass) return 'pass to the next tier: sets pass mark';
    if (layout.drop !== undefined && t.value === layout.drop && t.mask === layout.drop) return 'deny: sets drop mark';
    return describeMarkOperation(t.value, t.mask, layout);
  }
  if (t.kind === 'DROP' || t.kind === 'REJECT') return `deny → ${t.kind}`;
  if (t.kind === 'LOG') return 'log';
  if (t.kind === 'NFLOG') return 'flow log';
  if (t.kind === 'RETURN') return 'RETURN';
  if (t.kind === 'ACCEPT') return 'ACCEPT';
  return undefined;
}

/** A follow-up rule felix renders after an action rule (`-m mark --mark A/A -j RETURN`, NFLOG on the mark). */
function isFollowUp(rule: Rule): boolean {
  const test = getMarkTest(rule);
  if (!test || test.negated || test.value !== test.mask) return false;
  const onlyMark = rule.matches.every((m) => m.module === 'mark' || m.module === 'comment');
  return onlyMark && !rule.protocol && !rule.sourceAddress && !rule.destinationAddress;
}

/** 1-based Calico rule number of an iptables rule in a policy chain (action rules counted, follow-ups not). */
function calicoRuleNumber(rule: Rule, context: CalicoContext): number | undefined {
  const chain = context.ruleset ? findChain(context.ruleset, rule.chain) : undefined;
  if (!chain) return undefined;
  let n = 0;
  for (const r of chain.listRules()) {
    if (!isFollowUp(r) && r.target) n++;
    if (r.index === rule.index) return isFollowUp(r) ? Math.max(n, 1) : n;
  }
  return undefined;
}

function describePolicyRule(rule: Rule, c: CalicoChainClass, context: CalicoContext): string {
  const id = getChainIdentity(rule.chain, context) ?? { name: rule.chain, kind: 'policy' as const, direction: 'ingress' as const, from: 'unknown' as const };
  const label = identityLabel(id);
  if (!rule.target) {
    if (rule.index === 1 && rule.matches.every((m) => m.module === 'comment')) {
      return id.kind === 'profile' ? `${label} has no ${id.direction} rules (labels only)` : `${label} has no ${id.direction} rules: it allows nothing in this direction`;
    }
    return `${label}: rule without action`;
  }
  if (isFollowUp(rule) && rule.target.kind === 'RETURN') return `${label}: ${describeMarkTest(getMarkTest(rule)!.value, getMarkTest(rule)!.mask, false, context.layout).replace(/^if /, '')} → RETURN (verdict reached)`;
  if (isFollowUp(rule) && (rule.target.kind === 'DROP' || rule.target.kind === 'REJECT')) return `${label}: drop mark set → ${rule.target.kind} (deny)`;
  if (c.kind === 'policy-group-inbound' || c.kind === 'policy-group-outbound') {
    const target = listTargetChain(rule.target);
    if (target) {
      const inner = getChainIdentity(target, context);
      return `${label}: → ${inner ? identityLabel(inner) : target}`;
    }
    const comments = listMeaningfulComments(rule);
    if (comments.includes('Return on verdict')) return `${label}: a policy already allowed or passed → RETURN`;
  }
  const number = calicoRuleNumber(rule, context);
  const action = describePolicyAction(rule, context.layout) ?? rule.target.name;
  const match = describeRuleMatch(rule, context);
  const test = getMarkTest(rule);
  const guard = test ? ` (${describeMarkTest(test.value, test.mask, test.negated, context.layout)})` : '';
  return `${label}, ${id.direction} rule${number !== undefined ? ` ${number}` : ''}: ${match}${guard} → ${action}`;
}

/** tw/fw (and host endpoint) chain rules, by their comments and targets (calico.md §4.1). */
function describeEndpointRule(rule: Rule, c: CalicoChainClass, context: CalicoContext): string | undefined {
  const comments = listMeaningfulComments(rule);
  const comment = comments[0];
  const t = rule.target;
  const test = getMarkTest(rule);
  const who = c.interface ? describeWorkload(c.interface, context.pods) : 'the endpoint';
  const dir = c.kind === 'to-workload' || c.kind === 'to-host-endpoint' || c.kind === 'to-host-endpoint-forward' ? 'ingress' : 'egress';
  if (comment === 'Endpoint admin disabled') return `${who} is administratively down → DROP`;
  if (comment === 'Return if policy accepted') return `a policy allowed the packet (accept mark set) → RETURN: ${dir} allowed for ${who}`;
  if (comment === 'Return if profile accepted') return `a profile allowed the packet (accept mark set) → RETURN: ${dir} allowed for ${who}`;
  if (comment === 'Drop if no profiles matched') return `no profile accepted the packet → dropped by 'Drop if no profiles matched' (${dir} of ${who})`;
  if (comment !== undefined && /Drop if no policies passed packet$/.test(comment)) {
    const tier = tierOf(comment);
    return `no policy${tier ? ` in tier ${tier}` : ''} accepted the packet → dropped by '${comment}' (${dir} of ${who})`;
  }
  if (comment !== undefined && /^Start of (policies|tier )/.test(comment) && t?.kind === 'MARK') {
    return `start of tier ${tierOf(comment) ?? 'default'} (${dir} of ${who}): ${describeMarkOperation(t.value, t.mask, context.layout)}`;
  }
  if (comment !== undefined && /^Drop (VXLAN|IPinIP) encapped packets originating in (pods|workloads)$/.test(comment)) {
    return `${comment.replace(/^Drop /, '').replace(' originating in', ' sent by')} are dropped → DROP`;
  }
  const target = listTargetChain(t);
  if (target) {
    const id = getChainIdentity(target, context);
    if (id) {
      const guard = test ? ` ${describeMarkTest(test.value, test.mask, test.negated, context.layout)}` : '';
      return `${dir} of ${who}: run ${identityLabel(id)}${guard}`;
    }
    if (classifyCalicoChain(target)?.kind === 'failsafe') return `failsafe ports (${target})`;
  }
  const states = rule.matches.find((m) => m.module === 'conntrack' || m.module === 'state')?.options.find((o) => o.name === 'ctstate' || o.name === 'state');
  if (states && t?.kind === 'ACCEPT') return `${states.args[0]} connection → ACCEPT before any policy (${dir} of ${who})`;
  if (states && t?.kind === 'DROP') return `${states.args[0]} packet → DROP (${dir} of ${who})`;
  if (t?.kind === 'MARK') return `${dir} of ${who}: ${describeMarkOperation(t.value, t.mask, context.layout)}`;
  return undefined;
}

/** Dispatch chains (calico.md §2.5). */
function describeDispatchRule(rule: Rule, c: CalicoChainClass, context: CalicoContext): string | undefined {
  const comment = listMeaningfulComments(rule)[0];
  if (comment === 'Unknown interface') {
    return `interface matches the workload prefix but felix knows no endpoint on it → dropped by 'Unknown interface'`;
  }
  const target = listTargetChain(rule.target);
  if (!target) return undefined;
  const tc = classifyCalicoChain(target);
  const iface = c.kind === 'from-workload-dispatch' ? rule.inInterface?.value : rule.outInterface?.value;
  if (tc?.kind === 'from-workload' && tc.interface) return `from workload ${describeWorkload(tc.interface, context.pods)}`;
  if (tc?.kind === 'to-workload' && tc.interface) return `to workload ${describeWorkload(tc.interface, context.pods)}`;
  if (tc?.kind === c.kind) return `interfaces ${iface ?? tc.id ?? ''} → sub-dispatch ${target}`;
  return undefined;
}

/** Static chains: cali-FORWARD, cali-INPUT, cali-OUTPUT, cali-wl-to-host, raw/mangle cali-PREROUTING (calico.md §4.5). */
function describeStaticRule(rule: Rule, c: CalicoChainClass, context: CalicoContext): string | undefined {
  const comment = listMeaningfulComments(rule)[0];
  const t = rule.target;
  const test = getMarkTest(rule);
  const target = listTargetChain(t);
  if (comment === 'Configured DefaultEndpointToHostAction') return `workload → this node: DefaultEndpointToHostAction → ${t?.name ?? 'none'}`;
  if (comment === 'Host endpoint policy accepted packet.' || comment === 'Policy explicitly accepted packet.') {
    return `${comment === 'Policy explicitly accepted packet.' ? 'Calico policy' : 'host endpoint policy'} accepted the packet (accept mark set) → ${t?.name ?? ''}`.trim();
  }
  if (comment !== undefined && /^(Allow|Drop) (IPIP|IPv4 VXLAN|IPv6 VXLAN|VXLAN)/.test(comment)) return `${comment} → ${t?.name ?? ''}`.trim();
  if (target) {
    const tc = classifyCalicoChain(target);
    const inIf = rule.inInterface && !rule.inInterface.negated ? rule.inInterface.value : undefined;
    const outIf = rule.outInterface && !rule.outInterface.negated ? rule.outInterface.value : undefined;
    if (tc?.kind === 'from-workload-dispatch') return inIf ? `from a pod on this node (${inIf}) → its egress policy` : 'pod egress policy';
    if (tc?.kind === 'to-workload-dispatch') return outIf ? `to a pod on this node (${outIf}) → its ingress policy` : 'pod ingress policy';
    if (tc?.kind === 'workload-to-host') return `from a pod (${inIf ?? 'workload'}) to this node → workload-to-host checks`;
    if (tc) {
      const guard = test ? ` ${describeMarkTest(test.value, test.mask, test.negated, context.layout)}` : '';
      return `→ ${target}: ${tc.description}${guard}`;
    }
  }
  if (t?.kind === 'RETURN' && rule.outInterface && !rule.outInterface.negated) {
    return `to a local pod (${rule.outInterface.value}): host traffic to pods is not policed here → RETURN`;
  }
  if (t?.kind === 'MASQUERADE') return `natOutgoing: ${describeRuleMatch(rule, context)} → MASQUERADE`;
  if (t?.kind === 'MARK') {
    const why = rule.inInterface && !rule.inInterface.negated ? ` for traffic from workloads (${rule.inInterface.value})` : '';
    return `${describeMarkOperation(t.value, t.mask, context.layout)}${why}`;
  }
  if (test && t) return `${describeMarkTest(test.value, test.mask, test.negated, context.layout)} → ${t.name}`;
  return undefined;
}

/**
 * Any MARK target or mark match, decoded into named bits: for rules no other describer explains (the
 * lead may call it for every rule: kube-proxy's 0x4000/0x8000 are named too).
 */
export function describeMarkRule(rule: Rule, layout: MarkLayout): string | undefined {
  const t = rule.target;
  const test = getMarkTest(rule);
  const parts: string[] = [];
  if (test) parts.push(describeMarkTest(test.value, test.mask, test.negated, layout));
  if (t?.kind === 'MARK') parts.push(describeMarkOperation(t.value, t.mask, layout));
  else if (test && t) parts.push(`→ ${t.kind === 'jump' || t.kind === 'goto' ? t.chain : t.kind}`);
  return parts.length ? parts.join(': ') : undefined;
}

/**
 * One short phrase per Calico step; undefined for steps Calico did not write. Kernel-chain rules that
 * felix inserted (`cali:` hash, jump to a cali- chain) count as Calico's.
 */
export function describeCalicoStep(step: TraceStep, context: CalicoContext): string | undefined {
  const rule = step.ruleRef;
  if (!rule) return undefined;
  const c = classifyCalicoChain(step.chain);
  if (!c) {
    const target = listTargetChain(rule.target);
    const tc = target ? classifyCalicoChain(target) : undefined;
    if (tc) return tc.description;
    const comment = listMeaningfulComments(rule)[0];
    if (comment === 'Policy explicitly accepted packet.' || comment === 'Host endpoint policy accepted packet.') {
      return describeStaticRule(rule, { kind: 'top-level', registered: step.chain, description: '' }, context);
    }
    if (listMeaningfulComments(rule).length < listRuleCommentCount(rule) && rule.target?.kind === 'MARK') {
      return describeMarkOperation(rule.target.value, rule.target.mask, context.layout);
    }
    return undefined;
  }
  switch (c.kind) {
    case 'policy-inbound':
    case 'policy-outbound':
    case 'profile-inbound':
    case 'profile-outbound':
    case 'policy-group-inbound':
    case 'policy-group-outbound':
      return describePolicyRule(rule, c, context);
    case 'to-workload':
    case 'from-workload':
    case 'to-host-endpoint':
    case 'from-host-endpoint':
    case 'to-host-endpoint-forward':
    case 'from-host-endpoint-forward':
      return describeEndpointRule(rule, c, context) ?? describeMarkRule(rule, context.layout);
    case 'from-workload-dispatch':
    case 'to-workload-dispatch':
      return describeDispatchRule(rule, c, context);
    default:
      return describeStaticRule(rule, c, context) ?? describeMarkRule(rule, context.layout);
  }
}

function listRuleCommentCount(rule: Rule): number {
  return rule.matches.filter((m) => m.module === 'comment').length;
}

/**
 * Calico findings for a walk: why a branch was dropped in Calico's chains, naming the workload and the
 * policies that ran without accepting.
 */
export function listCalicoFindings(result: TraceResult, context: CalicoContext): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const add = (f: Finding): void => {
    const key = `${f.code}|${f.line ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    findings.push(f);
  };
  for (const branch of result.branches) {
    if (branch.verdict !== 'DROP' && branch.verdict !== 'REJECT') continue;
    const last = branch.path[branch.path.length - 1];
    const rule = last?.ruleRef;
    if (!last || !rule) continue;
    const c = classifyCalicoChain(last.chain);
    const comment = listMeaningfulComments(rule)[0];
    const lineOf = { line: last.line };
    const who = c?.interface ? describeWorkload(c.interface, context.pods) : undefined;
    const dir = c?.kind === 'to-workload' ? 'ingress' : 'egress';
    const flow = `${branch.packet.ct.origSrc} → ${branch.originalDestination.address}${branch.originalDestination.port !== undefined ? `:${branch.originalDestination.port}` : ''}`;
    if (comment !== undefined && /Drop if no policies passed packet$/.test(comment)) {
      // Only the policies of the tier that ended: the list restarts at each "Start of tier/policies".
      let ran: string[] = [];
      for (const s of branch.path) {
        if (s.chain !== last.chain || !s.ruleRef) continue;
        if (listMeaningfulComments(s.ruleRef).some((x) => /^Start of (policies|tier )/.test(x))) ran = [];
        const target = listTargetChain(s.ruleRef.target);
        const id = target ? getChainIdentity(target, context) : undefined;
        if (id && id.kind !== 'profile') ran.push(id.name);
      }
      const tier = tierOf(comment);
      const policies = ran.length ? `${ran.join(', ')} did not accept it` : 'no policy of the tier matched it';
      add({
        severity: 'warning',
        code: 'calico-policy-drop',
        message: `${flow} is dropped by the ${dir} policy of ${who ?? last.chain}${tier ? ` (tier ${tier})` : ''}: ${policies}; the pod is selected by a policy, so its namespace profile no longer applies (${last.chain} line ${last.line}).`,
        ...lineOf,
      });
    } else if (comment === 'Drop if no profiles matched') {
      add({
        severity: 'warning',
        code: 'calico-no-profile-match',
        message: `${flow} is dropped at the end of ${last.chain} (${who ?? 'endpoint'}, ${dir}): no policy selects it and no profile accepted it (line ${last.line}).`,
        ...lineOf,
      });
    } else if (comment === 'Unknown interface') {
      const iface = c?.kind === 'from-workload-dispatch' ? branch.packet.inInterface : branch.packet.outInterface;
      add({
        severity: 'error',
        code: 'calico-unknown-interface',
        message: `${flow} is dropped by '${last.chain}' "Unknown interface": ${iface ? `interface ${iface}` : 'the interface'} looks like a Calico workload interface but felix has no endpoint for it (pod not yet known to felix, or a stale veth) (line ${last.line}).`,
        ...lineOf,
      });
    } else if (c && (c.kind === 'policy-inbound' || c.kind === 'policy-outbound')) {
      const id = getChainIdentity(last.chain, context);
      add({
        severity: 'warning',
        code: 'calico-policy-deny',
        message: `${flow} is denied by ${id ? identityLabel(id) : last.chain} (line ${last.line}).`,
        ...lineOf,
      });
    }
  }
  return findings;
}
