import type { Family, MatchOption } from '../model/rule.js';
import type { NatRange, Target } from '../model/target.js';

/**
 * Turning `-j NAME options…` into the {@link Target} union. Option spellings and defaults are those of
 * iptables-extensions(8) and of what iptables-save 1.8.9 prints back (netfilter.md §4, §5, §10; checked by
 * restoring and saving in a scratch namespace, see test/parse/round-trip.test.ts).
 */

/**
 * Target extensions iptables knows but knetdbg does not simulate (iptables-extensions(8) "TARGET EXTENSIONS",
 * plus the common xtables-addons targets). `-j` to one of these is kept as kind `unknown`, never read as a
 * jump to a user chain of that name: iptables refuses user chains named like a target extension.
 */
export const UNSUPPORTED_TARGETS: ReadonlySet<string> = new Set([
  'AUDIT', 'CHECKSUM', 'CLASSIFY', 'CLUSTERIP', 'CONNSECMARK', 'DNPT', 'DSCP', 'ECN', 'HL', 'HMARK', 'IDLETIMER',
  'JOOL', 'LED', 'MIRROR', 'NETMAP', 'NFQUEUE', 'QUEUE', 'RATEEST', 'SAME', 'SECMARK', 'SET', 'SNPT', 'SYNPROXY',
  'TCPMSS', 'TCPOPTSTRIP', 'TEE', 'TOS', 'TPROXY', 'TTL',
  // xtables-addons
  'ACCOUNT', 'CHAOS', 'DELUDE', 'DHCPMAC', 'ECHO', 'IPMARK', 'LOGMARK', 'RAWDNAT', 'RAWSNAT', 'STEAL', 'SYSRQ', 'TARPIT',
]);

/** Targets knetdbg models, by the name written after `-j`. */
export const SUPPORTED_TARGETS: ReadonlySet<string> = new Set([
  'ACCEPT', 'DROP', 'RETURN', 'REJECT', 'MARK', 'CONNMARK', 'DNAT', 'SNAT', 'MASQUERADE', 'REDIRECT', 'LOG', 'NFLOG',
  'ULOG', 'TRACE', 'CT', 'NOTRACK',
]);

/** True when `name` is a target extension (supported or not) rather than a user chain. */
export function isTargetExtension(name: string): boolean {
  return SUPPORTED_TARGETS.has(name) || UNSUPPORTED_TARGETS.has(name);
}

/** What {@link buildTarget} needs besides the options. */
export interface TargetInput {
  name: string;
  goto: boolean;
  options: MatchOption[];
  raw: string;
  family: Family;
}

/** Result: the target, plus "expected …" problems found in its options (the target is then `unknown`). */
export interface TargetResult {
  target: Target;
  problems: string[];
}

const ALL_ONES = 0xffffffff;

const NO_PROBLEMS: string[] = [];

function unknownTarget(base: { name: string; options: MatchOption[]; raw: string }, problems: string[], problem?: string): TargetResult {
  if (problem) problems.push(problem);
  return { target: { ...base, kind: 'unknown' }, problems };
}

/** The first option not in `allowed` (or negated), as written; undefined when all are allowed. */
function findDisallowed(options: MatchOption[], allowed: readonly string[]): string | undefined {
  const bad = options.find((o) => !allowed.includes(o.name) || o.negated);
  return bad ? `${bad.negated ? '! ' : ''}--${bad.name}` : undefined;
}

/** Parses an unsigned 32-bit number written in hex (`0x4000`) or decimal (`16384`); undefined if it is not one. */
export function parseU32(text: string): number | undefined {
  if (!/^(0[xX][0-9a-fA-F]{1,8}|\d{1,10})$/.test(text)) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v > ALL_ONES) return undefined;
  return v >>> 0;
}

