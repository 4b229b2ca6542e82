import type { Cidr } from '../../model/address.js';
import type { NodeContext } from '../context.js';
import type { Packet } from '../packet.js';
import { compileCidr, compileParsedCidr, lookupAddress, type AddressValue, type CompiledCidr } from './address-test.js';
import { allOf, assumedResult, checkArgCount, formatOption, negateResult, unknownResult, unsupportedOption } from './combine.js';
import { bool, NOT_MATCHED, type MatchModule, type MatchResult, type MatchTest } from './match-module.js';

/** Route types addrtype names (libxt_addrtype `rtn_names`, the order of RTN_* in linux/rtnetlink.h). */
export type AddressType =
  | 'UNSPEC' | 'UNICAST' | 'LOCAL' | 'BROADCAST' | 'ANYCAST' | 'MULTICAST'
  | 'BLACKHOLE' | 'UNREACHABLE' | 'PROHIBIT' | 'THROW' | 'NAT' | 'XRESOLVE';
const ADDRESS_TYPES: readonly AddressType[] = [
  'UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST',
  'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE',
];

/** Always LOCAL whatever the node context lists: the kernel installs `local 127.0.0.0/8 dev lo` and ::1. */
const LOOPBACK = [compileCidr('127.0.0.0/8')!, compileCidr('::1/128')!];
const V4_ZERONET = compileCidr('0.0.0.0/8')!;
const V4_MULTICAST = compileCidr('224.0.0.0/4')!;
const V6_MULTICAST = compileCidr('ff00::/8')!;
const V4_LIMITED_BROADCAST = 0xffffffffn;

const localIndex = new WeakMap<readonly Cidr[], CompiledCidr[]>();

/** The node's LOCAL prefixes compiled once per context list. */
function getLocalCidrs(node: NodeContext): CompiledCidr[] {
  let compiled = localIndex.get(node.localAddresses);
  if (!compiled) {
    compiled = [...LOOPBACK];
    for (const c of node.localAddresses) compiled.push(compileParsedCidr(c));
    localIndex.set(node.localAddresses, compiled);
  }
  return compiled;
}

/** True when `address` is one of the node's LOCAL addresses (context list, plus loopback). */
export function isLocalAddress(address: AddressValue, node: NodeContext): boolean {
  for (const c of getLocalCidrs(node)) if (c.contains(address)) return true;
  return false;
}

/** Whether `address` is a loopback address (always on `lo`). */
function isLoopback(address: AddressValue): boolean {
  return LOOPBACK[0]!.contains(address) || LOOPBACK[1]!.contains(address);
}

/**
 * The assumption said when an address is not in an incomplete LOCAL list. Exported so the walker and
 * renderer use one wording.
 */
export function describeLocalAssumption(): string {
  return "the node's own addresses are not known (pass --node-ip): addresses other than loopback are taken as not the node's";
}

type Side = 'src' | 'dst';
type LimitIface = 'in' | 'out' | undefined;

/**
 * One `[!] --src-type|--dst-type T1,T2` test.
 *
 * IPv4 (xt_addrtype.c `match_type` → `inet_dev_addr_type`, net/ipv4/fib_frontend.c): 0.0.0.0/8 and
 * 255.255.255.255 are BROADCAST, 224/4 MULTICAST, otherwise the type of the route in the `local` table:
 * LOCAL for the node's addresses, else UNICAST. Approximation: subnet broadcast addresses
 * (`broadcast 10.0.0.255 … table local`) and BLACKHOLE/UNREACHABLE/PROHIBIT/THROW/NAT/XRESOLVE routes in
 * the local table are not known, so such types never match and those addresses count as UNICAST.
 *
 * IPv6 (`match_type6`): MULTICAST, UNICAST and UNSPEC are address-class constraints that must all hold
 * (UNICAST = any non-multicast address other than ::, local ones included); LOCAL, ANYCAST and
 * UNREACHABLE then need one of them to hold by route lookup, where only LOCAL is known.
 *
 * `--limit-iface-in/out` looks the address up on the packet's in/out interface only: a LOCAL address of
 * another interface is then UNICAST. Which interface holds which node address is not known (except
 * loopback on `lo`), so such cases are unknown.
 */
