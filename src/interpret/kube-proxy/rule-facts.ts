import { formatAddress, formatEndpoint, parseAddress } from '../../model/address.js';
import type { MatchOption, Rule } from '../../model/rule.js';
import { listTargetChain } from '../../model/target.js';

/**
 * Small readers over a parsed Rule, for the fields kube-proxy's rules use. They read what the parser kept
 * (STYLE.md 3) and never guess: absent stays undefined.
 */

/** Dotted quad without leading zeros, each octet ≤ 255. */
const CANONICAL_V4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** Canonical text of an address (`10.96.0.10`, compressed IPv6); the input when it is not an address. */
export function canonicalAddress(text: string): string {
  // Fast path: iptables-save prints IPv4 canonically already (a 10k-service KUBE-SERVICES has ~10k of them).
  if (CANONICAL_V4.test(text)) return text;
  const parsed = parseAddress(text);
  return parsed ? formatAddress(parsed.family, parsed.value) : text;
}

/** `-d 10.96.34.82/32` → `10.96.34.82`; undefined for a prefix shorter than a host or a negated `-d`. */
export function getHostDestination(rule: Rule): string | undefined {
  return hostOf(rule.destinationAddress);
}

/** `-s 10.244.2.2/32` → `10.244.2.2` (SEP hairpin rules). */
export function getHostSource(rule: Rule): string | undefined {
  return hostOf(rule.sourceAddress);
}

function hostOf(value: Rule['destinationAddress']): string | undefined {
  if (!value || value.negated) return undefined;
  const [address, length] = value.value.split('/');
  if (!address) return undefined;
  if (length !== undefined && length !== '32' && length !== '128') return undefined;
  return canonicalAddress(address);
}

/** All options of all matches with one of the given names (`dport`, `destination-port`). */
function findOption(rule: Rule, names: readonly string[]): MatchOption | undefined {
  for (const match of rule.matches) {
    for (const option of match.options) if (names.includes(option.name)) return option;
  }
  return undefined;
}

/** `--dport 80` of a tcp/udp/sctp match, when it is a single, non-negated port. */
export function getDestinationPort(rule: Rule): number | undefined {
  const option = findOption(rule, ['dport', 'destination-port']);
  if (!option || option.negated) return undefined;
  const text = option.args[0];
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

/** `-p tcp` in lower case, when given and not negated. */
export function getProtocol(rule: Rule): string | undefined {
  return rule.protocol && !rule.protocol.negated ? rule.protocol.value.toLowerCase() : undefined;
}

/** The chain a rule jumps or goes to. */
export function getTargetChain(rule: Rule): string | undefined {
  return listTargetChain(rule.target);
}

/** The `--to-destination` of a DNAT rule as `ip:port` (first address of a range), undefined otherwise. */
export function getDnatDestination(rule: Rule): { address?: string; port?: number; text: string } | undefined {
  if (rule.target?.kind !== 'DNAT') return undefined;
  const range = rule.target.ranges[0];
  if (!range) return undefined;
  const address = range.addressFrom !== undefined ? canonicalAddress(range.addressFrom) : undefined;
  const text = address !== undefined ? formatEndpoint(address, range.portFrom) : `:${range.portFrom ?? ''}`;
  return { ...(address !== undefined ? { address } : {}), ...(range.portFrom !== undefined ? { port: range.portFrom } : {}), text };
}

/** `-m statistic --mode random --probability p`; undefined when the rule has no random statistic match. */
export function getRandomProbability(rule: Rule): number | undefined {
  for (const match of rule.matches) {
    if (match.module !== 'statistic') continue;
    const option = match.options.find((o) => o.name === 'probability');
    const value = option?.args[0] !== undefined ? Number(option.args[0]) : NaN;
    if (Number.isFinite(value)) return value;
  }
  return undefined;
}

/** True when the rule uses `-m recent` (kube-proxy's ClientIP session affinity, kube-proxy.md §3.6). */
export function usesRecent(rule: Rule): boolean {
  return rule.matches.some((m) => m.module === 'recent');
}

/** `--seconds` of an affinity `-m recent --rcheck` rule. */
export function getRecentSeconds(rule: Rule): number | undefined {
  for (const match of rule.matches) {
    if (match.module !== 'recent') continue;
    const option = match.options.find((o) => o.name === 'seconds');
    if (option?.args[0] !== undefined && /^\d+$/.test(option.args[0])) return Number(option.args[0]);
  }
  return undefined;
}

/** `-m addrtype --src-type/--dst-type X` value, when present and not negated. */
export function getAddrType(rule: Rule, which: 'src-type' | 'dst-type'): string | undefined {
  for (const match of rule.matches) {
    if (match.module !== 'addrtype') continue;
    const option = match.options.find((o) => o.name === which);
    if (option && !option.negated) return option.args[0];
  }
  return undefined;
}

/** `-m mark --mark v/m` as numbers; `negated` for `! --mark`. */
export function getMarkMatch(rule: Rule): { value: number; mask: number; negated: boolean } | undefined {
  for (const match of rule.matches) {
    if (match.module !== 'mark') continue;
    const option = match.options.find((o) => o.name === 'mark');
    const text = option?.args[0];
    if (!option || !text) continue;
    const [v, m] = text.split('/');
    const value = Number(v);
    const mask = m !== undefined ? Number(m) : 0xffffffff;
    if (Number.isFinite(value) && Number.isFinite(mask)) return { value, mask, negated: option.negated };
  }
  return undefined;
}

/** `--ctstate` list of a conntrack/state match. */
export function getCtStates(rule: Rule): { states: string[]; negated: boolean } | undefined {
  for (const match of rule.matches) {
    if (match.module !== 'conntrack' && match.module !== 'state') continue;
    const option = match.options.find((o) => o.name === 'ctstate' || o.name === 'state');
    if (option?.args[0]) return { states: option.args[0].split(','), negated: option.negated };
  }
  return undefined;
}

/** The `-m set --match-set NAME flags` set name, when present. */
export function getMatchSet(rule: Rule): { name: string; flags?: string; negated: boolean } | undefined {
  for (const match of rule.matches) {
    if (match.module !== 'set') continue;
    const option = match.options.find((o) => o.name === 'match-set');
    const name = option?.args[0];
    if (option && name) return { name, ...(option.args[1] ? { flags: option.args[1] } : {}), negated: option.negated };
  }
  return undefined;
}
