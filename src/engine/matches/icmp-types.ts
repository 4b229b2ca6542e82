/**
 * ICMP type names. Two vocabularies exist: iptables' (`--icmp-type`, libxt_icmp.c / libxt_icmp6.c, as
 * `iptables -p icmp -h` lists them; a type name without a code covers every code) and ipset's
 * (`hash:ip,port` members like `10.96.0.13,icmp:echo-request`, always one exact type/code; names below
 * are what `ipset list` printed for each type/code with ipset 7.17).
 */

/** A type with an inclusive code range (`3/3` = {3, 3, 3}; `destination-unreachable` = {3, 0, 255}). */
export interface IcmpTypeCodes {
  type: number;
  codeMin: number;
  codeMax: number;
}

const ALL = 0xff;

/** iptables `--icmp-type` names; `any` is type 255 with all codes (xt icmp `icmp_type_code_match`). */
export const IPTABLES_ICMP_TYPES: ReadonlyMap<string, IcmpTypeCodes> = new Map(
  (
    [
      ['any', 0xff, 0, ALL], ['echo-reply', 0, 0, ALL], ['pong', 0, 0, ALL], ['destination-unreachable', 3, 0, ALL],
      ['network-unreachable', 3, 0, 0], ['host-unreachable', 3, 1, 1], ['protocol-unreachable', 3, 2, 2],
      ['port-unreachable', 3, 3, 3], ['fragmentation-needed', 3, 4, 4], ['source-route-failed', 3, 5, 5],
      ['network-unknown', 3, 6, 6], ['host-unknown', 3, 7, 7], ['network-prohibited', 3, 9, 9],
      ['host-prohibited', 3, 10, 10], ['tos-network-unreachable', 3, 11, 11], ['tos-host-unreachable', 3, 12, 12],
      ['communication-prohibited', 3, 13, 13], ['host-precedence-violation', 3, 14, 14],
      ['precedence-cutoff', 3, 15, 15], ['source-quench', 4, 0, ALL], ['redirect', 5, 0, ALL],
      ['network-redirect', 5, 0, 0], ['host-redirect', 5, 1, 1], ['tos-network-redirect', 5, 2, 2],
      ['tos-host-redirect', 5, 3, 3], ['echo-request', 8, 0, ALL], ['ping', 8, 0, ALL],
      ['router-advertisement', 9, 0, ALL], ['router-solicitation', 10, 0, ALL], ['time-exceeded', 11, 0, ALL],
      ['ttl-exceeded', 11, 0, ALL], ['ttl-zero-during-transit', 11, 0, 0], ['ttl-zero-during-reassembly', 11, 1, 1],
      ['parameter-problem', 12, 0, ALL], ['ip-header-bad', 12, 0, 0], ['required-option-missing', 12, 1, 1],
      ['timestamp-request', 13, 0, ALL], ['timestamp-reply', 14, 0, ALL], ['address-mask-request', 17, 0, ALL],
      ['address-mask-reply', 18, 0, ALL],
    ] as const
  ).map(([n, type, codeMin, codeMax]) => [n, { type, codeMin, codeMax }]),
);

/** ip6tables `--icmpv6-type` names (libxt_icmp6.c). */
export const IPTABLES_ICMPV6_TYPES: ReadonlyMap<string, IcmpTypeCodes> = new Map(
  (
    [
      ['destination-unreachable', 1, 0, ALL], ['no-route', 1, 0, 0], ['communication-prohibited', 1, 1, 1],
      ['beyond-scope', 1, 2, 2], ['address-unreachable', 1, 3, 3], ['port-unreachable', 1, 4, 4],
      ['failed-policy', 1, 5, 5], ['reject-route', 1, 6, 6], ['packet-too-big', 2, 0, ALL],
      ['time-exceeded', 3, 0, ALL], ['ttl-exceeded', 3, 0, ALL], ['ttl-zero-during-transit', 3, 0, 0],
      ['ttl-zero-during-reassembly', 3, 1, 1], ['parameter-problem', 4, 0, ALL], ['bad-header', 4, 0, 0],
      ['unknown-header-type', 4, 1, 1], ['unknown-option', 4, 2, 2], ['echo-request', 128, 0, ALL],
      ['ping', 128, 0, ALL], ['echo-reply', 129, 0, ALL], ['pong', 129, 0, ALL],
      ['router-solicitation', 133, 0, ALL], ['router-advertisement', 134, 0, ALL],
      ['neighbour-solicitation', 135, 0, ALL], ['neighbor-solicitation', 135, 0, ALL],
      ['neighbour-advertisement', 136, 0, ALL], ['neighbor-advertisement', 136, 0, ALL], ['redirect', 137, 0, ALL],
    ] as const
  ).map(([n, type, codeMin, codeMax]) => [n, { type, codeMin, codeMax }]),
);

