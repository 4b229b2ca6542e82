/**
 * "May this peer reach the pod?" answered by the netfilter engine itself (src/engine/walk.ts), not by
 * re-reading the policy: a new connection from one address to the other is walked through every table in
 * the kernel's order, with the arrival interface and the routing decision set from the workloads'
 * interfaces, and the rule that decided it is reported (file line and rule text) in Calico's words.
 */
import { parseCidr } from '../../model/address.js';
import type { NetInterface, Route } from '../../model/network.js';
import type { Ruleset } from '../../model/ruleset.js';
import type { NodeContext } from '../../engine/context.js';
import type { Packet } from '../../engine/packet.js';
import type { TraceBranch, TraceStep } from '../../engine/result.js';
import { tracePacket } from '../../engine/walk.js';
import { lookupRoute } from '../../parse/ip-route.js';
import { classifyCalicoChain } from './chain-names.js';
import { describeCalicoStep, describeWorkload, type CalicoContext } from './explain.js';

/** One side of a reachability question. */
export interface ReachEndpoint {
  address: string;
  /** `default/db-8d66ff5f7-bp6kf (10.88.0.26)`, or the address. */
  label: string;
  /** The workload interface on this node; undefined for an address off this node. */
  interface?: string;
}

/** A rule of the walk, quoted. */
export interface DecidingRule {
  table: string;
  chain: string;
  /** 1-based position in its chain. */
  rule: number;
  file: string;
  line: number;
  text: string;
  /** Calico's meaning of the step, when it is one of felix's rules. */
  meaning?: string;
  /** Whose policy it is: `ingress of default/db-… (cali95aa86cbb2a)`, `egress of …`. */
  whose?: string;
}

/** One fate of the connection (several when something undecidable forks the walk, such as an unknown port). */
export interface ReachOutcome {
  verdict: TraceBranch['verdict'];
  /** Undecidable conditions this fate depends on (empty when the rules decide). */
  given: string[];
  /** The engine's one-line reason. */
  reason: string;
  /** The rule that sealed the fate: the DROP, or the policy/profile rule that set the accept mark. */
  decidedBy?: DecidingRule;
  /** For an accepted connection, the rule that finally accepted it (FORWARD's "Policy explicitly accepted packet."). */
  acceptedAt?: DecidingRule;
}

/** The answer to "may `from` open a connection to `to`?". */
export interface ReachCheck {
  /** `ingress`: the peer connects to the pod; `egress`: the pod connects to the peer. */
  direction: 'ingress' | 'egress';
  from: ReachEndpoint;
  to: ReachEndpoint;
  protocol: 'tcp' | 'udp' | 'sctp';
  port?: number;
  /** `yes`/`no` when every fate agrees; `depends` when they differ on something undecidable; `unknown` when a fate is. */
  answer: 'yes' | 'no' | 'depends' | 'unknown';
  outcomes: ReachOutcome[];
  sentence: string;
  /** What the walk assumed (arrival interface, uplink name, unknown port …). */
  assumptions: string[];
}

/** What the reachability walk needs besides the two endpoints. */
export interface ReachContext {
  ruleset: Ruleset;
  calico: CalicoContext;
  /** Addresses of this node's workloads → their interfaces. */
  workloadInterface: (address: string) => string | undefined;
  routes?: readonly Route[];
  interfaces?: readonly NetInterface[];
}

/** The name taken for the node's uplink when no route says it: only `-i/-o cali+` tests read it. */
export const ASSUMED_UPLINK = 'eth0';

/** Walks a new connection from `from` to `to` and reads its fate. */
export function checkReach(
  direction: ReachCheck['direction'],
  from: ReachEndpoint,
  to: ReachEndpoint,
  protocol: ReachCheck['protocol'],
  port: number | undefined,
  context: ReachContext,
): ReachCheck {
  const assumptions: string[] = [];
  const routes = context.routes ?? [];
  const deviceOf = (address: string): string | undefined => {
    const w = context.workloadInterface(address);
    if (w) return w;
    if (routes.length === 0) return undefined;
    const r = lookupRoute(routes, address);
    return r?.type === 'local' ? 'lo' : r?.device;
  };
  let uplinkSaid = false;
  const uplink = (address: string): string => {
    if (!uplinkSaid) {
      assumptions.push(`${address} is not a workload of this node${routes.length ? '' : ' and no routes were given'}: its traffic is taken to use the node's uplink, called ${ASSUMED_UPLINK} here (only -i/-o cali+ tests read the name)`);
      uplinkSaid = true;
    }
    return ASSUMED_UPLINK;
  };
  const inInterface = from.interface ?? deviceOf(from.address) ?? uplink(from.address);
  const local = [parseCidr('127.0.0.0/8')!];
  for (const iface of context.interfaces ?? []) for (const a of iface.addresses) {
    const c = parseCidr(a.address);
    if (c) local.push(c);
  }
  const node: NodeContext = {
    localAddresses: local,
    localAddressesComplete: (context.interfaces?.length ?? 0) > 0,
    ipsets: context.calico.ipsets ?? new Map(),
    routeOutInterface: (dst) => deviceOf(dst) ?? uplink(dst),
  };
  if (port === undefined) assumptions.push('no port given: rules that test the destination port fork on it');
  const packet: Packet = {
    family: 4,
    protocol,
    src: from.address,
    dst: to.address,
    ...(port !== undefined ? { dport: port } : {}),
    inInterface,
    outInterface: '',
    mark: 0,
    ct: {
      state: new Set(['NEW']),
      status: new Set(),
      origSrc: from.address,
      origDst: to.address,
      ...(port !== undefined ? { origDport: port } : {}),
      replySrc: to.address,
      replyDst: from.address,
      mark: 0,
    },
  };
  const result = tracePacket(context.ruleset, packet, 'remote', node);
  // The engine's wording names trace's flag; here the node's addresses come from an `ip addr` input.
  for (const raw of result.assumptions) {
    const a = raw.replace('(pass --node-ip)', '(give `ip addr` with --from)');
    if (!assumptions.includes(a)) assumptions.push(a);
  }
  const outcomes = result.branches.map((b) => readOutcome(b, context.calico));
  const verdicts = new Set(outcomes.map((o) => o.verdict));
  const answer: ReachCheck['answer'] = verdicts.has('UNKNOWN')
    ? 'unknown'
    : verdicts.size > 1 && !(verdicts.size === 2 && verdicts.has('DROP') && verdicts.has('REJECT'))
      ? 'depends'
      : verdicts.has('ACCEPT')
        ? 'yes'
        : 'no';
  const check: ReachCheck = { direction, from, to, protocol, ...(port !== undefined ? { port } : {}), answer, outcomes, sentence: '', assumptions };
  check.sentence = describeReach(check);
  return check;
}

