import type { MatchOption } from '../../model/rule.js';
import { checkArgCount, formatOption, unknownResult } from './combine.js';
import { bool, type MatchResult, type MatchTest } from './match-module.js';
import { parsePortRange } from './values.js';

/** Which port of the packet an option looks at. */
export type PortSide = 'source' | 'destination';

const UNKNOWN_SPORT: MatchResult = unknownResult('source port unknown');
const UNKNOWN_DPORT: MatchResult = unknownResult('destination port unknown');

/** The result for a port the packet does not carry (a client's ephemeral source port is usually unknown). */
export function unknownPort(side: PortSide): MatchResult {
  return side === 'source' ? UNKNOWN_SPORT : UNKNOWN_DPORT;
}

/**
 * `[!] --sport a[:b]` / `[!] --dport a[:b]` of the tcp, udp and sctp matches (iptables-extensions(8);
 * `port_match` in net/netfilter/xt_tcpudp.c: `(port >= min && port <= max) ^ invert`).
 */
export function compilePortOption(module: string, option: MatchOption, side: PortSide): MatchTest | { error: string } {
  const argError = checkArgCount(module, option, 1);
  if (argError) return argError;
  const range = parsePortRange(option.args[0]!);
  if (!range) return { error: `${module}: bad port range in ${formatOption(option)}` };
  const { min, max } = range;
  const negated = option.negated;
  const unknown = unknownPort(side);
  return side === 'source'
    ? (p) => (p.sport === undefined ? unknown : bool((p.sport >= min && p.sport <= max) !== negated))
    : (p) => (p.dport === undefined ? unknown : bool((p.dport >= min && p.dport <= max) !== negated));
}

/** Option names for the two sides, long and short (iptables-extensions(8) tcp/udp/sctp). */
export const PORT_OPTION_SIDES: ReadonlyMap<string, PortSide> = new Map([
  ['sport', 'source'],
  ['source-port', 'source'],
  ['dport', 'destination'],
  ['destination-port', 'destination'],
]);