/** ipset's ICMP names as printed by `ipset list` (exact type/code). */
export const IPSET_ICMP_NAMES: ReadonlyMap<string, [number, number]> = new Map([
  ['echo-reply', [0, 0]], ['network-unreachable', [3, 0]], ['host-unreachable', [3, 1]],
  ['protocol-unreachable', [3, 2]], ['port-unreachable', [3, 3]], ['fragmentation-needed', [3, 4]],
  ['source-route-failed', [3, 5]], ['network-unknown', [3, 6]], ['host-unknown', [3, 7]],
  ['network-prohibited', [3, 9]], ['host-prohibited', [3, 10]], ['tos-network-unreachable', [3, 11]],
  ['tos-host-unreachable', [3, 12]], ['communication-prohibited', [3, 13]], ['host-precedence-violation', [3, 14]],
  ['precedence-cutoff', [3, 15]], ['source-quench', [4, 0]], ['network-redirect', [5, 0]], ['host-redirect', [5, 1]],
  ['tos-network-redirect', [5, 2]], ['tos-host-redirect', [5, 3]], ['echo-request', [8, 0]],
  ['router-advertisement', [9, 0]], ['router-solicitation', [10, 0]], ['ttl-zero-during-transit', [11, 0]],
  ['ttl-zero-during-reassembly', [11, 1]], ['ip-header-bad', [12, 0]], ['required-option-missing', [12, 1]],
  ['timestamp-request', [13, 0]], ['timestamp-reply', [14, 0]], ['address-mask-request', [17, 0]],
  ['address-mask-reply', [18, 0]],
]);

/** ipset's ICMPv6 names as printed by `ipset list` (`fd00::1,ipv6-icmp:echo-request`). */
export const IPSET_ICMPV6_NAMES: ReadonlyMap<string, [number, number]> = new Map([
  ['no-route', [1, 0]], ['communication-prohibited', [1, 1]], ['address-unreachable', [1, 3]],
  ['port-unreachable', [1, 4]], ['packet-too-big', [2, 0]], ['ttl-zero-during-transit', [3, 0]],
  ['ttl-zero-during-reassembly', [3, 1]], ['bad-header', [4, 0]], ['unknown-header-type', [4, 1]],
  ['unknown-option', [4, 2]], ['echo-request', [128, 0]], ['echo-reply', [129, 0]],
  ['router-solicitation', [133, 0]], ['router-advertisement', [134, 0]], ['neighbour-solicitation', [135, 0]],
  ['neighbour-advertisement', [136, 0]], ['redirect', [137, 0]],
]);

/**
 * Parses `--icmp-type`/`--icmpv6-type`: a name from `names` (case-insensitive: iptables prints
 * `TOS-network-unreachable`), `type`, or `type/code`.
 */
export function parseIcmpTypeSpec(text: string, names: ReadonlyMap<string, IcmpTypeCodes>): IcmpTypeCodes | undefined {
  const named = names.get(text.toLowerCase());
  if (named) return named;
  const m = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(text);
  if (!m) return undefined;
  const type = Number(m[1]);
  if (type > 255) return undefined;
  if (m[2] === undefined) return { type, codeMin: 0, codeMax: ALL };
  const code = Number(m[2]);
  return code > 255 ? undefined : { type, codeMin: code, codeMax: code };
}
