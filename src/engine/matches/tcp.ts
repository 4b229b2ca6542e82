import { allOf, checkArgCount, formatOption, unsupportedOption } from './combine.js';
import { bool, NOT_MATCHED, type MatchModule, type MatchTest } from './match-module.js';
import { compilePortOption, PORT_OPTION_SIDES } from './ports.js';
import { getPacketProtocolNumber, IPPROTO } from './values.js';

/**
 * TCP flag bits as libxt_tcp names them (`tcp_flag_names`); ALL is the six classic flags, which is why
 * iptables-save prints `--tcp-flags ALL NONE` as `FIN,SYN,RST,PSH,ACK,URG NONE`.
 */
const TCP_FLAGS: ReadonlyMap<string, number> = new Map([
  ['FIN', 0x01], ['SYN', 0x02], ['RST', 0x04], ['PSH', 0x08], ['ACK', 0x10], ['URG', 0x20],
  ['ECE', 0x40], ['CWR', 0x80], ['ALL', 0x3f], ['NONE', 0],
]);

/**
 * Flags of the traced packet: knetdbg traces the first packet of a new connection, a SYN. Linux sends
 * SYN without ECE/CWR under the default `net.ipv4.tcp_ecn=2` (ip-sysctl.rst), so SYN alone.
 */
export const FIRST_SYN_FLAGS = 0x02;

/** `--syn` is `--tcp-flags FIN,SYN,RST,ACK SYN` (iptables-extensions(8); iptables-save prints it so). */
const SYN_MASK = 0x01 | 0x02 | 0x04 | 0x10;

function parseFlagList(text: string): number | undefined {
  let bits = 0;
  for (const name of text.split(',')) {
    const bit = TCP_FLAGS.get(name.toUpperCase());
    if (bit === undefined) return undefined;
    bits |= bit;
  }
  return bits;
}

function flagsTest(mask: number, comp: number, negated: boolean): MatchTest {
  const result = bool(((FIRST_SYN_FLAGS & mask) === comp) !== negated);
  return () => result;
}

/**
 * `-m tcp` (iptables-extensions(8) "tcp"; net/netfilter/xt_tcpudp.c `tcp_mt`). The kernel relies on the
 * rule's `-p tcp`; here a non-TCP packet simply does not match.
 */
export const tcpModule: MatchModule = {
  name: 'tcp',
  compile(match) {
    const tests: MatchTest[] = [];
    for (const option of match.options) {
      const side = PORT_OPTION_SIDES.get(option.name);
      if (side) {
        const t = compilePortOption('tcp', option, side);
        if ('error' in t) return t;
        tests.push(t);
      } else if (option.name === 'tcp-flags') {
        const argError = checkArgCount('tcp', option, 2);
        if (argError) return argError;
        const mask = parseFlagList(option.args[0]!);
        const comp = parseFlagList(option.args[1]!);
        if (mask === undefined || comp === undefined) return { error: `tcp: bad flags in ${formatOption(option)}` };
        tests.push(flagsTest(mask, comp, option.negated));
      } else if (option.name === 'syn') {
        const argError = checkArgCount('tcp', option, 0);
        if (argError) return argError;
        tests.push(flagsTest(SYN_MASK, 0x02, option.negated));
      } else {
        // --tcp-option: the SYN's TCP options are not modelled.
        return unsupportedOption('tcp', option);
      }
    }
    const all = allOf(tests);
    return (p, ctx) => (getPacketProtocolNumber(p.protocol) === IPPROTO.TCP ? all(p, ctx) : NOT_MATCHED);
  },
};
