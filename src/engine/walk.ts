import { cidrContains, parseCidr } from '../model/address.js';
import type { Rule, TableName } from '../model/rule.js';
import { type Chain, type Ruleset, getChain } from '../model/ruleset.js';
import { PREFILTER_MIN_RULES, listDestinationCandidates } from '../parse/rule-prefilter.js';
import type { EvalContext, NodeContext } from './context.js';
import { describeLocalAssumption } from './matches/addrtype.js';
import { type CompiledRule, compileRule } from './matches/index.js';
import { type Hook, type Packet, clonePacket } from './packet.js';
import { addInterfaceFact } from './interface-facts.js';
import type { TraceBranch, TraceProblem, TraceResult, TraceStep, Verdict } from './result.js';
import { applyTarget } from './targets/apply.js';

/**
 * Tables per hook in priority order (netfilter.md §1, `enum nf_ip_hook_priorities`):
 * raw -300, mangle -150, nat DNAT -100, filter 0, security 50, nat SNAT +100.
 */
const HOOK_TABLES: Readonly<Record<Hook, readonly TableName[]>> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

/**
 * Which NAT manipulation a nat table consults at each hook: destination NAT on PREROUTING/OUTPUT,
 * source NAT on INPUT/POSTROUTING (nf_nat_inet_fn, net/netfilter/nf_nat_core.c).
 */
const NAT_MANIP: Partial<Record<Hook, 'dnat' | 'snat'>> = {
  PREROUTING: 'dnat',
  OUTPUT: 'dnat',
  INPUT: 'snat',
  POSTROUTING: 'snat',
};

const LOOPBACK_V4 = parseCidr('127.0.0.0/8')!;

/** Where a walk starts: a packet arriving from a pod or the network (PREROUTING), or sent by the node (OUTPUT). */
export type Origin = 'remote' | 'local';

export interface WalkOptions {
  /** Most branches alive at once before the walk stops forking (each further fork ends UNKNOWN). */
  maxBranches?: number;
  /** Most rule evaluations per branch (a guard; real rulesets need far fewer per packet). */
  maxStepsPerBranch?: number;
}

interface Frame {
  chain: Chain;
  /**
   * For big chains, the 0-based indices of the only rules that can match this packet's destination
   * (src/parse/rule-prefilter.ts); undefined = every rule in order.
   */
  order: number[] | undefined;
  /** Position in `order` (or the rule index when `order` is undefined) of the rule being evaluated. */
  next: number;
  /** Index of the next match test of that rule (a fork may resume mid-rule). */
  test: number;
}

function frameLength(f: Frame): number {
  return f.order ? f.order.length : f.chain.ruleCount;
}

function frameRuleIndex(f: Frame): number {
  return f.order ? f.order[f.next]! : f.next;
}

type Stage = { hook: Hook; table: TableName };

interface State {
  packet: Packet;
  probability: number;
  path: TraceStep[];
  conditions: string[];
  /** Undecidable forks taken: fork id and side, with the label said to the user. */
  given: { id: number; matched: boolean; label: string }[];
  hooks: Hook[];
  masquerade: boolean;
  snat?: string;
  origin: Origin;
  /** Stages still to run, in order. Routing decisions append to it. */
  stages: Stage[];
  stageIndex: number;
  frames: Frame[];
  /** NAT manipulations already bound for this connection (real or null binding). */
  natBound: Set<'dnat' | 'snat'>;
  /** Set once routing decided the packet is for this node. */
  routedLocal?: boolean;
  /** True after a local→local packet left POSTROUTING and re-entered on lo (NAT is not consulted again). */
  loopedBack: boolean;
  steps: number;
  original: { address: string; port?: number };
  /** Set on a fork that ends where it was made (a not-understood target that may be terminal). */
  terminal?: Omit<Finished, 'state'>;
}

interface Finished {
  state: State;
  verdict: Verdict;
  disposition: TraceBranch['disposition'];
  reason: string;
}

/**
 * Walks a new connection's first packet through netfilter as the kernel would (netfilter.md §1–4),
 * forking on statistic matches (with their real shares), on anything unknown or not understood, and
 * returns every branch with the rules it matched. Knows nothing of Kubernetes.
 */
