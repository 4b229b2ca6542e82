import { checkArgCount, formatOption, unsupportedOption } from './combine.js';
import { bool, NOT_MATCHED, type MatchModule, type MatchResult } from './match-module.js';
import { unknownPort } from './ports.js';
import { getPacketProtocolNumber, IPPROTO, parsePortRange, type PortRange } from './values.js';

/** Protocols whose first four header bytes are source and destination port (xt_multiport.c checkentry). */
const PORT_PROTOCOLS = new Set<number>([IPPROTO.TCP, IPPROTO.UDP, IPPROTO.SCTP, IPPROTO.DCCP, IPPROTO.UDPLITE]);

const SIDES: ReadonlyMap<string, 'source' | 'destination' | 'either'> = new Map([
  ['sports', 'source'],
  ['source-ports', 'source'],
  ['dports', 'destination'],
  ['destination-ports', 'destination'],
  ['ports', 'either'],
]);

function inRanges(ranges: readonly PortRange[], port: number): boolean {
  for (const r of ranges) if (port >= r.min && port <= r.max) return true;
  return false;
}

/**
 * `-m multiport [!] --sports|--dports|--ports p1,p2,a:b` (iptables-extensions(8) "multiport", up to 15
 * ports, a range counting two; net/netfilter/xt_multiport.c `ports_match_v1`: any listed port or range
 * matches, then `^ invert`). `--ports` matches when either the source or the destination port is listed.
 * The kernel allows one of the three options per match.
 */
export const multiportModule: MatchModule = {
  name: 'multiport',
  compile(match) {
    if (match.options.length !== 1) {
      return { error: `multiport: expects exactly one of --sports/--dports/--ports, got ${match.options.length}` };
    }
    const option = match.options[0]!;
    const side = SIDES.get(option.name);
    if (!side) return unsupportedOption('multiport', option);
    const argError = checkArgCount('multiport', option, 1);
    if (argError) return argError;
    const ranges: PortRange[] = [];
    for (const item of option.args[0]!.split(',')) {
      const r = parsePortRange(item);
      if (!r) return { error: `multiport: bad port ${item} in ${formatOption(option)}` };
      ranges.push(r);
    }
    const negated = option.negated;
    return (p): MatchResult => {
      const proto = getPacketProtocolNumber(p.protocol);
      if (proto === undefined || !PORT_PROTOCOLS.has(proto)) return NOT_MATCHED;
      if (side === 'source') return p.sport === undefined ? unknownPort('source') : bool(inRanges(ranges, p.sport) !== negated);
      if (side === 'destination') {
        return p.dport === undefined ? unknownPort('destination') : bool(inRanges(ranges, p.dport) !== negated);
      }
      // --ports: a listed destination port decides without the source port.
      if (p.dport !== undefined && inRanges(ranges, p.dport)) return bool(!negated);
      if (p.sport === undefined) return unknownPort('source');
      if (p.dport === undefined) return inRanges(ranges, p.sport) ? bool(!negated) : unknownPort('destination');
      return bool(inRanges(ranges, p.sport) !== negated);
    };
  },
};
