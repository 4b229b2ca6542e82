/**
 * `knetdbg explain-policy <pod>`: who may reach a pod and whom it may reach, read from the node's Calico
 * rules the way felix evaluates them (calico.md §4.1 rendering order, §5 explain recipe):
 * cali-tw-<iface> (ingress) and cali-fw-<iface> (egress) run, after the conntrack shortcuts, one block per
 * tier ("Start of tier" … "End of tier … Drop if no policies passed packet"), each calling its policies in
 * order, then the profiles, then "Drop if no profiles matched". A policy's Allow ends the evaluation
 * (accept mark → RETURN), a Pass skips the rest of its tier, and a tier that selects the pod drops what
 * none of its policies allowed or passed — so the allow-all namespace profile is only reached by pods no
 * policy selects.
 *
 * Pure: everything comes in as parsed data. With `peer`, the answer for that peer is computed by the netfilter
 * engine (policy-reach.ts), not by re-reading the rules here.
 */
import type { IpSet } from '../../model/ipset.js';
import type { NetInterface, Route } from '../../model/network.js';
import type { Pod } from '../../model/pod.js';
import type { Rule } from '../../model/rule.js';
import { getChain, type Ruleset } from '../../model/ruleset.js';
import { listTargetChain } from '../../model/target.js';
import { formatMark } from '../../engine/matches/values.js';
import { classifyCalicoChain, type KnownPolicy } from './chain-names.js';
import type { CalicoContext } from './explain.js';
import { detectMarkLayout, type MarkLayout } from './marks.js';
import { explainPolicyChain, type PolicyChainExplanation, type PolicyRuleExplanation, type PolicyRulesContext } from './policy-rules.js';
import { checkReach, type ReachCheck, type ReachEndpoint } from './policy-reach.js';
import { findWorkload, formatWorkload, getWorkloadByIp, listWorkloads, type Workload } from './policy-workload.js';
import { listMeaningfulComments, listSetMatches } from './rule-facts.js';
import { parseAddress } from '../../model/address.js';

/** What explainPolicy is given. */
export interface ExplainPolicyOptions {
  /** Pod name, name prefix, `namespace/name`, IP or host interface. */
  pod: string;
  namespace?: string;
  /** `ipset list` contents by name (empty when none was given). */
  ipsets: Map<string, IpSet>;
  /** Whether an ipset list was given at all (default: `ipsets.size > 0`): without one, set contents are unknown. */
  ipsetsGiven?: boolean;
  /** The node's pods, to name workloads, set members and peers. */
  pods?: Pod[];
  /** `ip route` of the node: addresses of workloads (`<ip> dev caliXXXX`) and the route to peers. */
  routes?: Route[];
  /** `ip addr` of the node: its own (LOCAL) addresses, for the reachability walk. */
  interfaces?: NetInterface[];
  /** The pod's address when neither the pod list nor the routes give it (the user knows it). */
  podIp?: string;
  /** A peer pod (name, prefix, IP) or address: may it reach the pod, may the pod reach it? */
  peer?: string;
  /** Protocol and destination port of the peer check (default TCP, any port: rules on ports fork). */
  protocol?: 'tcp' | 'udp' | 'sctp';
  port?: number;
  /** Calico's mark layout (default: detected from the rules). */
  layout?: MarkLayout;
  /** Known policies, to name hashed policy chains that carry no comment (Calico < ~3.2x). */
  policies?: KnownPolicy[];
}

/** A rule quoted by line. */
export interface QuotedRule {
  file: string;
  line: number;
  text: string;
}

/** One tier of a tw/fw chain ("default" for Calico ≤ 3.28's single "Start of policies" block). */
export interface TierExplanation {
  name: string;
  /** The "Start of tier"/"Start of policies" rule. */
  start?: QuotedRule;
  policies: PolicyChainExplanation[];
  /** The end-of-tier DROP; absent when the tier's default action is Pass. */
  endOfTier?: QuotedRule & { comment: string };
}

