import { lookupAddress } from './address-test.js';
import { checkArgCount, formatOption, unsupportedOption } from './combine.js';
import { bool, type MatchModule } from './match-module.js';

/**
 * `-m pkttype [!] --pkt-type unicast|broadcast|multicast` (iptables-extensions(8) "pkttype";
 * xt_pkttype.c). The link-layer type is not modelled; it is derived from the destination address as
 * xt_pkttype does for looped-back packets: 224/4 and ff00::/8 multicast, 255.255.255.255 broadcast,
 * otherwise unicast (a subnet broadcast address is taken as unicast).
 */
export const pkttypeModule: MatchModule = {
  name: 'pkttype',
  compile(match) {
    if (match.options.length !== 1) return { error: 'pkttype: expects one --pkt-type' };
    const option = match.options[0]!;
    if (option.name !== 'pkt-type') return unsupportedOption('pkttype', option);
    const argError = checkArgCount('pkttype', option, 1);
    if (argError) return argError;
    const want = option.args[0]!.toLowerCase();
    if (want !== 'unicast' && want !== 'broadcast' && want !== 'multicast') {
      return { error: `pkttype: bad type in ${formatOption(option)}` };
    }
    const negated = option.negated;
    return (p) => {
      const a = lookupAddress(p.dst);
      let type = 'unicast';
      if (a?.family === 4 && a.value >> 28n === 0xen) type = 'multicast';
      else if (a?.family === 4 && a.value === 0xffffffffn) type = 'broadcast';
      else if (a?.family === 6 && a.value >> 120n === 0xffn) type = 'multicast';
      return bool((type === want) !== negated);
    };
  },
};
