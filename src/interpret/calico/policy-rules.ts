/**
 * One Calico policy, profile or policy-group chain as data: its rules in felix's order, each with its
 * Calico action, protocol/ports and who it matches (ipsets resolved to members and pods).
 *
 * How felix renders a Calico rule (calico.md §4.2–§4.4, felix `rules/policy.go`): Allow = `<match> -j MARK
 * --set-xmark A/A` (+ `-m mark --mark A/A -j RETURN` before 3.28); Pass the same with the pass bit; Deny =
 * `<match> -j DROP` (or the drop bit + a DROP on it in the drop-bit era); Log = `-j LOG`. An empty chain
 * gets a comment-only rule (3.2x+) or no rule: the policy allows nothing in that direction. Match blocks
 * (several CIDRs, many ports) build the match in the scratch bits first.
 */
import type { IpSet } from '../../model/ipset.js';
import type { Pod } from '../../model/pod.js';
import type { Rule } from '../../model/rule.js';
import { getChain, type Ruleset } from '../../model/ruleset.js';
import type { Negatable } from '../../model/source.js';
import { listTargetChain } from '../../model/target.js';
import { classifyCalicoChain, type KnownPolicy } from './chain-names.js';
import { getChainIdentity, type ChainIdentity } from './explain.js';
import { classifyCalicoIpset, resolveIpsetMembers, type CalicoIpsetKind, type ResolvedMember } from './ipsets.js';
import { describeMarkOperation, describeMarkTest, type MarkLayout } from './marks.js';
import { getMarkTest, listSetMatches } from './rule-facts.js';

/** A Calico rule's action (the API words: Allow, Deny, Pass, Log), or a match-block step. */
export type PolicyRuleAction = 'allow' | 'deny' | 'pass' | 'log' | 'match-block' | 'other';

/** One address condition of a rule: a CIDR (`-s`/`-d`) or an ipset (`-m set --match-set`). */
export interface PeerMatch {
  side: 'source' | 'destination';
  negated: boolean;
  kind: 'cidr' | 'ipset';
  /** The CIDR as written, or the set name. */
  value: string;
  /** What kind of Calico set it is (selector, named port …). */
  setKind?: CalicoIpsetKind;
  /** The set's members with the pods they belong to; undefined when the contents are unknown. */
  members?: ResolvedMember[];
  /** Why the members are unknown (no ipset list at all, or this set missing from it). */
  membersUnknown?: string;
  /** The pod whose address a /32 CIDR is. */
  pod?: string;
}

/** A port condition (`--dports 80,443`, `--sport 53`). */
export interface PortMatch {
  side: 'source' | 'destination';
  negated: boolean;
  ports: string;
}

/** One iptables rule of a policy chain, read as Calico's rule. */
export interface PolicyRuleExplanation {
  /** Calico rule number (1-based; the iptables rules of one Calico rule share it). */
  number: number;
  /** 1-based position in the chain. */
  index: number;
  file: string;
  line: number;
  /** The rule as written. */
  text: string;
  action: PolicyRuleAction;
  protocol?: Negatable<string>;
  ports: PortMatch[];
  /** `-m icmp --icmp-type` as written. */
  icmp?: string;
  peers: PeerMatch[];
  /** Matches this explainer does not put in words, as written (`-m addrtype --dst-type LOCAL`). */
  otherMatches: string[];
  /** A condition on Calico's scratch mark bits (the rule completes a match block). */
  markCondition?: string;
  /** What it matches, in words: `TCP port 8080 from {10.244.1.10 (shop/frontend-…)}`, `everything`. */
  matches: string;
  /** The whole rule in words: `allow TCP port 8080 from …`. */
  description: string;
}

