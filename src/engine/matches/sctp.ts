import { allOf, unsupportedOption } from './combine.js';
import { NOT_MATCHED, type MatchModule, type MatchTest } from './match-module.js';
import { compilePortOption, PORT_OPTION_SIDES } from './ports.js';
import { getPacketProtocolNumber, IPPROTO } from './values.js';

/**
 * `-m sctp --sport/--dport` (iptables-extensions(8) "sctp"; net/netfilter/xt_sctp.c). `--chunk-types`
 * needs the packet's chunk list, which is not modelled: not understood.
 */
export const sctpModule: MatchModule = {
  name: 'sctp',
  compile(match) {
    const tests: MatchTest[] = [];
    for (const option of match.options) {
      const side = PORT_OPTION_SIDES.get(option.name);
      if (!side) return unsupportedOption('sctp', option);
      const t = compilePortOption('sctp', option, side);
      if ('error' in t) return t;
      tests.push(t);
    }
    const all = allOf(tests);
    return (p, ctx) => (getPacketProtocolNumber(p.protocol) === IPPROTO.SCTP ? all(p, ctx) : NOT_MATCHED);
  },
};