function toDeciding(step: TraceStep, path: TraceStep[], calico: CalicoContext): DecidingRule {
  const meaning = describeCalicoStep(step, calico);
  const whose = whoseChain(step, path, calico);
  return {
    table: step.table,
    chain: step.chain,
    rule: step.rule ?? 0,
    file: step.file,
    line: step.line,
    text: step.text,
    ...(meaning ? { meaning } : {}),
    ...(whose ? { whose } : {}),
  };
}

/** The tw/fw chain a step belongs to: itself, or the last one entered before it (policy chains are shared). */
function whoseChain(step: TraceStep, path: TraceStep[], calico: CalicoContext): string | undefined {
  const at = path.indexOf(step);
  for (let i = at; i >= 0; i--) {
    const c = classifyCalicoChain(path[i]!.chain);
    if (c?.interface && (c.kind === 'to-workload' || c.kind === 'from-workload')) {
      return `${c.kind === 'to-workload' ? 'ingress' : 'egress'} of ${describeWorkload(c.interface, calico.pods)}`;
    }
  }
  return undefined;
}

function readOutcome(b: TraceBranch, calico: CalicoContext): ReachOutcome {
  const out: ReachOutcome = { verdict: b.verdict, given: b.given, reason: b.reason };
  const rules = b.path.filter((s) => s.kind === 'rule' && s.ruleRef);
  const last = b.path[b.path.length - 1];
  if (b.verdict === 'ACCEPT') {
    const accept = calico.layout.accept;
    const allow = [...rules].reverse().find((s) => {
      const c = classifyCalicoChain(s.chain);
      const t = s.ruleRef!.target;
      const policyChain = c !== undefined && /^(policy|profile)-(in|out)bound$/.test(c.kind);
      return policyChain && t?.kind === 'MARK' && (t.value & t.mask & accept) !== 0;
    });
    const established = rules.find((s) => s.ruleRef!.target?.kind === 'ACCEPT' && /RELATED,ESTABLISHED/.test(s.text));
    const acceptRule = [...rules].reverse().find((s) => s.ruleRef!.target?.kind === 'ACCEPT');
    const decided = allow ?? established ?? acceptRule;
    if (decided) out.decidedBy = toDeciding(decided, b.path, calico);
    if (acceptRule && acceptRule !== decided) out.acceptedAt = toDeciding(acceptRule, b.path, calico);
  } else if (last) {
    out.decidedBy = toDeciding(last, b.path, calico);
  }
  return out;
}

/** `backend (10.88.0.27) → db (10.88.0.26) TCP: allowed by …` */
function describeReach(check: ReachCheck): string {
  const what = `${check.from.label} → ${check.to.label} ${check.protocol.toUpperCase()}${check.port !== undefined ? ` port ${check.port}` : ''}`;
  const one = (o: ReachOutcome): string => {
    const d = o.decidedBy;
    const word = o.verdict === 'ACCEPT' ? 'allowed' : o.verdict === 'DROP' ? 'dropped' : o.verdict === 'REJECT' ? 'rejected' : 'unknown';
    if (!d) return `${word}: ${o.reason}`;
    const whose = d.whose && !(d.meaning ?? '').includes(d.whose.replace(/^(ingress|egress) of /, '')) ? ` in the ${d.whose}` : '';
    return `${word} at ${d.file}:${d.line}${whose}: ${d.meaning ?? d.text}`;
  };
  if (check.answer === 'yes' || check.answer === 'no') return `${what}: ${one(check.outcomes[0]!)}`;
  return `${what}: ${check.answer === 'depends' ? 'depends on ' : 'unknown: '}${check.outcomes.map((o) => `${o.given.length ? `[${o.given.join('; ')}] ` : ''}${one(o)}`).join(' | ')}`;
}