/** A tw/fw chain read in evaluation order. */
export interface DirectionExplanation {
  direction: 'ingress' | 'egress';
  chain: string;
  /** False when the input does not hold the chain (an excerpt, or the pod is not programmed). */
  present: boolean;
  /** The dispatch rule leading to it. */
  dispatchedAt?: QuotedRule;
  /** "Endpoint admin disabled": everything is dropped. */
  adminDisabled?: QuotedRule;
  /** Rules before the policies: conntrack shortcuts, mark clears, encapsulation drops. */
  preamble: (QuotedRule & { note: string })[];
  tiers: TierExplanation[];
  profiles: PolicyChainExplanation[];
  /** The final "Drop if no profiles matched". */
  noProfileDrop?: QuotedRule;
  /** Rules this explainer does not place (QoS, NFLOG, foreign rules). */
  otherRules: (QuotedRule & { note: string })[];
  /** What happens to traffic no rule accepts. */
  unmatched: { action: 'drop' | 'allow' | 'unknown'; sentence: string; rule?: QuotedRule };
  /** One plain sentence for this direction. */
  headline: string;
}

/** A workload as listed to the user (candidates, known workloads). */
export interface WorkloadSummary {
  interface: string;
  pod?: string;
  ips: string[];
}

/** The `--json` payload of `knetdbg explain-policy`. Adding fields is non-breaking. */
export interface PolicyExplanation {
  schemaVersion: 1;
  query: { pod: string; namespace?: string; peer?: string; protocol?: string; port?: number };
  /** `explained`; `ambiguous` (choose among `candidates`); `not-found` (see `lookup`, `candidates` = all known). */
  status: 'explained' | 'ambiguous' | 'not-found';
  /** How the pod was found, or why not. */
  lookup: string;
  candidates?: WorkloadSummary[];
  workload?: Workload;
  layout: { era: MarkLayout['era']; source: MarkLayout['source']; accept: string; pass: string; drop?: string; evidence: string[] };
  ingress?: DirectionExplanation;
  egress?: DirectionExplanation;
  /** With `peer`: peer → pod (ingress) and pod → peer (egress), decided by the engine. */
  reach?: ReachCheck[];
  /** Plain-language summary, one sentence per line. */
  summary: string[];
  /** What the input lacks, and what that leaves unknown. */
  missing: string[];
}

