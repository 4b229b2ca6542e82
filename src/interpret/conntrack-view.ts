import { formatEndpoint } from '../model/address.js';
import type { ConntrackEntry } from '../model/conntrack.js';

/** One line for a conntrack entry: `tcp ESTABLISHED 10.244.1.3:51234 → 10.96.34.82:80 ⇒ 10.244.2.2:80 [ASSURED]`. */
export function formatConntrackEntry(e: ConntrackEntry): string {
  const o = e.original;
  const translated = e.reply.src !== o.dst || (e.reply.sport !== undefined && e.reply.sport !== o.dport);
  const to = translated ? ` ⇒ ${formatEndpoint(e.reply.src, e.reply.sport)}` : '';
  const snat = e.reply.dst !== o.src ? ` (SNAT to ${e.reply.dst})` : '';
  const flags = e.flags.length > 0 ? ` [${e.flags.join(',')}]` : '';
  return `${e.protocol}${e.state ? ` ${e.state}` : ''} ${formatEndpoint(o.src, o.sport)} → ${formatEndpoint(o.dst, o.dport)}${to}${snat}${flags}`;
}