/** Parses `value[/mask]`; the mask is undefined when not written. */
export function parseValueMask(text: string): { value: number; mask?: number } | undefined {
  const slash = text.indexOf('/');
  const value = parseU32(slash < 0 ? text : text.slice(0, slash));
  if (value === undefined) return undefined;
  if (slash < 0) return { value };
  const mask = parseU32(text.slice(slash + 1));
  return mask === undefined ? undefined : { value, mask };
}

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const p = Number(text);
  return p <= 65535 ? p : undefined;
}

/** Parses `p[-q]` (also `p:q`, as iptables accepts for --to-ports). */
export function parsePortRange(text: string): NatRange | undefined {
  const sep = text.search(/[-:]/);
  const from = parsePort(sep < 0 ? text : text.slice(0, sep));
  if (from === undefined) return undefined;
  if (sep < 0) return { portFrom: from, portTo: from };
  const to = parsePort(text.slice(sep + 1));
  return to === undefined ? undefined : { portFrom: from, portTo: to };
}

/**
 * Parses a NAT range as iptables-save prints it (libxt_DNAT/SNAT): `addr[-addr][:port[-port]]`, IPv6
 * `[addr]:port`, `[addr-addr]:port` or a bare `addr[-addr]`, and `:port` alone. A `/base` port shift
 * (DNAT revision 2) is not modelled: undefined is returned so that the target stays `unknown`.
 */
export function parseNatRange(text: string, family: Family): NatRange | undefined {
  let addresses: string;
  let ports: string | undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    addresses = text.slice(1, close);
    const rest = text.slice(close + 1);
    // `[a]-[b]:p` written by hand: fold the second bracket into the range.
    const m = /^-\[([^\]]+)\](.*)$/.exec(rest);
    let tail = rest;
    if (m) {
      addresses = `${addresses}-${m[1]}`;
      tail = m[2]!;
    }
    if (tail !== '') {
      if (!tail.startsWith(':')) return undefined;
      ports = tail.slice(1);
    }
  } else if (family === 6 || (text.match(/:/g)?.length ?? 0) > 1) {
    addresses = text;
  } else {
    const colon = text.indexOf(':');
    addresses = colon < 0 ? text : text.slice(0, colon);
    ports = colon < 0 ? undefined : text.slice(colon + 1);
  }
  const range: NatRange = {};
  if (addresses !== '') {
    const dash = addresses.indexOf('-');
    range.addressFrom = dash < 0 ? addresses : addresses.slice(0, dash);
    range.addressTo = dash < 0 ? addresses : addresses.slice(dash + 1);
    if (range.addressFrom === '' || range.addressTo === '') return undefined;
  }
  if (ports !== undefined) {
    if (ports.includes('/')) return undefined;
    const p = parsePortRange(ports);
    if (!p) return undefined;
    range.portFrom = p.portFrom;
    range.portTo = p.portTo;
  }
  if (range.addressFrom === undefined && range.portFrom === undefined) return undefined;
  return range;
}

function has(options: MatchOption[], name: string): boolean {
  return options.some((o) => o.name === name);
}

function firstArg(options: MatchOption[], names: readonly string[]): string | undefined {
  const o = options.find((x) => names.includes(x.name));
  return o?.args[0];
}

/**
 * Builds the typed target. Any option this function does not recognise for a modelled target, and any value it
 * cannot parse, makes the target `unknown` (kept verbatim) so the engine reports it as not understood instead of
 * applying half of it.
 */