/** Explains the Calico policy of one pod. Never throws for a pod it cannot find: see `status`. */
export function explainPolicy(ruleset: Ruleset, options: ExplainPolicyOptions): PolicyExplanation {
  const layout = options.layout ?? detectMarkLayout(ruleset);
  const pods = options.pods ?? [];
  const routes = options.routes ?? [];
  const ipsetsGiven = options.ipsetsGiven ?? options.ipsets.size > 0;
  const workloads = listWorkloads(ruleset, pods, routes);
  const query: PolicyExplanation['query'] = {
    pod: options.pod,
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ...(options.peer !== undefined ? { peer: options.peer, protocol: options.protocol ?? 'tcp' } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
  };
  const layoutOut: PolicyExplanation['layout'] = {
    era: layout.era,
    source: layout.source,
    accept: formatMark(layout.accept),
    pass: formatMark(layout.pass),
    ...(layout.drop !== undefined ? { drop: formatMark(layout.drop) } : {}),
    evidence: layout.evidence,
  };
  const missing = listInputGaps(ruleset, ipsetsGiven, pods, routes, layout);
  const found = findWorkload(options.pod, options.namespace, workloads, pods);
  if (found.status !== 'found') {
    const list = found.status === 'ambiguous' ? found.candidates : found.known;
    return {
      schemaVersion: 1,
      query,
      status: found.status,
      lookup: found.status === 'ambiguous' ? `${list.length} workloads match ${found.how}: choose one` : found.why,
      candidates: list.map(summarize),
      layout: layoutOut,
      summary: [],
      missing,
    };
  }
  const workload: Workload = found.workload.ips.length === 0 && options.podIp !== undefined ? { ...found.workload, ips: [options.podIp], ipsFrom: 'given' } : found.workload;
  const rulesContext: PolicyRulesContext = { ruleset, layout, ipsets: options.ipsets, ipsetsGiven, pods, ...(options.policies ? { policies: options.policies } : {}) };
  const who = formatWorkload(workload);
  const ingress = explainDirection(ruleset, workload, 'ingress', rulesContext, missing);
  const egress = explainDirection(ruleset, workload, 'egress', rulesContext, missing);
  const summary = [ingress.headline, egress.headline];

  let reach: ReachCheck[] | undefined;
  if (options.peer !== undefined) {
    const peer = resolvePeer(options.peer, workloads, pods);
    if (typeof peer === 'string') {
      summary.push(`--peer ${options.peer}: ${peer}`);
    } else if (workload.ips.length === 0) {
      summary.push(`--peer ${options.peer}: cannot walk a connection: the address of ${who} is not known (give a pod list or the node's routes, or --ip)`);
    } else {
      const address = workload.ips.find((ip) => parseAddress(ip)?.family === 4) ?? workload.ips[0]!;
      const self: ReachEndpoint = {
        address,
        label: workload.name !== undefined ? `${workload.namespace}/${workload.name} (${address})` : `${workload.interface} (${address})`,
        interface: workload.interface,
      };
      // The pod itself may have an address only the user gave (--ip): route it to its interface too.
      const known = workloads.map((w) => (w.interface === workload.interface ? workload : w));
      const calico: CalicoContext = { layout, ipsets: options.ipsets, pods: workloadPods(known, pods), ruleset, ...(options.policies ? { policies: options.policies } : {}) };
      const reachContext = {
        ruleset,
        calico,
        workloadInterface: (address: string) => getWorkloadByIp(address, known)?.interface,
        routes,
        ...(options.interfaces ? { interfaces: options.interfaces } : {}),
      };
      const protocol = options.protocol ?? 'tcp';
      reach = [
        checkReach('ingress', peer, self, protocol, options.port, reachContext),
        checkReach('egress', self, peer, protocol, options.port, reachContext),
      ];
      summary.push(...reach.map(shortReach));
    }
  }
  return {
    schemaVersion: 1,
    query,
    status: 'explained',
    lookup: found.how,
    workload,
    layout: layoutOut,
    ingress,
    egress,
    ...(reach ? { reach } : {}),
    summary,
    missing,
  };
}

/** `default/frontend-… (10.88.0.24) may not reach it: dropped at rules:170 'Drop if no policies passed packet'`. */
function shortReach(r: ReachCheck): string {
  const subject = r.direction === 'ingress' ? `${r.from.label} → this pod` : `this pod → ${r.to.label}`;
  const port = r.port !== undefined ? ` (${r.protocol.toUpperCase()} port ${r.port})` : '';
  const fate = (o: ReachCheck['outcomes'][number]): string => {
    const d = o.decidedBy;
    const word = o.verdict === 'ACCEPT' ? 'allowed' : o.verdict === 'DROP' ? 'dropped' : o.verdict === 'REJECT' ? 'rejected' : 'unknown';
    if (!d) return word;
    const comment = listQuotedComment(d.text);
    return `${word} at ${d.file}:${d.line}${comment ? ` '${comment}'` : ''}${d.whose ? ` (${d.whose.replace(/ \(cali[^)]*\)$/, '')})` : ''}`;
  };
  if (r.answer === 'yes' || r.answer === 'no') return `${subject}${port}: ${r.answer === 'yes' ? 'YES' : 'NO'}, ${fate(r.outcomes[0]!)}.`;
  return `${subject}${port}: ${r.answer === 'depends' ? 'DEPENDS' : 'UNKNOWN'}: ${r.outcomes.map((o) => `${o.given.length ? `${o.given.join('; ')} → ` : ''}${fate(o)}`).join('; ')}.`;
}

/** The meaningful comment of a quoted rule (`Drop if no policies passed packet`), for a short reference. */
function listQuotedComment(text: string): string | undefined {
  for (const m of text.matchAll(/--comment "([^"]*)"/g)) if (!/^cali:/.test(m[1]!)) return m[1];
  return undefined;
}

