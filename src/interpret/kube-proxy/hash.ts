import { createHash } from 'node:crypto';
import { KUBE_SEP_PREFIX, type ServicePortPrefix } from './chain-names.js';

/** RFC 4648 base32 alphabet, as Go's `base32.StdEncoding` uses it. */
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** kube-proxy keeps 16 base32 characters = 80 bits = the first 10 bytes of the digest. */
const HASH_LENGTH = 16;

function base32Prefix(bytes: Uint8Array, length: number): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
      if (out.length === length) return out;
    }
  }
  return out;
}

function hash16(text: string): string {
  return base32Prefix(createHash('sha256').update(text, 'utf8').digest(), HASH_LENGTH);
}

/**
 * The hash shared by a service port's KUBE-SVC-/SVL-/EXT-/FW-/XLB- chains: first 16 characters of
 * base32(sha256(servicePortName + lower-case protocol)) (`portProtoHash` in pkg/proxy/iptables/proxier.go,
 * kube-proxy.md §2). `servicePortName` is hashed exactly as given: `ns/name:port`, `ns/name` (unnamed port,
 * v1.19+) or the ≤1.18 form `ns/name:`.
 */
export function servicePortChainHash(servicePortName: string, protocol: string): string {
  return hash16(servicePortName + protocol.toLowerCase());
}

/**
 * The KUBE-SEP- hash: base32(sha256(servicePortName + protocol + endpoint)) with the endpoint as `ip:port`
 * or `[ip6]:port` (`servicePortEndpointChainName`, kube-proxy.md §2).
 */
export function endpointChainHash(servicePortName: string, protocol: string, endpoint: string): string {
  return hash16(servicePortName + protocol.toLowerCase() + endpoint);
}

/** `KUBE-SVC-…` (or another per-service-port prefix) for a service port name and protocol. */
export function serviceChainName(prefix: ServicePortPrefix, servicePortName: string, protocol: string): string {
  return prefix + servicePortChainHash(servicePortName, protocol);
}

/** `KUBE-SEP-…` for a service port name, protocol and endpoint `ip:port`. */
export function endpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return KUBE_SEP_PREFIX + endpointChainHash(servicePortName, protocol, endpoint);
}