export function buildTarget(input: TargetInput): TargetResult {
  const { name, options, raw, family } = input;
  // Fast path: jumps and gotos to user chains are most rules of a kube-proxy dump.
  if (input.goto) return { target: { name, options, raw, kind: 'goto', chain: name }, problems: NO_PROBLEMS };
  if (!SUPPORTED_TARGETS.has(name)) {
    return UNSUPPORTED_TARGETS.has(name)
      ? { target: { name, options, raw, kind: 'unknown' }, problems: NO_PROBLEMS }
      : { target: { name, options, raw, kind: 'jump', chain: name }, problems: NO_PROBLEMS };
  }
  const base = { name, options, raw };
  const problems: string[] = [];
  const unknown = (problem?: string): TargetResult => unknownTarget(base, problems, problem);
  const allowOnly = (allowed: readonly string[]): string | undefined => findDisallowed(options, allowed);

  switch (name) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN': {
      const bad = allowOnly([]);
      return bad ? unknown(`expected no options after -j ${name}, found ${bad}`) : { target: { ...base, kind: name }, problems };
    }
    case 'REJECT': {
      const bad = allowOnly(['reject-with']);
      if (bad) return unknown(`expected only --reject-with after -j REJECT, found ${bad}`);
      // Default per iptables-extensions(8) REJECT; iptables-save prints it explicitly (netfilter.md §4).
      const rejectWith = firstArg(options, ['reject-with']) ?? (family === 6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable');
      return { target: { ...base, kind: 'REJECT', rejectWith }, problems };
    }
    case 'MARK': {
      const vm = normaliseMark(options, 'MARK');
      return 'error' in vm ? unknown(vm.error) : { target: { ...base, kind: 'MARK', value: vm.value, mask: vm.mask }, problems };
    }
    case 'CONNMARK':
      return buildConnmark(input, unknown, problems);
    case 'DNAT':
    case 'SNAT': {
      const rangeOption = name === 'DNAT' ? 'to-destination' : 'to-source';
      const flags = name === 'DNAT' ? ['random', 'persistent'] : ['random', 'random-fully', 'persistent'];
      const bad = allowOnly([rangeOption, 'to', ...flags]);
      if (bad) return unknown(`expected --${rangeOption} and ${flags.map((f) => `--${f}`).join('/')} after -j ${name}, found ${bad}`);
      const ranges: NatRange[] = [];
      for (const o of options) {
        if (o.name !== rangeOption && o.name !== 'to') continue;
        const r = o.args.length === 1 ? parseNatRange(o.args[0]!, family) : undefined;
        if (!r) return unknown(`expected an address[-address][:port[-port]] after --${o.name}, found "${o.args.join(' ')}"`);
        ranges.push(r);
      }
      if (ranges.length === 0) return unknown(`expected --${rangeOption} after -j ${name}`);
      return name === 'DNAT'
        ? { target: { ...base, kind: 'DNAT', ranges, random: has(options, 'random'), persistent: has(options, 'persistent') }, problems }
        : {
            target: {
              ...base,
              kind: 'SNAT',
              ranges,
              random: has(options, 'random'),
              randomFully: has(options, 'random-fully'),
              persistent: has(options, 'persistent'),
            },
            problems,
          };
    }
    case 'MASQUERADE':
    case 'REDIRECT': {
      const flags = name === 'MASQUERADE' ? ['random', 'random-fully'] : ['random'];
      const bad = allowOnly(['to-ports', ...flags]);
      if (bad) return unknown(`expected --to-ports and ${flags.map((f) => `--${f}`).join('/')} after -j ${name}, found ${bad}`);
      const portsText = firstArg(options, ['to-ports']);
      let ports: NatRange | undefined;
      if (portsText !== undefined) {
        ports = parsePortRange(portsText);
        if (!ports) return unknown(`expected a port or port range after --to-ports, found "${portsText}"`);
      }
      const random = has(options, 'random');
      const withPorts = ports ? { ports } : {};
      return name === 'MASQUERADE'
        ? { target: { ...base, kind: 'MASQUERADE', ...withPorts, random, randomFully: has(options, 'random-fully') }, problems }
        : { target: { ...base, kind: 'REDIRECT', ...withPorts, random }, problems };
    }
    case 'LOG':
    case 'NFLOG':
    case 'ULOG':
    case 'TRACE':
      return { target: { ...base, kind: name }, problems };
    case 'CT':
      return { target: { ...base, kind: 'CT', notrack: has(options, 'notrack') }, problems };
    case 'NOTRACK':
      // The old NOTRACK target is CT --notrack (iptables-extensions(8) "NOTRACK").
      return { target: { ...base, kind: 'CT', notrack: true }, problems };
    default:
      return { target: { ...base, kind: 'jump', chain: name }, problems };
  }
}