export function tracePacket(
  ruleset: Ruleset,
  start: Packet,
  origin: Origin,
  node: NodeContext,
  options: WalkOptions = {},
): TraceResult {
  const maxBranches = options.maxBranches ?? 512;
  const maxSteps = options.maxStepsPerBranch ?? 200_000;
  const walker = new Walker(ruleset, node, maxSteps);
  const first: State = {
    packet: clonePacket(start),
    probability: 1,
    path: [],
    conditions: [],
    given: [],
    hooks: [],
    masquerade: false,
    origin,
    stages: origin === 'remote' ? stagesOf('PREROUTING') : [...stagesOf('OUTPUT'), ...stagesOf('POSTROUTING')],
    stageIndex: 0,
    frames: [],
    natBound: new Set(),
    loopedBack: false,
    steps: 0,
    original: { address: start.dst, port: start.dport },
  };
  const pending: State[] = [first];
  const finished: Finished[] = [];
  let limitReported = false;
  while (pending.length > 0) {
    const state = pending.pop()!;
    const result = walker.run(state, (fork) => {
      if (pending.length + finished.length + 1 >= maxBranches) {
        if (!limitReported) {
          walker.problems.push({
            code: 'branch-limit',
            message: `more than ${maxBranches} branches: further forks were not followed and end UNKNOWN`,
          });
          limitReported = true;
        }
        finished.push({ state: fork, verdict: 'UNKNOWN', disposition: 'unknown', reason: 'branch limit reached' });
        return;
      }
      pending.push(fork);
    });
    finished.push(result);
  }
  mergeIndifferentForks(finished);
  // Deterministic order: by probability (desc), then by the order of the path (line numbers).
  finished.sort((a, b) => b.state.probability - a.state.probability || comparePaths(a.state.path, b.state.path));
  return {
    branches: finished.map(toBranch),
    problems: walker.problems,
    assumptions: [...walker.assumptions],
  };
}

function stagesOf(hook: Hook): Stage[] {
  return HOOK_TABLES[hook].map((table) => ({ hook, table }));
}