function summarize(w: Workload): WorkloadSummary {
  return { interface: w.interface, ...(w.name !== undefined ? { pod: `${w.namespace}/${w.name}` } : {}), ips: w.ips };
}

/** The pods to name workloads with: the pod list, plus workloads named by a computed interface name. */
function workloadPods(workloads: readonly Workload[], pods: readonly Pod[]): Pod[] {
  const out = [...pods];
  for (const w of workloads) {
    if (w.name !== undefined && !out.some((p) => p.name === w.name && p.namespace === w.namespace)) {
      out.push({ namespace: w.namespace!, name: w.name, ips: w.ips, hostInterface: w.interface, foundBy: 'calico-name' });
    }
  }
  return out;
}

/** The peer as an endpoint, or why it cannot be one. */
function resolvePeer(peer: string, workloads: readonly Workload[], pods: readonly Pod[]): ReachEndpoint | string {
  if (parseAddress(peer)) {
    const w = getWorkloadByIp(peer, workloads);
    if (w) return { address: peer, label: w.name !== undefined ? `${w.namespace}/${w.name} (${peer})` : `${w.interface} (${peer})`, interface: w.interface };
    const pod = pods.find((p) => p.ips.includes(peer));
    return { address: peer, label: pod ? `${pod.namespace}/${pod.name} (${peer}, another node)` : peer };
  }
  const found = findWorkload(peer, undefined, workloads, pods);
  if (found.status === 'found') {
    const w = found.workload;
    const ip = w.ips[0];
    if (ip === undefined) return `the address of ${formatWorkload(w)} is not known (give a pod list or the node's routes, or pass the peer's IP)`;
    return { address: ip, label: `${w.namespace}/${w.name} (${ip})`, interface: w.interface };
  }
  if (found.status === 'ambiguous') return `${found.candidates.length} workloads match: ${found.candidates.map(formatWorkload).join(', ')}; pass one of them or an IP`;
  const remote = pods.find((p) => (p.name === peer || p.name.startsWith(peer)) && p.ips.length > 0);
  if (remote) return { address: remote.ips[0]!, label: `${remote.namespace}/${remote.name} (${remote.ips[0]}, another node)` };
  return `no pod named ${peer} is known; pass its IP`;
}

/** What the input lacks, said once per kind. */
function listInputGaps(ruleset: Ruleset, ipsetsGiven: boolean, pods: readonly Pod[], routes: readonly Route[], layout: MarkLayout): string[] {
  const out: string[] = [];
  if (ruleset.format === 'excerpt') out.push(`${ruleset.file} is an excerpt (no table headers or cut lines): chains and rules not in it are unknown, and are said where they are referenced`);
  if (!ipsetsGiven) {
    const used = new Set<string>();
    for (const chain of ruleset.tables.get('filter')?.chains.values() ?? []) {
      if (!classifyCalicoChain(chain.name)) continue;
      for (const rule of chain.listRules()) for (const s of listSetMatches(rule)) used.add(s.name);
    }
    if (used.size > 0) out.push(`no \`ipset list\` was given: the members of ${used.size} Calico set${used.size === 1 ? '' : 's'} used by the rules are unknown (add --from ipsets.txt)`);
  }
  if (pods.length === 0) out.push('no pod list was given: workloads are known by interface' + (routes.length ? ' and by the addresses the routes give them' : '') + ', not by name');
  if (layout.source === 'default') out.push(`mark layout not detected from the rules: ${layout.evidence.join('; ')}`);
  return out;
}

function quote(rule: Rule): QuotedRule {
  return { file: rule.source.file, line: rule.source.line, text: rule.raw };
}

/** "Start of tier security" → security; "Start of policies" → default. */
function tierName(comment: string): string | undefined {
  const m = /^(?:Start|End) of tier (\S+?)\.?(?: |$)/.exec(comment);
  if (m) return m[1];
  return /^Start of policies$|^Drop if no policies passed packet$/.test(comment) ? 'default' : undefined;
}

