import { parseCidr } from '../../../src/model/address.js';
import type { IpSet, IpSetMember, IpSetType } from '../../../src/model/ipset.js';
import type { Match, MatchOption, Rule, TableName } from '../../../src/model/rule.js';
import type { Negatable } from '../../../src/model/source.js';
import type { EvalContext, NodeContext } from '../../../src/engine/context.js';
import type { CtState, Hook, Packet } from '../../../src/engine/packet.js';
import { compileMatch } from '../../../src/engine/matches/index.js';
import type { MatchResult } from '../../../src/engine/matches/match-module.js';

/**
 * Test fixtures for the match and target tests: Rules, Matches, Packets and contexts built by hand, so
 * these tests do not depend on the parser.
 */

function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] !== undefined ? m[1] : m[2]!);
  return out;
}

/** Builds a Match from `-m module [!] --opt args…` text. */
export function makeMatch(raw: string): Match {
  const tokens = tokenize(raw);
  if (tokens[0] !== '-m' || tokens.length < 2) throw new Error(`fixture: bad match ${raw}`);
  const options: MatchOption[] = [];
  let negated = false;
  for (const t of tokens.slice(2)) {
    if (t === '!') negated = true;
    else if (t.startsWith('--')) {
      options.push({ name: t.slice(2), negated, args: [] });
      negated = false;
    } else options[options.length - 1]!.args.push(t);
  }
  return { module: tokens[1]!, options, raw };
}

function negatable(text: string | undefined): Negatable<string> | undefined {
  if (text === undefined) return undefined;
  return text.startsWith('! ') ? { negated: true, value: text.slice(2) } : { negated: false, value: text };
}

/** Basic option values as written, `! ` prefix for negation. */
export interface RuleFields {
  table?: TableName;
  chain?: string;
  p?: string;
  s?: string;
  d?: string;
  i?: string;
  o?: string;
  f?: boolean | 'negated';
  matches?: string[];
}

/** Builds a Rule from fields (target-less; targets are tested on their own). */
export function makeRule(fields: RuleFields = {}): Rule {
  const parts = ['-A', fields.chain ?? 'TEST'];
  const rule: Rule = {
    table: fields.table ?? 'filter',
    chain: fields.chain ?? 'TEST',
    index: 1,
    source: { file: 'test', line: 1 },
    raw: '',
    protocol: negatable(fields.p),
    sourceAddress: negatable(fields.s),
    destinationAddress: negatable(fields.d),
    inInterface: negatable(fields.i),
    outInterface: negatable(fields.o),
    fragment: fields.f === undefined || fields.f === false ? undefined : { negated: fields.f === 'negated', value: true },
    matches: (fields.matches ?? []).map(makeMatch),
  };
  rule.raw = [...parts, ...(fields.matches ?? [])].join(' ');
  return rule;
}

/** A new TCP connection from a pod to a ClusterIP, arriving on eth0 (PREROUTING). */
export function makePacket(overrides: Partial<Packet> & { state?: CtState[] } = {}): Packet {
  const { state, ...rest } = overrides;
  const src = rest.src ?? '10.244.1.5';
  const dst = rest.dst ?? '10.96.34.82';
  const sport = 'sport' in rest ? rest.sport : 40000;
  const dport = 'dport' in rest ? rest.dport : 80;
  return {
    family: 4,
    protocol: 'tcp',
    inInterface: 'eth0',
    outInterface: '',
    mark: 0,
    ...rest,
    src,
    dst,
    sport,
    dport,
    ct: rest.ct ?? {
      state: new Set(state ?? ['NEW']),
      status: new Set(),
      origSrc: src,
      origDst: dst,
      origSport: sport,
      origDport: dport,
      replySrc: dst,
      replyDst: src,
      mark: 0,
    },
  };
}

/** Parses one `ipset list` member line (`10.1.0.0/16 nomatch`, `10.2.0.0/16 timeout 99 comment "x"`). */
export function makeMember(line: string): IpSetMember {
  const tokens = tokenize(line);
  const member: IpSetMember = { elements: tokens[0]!.split(','), nomatch: tokens.includes('nomatch'), raw: line };
  const t = tokens.indexOf('timeout');
  if (t >= 0) member.timeout = Number(tokens[t + 1]);
  return member;
}

/** An ipset from its `ipset list` Members lines. */
export function makeSet(name: string, type: IpSetType, members: string[], family?: 'inet' | 'inet6'): IpSet {
  return { name, type, family: type.startsWith('hash:') ? (family ?? 'inet') : family, members: members.map(makeMember) };
}

/** A node with LOCAL address 192.168.1.10 (complete list) and the given sets. */
export function makeContext(overrides: Partial<NodeContext> & { hook?: Hook; table?: TableName } = {}): EvalContext {
  const { hook, table, ...node } = overrides;
  return {
    node: {
      localAddresses: [parseCidr('192.168.1.10')!],
      localAddressesComplete: true,
      ipsets: new Map(),
      ...node,
    },
    hook: hook ?? 'PREROUTING',
    table: table ?? 'nat',
    chain: hook ?? 'PREROUTING',
  };
}

/** Compiles one match block and evaluates it; throws when it does not compile (tests of understood text). */
export function evaluateMatch(raw: string, packet: Packet = makePacket(), ctx: EvalContext = makeContext()): MatchResult {
  const { test, error } = compileMatch(makeMatch(raw), makeRule());
  if (error !== undefined) throw new Error(`fixture: ${raw} did not compile: ${error}`);
  return test(packet, ctx);
}

/** Short form of a result for tables: true / false / 'unknown' / a probability. */
export function summarize(r: MatchResult): boolean | 'unknown' | number {
  return r.kind === 'bool' ? r.value : r.kind === 'unknown' ? 'unknown' : r.p;
}
