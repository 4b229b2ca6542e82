import { compileIcmpMatch } from './icmp-match.js';
import { IPTABLES_ICMP_TYPES } from './icmp-types.js';
import type { MatchModule } from './match-module.js';
import { IPPROTO } from './values.js';

/** `-m icmp [!] --icmp-type type[/code]|name|any` (iptables-extensions(8) "icmp"). */
export const icmpModule: MatchModule = {
  name: 'icmp',
  compile: (match) => compileIcmpMatch('icmp', 'icmp-type', match, IPTABLES_ICMP_TYPES, IPPROTO.ICMP, true),
};
