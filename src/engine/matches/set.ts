import type { IpSet, IpSetMember } from '../../model/ipset.js';
import type { Match } from '../../model/rule.js';
import type { EvalContext } from '../context.js';
import type { Packet } from '../packet.js';
import { compileCidr, lookupAddress, type CompiledCidr } from './address-test.js';
import { checkArgCount, formatOption, negateResult, unknownResult, unsupportedOption } from './combine.js';
import { bool, type MatchModule, type MatchResult } from './match-module.js';
import { unknownPort } from './ports.js';
import { IPSET_ICMP_NAMES, IPSET_ICMPV6_NAMES } from './icmp-types.js';
import { getPacketProtocolNumber, IPPROTO, parsePort, parseProtocol } from './values.js';

/** What one dimension of a set type holds (ipset(8) "SET TYPES"). */
type Dimension = 'ip' | 'net' | 'port' | 'bitmap-port';

/** Dimensions per supported type; `list:set` is handled on its own. */
const TYPE_DIMENSIONS: ReadonlyMap<string, readonly Dimension[]> = new Map([
  ['hash:ip', ['ip']],
  ['bitmap:ip', ['ip']],
  ['hash:net', ['net']],
  ['hash:ip,port', ['ip', 'port']],
  ['hash:ip,port,ip', ['ip', 'port', 'ip']],
  ['hash:ip,port,net', ['ip', 'port', 'net']],
  ['hash:net,port', ['net', 'port']],
  ['hash:net,net', ['net', 'net']],
  ['hash:net,port,net', ['net', 'port', 'net']],
  ['bitmap:port', ['bitmap-port']],
]);

/** A member dimension value: an address prefix, or (protocol, port) where ICMP's port is type<<8|code. */
type MemberValue = { kind: 'prefix'; cidr: CompiledCidr } | { kind: 'port'; proto: number; port: number };

interface CompiledMember {
  values: MemberValue[];
  nomatch: boolean;
  /** Sum of prefix lengths: the kernel tries the most specific prefixes first (`hash:net` lookups). */
  specificity: number;
}

type CompiledSet =
  | { ok: true; dimensions: readonly Dimension[]; members: CompiledMember[]; exact?: Map<string, CompiledMember> }
  | { ok: false; reason: string };

/**
 * Parses a `[proto:]port` element as `ipset list` prints it (`tcp:443`, `udp:53`, `sctp:90`,
 * `icmp:echo-request`, `icmp:8/1`, `ipv6-icmp:echo-request`, `gre:0`) or as written by hand (`80` =
 * tcp:80, ipset(8) "hash:ip,port").
 */
function parseProtoPort(text: string): { proto: number; port: number } | undefined {
  const colon = text.indexOf(':');
  const proto = colon < 0 ? IPPROTO.TCP : parseProtocol(text.slice(0, colon));
  const rest = colon < 0 ? text : text.slice(colon + 1);
  if (proto === undefined) return undefined;
  if (proto === IPPROTO.ICMP || proto === IPPROTO.ICMPV6) {
    const named = (proto === IPPROTO.ICMP ? IPSET_ICMP_NAMES : IPSET_ICMPV6_NAMES).get(rest.toLowerCase());
    const m = named ? undefined : /^(\d{1,3})\/(\d{1,3})$/.exec(rest);
    const type = named ? named[0] : m ? Number(m[1]) : undefined;
    const code = named ? named[1] : m ? Number(m[2]) : undefined;
    if (type === undefined || code === undefined || type > 255 || code > 255) return undefined;
    return { proto, port: (type << 8) | code };
  }
  const port = parsePort(rest);
  return port === undefined ? undefined : { proto, port };
}

function compileMember(member: IpSetMember, dimensions: readonly Dimension[]): CompiledMember | undefined {
  if (member.elements.length !== dimensions.length) return undefined;
  const values: MemberValue[] = [];
  let specificity = 0;
  for (let i = 0; i < dimensions.length; i++) {
    const text = member.elements[i]!;
    const dim = dimensions[i]!;
    if (dim === 'ip' || dim === 'net') {
      // hash:net lists /32 members without a prefix; hash:ip created with `netmask` lists prefixes.
      const cidr = compileCidr(text);
      if (!cidr) return undefined;
      values.push({ kind: 'prefix', cidr });
      specificity += cidr.prefixLength;
    } else if (dim === 'port') {
      const pp = parseProtoPort(text);
      if (!pp) return undefined;
      values.push({ kind: 'port', ...pp });
    } else {
      const port = parsePort(text);
      if (port === undefined) return undefined;
      values.push({ kind: 'port', proto: -1, port });
    }
  }
  return { values, nomatch: member.nomatch, specificity };
}

const compiledSets = new WeakMap<IpSet, CompiledSet>();

