import type { MatchOption } from '../../model/rule.js';
import type { CtState, CtStatus, Packet } from '../packet.js';
import { compileCidr, lookupAddress } from './address-test.js';
import { allOf, checkArgCount, formatOption, unsupportedOption } from './combine.js';
import { bool, MATCHED, NOT_MATCHED, type MatchModule, type MatchTest } from './match-module.js';
import { unknownPort } from './ports.js';
import { getPacketProtocolNumber, parsePortRange, parseProtocol } from './values.js';

/** States `--ctstate` accepts, SNAT/DNAT being the virtual ones (iptables-extensions(8) "conntrack"). */
export const CT_STATES: readonly CtState[] = ['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT'];
/** Statuses `--ctstatus` accepts (iptables-extensions(8)). */
export const CT_STATUSES: readonly CtStatus[] = ['NONE', 'EXPECTED', 'SEEN_REPLY', 'ASSURED', 'CONFIRMED'];

/** Parses a comma list of names from `allowed` (case-insensitive, as libxt_conntrack). */
export function parseNameList<T extends string>(text: string, allowed: readonly T[]): T[] | undefined {
  const out: T[] = [];
  for (const raw of text.split(',')) {
    const name = raw.toUpperCase() as T;
    if (!allowed.includes(name)) return undefined;
    out.push(name);
  }
  return out;
}

/**
 * A state-list test: matches when any listed state is among the packet's (xt_conntrack.c:
 * `!!(state_mask & statebit) ^ !invert` → false). Shared with `-m state` (xt_state.c).
 */
export function compileStateTest(states: readonly CtState[], negated: boolean): MatchTest {
  return (p) => {
    let any = false;
    for (const s of states) if (p.ct.state.has(s)) any = true;
    return bool(any !== negated);
  };
}

type AddressField = 'origSrc' | 'origDst' | 'replySrc' | 'replyDst';
const ADDRESS_OPTIONS: ReadonlyMap<string, AddressField> = new Map([
  ['ctorigsrc', 'origSrc'],
  ['ctorigdst', 'origDst'],
  ['ctreplsrc', 'replySrc'],
  ['ctrepldst', 'replyDst'],
]);

/**
 * Ports of the conntrack tuples. The original tuple's ports are recorded in `ct`; the reply tuple's
 * source port is the (possibly DNATed) destination port, its destination port the original source port:
 * SNAT keeps the source port when it is free (nf_nat_core.c `get_unique_tuple` tries the original tuple
 * first), an approximation under `--random-fully`.
 */
const PORT_OPTIONS: ReadonlyMap<string, { read: (p: Packet) => number | undefined; side: 'source' | 'destination' }> =
  new Map([
    ['ctorigsrcport', { read: (p: Packet) => p.ct.origSport, side: 'source' as const }],
    ['ctorigdstport', { read: (p: Packet) => p.ct.origDport, side: 'destination' as const }],
    ['ctreplsrcport', { read: (p: Packet) => p.dport, side: 'destination' as const }],
    ['ctrepldstport', { read: (p: Packet) => p.sport, side: 'source' as const }],
  ]);

function compileOption(option: MatchOption): MatchTest | { error: string } {
  const argError = checkArgCount('conntrack', option, 1);
  if (argError) return argError;
  const arg = option.args[0]!;
  const negated = option.negated;
  const field = ADDRESS_OPTIONS.get(option.name);
  if (field) {
    const cidr = compileCidr(arg);
    if (!cidr) return { error: `conntrack: bad address in ${formatOption(option)}` };
    return (p) => {
      const a = lookupAddress(p.ct[field]);
      return bool((a !== undefined && cidr.contains(a)) !== negated);
    };
  }
  const port = PORT_OPTIONS.get(option.name);
  if (port) {
    const range = parsePortRange(arg);
    if (!range) return { error: `conntrack: bad port in ${formatOption(option)}` };
    const unknown = unknownPort(port.side);
    return (p) => {
      const v = port.read(p);
      return v === undefined ? unknown : bool((v >= range.min && v <= range.max) !== negated);
    };
  }
  switch (option.name) {
    case 'ctproto': {
      const proto = parseProtocol(arg);
      if (proto === undefined) return { error: `conntrack: bad protocol in ${formatOption(option)}` };
      return (p) => bool((getPacketProtocolNumber(p.protocol) === proto) !== negated);
    }
    case 'ctstatus': {
      const statuses = parseNameList(arg, CT_STATUSES);
      if (!statuses) return { error: `conntrack: bad status in ${formatOption(option)}` };
      // NONE is the empty bit set: `--ctstatus NONE` never matches, `! --ctstatus NONE` always does
      // (`!!(status_mask & ct->status) ^ !invert`).
      return (p) => {
        let any = false;
        for (const s of statuses) if (s !== 'NONE' && p.ct.status.has(s)) any = true;
        return bool(any !== negated);
      };
    }
    case 'ctdir': {
      const dir = arg.toUpperCase();
      if (negated || (dir !== 'ORIGINAL' && dir !== 'REPLY')) return unsupportedOption('conntrack', option);
      // The traced packet is the first packet of a connection: ORIGINAL direction.
      return dir === 'ORIGINAL' ? () => MATCHED : () => NOT_MATCHED;
    }
    default:
      // --ctexpire: remaining lifetime is runtime state.
      return unsupportedOption('conntrack', option);
  }
}

/**
 * `-m conntrack` (iptables-extensions(8) "conntrack"; net/netfilter/xt_conntrack.c `conntrack_mt`).
 * For a packet without a conntrack entry (INVALID, or UNTRACKED after `-j CT --notrack`) the kernel
 * checks only `--ctstate` and returns "matched iff --ctstate was given"; every other option is skipped.
 */
export const conntrackModule: MatchModule = {
  name: 'conntrack',
  compile(match) {
    let stateTest: MatchTest | undefined;
    const rest: MatchTest[] = [];
    for (const option of match.options) {
      if (option.name === 'ctstate') {
        const argError = checkArgCount('conntrack', option, 1);
        if (argError) return argError;
        const states = parseNameList(option.args[0]!, CT_STATES);
        if (!states) return { error: `conntrack: bad state in ${formatOption(option)}` };
        stateTest = compileStateTest(states, option.negated);
        continue;
      }
      const t = compileOption(option);
      if ('error' in t) return t;
      rest.push(t);
    }
    const others = allOf(rest);
    const hasState = stateTest !== undefined;
    return (p, ctx) => {
      if (stateTest) {
        const s = stateTest(p, ctx);
        if (s.kind === 'bool' && !s.value) return s;
      }
      if (p.ct.state.has('UNTRACKED') || p.ct.state.has('INVALID')) return bool(hasState);
      return others(p, ctx);
    };
  },
};
