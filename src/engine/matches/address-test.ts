import { parseAddress, parseCidr, type Cidr } from '../../model/address.js';
import type { Family } from '../../model/rule.js';

/** A parsed packet address. */
export interface AddressValue {
  family: Family;
  value: bigint;
}

const addressCache = new Map<string, AddressValue | null>();
/** Bound on the memo: a walk sees a handful of addresses; the cap only guards against unbounded growth. */
const ADDRESS_CACHE_LIMIT = 4096;

/**
 * The packet's address text as an integer, memoised: evaluation runs for many rules with the same few
 * addresses, and parsing (regex + bigint) per evaluation would dominate a walk over a 400k-rule dump.
 */
export function lookupAddress(text: string): AddressValue | undefined {
  const hit = addressCache.get(text);
  if (hit !== undefined) return hit ?? undefined;
  if (addressCache.size >= ADDRESS_CACHE_LIMIT) addressCache.clear();
  const parsed = parseAddress(text) ?? null;
  addressCache.set(text, parsed);
  return parsed ?? undefined;
}

/** A CIDR compiled for containment tests (mask precomputed). */
export interface CompiledCidr {
  family: Family;
  prefixLength: number;
  /** Network address with host bits cleared. */
  network: bigint;
  text: string;
  contains(address: AddressValue): boolean;
}

/**
 * Compiles `a.b.c.d[/len|/mask]` or an IPv6 prefix (src/model/address.ts `parseCidr`). A packet of the
 * other family never matches: ip_tables and ip6_tables are separate, so an IPv4 rule never sees IPv6.
 */
export function compileCidr(text: string): CompiledCidr | undefined {
  const cidr = parseCidr(text);
  return cidr ? compileParsedCidr(cidr) : undefined;
}

/** Compiles an already parsed prefix (e.g. the node context's LOCAL list). */
export function compileParsedCidr(cidr: Cidr): CompiledCidr {
  const text = cidr.text;
  const bits = cidr.family === 4 ? 32 : 128;
  const all = (1n << BigInt(bits)) - 1n;
  const mask = all ^ ((1n << BigInt(bits - cidr.prefixLength)) - 1n);
  const { family, network } = cidr;
  return {
    family,
    prefixLength: cidr.prefixLength,
    network,
    text,
    contains: (a) => a.family === family && (a.value & mask) === network,
  };
}

/** An inclusive address range (`-m iprange --src-range a-b`, ipset ranges). */
export function compileAddressRange(text: string): ((a: AddressValue) => boolean) | undefined {
  const dash = text.indexOf('-');
  if (dash < 0) return undefined;
  const from = parseAddress(text.slice(0, dash));
  const to = parseAddress(text.slice(dash + 1));
  if (!from || !to || from.family !== to.family) return undefined;
  const family = from.family;
  const lo = from.value;
  const hi = to.value;
  return (a) => a.family === family && a.value >= lo && a.value <= hi;
}