/** Reads a tw/fw chain into tiers, policies and profiles (calico.md §4.1). */
function explainDirection(ruleset: Ruleset, workload: Workload, direction: 'ingress' | 'egress', context: PolicyRulesContext, missing: string[]): DirectionExplanation {
  const chainName = `${direction === 'ingress' ? 'cali-tw-' : 'cali-fw-'}${workload.interface}`;
  const chain = getChain(ruleset, 'filter', chainName);
  const dispatch = findDispatchRule(ruleset, chainName);
  const out: DirectionExplanation = {
    direction,
    chain: chainName,
    present: chain !== undefined && (chain.declared || chain.ruleCount > 0),
    ...(dispatch ? { dispatchedAt: quote(dispatch) } : {}),
    preamble: [],
    tiers: [],
    profiles: [],
    otherRules: [],
    unmatched: { action: 'unknown', sentence: '' },
    headline: '',
  };
  const who = formatWorkload(workload);
  if (!out.present) {
    missing.push(`${chainName} (${direction} of ${who}) is not in the input${dispatch ? ` although ${dispatch.chain} line ${dispatch.source.line} goes to it` : ''}: its ${direction} policy is unknown`);
    out.unmatched = { action: 'unknown', sentence: `${chainName} is not in the input` };
    out.headline = `${who}: ${direction} unknown (${chainName} is not in the input).`;
    return out;
  }
  let tier: TierExplanation | undefined;
  for (const rule of chain!.listRules()) {
    const comments = listMeaningfulComments(rule);
    const comment = comments[0];
    const target = listTargetChain(rule.target);
    const tc = target ? classifyCalicoChain(target) : undefined;
    const t = rule.target;
    if (comment === 'Endpoint admin disabled') {
      out.adminDisabled = quote(rule);
      continue;
    }
    if (comment !== undefined && /^Start of (policies|tier )/.test(comment)) {
      tier = { name: tierName(comment) ?? 'default', start: quote(rule), policies: [] };
      out.tiers.push(tier);
      continue;
    }
    if (comment !== undefined && /Drop if no policies passed packet$/.test(comment)) {
      if (!tier) {
        tier = { name: tierName(comment) ?? 'default', policies: [] };
        out.tiers.push(tier);
      }
      tier.endOfTier = { ...quote(rule), comment };
      tier = undefined;
      continue;
    }
    if (tc && /^(policy|policy-group)-(in|out)bound$/.test(tc.kind)) {
      if (!tier) {
        tier = { name: 'default', policies: [] };
        out.tiers.push(tier);
      }
      const policy = explainPolicyChain(target!, context, rule);
      if (!policy.present) missing.push(`${target}${policy.name !== target ? ` (${policy.name})` : ''} is called by ${chainName} line ${rule.source.line} but its rules are not in the input: what it allows is unknown`);
      tier.policies.push(policy);
      continue;
    }
    if (tc && /^profile-(in|out)bound$/.test(tc.kind)) {
      tier = undefined;
      const profile = explainPolicyChain(target!, context, rule);
      if (!profile.present) {
        missing.push(`${target} (profile ${profile.name}) is called by ${chainName} line ${rule.source.line} but is not in the input${ruleset.format === 'excerpt' ? ' (a profile with labels only is an empty chain: a grep finds no line of it)' : ''}`);
      }
      out.profiles.push(profile);
      continue;
    }
    if (comment === 'Return if policy accepted' || comment === 'Return if profile accepted') continue;
    if (comment === 'Drop if no profiles matched') {
      out.noProfileDrop = quote(rule);
      continue;
    }
    if (t?.kind === 'NFLOG') continue;
    const states = rule.matches.find((m) => m.module === 'conntrack' || m.module === 'state')?.options.find((o) => o.name === 'ctstate' || o.name === 'state');
    if (states && t?.kind === 'ACCEPT') {
      out.preamble.push({ ...quote(rule), note: `${states.args[0]} accepted before any policy` });
      continue;
    }
    if (states && t?.kind === 'DROP') {
      out.preamble.push({ ...quote(rule), note: `${states.args[0]} dropped` });
      continue;
    }
    if (t?.kind === 'MARK' && t.value === 0 && out.tiers.length === 0) {
      out.preamble.push({ ...quote(rule), note: `clears Calico's verdict bits (${formatMark(t.mask)}) before the policies` });
      continue;
    }
    if (comment !== undefined && /^Drop (VXLAN|IPinIP) encapped packets/.test(comment)) {
      out.preamble.push({ ...quote(rule), note: `${/VXLAN/.test(comment) ? 'VXLAN' : 'IP-in-IP'} packets from the pod dropped` });
      continue;
    }
    out.otherRules.push({ ...quote(rule), note: comment ?? 'not a rule felix writes in this place' });
  }
  out.unmatched = describeUnmatched(out, who);
  out.headline = headline(out, who);
  return out;
}

