import type { Family } from './rule.js';

/**
 * An IPv4 or IPv6 prefix as a bigint pair, for containment tests. IPv4 is 32-bit, IPv6 128-bit.
 */
export interface Cidr {
  family: Family;
  /** Network address as an integer (host bits cleared). */
  network: bigint;
  prefixLength: number;
  /** Text as written. */
  text: string;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses an IPv4 or IPv6 address to an integer; undefined when it is not one. */
export function parseAddress(text: string): { family: Family; value: bigint } | undefined {
  const m = V4.exec(text);
  if (m) {
    let v = 0n;
    for (let i = 1; i <= 4; i++) {
      const o = Number(m[i]);
      if (o > 255) return undefined;
      v = (v << 8n) | BigInt(o);
    }
    return { family: 4, value: v };
  }
  if (!text.includes(':')) return undefined;
  let body = text;
  // IPv4-mapped or -compatible tail (::ffff:1.2.3.4): rewrite the dotted quad as two hex groups.
  const lastColon = body.lastIndexOf(':');
  const maybeV4 = body.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const v4 = parseAddress(maybeV4);
    if (!v4 || v4.family !== 4) return undefined;
    body = `${body.slice(0, lastColon + 1)}${((v4.value >> 16n) & 0xffffn).toString(16)}:${(v4.value & 0xffffn).toString(16)}`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const parseGroups = (s: string): bigint[] | undefined => {
    if (s === '') return [];
    const out: bigint[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt(parseInt(g, 16)));
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  const rest = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length;
  if (halves.length === 1 && given !== 8) return undefined;
  if (given > 8) return undefined;
  const groups = [...head, ...Array<bigint>(8 - given).fill(0n), ...rest];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | g;
  return { family: 6, value: v };
}

/** Parses `a.b.c.d`, `a.b.c.d/len`, `a.b.c.d/255.255.0.0`, IPv6 with or without `/len`. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseAddress(addrText);
  if (!addr) return undefined;
  const bits = addr.family === 4 ? 32 : 128;
  let prefixLength = bits;
  if (slash >= 0) {
    const lenText = text.slice(slash + 1);
    if (/^\d+$/.test(lenText)) prefixLength = Number(lenText);
    else {
      const mask = parseAddress(lenText);
      if (!mask || mask.family !== addr.family) return undefined;
      prefixLength = countPrefix(mask.value, bits);
      if (prefixLength < 0) return undefined;
    }
    if (prefixLength > bits) return undefined;
  }
  const hostBits = BigInt(bits - prefixLength);
  const network = (addr.value >> hostBits) << hostBits;
  return { family: addr.family, network, prefixLength, text };
}

function countPrefix(mask: bigint, bits: number): number {
  let n = 0;
  for (let i = bits - 1; i >= 0; i--) {
    if ((mask >> BigInt(i)) & 1n) n++;
    else break;
  }
  const expected = n === 0 ? 0n : ((1n << BigInt(n)) - 1n) << BigInt(bits - n);
  return expected === mask ? n : -1;
}

/** True when `address` (text) lies inside `cidr`. Different families never match. */
export function cidrContains(cidr: Cidr, address: string): boolean {
  const a = parseAddress(address);
  if (!a || a.family !== cidr.family) return false;
  const bits = cidr.family === 4 ? 32 : 128;
  const hostBits = BigInt(bits - cidr.prefixLength);
  return (a.value >> hostBits) << hostBits === cidr.network;
}

/** Formats an integer address back to text (IPv4 dotted, IPv6 compressed). */
export function formatAddress(family: Family, value: bigint): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => ((value >> s) & 0xffn).toString()).join('.');
  }
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((value >> BigInt(i * 16)) & 0xffffn).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

/** `ip:port` for IPv4, `[ip]:port` for IPv6, as the brief's JSON and kube-proxy's comments write it. */
export function formatEndpoint(address: string, port?: number): string {
  if (port === undefined) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
