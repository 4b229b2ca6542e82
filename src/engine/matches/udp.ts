import { allOf, unsupportedOption } from './combine.js';
import { NOT_MATCHED, type MatchModule, type MatchTest } from './match-module.js';
import { compilePortOption, PORT_OPTION_SIDES } from './ports.js';
import { getPacketProtocolNumber, IPPROTO } from './values.js';

/** `-m udp --sport/--dport` (iptables-extensions(8) "udp"; net/netfilter/xt_tcpudp.c `udp_mt`). */
export const udpModule: MatchModule = {
  name: 'udp',
  compile(match) {
    const tests: MatchTest[] = [];
    for (const option of match.options) {
      const side = PORT_OPTION_SIDES.get(option.name);
      if (!side) return unsupportedOption('udp', option);
      const t = compilePortOption('udp', option, side);
      if ('error' in t) return t;
      tests.push(t);
    }
    const all = allOf(tests);
    return (p, ctx) => (getPacketProtocolNumber(p.protocol) === IPPROTO.UDP ? all(p, ctx) : NOT_MATCHED);
  },
};