function findDispatchRule(ruleset: Ruleset, chainName: string): Rule | undefined {
  for (const chain of ruleset.tables.get('filter')?.chains.values() ?? []) {
    const c = classifyCalicoChain(chain.name);
    if (c?.kind !== 'from-workload-dispatch' && c?.kind !== 'to-workload-dispatch') continue;
    const hit = chain.listRules().find((r) => listTargetChain(r.target) === chainName);
    if (hit) return hit;
  }
  return undefined;
}

/** What happens to traffic that no rule allows. */
function describeUnmatched(d: DirectionExplanation, who: string): DirectionExplanation['unmatched'] {
  if (d.adminDisabled) return { action: 'drop', sentence: `the endpoint is administratively disabled: everything is dropped`, rule: d.adminDisabled };
  const dropTier = findDroppingTier(d);
  if (dropTier) {
    const names = listPolicyNames(dropTier).join(', ');
    return {
      action: 'drop',
      sentence: `dropped by '${dropTier.endOfTier!.comment}' (${dropTier.endOfTier!.file}:${dropTier.endOfTier!.line}): ${who} is selected by ${d.direction} polic${listPolicyNames(dropTier).length === 1 ? 'y' : 'ies'} ${names}${dropTier.name !== 'default' || d.tiers.length > 1 ? ` in tier ${dropTier.name}` : ''}, so its profiles are not reached`,
      rule: dropTier.endOfTier!,
    };
  }
  const allowing = d.profiles.find((p) => p.allowsAll);
  if (allowing) {
    const rule = allowing.rules.find((r) => r.action === 'allow')!;
    return {
      action: 'allow',
      sentence: `${d.tiers.length ? '' : 'not selected by any policy, so it is '}allowed by profile ${allowing.name} (${rule.file}:${rule.line})`,
      rule: { file: rule.file, line: rule.line, text: rule.text },
    };
  }
  if (d.profiles.some((p) => !p.present)) return { action: 'unknown', sentence: 'decided by a profile whose rules are not in the input' };
  if (d.noProfileDrop) return { action: 'drop', sentence: `dropped by 'Drop if no profiles matched' (${d.noProfileDrop.file}:${d.noProfileDrop.line})`, rule: d.noProfileDrop };
  return { action: 'unknown', sentence: `${d.chain} ends without felix's final drop: the rest of its caller decides` };
}

/** The policies of a tier, groups read through to their members. */
function listPolicyNames(tier: TierExplanation): string[] {
  return tier.policies.flatMap((p) => (p.members ? p.members.map((m) => m.name) : [p.name]));
}

/** True when a policy of the tier passes every packet it gets to the next tier (an unconditional Pass rule). */
function passesEverything(tier: TierExplanation): boolean {
  const all = (p: PolicyChainExplanation): boolean => (p.members ?? [p]).some((m) => m.rules.some((r) => r.action === 'pass' && r.matches === 'everything'));
  return tier.policies.some(all);
}

/**
 * The tier whose end-of-tier DROP catches traffic no rule allows: the first one that ends with a drop and does
 * not pass everything on (a tier whose policy ends in an unconditional Pass hands the rest to the next tier).
 */
function findDroppingTier(d: DirectionExplanation): TierExplanation | undefined {
  return d.tiers.find((t) => t.endOfTier && !passesEverything(t));
}

