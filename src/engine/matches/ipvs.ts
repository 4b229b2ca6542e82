import type { MatchOption } from '../../model/rule.js';
import type { Packet } from '../packet.js';
import { compileCidr, lookupAddress } from './address-test.js';
import { checkArgCount, formatOption, unsupportedOption } from './combine.js';
import { NOT_MATCHED, type MatchModule, type MatchResult } from './match-module.js';
import { getPacketProtocolNumber, parsePortRange, parseProtocol } from './values.js';

const OPTIONS = new Set(['ipvs', 'vproto', 'vaddr', 'vport', 'vdir', 'vmethod', 'vportctl']);

/**
 * A condition the kernel checks only for IPVS packets and that knetdbg can decide from the packet: the
 * virtual address/port/protocol are the connection's original destination (ip_vs_conn `vaddr`/`vport`).
 */
function compileKnownCondition(option: MatchOption): ((p: Packet) => boolean) | undefined | { error: string } {
  const arg = option.args[0]!;
  switch (option.name) {
    case 'vaddr': {
      const cidr = compileCidr(arg);
      if (!cidr) return { error: `ipvs: bad address in ${formatOption(option)}` };
      return (p) => {
        const a = lookupAddress(p.ct.origDst);
        return a !== undefined && cidr.contains(a);
      };
    }
    case 'vport': {
      const range = parsePortRange(arg);
      if (!range) return { error: `ipvs: bad port in ${formatOption(option)}` };
      return (p) => p.ct.origDport !== undefined && p.ct.origDport >= range.min && p.ct.origDport <= range.max;
    }
    case 'vproto': {
      const proto = parseProtocol(arg);
      if (proto === undefined) return { error: `ipvs: bad protocol in ${formatOption(option)}` };
      return (p) => getPacketProtocolNumber(p.protocol) === proto;
    }
    case 'vdir':
      // The traced packet travels in the ORIGINAL direction.
      return () => arg.toUpperCase() === 'ORIGINAL';
    default:
      return undefined;
  }
}

/**
 * `-m ipvs` (iptables-extensions(8) "ipvs"; net/netfilter/xt_ipvs.c `ipvs_mt`). Whether IPVS handles the
 * connection is runtime state (its virtual services), so the result is unknown, except when a given
 * option is already decided false for the traced packet: then no IPVS packet, and no other packet,
 * matches (`ipvs_mt` returns false for non-IPVS packets as soon as any option besides `--ipvs` is given).
 */
export const ipvsModule: MatchModule = {
  name: 'ipvs',
  compile(match) {
    const known: { test: (p: Packet) => boolean; negated: boolean }[] = [];
    let onlyIpvsFlag = true;
    for (const option of match.options) {
      if (!OPTIONS.has(option.name)) return unsupportedOption('ipvs', option);
      if (option.name === 'ipvs') {
        const argError = checkArgCount('ipvs', option, 0);
        if (argError) return argError;
        continue;
      }
      onlyIpvsFlag = false;
      const argError = checkArgCount('ipvs', option, 1);
      if (argError) return argError;
      const c = compileKnownCondition(option);
      if (c && 'error' in c) return c;
      if (c) known.push({ test: c, negated: option.negated });
    }
    const unknown: MatchResult = {
      kind: 'unknown',
      reason: `ipvs: whether IPVS handles this connection is runtime state: ${match.raw}`,
    };
    return (p) => {
      if (!onlyIpvsFlag) for (const k of known) if (k.test(p) === k.negated) return NOT_MATCHED;
      return unknown;
    };
  },
};