/** Compiles a set's members once (an IPVS node's KUBE-CLUSTER-IP holds one member per service port). */
function getCompiledSet(set: IpSet): CompiledSet {
  let compiled = compiledSets.get(set);
  if (compiled) return compiled;
  const dimensions = TYPE_DIMENSIONS.get(set.type);
  if (!dimensions) {
    compiled = { ok: false, reason: `ipset ${set.name} has type ${set.type}, which knetdbg does not evaluate` };
  } else {
    const members: CompiledMember[] = [];
    let bad: IpSetMember | undefined;
    for (const m of set.members) {
      const c = compileMember(m, dimensions);
      if (c) members.push(c);
      else bad ??= m;
    }
    if (bad) compiled = { ok: false, reason: `ipset ${set.name} member not understood: ${bad.raw}` };
    else {
      // Sets without prefixes are exact-match hashes: index them by key for O(1) tests.
      const allHosts = members.every((m) =>
        m.values.every((v) => v.kind === 'port' || v.cidr.prefixLength === (v.cidr.family === 4 ? 32 : 128)),
      );
      let exact: Map<string, CompiledMember> | undefined;
      if (allHosts) {
        exact = new Map();
        for (const m of members) exact.set(memberKey(m.values), m);
      }
      compiled = { ok: true, dimensions, members, exact };
    }
  }
  compiledSets.set(set, compiled);
  return compiled;
}

function memberKey(values: readonly MemberValue[]): string {
  let key = '';
  for (const v of values) key += v.kind === 'prefix' ? `${v.cidr.family}:${v.cidr.network}|` : `${v.proto}:${v.port}|`;
  return key;
}

/** One packet-side value per dimension, or an unknown result when the packet lacks it. */
type PacketValue = { kind: 'address'; text: string } | { kind: 'port'; proto: number; port: number };

function packetPortValue(p: Packet, src: boolean, bitmap: boolean): { value?: PacketValue; result?: MatchResult } {
  const proto = getPacketProtocolNumber(p.protocol);
  if (proto === undefined) return {};
  if (proto === IPPROTO.TCP || proto === IPPROTO.UDP || proto === IPPROTO.SCTP || proto === IPPROTO.UDPLITE) {
    // bitmap:port takes TCP and UDP ports only (ip_set_getport.c `ip_set_get_ip_port`).
    if (bitmap && proto !== IPPROTO.TCP && proto !== IPPROTO.UDP) return {};
    const port = src ? p.sport : p.dport;
    if (port === undefined) return { result: unknownPort(src ? 'source' : 'destination') };
    return { value: { kind: 'port', proto: bitmap ? -1 : proto, port } };
  }
  if (bitmap) return {};
  if (proto === IPPROTO.ICMP || proto === IPPROTO.ICMPV6) {
    // ICMP "port" is type<<8|code whichever direction flag (ip_set_getport.c `get_port`).
    if (p.icmpType === undefined || p.icmpCode === undefined) return { result: unknownResult('ICMP type/code unknown') };
    return { value: { kind: 'port', proto, port: (p.icmpType << 8) | p.icmpCode } };
  }
  // Protocols without ports match with port 0 (`ip_set_get_ip4_port` default case).
  return { value: { kind: 'port', proto, port: 0 } };
}

/** Outcome of testing one set: a member, a `nomatch` member, nothing, or undecidable. */
type SetOutcome = 'member' | 'nomatch' | 'absent' | MatchResult;

function familyOf(set: IpSet): 4 | 6 | undefined {
  return set.family === 'inet' ? 4 : set.family === 'inet6' ? 6 : undefined;
}

/**
 * Tests one set against the packet with the direction flags (`ip_set_test`, net/netfilter/ipset/
 * ip_set_core.c): fewer flags than the type has dimensions, or the other address family, is no match.
 */