/** `TCP port 8080 from {…} (shop/allow-frontend-to-api)` for every rule of `action` in the tiers, in order. */
function listRuleTexts(d: DirectionExplanation, action: PolicyRuleExplanation['action']): string[] {
  const out: string[] = [];
  const visit = (p: PolicyChainExplanation): void => {
    if (p.members) {
      p.members.forEach(visit);
      return;
    }
    for (const r of p.rules) if (r.action === action) out.push(`${r.matches} (${p.name}${d.tiers.length > 1 ? `, tier ${tierOf(d, p)}` : ''})`);
  };
  for (const t of d.tiers) t.policies.forEach(visit);
  return out;
}

function tierOf(d: DirectionExplanation, p: PolicyChainExplanation): string {
  return d.tiers.find((t) => t.policies.includes(p))?.name ?? 'default';
}

/** One sentence: who the pod accepts (ingress) or may reach (egress), and what happens to the rest. */
function headline(d: DirectionExplanation, who: string): string {
  const verb = d.direction === 'ingress' ? 'accepts' : 'may send';
  const name = who.replace(/ \(cali[^)]*\)$/, '');
  if (d.adminDisabled) return `${name}: endpoint administratively disabled, all ${d.direction} traffic is dropped.`;
  if (d.tiers.length === 0) {
    const profile = d.profiles.find((p) => p.allowsAll);
    if (profile) return `${name} ${verb} everything (${d.direction}): no policy selects it, and its profile ${profile.name} allows all.`;
    return `${name}: no policy selects it for ${d.direction}; everything is ${d.unmatched.sentence}.`;
  }
  const allows = listRuleTexts(d, 'allow');
  const denies = listRuleTexts(d, 'deny');
  const passes = listRuleTexts(d, 'pass').filter((p) => !p.startsWith('everything '));
  const passers = d.tiers.filter(passesEverything).flatMap((t) => t.policies.filter((p) => passesEverything({ ...t, policies: [p] })).map((p) => p.name));
  const unknown = d.tiers.flatMap((t) => t.policies).filter((p) => !p.present).map((p) => p.chain);
  const parts: string[] = [];
  const unknownPart = unknown.length ? ` and whatever ${unknown.join(', ')} allow${unknown.length === 1 ? 's' : ''} (not in the input)` : '';
  if (d.unmatched.action === 'allow') {
    parts.push(`${name} ${verb} everything${denies.length ? ` except ${denies.join('; ')}` : ''}`);
    if (allows.length) parts.push(`its policies allow ${allows.join('; ')} outright`);
    if (passes.length) parts.push(`pass ${passes.join('; ')} on to the next tier`);
    parts.push(`the rest is ${d.unmatched.sentence}${passers.length ? ` (${passers.join(', ')} pass${passers.length === 1 ? 'es' : ''} it on)` : ''}`);
    return `${parts.join('; ')}.`;
  }
  if (allows.length) parts.push(`${name} ${verb} ${allows.join('; ')}${d.unmatched.action === 'drop' && unknown.length === 0 ? ' only' : ''}${unknownPart}`);
  else parts.push(`${name} ${verb} nothing through its policies${unknownPart}`);
  if (denies.length) parts.push(`denies ${denies.join('; ')}`);
  if (passes.length) parts.push(`passes ${passes.join('; ')} on to the next tier`);
  if (passers.length) parts.push(`${passers.join(', ')} pass${passers.length === 1 ? 'es' : ''} the rest on to the next tier`);
  const dropTier = findDroppingTier(d);
  if (d.unmatched.action === 'drop' && dropTier?.endOfTier) {
    const names = listPolicyNames(dropTier).join(', ');
    parts.push(`everything else is dropped by its ${d.direction} polic${listPolicyNames(dropTier).length === 1 ? 'y' : 'ies'} ${names} (${dropTier.endOfTier.file}:${dropTier.endOfTier.line} '${dropTier.endOfTier.comment}')`);
  } else {
    parts.push(`everything else is ${d.unmatched.sentence}`);
  }
  return `${parts.join('; ')}.`;
}
