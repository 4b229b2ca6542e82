// Names and numbers exactly as kube-proxy's iptables mode and iptables-save produce them.
// Plain ESM (no build step) so the benchmark runs before `npm run build`.
import { createHash } from 'node:crypto';

/** RFC 4648 base32 alphabet, the one Go's base32.StdEncoding uses. */
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Encodes bytes as upper-case RFC 4648 base32 without padding.
 * kube-proxy keeps only the first 16 characters, so padding never shows.
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function encodeBase32(bytes) {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * The 16-character hash kube-proxy puts after KUBE-SVC-/KUBE-SVL-/KUBE-EXT-/KUBE-FW-/KUBE-SEP-:
 * base32(sha256(text)) truncated (kubernetes pkg/proxy/iptables/proxier.go `portProtoHash`,
 * `servicePortEndpointChainName`; shared/reference/kube-proxy.md §2).
 * @param {string} text servicePortName + protocol (+ endpoint for SEP chains)
 * @returns {string}
 */
export function hashChainSuffix(text) {
  return encodeBase32(createHash('sha256').update(text).digest()).slice(0, 16);
}

/**
 * Name of a per-service-port chain. The protocol is lower case, as kube-proxy passes
 * `strings.ToLower(string(protocol))` (kube-proxy.md §2).
 * @param {'KUBE-SVC-'|'KUBE-SVL-'|'KUBE-EXT-'|'KUBE-FW-'} prefix
 * @param {string} servicePortName `ns/name:port` or `ns/name` for an unnamed port
 * @param {string} protocol
 * @returns {string}
 */
export function getServiceChainName(prefix, servicePortName, protocol) {
  return prefix + hashChainSuffix(servicePortName + protocol.toLowerCase());
}

/**
 * Name of the KUBE-SEP- chain of one endpoint: hash of servicePortName + protocol + `ip:port`
 * (IPv6 endpoints would be `[ip]:port`; the generator only writes IPv4).
 * @param {string} servicePortName
 * @param {string} protocol
 * @param {string} endpoint `ip:port`
 * @returns {string}
 */
export function getEndpointChainName(servicePortName, protocol, endpoint) {
  return 'KUBE-SEP-' + hashChainSuffix(servicePortName + protocol.toLowerCase() + endpoint);
}

/** 2^31: libxt_statistic stores probabilities as a fraction of it (netfilter.md §6). */
const STATISTIC_SCALE = 0x80000000;

/**
 * kube-proxy writes the i-th of n balancing probabilities as `%0.10f` of 1/(n−i)
 * (proxier.go `computeProbability`; kube-proxy.md §2).
 * @param {number} index 0-based rule index
 * @param {number} count number of endpoints
 * @returns {string}
 */
export function formatKubeProxyProbability(index, count) {
  return (1 / (count - index)).toFixed(10);
}

/**
 * What iptables-save prints for `--probability written`: libxt_statistic parses the double,
 * stores N = lround(p × 2^31) and prints N / 2^31 with `%.11f` (netfilter.md §6), so
 * 0.1000000000 comes back as 0.10000000009.
 * @param {string} written probability as given to iptables-restore
 * @returns {string}
 */
export function formatSavedProbability(written) {
  const stored = Math.round(Number(written) * STATISTIC_SCALE);
  return (stored / STATISTIC_SCALE).toFixed(11);
}
