/**
 * Parsers for the argument syntaxes match options share (numbers, marks, ports, protocols, interface
 * names). All run at compile time; they return `undefined` for text they cannot read.
 */

/**
 * An unsigned integer as libxtables `xtables_strtoui` reads it (strtoul base 0: `0x` hex, leading `0`
 * octal, else decimal). iptables-save prints hex marks (`0x4000`), Calico writes `0/0x20000`.
 */
export function parseUnsigned(text: string, max = 0xffffffff): number | undefined {
  let value: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(text)) value = parseInt(text.slice(2), 16);
  else if (/^0[0-7]+$/.test(text)) value = parseInt(text.slice(1), 8);
  else if (/^\d+$/.test(text)) value = Number(text);
  else return undefined;
  return value <= max ? value : undefined;
}

/** `value[/mask]` as `-m mark --mark` and `-m connmark --mark` take it; mask defaults to 0xffffffff (xt_mark.c). */
export function parseValueMask(text: string): { value: number; mask: number } | undefined {
  const slash = text.indexOf('/');
  const value = parseUnsigned(slash < 0 ? text : text.slice(0, slash));
  const mask = slash < 0 ? 0xffffffff : parseUnsigned(text.slice(slash + 1));
  if (value === undefined || mask === undefined) return undefined;
  return { value, mask };
}

/** Formats a 32-bit mark the way iptables-save does: lower-case hex, no leading zeros (netfilter.md §5). */
export function formatMark(mark: number): string {
  return `0x${(mark >>> 0).toString(16)}`;
}

/**
 * Service names iptables resolves through /etc/services when a rule is written with a name
 * (`--dport domain`); iptables-save always prints the number, so only common names of hand-written
 * excerpts are needed.
 */
const SERVICE_PORTS: ReadonlyMap<string, number> = new Map([
  ['ftp', 21], ['ssh', 22], ['telnet', 23], ['smtp', 25], ['domain', 53], ['bootps', 67], ['bootpc', 68],
  ['http', 80], ['www', 80], ['pop3', 110], ['ntp', 123], ['imap', 143], ['snmp', 161], ['bgp', 179],
  ['ldap', 389], ['https', 443], ['smtps', 465], ['submission', 587], ['ldaps', 636], ['imaps', 993],
  ['pop3s', 995], ['mysql', 3306], ['postgresql', 5432],
]);

/** One port, numeric or a common service name. */
export function parsePort(text: string): number | undefined {
  const named = SERVICE_PORTS.get(text);
  if (named !== undefined) return named;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65535 ? n : undefined;
}

/** An inclusive port range. */
export interface PortRange {
  min: number;
  max: number;
}

/**
 * `port`, `a:b`, `:b` (from 0), `a:` (to 65535), as libxt_tcp/libxt_udp and libxt_conntrack parse them;
 * iptables-save prints `:1024` as `0:1024` and `1024:` as `1024:65535`. `min > max` is refused, as
 * iptables does ("invalid portrange").
 */
export function parsePortRange(text: string): PortRange | undefined {
  const colon = text.indexOf(':');
  if (colon < 0) {
    const p = parsePort(text);
    return p === undefined ? undefined : { min: p, max: p };
  }
  const a = text.slice(0, colon);
  const b = text.slice(colon + 1);
  const min = a === '' ? 0 : parsePort(a);
  const max = b === '' ? 65535 : parsePort(b);
  if (min === undefined || max === undefined || min > max) return undefined;
  return { min, max };
}

/**
 * IP protocol numbers by name: /etc/protocols as shipped by Debian's netbase (what iptables-save prints
 * through getprotobynumber: `-p 4` is saved as `-p ipencap`) plus iptables' own aliases (`all` = 0,
 * `icmpv6` = 58, libxtables `xtables_chain_protos`) and `ipv4`, which some distributions print for 4.
 */
const PROTOCOL_NUMBERS: ReadonlyMap<string, number> = new Map([
  ['all', 0], ['ip', 0], ['hopopt', 0], ['icmp', 1], ['igmp', 2], ['ggp', 3], ['ipencap', 4], ['ipv4', 4],
  ['st', 5], ['tcp', 6], ['egp', 8], ['igp', 9], ['pup', 12], ['udp', 17], ['hmp', 20], ['xns-idp', 22],
  ['rdp', 27], ['iso-tp4', 29], ['dccp', 33], ['xtp', 36], ['ddp', 37], ['idpr-cmtp', 38], ['ipv6', 41],
  ['ipv6-route', 43], ['ipv6-frag', 44], ['idrp', 45], ['rsvp', 46], ['gre', 47], ['esp', 50], ['ah', 51],
  ['skip', 57], ['ipv6-icmp', 58], ['icmpv6', 58], ['ipv6-nonxt', 59], ['ipv6-opts', 60], ['rspf', 73],
  ['vmtp', 81], ['eigrp', 88], ['ospf', 89], ['ax.25', 93], ['ipip', 94], ['etherip', 97], ['encap', 98],
  ['pim', 103], ['ipcomp', 108], ['vrrp', 112], ['l2tp', 115], ['isis', 124], ['sctp', 132], ['fc', 133],
  ['mobility-header', 135], ['udplite', 136], ['mpls-in-ip', 137], ['manet', 138], ['hip', 139],
  ['shim6', 140], ['wesp', 141], ['rohc', 142], ['ethernet', 143],
]);

/** Protocol number from a name (case-insensitive) or a decimal number 0–255. */
export function parseProtocol(text: string): number | undefined {
  const lower = text.toLowerCase();
  const named = PROTOCOL_NUMBERS.get(lower);
  if (named !== undefined) return named;
  if (!/^\d+$/.test(lower)) return undefined;
  const n = Number(lower);
  return n <= 255 ? n : undefined;
}

const packetProtocolCache = new Map<string, number | undefined>();

/** The protocol number of a packet's `protocol` name, memoised (evaluation must not re-parse). */
export function getPacketProtocolNumber(protocol: string): number | undefined {
  if (packetProtocolCache.has(protocol)) return packetProtocolCache.get(protocol);
  const n = parseProtocol(protocol);
  packetProtocolCache.set(protocol, n);
  return n;
}

/** Protocol numbers with the port-carrying header layout (xt_tcpudp.c, xt_sctp.c, xt_multiport.c). */
export const IPPROTO = { ICMP: 1, TCP: 6, UDP: 17, DCCP: 33, ICMPV6: 58, SCTP: 132, UDPLITE: 136 } as const;

/**
 * An interface name test: exact, or a prefix when it ends in `+` (iptables(8) `-i`). Mirrors
 * libxtables `xtables_parse_interface`: `eth+` compares only the bytes before `+`, so it also matches
 * `eth`; a lone `+` compares nothing and matches any interface, even none (ifname_compare_aligned in
 * include/linux/netfilter/x_tables.h).
 */
export function compileInterfaceName(pattern: string): (name: string) => boolean {
  if (pattern.endsWith('+')) {
    const prefix = pattern.slice(0, -1);
    return (name) => name.startsWith(prefix);
  }
  return (name) => name === pattern;
}