function comparePaths(a: TraceStep[], b: TraceStep[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]!.line - b[i]!.line || (a[i]!.rule ?? 0) - (b[i]!.rule ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function toBranch(f: Finished): TraceBranch {
  const s = f.state;
  return {
    probability: s.probability,
    verdict: f.verdict,
    disposition: f.disposition,
    reason: f.reason,
    packet: s.packet,
    originalDestination: s.original,
    masquerade: s.masquerade,
    snat: s.snat,
    path: s.path,
    conditions: s.conditions,
    given: s.given.map((g) => g.label),
    hooks: s.hooks,
  };
}

/** What a branch ends as, for deciding whether an undecidable fork mattered. */
function outcomeKey(f: Finished): string {
  const p = f.state.packet;
  return [f.verdict, f.disposition, p.dst, p.dport, p.src, f.state.masquerade, f.reason, f.state.probability].join('|');
}

/**
 * Two branches that differ only in the side of one undecidable fork and end the same way show that the
 * fork did not matter: merge them (keeping the side where the rule did not match) and say so. Repeats until
 * nothing merges, so nested indifferent forks collapse too.
 */
function mergeIndifferentForks(finished: Finished[]): void {
  for (let merged = true; merged; ) {
    merged = false;
    outer: for (let i = 0; i < finished.length; i++) {
      for (let j = i + 1; j < finished.length; j++) {
        const a = finished[i]!, b = finished[j]!;
        if (a.state.given.length !== b.state.given.length || outcomeKey(a) !== outcomeKey(b)) continue;
        const diff = a.state.given.filter((g, k) => {
          const h = b.state.given[k]!;
          return g.id !== h.id || g.matched !== h.matched;
        });
        if (diff.length !== 1) continue;
        const k = a.state.given.indexOf(diff[0]!);
        const ga = a.state.given[k]!, gb = b.state.given[k]!;
        if (ga.id !== gb.id) continue;
        const keep = ga.matched ? b : a;
        const fork = keep.state.given[k]!;
        keep.state.given = keep.state.given.filter((_, n) => n !== k);
        keep.state.conditions = keep.state.conditions.filter((c) => c !== fork.label);
        keep.state.conditions.push(`${fork.label.replace(/ does not match$| matches$/, '')}: same outcome either way`);
        finished.splice(finished.indexOf(keep === a ? b : a), 1);
        merged = true;
        break outer;
      }
    }
  }
}

function forkState(s: State): State {
  return {
    ...s,
    packet: clonePacket(s.packet),
    path: [...s.path],
    conditions: [...s.conditions],
    given: [...s.given],
    hooks: [...s.hooks],
    stages: [...s.stages],
    frames: s.frames.map((f) => ({ ...f })),
    natBound: new Set(s.natBound),
  };
}

class Walker {
  readonly problems: TraceProblem[] = [];
  readonly assumptions = new Set<string>();
  private readonly compiled = new Map<Rule, CompiledRule>();
  private readonly reportedMissing = new Set<string>();
  private nextForkId = 1;

  constructor(
    private readonly ruleset: Ruleset,
    private readonly node: NodeContext,
    private readonly maxSteps: number,
  ) {}

  /** Runs one state to its end; forks are handed to `spawn`. */
  run(s: State, spawn: (fork: State) => void): Finished {
    if (s.terminal) return { state: s, ...s.terminal };
    for (;;) {
      if (s.frames.length === 0) {
        // Between tables: enter the next stage, or decide routing / finish.
        if (s.stageIndex >= s.stages.length) {
          const next = this.afterStages(s);
          if (next) return next;
          continue;
        }
        const stage = s.stages[s.stageIndex]!;
        if (s.hooks[s.hooks.length - 1] !== stage.hook) s.hooks.push(stage.hook);
        if (!this.enterStage(s, stage)) {
          s.stageIndex++;
        }
        continue;
      }
      const frame = s.frames[s.frames.length - 1]!;
      const stage = s.stages[s.stageIndex]!;
      if (frame.next >= frameLength(frame)) {
        const done = this.endOfChain(s, stage);
        if (done) return done;
        continue;
      }
      if (++s.steps > this.maxSteps) {
        return { state: s, verdict: 'UNKNOWN', disposition: 'unknown', reason: `gave up after ${this.maxSteps} rule evaluations` };
      }
      const compiled = this.compile(frame.chain, frameRuleIndex(frame));
      const ctx: EvalContext = { node: this.node, hook: stage.hook, table: stage.table, chain: frame.chain.name };
      const seen = stage.table === 'raw' ? beforeConntrack(s.packet) : s.packet;
      // Evaluate the rule's tests from where a fork may have left off. AND semantics: any false ends it.
      let matched = true;
      for (; frame.test < compiled.tests.length; frame.test++) {
        let r = compiled.tests[frame.test]!(seen, ctx);
        if (r.kind === 'probability' && (r.p <= 0 || r.p >= 1)) r = { kind: 'bool', value: r.p >= 1 };
        if (r.kind === 'bool') {
          if (r.assumption) this.assumptions.add(r.assumption);
          if (!r.value) {
            matched = false;
            break;
          }
          continue;
        }
        // Undecided: fork. The fork takes the "matches" side and resumes at the next test; this state
        // takes "does not match" and moves on to the next rule.
        const yes = forkState(s);
        const yesFrame = yes.frames[yes.frames.length - 1]!;
        yesFrame.test = frame.test + 1;
        const location = `${stage.table}/${frame.chain.name} #${compiled.rule.index} (line ${compiled.rule.source.line})`;
        if (r.kind === 'probability') {
          yes.probability *= r.p;
          s.probability *= 1 - r.p;
          yes.conditions.push(`${r.reason} at ${location}: matched`);
          s.conditions.push(`${r.reason} at ${location}: not matched`);
          spawn(yes);
        } else {
          if (r.notUnderstood) {
            this.noteNotUnderstood(compiled.rule, r.reason);
          }
          const id = this.nextForkId++;
          if (r.constraint) {
            // One packet, one interface: each side remembers what it found, so later tests agree.
            const { side, pattern, whenMatched } = r.constraint;
            const key = side === 'in' ? 'inInterfaceFacts' : 'outInterfaceFacts';
            yes.packet[key] = addInterfaceFact(yes.packet[key], pattern, whenMatched);
            s.packet[key] = addInterfaceFact(s.packet[key], pattern, !whenMatched);
          }
          const yesLabel = `if ${r.reason} at ${location} matches`;
          const noLabel = `if ${r.reason} at ${location} does not match`;
          yes.conditions.push(yesLabel);
          yes.given.push({ id, matched: true, label: yesLabel });
          s.conditions.push(noLabel);
          s.given.push({ id, matched: false, label: noLabel });
          spawn(yes);
        }
        matched = false;
        break;
      }
      if (!matched) {
        frame.next++;
        frame.test = 0;
        continue;
      }
      const done = this.applyRule(s, frame, compiled, stage, ctx, spawn);
      if (done) return done;
    }
  }

  /** Starts a table's built-in chain for a stage; false when the stage is skipped. */
  private enterStage(s: State, stage: Stage): boolean {
    if (stage.table === 'nat') {
      const manip = NAT_MANIP[stage.hook]!;
      // NAT rules are consulted only for the first packet of a connection, once per manipulation type,
      // and never for untracked packets or for a local packet re-entering on lo (netfilter.md §1-2).
      if (s.natBound.has(manip) || s.packet.ct.state.has('UNTRACKED') || s.loopedBack) return false;
    }
    const chain = getChain(this.ruleset, stage.table, stage.hook);
    if (!chain) return false;
    s.frames.push(this.enter(chain, s.packet));
    return true;
  }

  private enter(chain: Chain, packet: Packet): Frame {
    const order = chain.ruleCount >= PREFILTER_MIN_RULES ? listDestinationCandidates(chain, packet.dst) : undefined;
    return { chain, order, next: 0, test: 0 };
  }

  /** Compiles rule `index` of `chain` once (rules are parsed and compiled only when a walk reaches them). */
  private compile(chain: Chain, index: number): CompiledRule {
    const rule = chain.getRule(index);
    let c = this.compiled.get(rule);
    if (!c) {
      c = compileRule(rule);
      this.compiled.set(rule, c);
    }
    return c;
  }

  private noteNotUnderstood(rule: Rule, reason: string): void {
    const key = `${rule.source.file}:${rule.source.line}`;
    if (this.reportedMissing.has(key)) return;
    this.reportedMissing.add(key);
    this.problems.push({
      code: 'not-understood',
      message: `${reason} (${rule.table}/${rule.chain} #${rule.index}, line ${rule.source.line}): the walk follows both outcomes`,
      table: rule.table,
      chain: rule.chain,
      line: rule.source.line,
    });
  }

  /** The current chain ran out of rules (or RETURNed): pop, or apply the built-in chain's policy. */
  private endOfChain(s: State, stage: Stage): Finished | undefined {
    const frame = s.frames.pop()!;
    if (s.frames.length > 0) {
      const caller = s.frames[s.frames.length - 1]!;
      caller.next++;
      caller.test = 0;
      return undefined;
    }
    // Built-in chain (or a chain it went to with -g) ended: the built-in chain's policy decides.
    const builtin = getChain(this.ruleset, stage.table, stage.hook);
    const policy = builtin?.policy ?? 'ACCEPT';
    if (policy === 'DROP' || stage.table === 'filter') {
      s.path.push({
        hook: stage.hook,
        table: stage.table,
        chain: stage.hook,
        line: builtin?.source.line ?? 0,
        file: builtin?.source.file ?? this.ruleset.file,
        text: `:${stage.hook} ${policy}`,
        kind: 'policy',
        effect: `policy ${policy}${frame.chain.name !== stage.hook ? ` (after -g ${frame.chain.name} ended)` : ''}`,
      });
    }
    if (policy === 'DROP') {
      return {
        state: s,
        verdict: 'DROP',
        disposition: 'dropped',
        reason: `policy DROP of ${stage.table} ${stage.hook} (line ${builtin?.source.line ?? '?'})`,
      };
    }
    this.finishTable(s, stage);
    return undefined;
  }

  /** The table is done with the packet on this hook (ACCEPT or policy ACCEPT): go to the next stage. */
  private finishTable(s: State, stage: Stage): void {
    s.frames = [];
    if (stage.table === 'nat') s.natBound.add(NAT_MANIP[stage.hook]!);
    s.stageIndex++;
  }

  private applyRule(
    s: State,
    frame: Frame,
    compiled: CompiledRule,
    stage: Stage,
    ctx: EvalContext,
    spawn: (fork: State) => void,
  ): Finished | undefined {
    const rule = compiled.rule;
    const target = rule.target;
    const step: TraceStep = {
      hook: stage.hook,
      table: stage.table,
      chain: frame.chain.name,
      rule: rule.index,
      line: rule.source.line,
      file: rule.source.file,
      text: rule.raw,
      ruleRef: rule,
      kind: 'rule',
    };
    s.path.push(step);
    const advance = () => {
      frame.next++;
      frame.test = 0;
    };
    if (!target) {
      advance();
      return undefined;
    }
    switch (target.kind) {
      case 'jump':
      case 'goto': {
        const callee = getChain(this.ruleset, stage.table, target.chain);
        if (!callee) {
          const key = `${stage.table}/${target.chain}`;
          if (!this.reportedMissing.has(key)) {
            this.reportedMissing.add(key);
            this.problems.push({
              code: 'missing-chain',
              message: `chain ${target.chain} (table ${stage.table}) is referenced at line ${rule.source.line} but is not in the input`,
              table: stage.table,
              chain: target.chain,
              line: rule.source.line,
            });
          }
          return {
            state: s,
            verdict: 'UNKNOWN',
            disposition: 'unknown',
            reason: `${target.kind === 'goto' ? 'goto' : 'jump'} to ${target.chain}, which is not in the input (line ${rule.source.line})`,
          };
        }
        if (s.frames.some((f) => f.chain === callee)) {
          this.problems.push({
            code: 'jump-loop',
            message: `jump loop: ${[...s.frames.map((f) => f.chain.name), callee.name].join(' → ')} (line ${rule.source.line})`,
            table: stage.table,
            chain: callee.name,
            line: rule.source.line,
          });
          return { state: s, verdict: 'UNKNOWN', disposition: 'unknown', reason: `jump loop into ${callee.name} at line ${rule.source.line}` };
        }
        step.effect = `${target.kind === 'goto' ? 'goto' : 'jump to'} ${callee.name}`;
        const entered = this.enter(callee, s.packet);
        if (target.kind === 'goto') {
          // -g: no return point; when the callee ends, processing resumes after the -j that entered the
          // calling chain, or the built-in policy applies (netfilter.md §4, ipt_do_table).
          s.frames[s.frames.length - 1] = entered;
        } else {
          s.frames.push(entered);
        }
        return undefined;
      }
      case 'RETURN':
        step.effect = s.frames.length === 1 && frame.chain.builtin ? 'RETURN from built-in chain: policy' : 'RETURN';
        frame.next = frameLength(frame);
        return this.endOfChain(s, stage);
      default:
        break;
    }
    const effect = applyTarget(target, s.packet, ctx);
    if (effect.flow === 'unknown') {
      this.noteNotUnderstood(rule, effect.reason);
      // Not understood: it may let the packet go on or decide its fate. Follow both, labelled.
      const stop = forkState(s);
      const id = this.nextForkId++;
      const stopLabel = `if ${effect.reason} (line ${rule.source.line}) ends the packet's path`;
      const goLabel = `if ${effect.reason} (line ${rule.source.line}) lets the packet continue`;
      stop.conditions.push(stopLabel);
      stop.given.push({ id, matched: true, label: stopLabel });
      s.conditions.push(goLabel);
      s.given.push({ id, matched: false, label: goLabel });
      stop.terminal = {
        verdict: 'UNKNOWN',
        disposition: 'unknown',
        reason: `${effect.reason} (line ${rule.source.line}) may have decided the packet's fate here`,
      };
      spawn(stop);
      step.effect = 'not understood: assumed to continue';
      advance();
      return undefined;
    }
    if (effect.description) step.effect = effect.description;
    for (const a of (effect.flow === 'verdict' && effect.assumptions) || []) this.assumptions.add(a);
    s.packet = effect.packet;
    if (effect.flow === 'continue') {
      advance();
      return undefined;
    }
    if (effect.verdict === 'DROP' || effect.verdict === 'REJECT') {
      return {
        state: s,
        verdict: effect.verdict,
        disposition: effect.verdict === 'DROP' ? 'dropped' : 'rejected',
        reason: `${effect.verdict} by ${stage.table}/${frame.chain.name} rule ${rule.index} (line ${rule.source.line})`,
      };
    }
    if (effect.nat === 'snat') {
      s.masquerade = true;
      s.snat = effect.description ?? rule.raw;
    }
    this.finishTable(s, stage);
    if (effect.nat === 'dnat' && stage.hook === 'OUTPUT') return this.rerouteLocal(s, rule);
    return undefined;
  }

  /**
   * After nat OUTPUT changed a local packet's destination the kernel routes it again (ip_route_me_harder).
   * A 127/8 source may then leave by a non-loopback device only with route_localnet=1 (`__mkroute_output`,
   * net/ipv4/route.c: -EINVAL, the packet is dropped). kube-proxy sets it for localhost NodePorts.
   */
  private rerouteLocal(s: State, rule: Rule): Finished | undefined {
    const loopback = s.packet.family === 4 ? LOOPBACK_V4 : undefined;
    if (!loopback || !cidrContains(loopback, s.packet.src) || cidrContains(loopback, s.packet.dst)) return undefined;
    if (this.node.routeLocalnet === true) return undefined;
    if (this.node.routeLocalnet === false) {
      return {
        state: s,
        verdict: 'DROP',
        disposition: 'dropped',
        reason: `net.ipv4.conf.all.route_localnet=0: after the DNAT at line ${rule.source.line}, the kernel will not route a 127.0.0.0/8 source to ${s.packet.dst} (martian; ip_route_me_harder fails)`,
      };
    }
    this.assumptions.add(
      `a 127.0.0.0/8 source DNATed to ${s.packet.dst} leaves the node only with net.ipv4.conf.all.route_localnet=1 (kube-proxy sets it for localhost NodePorts); assumed set`,
    );
    return undefined;
  }

  /** All stages ran: decide routing (after PREROUTING / after POSTROUTING) or finish the branch. */
  private afterStages(s: State): Finished | undefined {
    const lastHook = s.stages[s.stages.length - 1]!.hook;
    if (lastHook === 'PREROUTING') {
      // Routing decision by the (possibly DNATed) destination (nf_nat_ipv4_pre_routing drops the cached route).
      const local = this.isLocal(s.packet.dst);
      s.routedLocal = local;
      if (local) {
        s.packet.outInterface = '';
        s.stages.push(...stagesOf('INPUT'));
      } else {
        s.packet.outInterface = this.node.routeOutInterface?.(s.packet.dst);
        s.stages.push(...stagesOf('FORWARD'), ...stagesOf('POSTROUTING'));
      }
      return undefined;
    }
    if (lastHook === 'INPUT') {
      return { state: s, verdict: 'ACCEPT', disposition: 'local', reason: `delivered to a local socket on ${s.packet.dst}` };
    }
    // POSTROUTING done.
    if (s.origin === 'local' && !s.loopedBack && this.isLocal(s.packet.dst)) {
      // Local → local: the packet goes out on lo and re-enters PREROUTING → INPUT; its conntrack entry
      // already exists, so NAT is not consulted again (nf_conntrack_in "previously seen").
      s.loopedBack = true;
      s.packet.inInterface = 'lo';
      s.packet.outInterface = '';
      s.stages.push(...stagesOf('PREROUTING'), ...stagesOf('INPUT'));
      return undefined;
    }
    return {
      state: s,
      verdict: 'ACCEPT',
      disposition: 'forwarded',
      reason: `leaves the node towards ${s.packet.dst}${s.packet.outInterface ? ` via ${s.packet.outInterface}` : ''}`,
    };
  }

  private isLocal(address: string): boolean {
    if (this.node.localAddresses.some((c) => cidrContains(c, address))) return true;
    if (!this.node.localAddressesComplete) {
      this.assumptions.add(describeLocalAssumption());
    }
    return false;
  }
}

const rawViews = new WeakMap<Packet, Packet>();

/**
 * The packet as the raw table sees it: raw runs before conntrack (priority -300 vs -200, netfilter.md §1), so
 * no connection is attached yet and `--ctstate`/`--state` see INVALID (xt_conntrack: no ct → INVALID), unless
 * `-j CT --notrack` already made it UNTRACKED. Seen on the kernel: a new TCP SYN matched `--ctstate INVALID` in
 * raw PREROUTING and `--ctstate NEW` in mangle PREROUTING.
 */
function beforeConntrack(packet: Packet): Packet {
  if (packet.ct.state.has('UNTRACKED')) return packet;
  let view = rawViews.get(packet);
  if (!view) {
    view = { ...packet, ct: { ...packet.ct, state: new Set(['INVALID']) } };
    rawViews.set(packet, view);
  }
  return view;
}