/** A policy, profile or policy group, with its rules. */
export interface PolicyChainExplanation {
  kind: ChainIdentity['kind'];
  chain: string;
  /** `default/knp.default.allow-db-access`, `kns.default`, or the chain name when it cannot be told. */
  name: string;
  /** Where the name came from: first-rule comment, unhashed chain name, hash of a known policy, or unknown. */
  nameFrom: ChainIdentity['from'];
  /** False when the rules call the chain but the input does not hold it (an excerpt). */
  present: boolean;
  /** The rule of the tw/fw chain that calls it. */
  calledAt?: { line: number; text: string };
  rules: PolicyRuleExplanation[];
  /** Policy groups (3.28+): the policies they run, in order. */
  members?: PolicyChainExplanation[];
  /** True when no rule acts: the policy allows nothing in this direction (a profile: labels only). */
  allowsNothing: boolean;
  /** True when a rule allows everything unconditionally (the `kns.` profiles). */
  allowsAll: boolean;
}

/** What explaining a chain may use. */
export interface PolicyRulesContext {
  ruleset: Ruleset;
  layout: MarkLayout;
  ipsets: Map<string, IpSet>;
  /** False when no ipset list was given: every set's contents are unknown rather than missing. */
  ipsetsGiven: boolean;
  pods: readonly Pod[];
  policies?: KnownPolicy[];
}

const PROTOCOL_WORD: Record<string, string> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP', icmp: 'ICMP', 'ipv6-icmp': 'ICMPv6', icmpv6: 'ICMPv6', ipencap: 'IP-in-IP', ipv4: 'IP-in-IP' };
/** Sets shown member by member; longer ones are cut (`… 12 more`). */
const MEMBERS_SHOWN = 6;

/** Reads a cali-pi/po/pri/pro/gi/go chain. */
export function explainPolicyChain(chainName: string, context: PolicyRulesContext, calledAt?: Rule): PolicyChainExplanation {
  const id = getChainIdentity(chainName, { ruleset: context.ruleset, ...(context.policies ? { policies: context.policies } : {}) }) ?? {
    name: chainName, kind: 'policy' as const, direction: 'ingress' as const, from: 'unknown' as const,
  };
  const chain = getChain(context.ruleset, 'filter', chainName);
  const out: PolicyChainExplanation = {
    kind: id.kind,
    chain: chainName,
    name: id.name,
    nameFrom: id.from,
    present: chain !== undefined && (chain.declared || chain.ruleCount > 0),
    ...(calledAt ? { calledAt: { line: calledAt.source.line, text: calledAt.raw } } : {}),
    rules: [],
    allowsNothing: false,
    allowsAll: false,
  };
  if (!chain) return out;
  const rules = chain.listRules();
  if (id.kind === 'group') {
    out.members = [];
    for (const rule of rules) {
      const target = listTargetChain(rule.target);
      if (target && classifyCalicoChain(target)) out.members.push(explainPolicyChain(target, context, rule));
    }
    out.allowsNothing = out.members.every((m) => m.allowsNothing);
    out.allowsAll = out.members.some((m) => m.allowsAll);
    return out;
  }
  let number = 0;
  let blockOpen = false;
  for (const rule of rules) {
    if (isFollowUp(rule, context.layout)) continue;
    const action = classifyAction(rule, context.layout);
    if (action === undefined) continue;
    // A match block's first step opens a Calico rule; its steps and the acting rule share the number.
    if (action === 'match-block') {
      if (!blockOpen) number++;
      blockOpen = true;
    } else {
      if (!blockOpen) number++;
      blockOpen = false;
    }
    out.rules.push(explainRule(rule, number, action, context));
  }
  out.allowsNothing = !out.rules.some((r) => r.action === 'allow' || r.action === 'pass');
  out.allowsAll = out.rules.some((r) => r.action === 'allow' && r.matches === 'everything');
  return out;
}

/**
 * The rules felix adds after an action (`-m mark --mark A/A -j RETURN`, NFLOG flow-log rules, the DROP on the
 * drop bit): they repeat the action of the rule before, so they are not Calico rules of their own.
 */
