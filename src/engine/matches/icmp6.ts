import { compileIcmpMatch } from './icmp-match.js';
import { IPTABLES_ICMPV6_TYPES } from './icmp-types.js';
import type { MatchModule } from './match-module.js';
import { IPPROTO } from './values.js';

/** `-m icmp6 [!] --icmpv6-type type[/code]|name` (iptables-extensions(8) "icmp6"). */
export const icmp6Module: MatchModule = {
  name: 'icmp6',
  compile: (match) => compileIcmpMatch('icmp6', 'icmpv6-type', match, IPTABLES_ICMPV6_TYPES, IPPROTO.ICMPV6, false),
};