/**
 * Normalises every MARK/CONNMARK set form to the xmark pair (value, mask) meaning `x = (x & ~mask) ^ value`
 * (xt_mark.c `mark_tg`; netfilter.md §5). `--set-mark v/m` is stored with mask `v|m` (libxt_MARK; observed:
 * `--set-mark 0x1/0x2` is saved as `--set-xmark 0x1/0x3`).
 */
function normaliseMark(options: MatchOption[], target: string): { value: number; mask: number } | { error: string } {
  const forms = ['set-xmark', 'set-mark', 'or-mark', 'and-mark', 'xor-mark'];
  const given = options.filter((o) => forms.includes(o.name));
  const other = options.find((o) => !forms.includes(o.name) || o.negated);
  if (given.length !== 1 || other) {
    return { error: `expected exactly one of ${forms.map((f) => `--${f}`).join(', ')} after -j ${target}` };
  }
  const o = given[0]!;
  const arg = o.args[0];
  const vm = o.args.length === 1 && arg !== undefined ? parseValueMask(arg) : undefined;
  if (!vm || ((o.name === 'or-mark' || o.name === 'and-mark' || o.name === 'xor-mark') && vm.mask !== undefined)) {
    return { error: `expected a number${o.name.startsWith('set') ? '[/mask]' : ''} after --${o.name}, found "${o.args.join(' ')}"` };
  }
  switch (o.name) {
    case 'set-xmark':
      return { value: vm.value, mask: vm.mask ?? ALL_ONES };
    case 'set-mark':
      return { value: vm.value, mask: (vm.value | (vm.mask ?? ALL_ONES)) >>> 0 };
    case 'or-mark':
      return { value: vm.value, mask: vm.value };
    case 'and-mark':
      return { value: 0, mask: ~vm.value >>> 0 };
    default:
      return { value: vm.value, mask: 0 };
  }
}

function buildConnmark(
  input: TargetInput,
  unknown: (problem?: string) => TargetResult,
  problems: string[],
): TargetResult {
  const { options, name, raw } = input;
  const base = { name, options, raw };
  const modeOf = options.find((o) => o.name === 'save-mark' || o.name === 'restore-mark');
  if (!modeOf) {
    const vm = normaliseMark(options, 'CONNMARK');
    if ('error' in vm) return unknown(vm.error);
    return {
      target: { ...base, kind: 'CONNMARK', mode: 'set', value: vm.value, mask: vm.mask, nfmask: ALL_ONES, ctmask: ALL_ONES },
      problems,
    };
  }
  // --save-mark/--restore-mark: --mask sets both masks; defaults are all ones (libxt_CONNMARK; observed:
  // `--restore-mark --mask 0xff` is saved as `--restore-mark --nfmask 0xff --ctmask 0xff`). Shift options
  // (revision 2) are not modelled, so they make the target unknown.
  let nfmask = ALL_ONES;
  let ctmask = ALL_ONES;
  for (const o of options) {
    if (o === modeOf) continue;
    if (o.negated || !['nfmask', 'ctmask', 'mask'].includes(o.name)) {
      return unknown(`expected --nfmask/--ctmask/--mask after --${modeOf.name}, found --${o.name}`);
    }
    const v = o.args.length === 1 ? parseU32(o.args[0]!) : undefined;
    if (v === undefined) return unknown(`expected a number after --${o.name}, found "${o.args.join(' ')}"`);
    if (o.name !== 'ctmask') nfmask = v;
    if (o.name !== 'nfmask') ctmask = v;
  }
  const mode = modeOf.name === 'save-mark' ? 'save' : 'restore';
  return { target: { ...base, kind: 'CONNMARK', mode, value: 0, mask: 0, nfmask, ctmask }, problems };
}