function isFollowUp(rule: Rule, layout: MarkLayout): boolean {
  const t = rule.target;
  if (t?.kind === 'NFLOG') return true;
  const test = getMarkTest(rule);
  if (!test || test.negated || test.value !== test.mask) return false;
  const onlyMark = rule.matches.every((m) => m.module === 'mark' || m.module === 'comment');
  if (!onlyMark || rule.protocol || rule.sourceAddress || rule.destinationAddress) return false;
  const verdictBits = (layout.accept | layout.pass | (layout.drop ?? 0)) >>> 0;
  return (test.mask & verdictBits) !== 0 && (t?.kind === 'RETURN' || t?.kind === 'DROP' || t?.kind === 'REJECT');
}

function classifyAction(rule: Rule, layout: MarkLayout): PolicyRuleAction | undefined {
  const t = rule.target;
  if (!t) return undefined;
  const scratch = (layout.scratch0 | layout.scratch1) >>> 0;
  switch (t.kind) {
    case 'MARK': {
      if (t.value === t.mask && t.mask === layout.accept) return 'allow';
      if (t.value === t.mask && t.mask === layout.pass) return 'pass';
      if (layout.drop !== undefined && t.value === t.mask && t.mask === layout.drop) return 'deny';
      if ((t.mask & scratch) !== 0) return 'match-block';
      return 'other';
    }
    case 'DROP':
    case 'REJECT':
      return 'deny';
    case 'LOG':
      return 'log';
    default:
      return 'other';
  }
}

function explainRule(rule: Rule, number: number, action: PolicyRuleAction, context: PolicyRulesContext): PolicyRuleExplanation {
  const peers: PeerMatch[] = [];
  if (rule.sourceAddress) peers.push(cidrPeer('source', rule.sourceAddress, context.pods));
  if (rule.destinationAddress) peers.push(cidrPeer('destination', rule.destinationAddress, context.pods));
  for (const s of listSetMatches(rule)) {
    const side = s.flags.startsWith('src') ? 'source' : 'destination';
    const set = context.ipsets.get(s.name);
    const kind = classifyCalicoIpset(s.name)?.kind;
    const peer: PeerMatch = { side, negated: s.negated, kind: 'ipset', value: s.name, ...(kind ? { setKind: kind } : {}) };
    if (set && !set.membersOmitted) peer.members = resolveIpsetMembers(set, context.pods);
    else peer.membersUnknown = !context.ipsetsGiven ? 'no ipset list was given' : set?.membersOmitted ? 'the ipset list omits members (ipset list -t)' : 'the set is not in the ipset list';
    peers.push(peer);
  }
  const ports: PortMatch[] = [];
  let icmp: string | undefined;
  const other: string[] = [];
  let markCondition: string | undefined;
  for (const match of rule.matches) {
    switch (match.module) {
      case 'comment':
      case 'set':
        continue;
      case 'mark': {
        const test = getMarkTest(rule);
        if (test) markCondition = describeMarkTest(test.value, test.mask, test.negated, context.layout);
        continue;
      }
      case 'icmp':
      case 'icmp6': {
        const o = match.options.find((x) => x.name === 'icmp-type' || x.name === 'icmpv6-type');
        if (o) icmp = `${o.negated ? 'not ' : ''}type ${o.args.join(' ')}`;
        continue;
      }
      default: {
        let understood = true;
        for (const o of match.options) {
          const side = /^(dports?|destination-ports?)$/.test(o.name) ? 'destination' : /^(sports?|source-ports?)$/.test(o.name) ? 'source' : undefined;
          if (side && o.args[0]) ports.push({ side, negated: o.negated, ports: o.args[0] });
          else understood = false;
        }
        if (!understood || match.options.length === 0) {
          if (!(match.options.length === 0 && rule.protocol && match.module === rule.protocol.value)) other.push(match.raw);
        }
      }
    }
  }
  const base = {
    number,
    index: rule.index,
    file: rule.source.file,
    line: rule.source.line,
    text: rule.raw,
    action,
    ...(rule.protocol ? { protocol: rule.protocol } : {}),
    ports,
    ...(icmp ? { icmp } : {}),
    peers,
    otherMatches: other,
    ...(markCondition ? { markCondition } : {}),
  };
  const matches = describeMatches(base);
  let description: string;
  const t = rule.target;
  switch (action) {
    case 'allow':
      description = `allow ${matches}`;
      break;
    case 'deny':
      description = `deny ${matches}${t?.kind === 'REJECT' ? ' (rejected)' : ''}`;
      break;
    case 'pass':
      description = `pass ${matches} to the next tier`;
      break;
    case 'log':
      description = `log ${matches}`;
      break;
    case 'match-block':
      description = `match block: ${matches} → ${t?.kind === 'MARK' ? describeMarkOperation(t.value, t.mask, context.layout) : t?.name ?? ''}`;
      break;
    default:
      description = `${matches} → ${t?.kind === 'MARK' ? describeMarkOperation(t.value, t.mask, context.layout) : t?.name ?? 'no action'}`;
  }
  return { ...base, matches, description };
}