function testSet(
  set: IpSet,
  flags: readonly boolean[],
  p: Packet,
  ctx: EvalContext,
  raw: string,
  visiting: Set<string>,
): SetOutcome {
  // `ipset list -t` shows headers only: an empty member list then says nothing about membership.
  if (set.membersOmitted) return unknownResult(`ipset ${set.name} members were not captured (ipset list -t)`);
  if (set.type === 'list:set') {
    // list:set: the first member set that matches decides (ip_set_list_set.c `list_set_ktest`).
    if (visiting.has(set.name)) return 'absent';
    visiting.add(set.name);
    let pending: MatchResult | undefined;
    for (const m of set.members) {
      const name = m.elements[0]!;
      const inner = ctx.node.ipsets.get(name);
      const r = inner ? testSet(inner, flags, p, ctx, raw, visiting) : unknownResult(`ipset ${name} contents unknown`);
      if (r === 'member') return r;
      if (typeof r === 'object' && !pending) pending = r;
    }
    visiting.delete(set.name);
    return pending ?? 'absent';
  }
  const compiled = getCompiledSet(set);
  if (!compiled.ok) return { kind: 'unknown', reason: `not understood: ${raw} (${compiled.reason})`, notUnderstood: true };
  const { dimensions } = compiled;
  if (flags.length < dimensions.length) return 'absent';
  const family = familyOf(set);
  if (family !== undefined && family !== p.family) return 'absent';

  const values: PacketValue[] = [];
  for (let i = 0; i < dimensions.length; i++) {
    const dim = dimensions[i]!;
    const src = flags[i]!;
    if (dim === 'ip' || dim === 'net') values.push({ kind: 'address', text: src ? p.src : p.dst });
    else {
      const { value, result } = packetPortValue(p, src, dim === 'bitmap-port');
      if (result) return result;
      if (!value) return 'absent';
      values.push(value);
    }
  }

  if (compiled.exact) {
    let key = '';
    for (const v of values) {
      if (v.kind === 'port') key += `${v.proto}:${v.port}|`;
      else {
        const a = lookupAddress(v.text);
        if (!a) return 'absent';
        key += `${a.family}:${a.value}|`;
      }
    }
    const hit = compiled.exact.get(key);
    return hit ? (hit.nomatch ? 'nomatch' : 'member') : 'absent';
  }

  // hash:net types: the most specific containing member decides; a `nomatch` one excludes the packet.
  let best: CompiledMember | undefined;
  const addresses = values.map((v) => (v.kind === 'address' ? lookupAddress(v.text) : undefined));
  for (const m of compiled.members) {
    let ok = true;
    for (let i = 0; i < m.values.length && ok; i++) {
      const mv = m.values[i]!;
      const pv = values[i]!;
      if (mv.kind === 'prefix') {
        const a = addresses[i];
        ok = a !== undefined && mv.cidr.contains(a);
      } else ok = pv.kind === 'port' && pv.proto === mv.proto && pv.port === mv.port;
    }
    if (ok && (!best || m.specificity > best.specificity)) best = m;
  }
  return best ? (best.nomatch ? 'nomatch' : 'member') : 'absent';
}

/** Set types that honour `nomatch` members and so `--return-nomatch` (IPSET_TYPE_NOMATCH in ipset). */
function supportsNomatch(set: IpSet | undefined): boolean {
  return set !== undefined && (set.type.startsWith('hash:net') || set.type === 'hash:ip,port,net');
}

function parseFlags(text: string): boolean[] | undefined {
  const out: boolean[] = [];
  for (const f of text.split(',')) {
    if (f === 'src') out.push(true);
    else if (f === 'dst') out.push(false);
    else return undefined;
  }
  return out.length <= 6 ? out : undefined;
}

/**
 * `-m set [!] --match-set NAME src|dst[,…] [--return-nomatch]` (iptables-extensions(8) "set"; ipset(8);
 * net/netfilter/xt_set.c; netfilter.md §6). One flag per dimension picks the packet's source or
 * destination. Contents come from `ctx.node.ipsets`; a set not there is unknown. `--return-nomatch`
 * inverts member/`nomatch` results for types with nomatch support (`ip_set_test`). Counter conditions
 * (`--packets-gt` …) depend on runtime counters: not understood.
 */
export const setModule: MatchModule = {
  name: 'set',
  compile(match: Match) {
    let name: string | undefined;
    let flags: boolean[] | undefined;
    let negated = false;
    let returnNomatch = false;
    for (const option of match.options) {
      if (option.name === 'match-set' || option.name === 'set') {
        const argError = checkArgCount('set', option, 2);
        if (argError) return argError;
        if (name !== undefined) return { error: 'set: one --match-set per match' };
        name = option.args[0]!;
        flags = parseFlags(option.args[1]!);
        if (!flags) return { error: `set: bad flags in ${formatOption(option)}` };
        negated = option.negated;
      } else if (option.name === 'return-nomatch' && !option.negated) {
        returnNomatch = true;
      } else if (option.name === 'update-counters' || option.name === 'update-subcounters') {
        // Only whether counters are updated; no effect on matching.
      } else {
        return unsupportedOption('set', option);
      }
    }
    if (name === undefined || !flags) return { error: 'set: --match-set missing' };
    const setName = name;
    const setFlags = flags;
    const missing = unknownResult(`ipset ${setName} contents unknown`);
    const raw = match.raw;
    return (p, ctx) => {
      const set = ctx.node.ipsets.get(setName);
      if (!set) return missing;
      const outcome = testSet(set, setFlags, p, ctx, raw, new Set());
      if (typeof outcome === 'object') return outcome;
      let matched = outcome === 'member';
      if (returnNomatch && supportsNomatch(set)) matched = outcome === 'nomatch';
      return negateResult(bool(matched), negated);
    };
  },
};
