import type { Match } from '../../model/rule.js';
import { checkArgCount, formatOption, unknownResult, unsupportedOption } from './combine.js';
import { bool, NOT_MATCHED, type MatchTest } from './match-module.js';
import { parseIcmpTypeSpec, type IcmpTypeCodes } from './icmp-types.js';
import { getPacketProtocolNumber } from './values.js';

/**
 * Shared body of `-m icmp --icmp-type` and `-m icmp6 --icmpv6-type`: `(type == t && code in [min,max])
 * ^ invert`, type 255 (`any`, IPv4 only) matching every type (xt icmp `icmp_type_code_match`,
 * net/ipv4/netfilter/ip_tables.c; `icmp6_type_code_match` in ip6_tables.c). Packets of another protocol
 * do not match.
 */
export function compileIcmpMatch(
  module: string,
  optionName: string,
  match: Match,
  names: ReadonlyMap<string, IcmpTypeCodes>,
  protocol: number,
  allowAny: boolean,
): MatchTest | { error: string } {
  if (match.options.length === 0) {
    return (p) => bool(getPacketProtocolNumber(p.protocol) === protocol);
  }
  if (match.options.length !== 1) return { error: `${module}: expects one --${optionName}` };
  const option = match.options[0]!;
  if (option.name !== optionName) return unsupportedOption(module, option);
  const argError = checkArgCount(module, option, 1);
  if (argError) return argError;
  const spec = parseIcmpTypeSpec(option.args[0]!, names);
  if (!spec) return { error: `${module}: bad type in ${formatOption(option)}` };
  const negated = option.negated;
  const any = allowAny && spec.type === 0xff;
  const unknown = unknownResult('ICMP type unknown');
  return (p) => {
    if (getPacketProtocolNumber(p.protocol) !== protocol) return NOT_MATCHED;
    if (any) return bool(!negated);
    if (p.icmpType === undefined) return unknown;
    if (p.icmpType !== spec.type) return bool(negated);
    if (spec.codeMin === 0 && spec.codeMax === 0xff) return bool(!negated);
    if (p.icmpCode === undefined) return unknownResult('ICMP code unknown');
    return bool((p.icmpCode >= spec.codeMin && p.icmpCode <= spec.codeMax) !== negated);
  };
}