function cidrPeer(side: PeerMatch['side'], address: Negatable<string>, pods: readonly Pod[]): PeerMatch {
  const bare = address.value.replace(/\/(32|128)$/, '');
  const pod = bare !== address.value ? pods.find((p) => p.ips.includes(bare)) : undefined;
  return { side, negated: address.negated, kind: 'cidr', value: address.value, ...(pod ? { pod: `${pod.namespace}/${pod.name}` } : {}) };
}

/** `{10.88.0.27 (default/backend-…), 10.88.1.5}` or why the members are unknown. */
export function formatPeerWho(peer: PeerMatch): string {
  if (peer.kind === 'cidr') {
    const bare = peer.value.replace(/\/(32|128)$/, '');
    return `${bare}${peer.pod ? ` (${peer.pod})` : ''}`;
  }
  if (!peer.members) return `set ${peer.value} (members unknown: ${peer.membersUnknown ?? 'not listed'})`;
  if (peer.members.length === 0) return `set ${peer.value} (empty: matches nobody now)`;
  const shown = peer.members.slice(0, MEMBERS_SHOWN).map((m) => `${m.nomatch ? 'not ' : ''}${m.text}${m.pod ? ` (${m.pod})` : ''}`);
  const more = peer.members.length > MEMBERS_SHOWN ? `, … ${peer.members.length - MEMBERS_SHOWN} more` : '';
  const list = shown.length === 1 && more === '' ? shown[0]! : `{${shown.join(', ')}${more}}`;
  return peer.setKind === 'named-port' ? `${list} (address and named port)` : list;
}

/** The match part of a rule in words: protocol and ports, then who, then anything else. */
function describeMatches(r: Pick<PolicyRuleExplanation, 'protocol' | 'ports' | 'icmp' | 'peers' | 'otherMatches' | 'markCondition'>): string {
  const parts: string[] = [];
  if (r.protocol && r.protocol.value !== 'all') {
    const word = PROTOCOL_WORD[r.protocol.value.toLowerCase()] ?? r.protocol.value;
    parts.push(`${r.protocol.negated ? 'all but ' : ''}${word}`);
  } else if (r.ports.length > 0 || r.peers.length > 0) {
    parts.push('any protocol');
  }
  for (const p of r.ports) {
    const plural = /[,:]/.test(p.ports) ? 'ports' : 'port';
    parts.push(`${p.side === 'source' ? 'from ' : ''}${p.negated ? 'all but ' : ''}${plural} ${p.ports}`);
  }
  if (r.icmp) parts.push(r.icmp);
  for (const peer of r.peers) parts.push(`${peer.side === 'source' ? 'from' : 'to'} ${peer.negated ? 'anything but ' : ''}${formatPeerWho(peer)}`);
  for (const o of r.otherMatches) parts.push(`if ${o}`);
  if (r.markCondition) parts.push(`(${r.markCondition})`);
  return parts.length === 0 ? 'everything' : parts.join(' ');
}