function compileTypeTest(types: readonly AddressType[], side: Side, negated: boolean, limit: LimitIface): MatchTest {
  const mask = new Set(types);
  const wantsLocalOrUnicast = mask.has('LOCAL') || mask.has('UNICAST');
  return (p: Packet, ctx) => {
    const text = side === 'src' ? p.src : p.dst;
    const a = lookupAddress(text);
    if (!a) return NOT_MATCHED;
    let local = isLocalAddress(a, ctx.node);
    let assumption: string | undefined;
    if (!local && !ctx.node.localAddressesComplete && wantsLocalOrUnicast) assumption = describeLocalAssumption();
    if (local && limit) {
      const iface = limit === 'in' ? p.inInterface : p.outInterface;
      if (iface === 'lo' && isLoopback(a)) local = true;
      else if (iface === undefined || !isLoopback(a)) {
        return unknownResult(
          `addrtype --limit-iface-${limit}: whether ${text} is an address of ${iface === undefined ? `the ${limit}put interface` : iface} is unknown`,
        );
      } else local = false;
    }
    const matched = a.family === 4 ? matchV4(a, local, mask) : matchV6(a, local, mask);
    const result: MatchResult = assumption ? assumedResult(matched, assumption) : bool(matched);
    return negateResult(result, negated);
  };
}

function matchV4(a: AddressValue, local: boolean, mask: ReadonlySet<AddressType>): boolean {
  let type: AddressType;
  if (V4_ZERONET.contains(a) || a.value === V4_LIMITED_BROADCAST) type = 'BROADCAST';
  else if (V4_MULTICAST.contains(a)) type = 'MULTICAST';
  else type = local ? 'LOCAL' : 'UNICAST';
  return mask.has(type);
}

function matchV6(a: AddressValue, local: boolean, mask: ReadonlySet<AddressType>): boolean {
  const multicast = V6_MULTICAST.contains(a);
  const any = a.value === 0n;
  if (mask.has('MULTICAST') && !multicast) return false;
  if (mask.has('UNICAST') && (multicast || any)) return false;
  if (mask.has('UNSPEC') && !any) return false;
  if (mask.has('LOCAL') || mask.has('ANYCAST') || mask.has('UNREACHABLE')) return mask.has('LOCAL') && local;
  return true;
}

/**
 * `-m addrtype [!] --src-type T [!] --dst-type T [--limit-iface-in|--limit-iface-out]`
 * (iptables-extensions(8) "addrtype"; net/netfilter/xt_addrtype.c; netfilter.md §6). LOCAL means inside
 * `ctx.node.localAddresses` (plus loopback). When that list is incomplete, an address outside it is
 * taken as not LOCAL and the result carries that assumption.
 */
export const addrtypeModule: MatchModule = {
  name: 'addrtype',
  compile(match) {
    let limit: LimitIface;
    const wanted: { side: Side; types: AddressType[]; negated: boolean }[] = [];
    for (const option of match.options) {
      if (option.name === 'limit-iface-in' || option.name === 'limit-iface-out') {
        const argError = checkArgCount('addrtype', option, 0);
        if (argError) return argError;
        if (option.negated) return unsupportedOption('addrtype', option);
        const which = option.name === 'limit-iface-in' ? 'in' : 'out';
        if (limit && limit !== which) return { error: 'addrtype: --limit-iface-in and --limit-iface-out together' };
        limit = which;
      } else if (option.name === 'src-type' || option.name === 'dst-type') {
        const argError = checkArgCount('addrtype', option, 1);
        if (argError) return argError;
        const types: AddressType[] = [];
        for (const t of option.args[0]!.split(',')) {
          const upper = t.toUpperCase() as AddressType;
          if (!ADDRESS_TYPES.includes(upper)) return { error: `addrtype: unknown type ${t} in ${formatOption(option)}` };
          types.push(upper);
        }
        wanted.push({ side: option.name === 'src-type' ? 'src' : 'dst', types, negated: option.negated });
      } else {
        return unsupportedOption('addrtype', option);
      }
    }
    // Source before destination, as addrtype_mt_v1 evaluates them.
    wanted.sort((x, y) => (x.side === y.side ? 0 : x.side === 'src' ? -1 : 1));
    return allOf(wanted.map((w) => compileTypeTest(w.types, w.side, w.negated, limit)));
  },
};
