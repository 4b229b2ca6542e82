import { formatAddress, formatEndpoint } from '../../model/address.js';
import type { NatRange, Target } from '../../model/target.js';
import type { EvalContext } from '../context.js';
import { clonePacket, type Packet } from '../packet.js';
import type { TargetEffect } from './target-effect.js';

/** `0x4000`, as iptables-save prints marks (netfilter.md §5). */
function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** `(value & ~mask) ^ xor` on unsigned 32 bits: MARK/CONNMARK's one operation (xt_mark.c, xt_connmark.c). */
function xmark(value: number, mask: number, xor: number): number {
  return ((value & ~mask) ^ xor) >>> 0;
}

function formatRange(r: NatRange): string {
  const addr = r.addressFrom === undefined ? '' : r.addressTo && r.addressTo !== r.addressFrom ? `${r.addressFrom}-${r.addressTo}` : r.addressFrom;
  const port = r.portFrom === undefined ? '' : r.portTo !== undefined && r.portTo !== r.portFrom ? `:${r.portFrom}-${r.portTo}` : `:${r.portFrom}`;
  return `${addr}${port}`;
}

/**
 * The first address and port of a NAT range, with assumptions when the kernel could have chosen another
 * (nf_nat_core.c `find_best_ips_proto` hashes the tuple over the address range; ports keep the original
 * when it is inside the range, `nf_nat_l4proto_unique_tuple`).
 */
function pickFromRanges(kind: string, ranges: readonly NatRange[], originalPort: number | undefined) {
  const assumptions: string[] = [];
  const r = ranges[0]!;
  if (ranges.length > 1) assumptions.push(`${kind} has ${ranges.length} ranges; the first (${formatRange(r)}) is assumed`);
  if (r.addressTo !== undefined && r.addressFrom !== undefined && r.addressTo !== r.addressFrom) {
    assumptions.push(`${kind} to ${r.addressFrom}-${r.addressTo}: first address ${r.addressFrom} assumed (the kernel picks by a hash of the connection)`);
  }
  let port: number | undefined;
  if (r.portFrom !== undefined) {
    const portTo = r.portTo ?? r.portFrom;
    if (originalPort !== undefined && originalPort >= r.portFrom && originalPort <= portTo) port = originalPort;
    else {
      port = r.portFrom;
      if (portTo !== r.portFrom) assumptions.push(`${kind} port range ${r.portFrom}-${portTo}: first port ${r.portFrom} assumed`);
    }
  }
  return { address: r.addressFrom, port, assumptions };
}

/** REDIRECT's new destination: 127.0.0.1 / ::1 on OUTPUT, else the primary address of the input interface. */
function pickRedirectAddress(packet: Packet, ctx: EvalContext): { address: string; assumption?: string } {
  const loopback = packet.family === 4 ? '127.0.0.1' : '::1';
  if (ctx.hook === 'OUTPUT') return { address: loopback };
  // The node context does not say which address belongs to which interface: take its first own address
  // of the packet's family (a full-length prefix that is not loopback).
  for (const c of ctx.node.localAddresses) {
    const bits = c.family === 4 ? 32 : 128;
    if (c.family !== packet.family || c.prefixLength !== bits) continue;
    // Skip loopback (127/8, ::1): REDIRECT from another interface goes to that interface's own address.
    if (c.family === 4 ? c.network >> 24n === 127n : c.network === 1n) continue;
    const text = formatAddress(c.family, c.network);
    return {
      address: text,
      assumption: `REDIRECT: ${text} assumed to be the primary address of input interface ${packet.inInterface ?? '(unknown)'}`,
    };
  }
  return {
    address: loopback,
    assumption: `REDIRECT: the primary address of input interface ${packet.inInterface ?? '(unknown)'} is unknown; ${loopback} used as a stand-in LOCAL address`,
  };
}

/**
 * Applies a non-control target to the packet (iptables(8), iptables-extensions(8); netfilter.md §4–5).
 * Pure: the input packet is never changed; a changed packet is a clone. jump/goto/RETURN belong to the
 * walker and throw here.
 */
export function applyTarget(target: Target, packet: Packet, ctx: EvalContext): TargetEffect {
  switch (target.kind) {
    case 'jump':
    case 'goto':
    case 'RETURN':
      throw new Error(`applyTarget: control target ${target.raw} must be handled by the walker`);
    case 'ACCEPT':
    case 'DROP':
      return { flow: 'verdict', verdict: target.kind, packet };
    case 'REJECT':
      return { flow: 'verdict', verdict: 'REJECT', packet, description: `REJECT with ${target.rejectWith}` };
    case 'MARK': {
      const next = clonePacket(packet);
      next.mark = xmark(packet.mark, target.mask, target.value);
      return { flow: 'continue', packet: next, description: `mark ${hex(packet.mark)} → ${hex(next.mark)}` };
    }
    case 'CONNMARK': {
      const next = clonePacket(packet);
      if (target.mode === 'set') {
        next.ct.mark = xmark(packet.ct.mark, target.mask, target.value);
        return { flow: 'continue', packet: next, description: `ctmark ${hex(packet.ct.mark)} → ${hex(next.ct.mark)}` };
      }
      if (target.mode === 'save') {
        next.ct.mark = xmark(packet.ct.mark, target.ctmask, (packet.mark & target.nfmask) >>> 0);
        return { flow: 'continue', packet: next, description: `ctmark ${hex(packet.ct.mark)} → ${hex(next.ct.mark)} (saved from mark ${hex(packet.mark)})` };
      }
      next.mark = xmark(packet.mark, target.nfmask, (packet.ct.mark & target.ctmask) >>> 0);
      return { flow: 'continue', packet: next, description: `mark ${hex(packet.mark)} → ${hex(next.mark)} (restored from ctmark ${hex(packet.ct.mark)})` };
    }
    case 'DNAT': {
      if (target.ranges.length === 0) return { flow: 'unknown', reason: `not understood: ${target.raw}` };
      const { address, port, assumptions } = pickFromRanges('DNAT', target.ranges, packet.dport);
      const next = clonePacket(packet);
      if (address !== undefined) next.dst = address;
      if (port !== undefined) next.dport = port;
      next.ct.state.add('DNAT');
      // The reply now comes from the new destination (the reply tuple's source).
      next.ct.replySrc = next.dst;
      return {
        flow: 'verdict',
        verdict: 'ACCEPT',
        packet: next,
        nat: 'dnat',
        description: `DNAT to ${formatEndpoint(next.dst, next.dport)}`,
        ...(assumptions.length ? { assumptions } : {}),
      };
    }
    case 'SNAT': {
      if (target.ranges.length === 0) return { flow: 'unknown', reason: `not understood: ${target.raw}` };
      const { address, port, assumptions } = pickFromRanges('SNAT', target.ranges, packet.sport);
      const next = clonePacket(packet);
      if (address !== undefined) next.src = address;
      if (port !== undefined) next.sport = port;
      next.ct.state.add('SNAT');
      next.ct.replyDst = next.src;
      const flags = target.randomFully ? ' (random-fully)' : target.random ? ' (random)' : '';
      return {
        flow: 'verdict',
        verdict: 'ACCEPT',
        packet: next,
        nat: 'snat',
        description: `SNAT to ${formatEndpoint(next.src, port)}${flags}`,
        ...(assumptions.length ? { assumptions } : {}),
      };
    }
    case 'MASQUERADE': {
      // The new source is the output interface's address at that moment (ipt_MASQUERADE / nf_nat_masquerade.c
      // `inet_select_addr`), which the dump does not show: the packet keeps its source, the effect says so.
      const next = clonePacket(packet);
      next.ct.state.add('SNAT');
      const flags = target.randomFully ? ' (random-fully)' : target.random ? ' (random)' : '';
      const ports = target.ports ? `, ports ${formatRange(target.ports).slice(1)}` : '';
      const iface = packet.outInterface ? ` ${packet.outInterface}` : '';
      return {
        flow: 'verdict',
        verdict: 'ACCEPT',
        packet: next,
        nat: 'snat',
        description: `MASQUERADE: source → address of output interface${iface}${ports}${flags}`,
      };
    }
    case 'REDIRECT': {
      // nf_nat_redirect.c: the destination becomes 127.0.0.1 (OUTPUT) or the primary address of the
      // incoming interface; ports from --to-ports, else unchanged.
      const { address, assumption } = pickRedirectAddress(packet, ctx);
      const assumptions = assumption ? [assumption] : [];
      const next = clonePacket(packet);
      next.dst = address;
      if (target.ports?.portFrom !== undefined) {
        const picked = pickFromRanges('REDIRECT', [target.ports], packet.dport);
        if (picked.port !== undefined) next.dport = picked.port;
        assumptions.push(...picked.assumptions);
      }
      next.ct.state.add('DNAT');
      next.ct.replySrc = next.dst;
      return {
        flow: 'verdict',
        verdict: 'ACCEPT',
        packet: next,
        nat: 'dnat',
        description: `REDIRECT to ${formatEndpoint(next.dst, next.dport)}`,
        ...(assumptions.length ? { assumptions } : {}),
      };
    }
    case 'LOG':
    case 'NFLOG':
    case 'ULOG':
    case 'TRACE':
      // Observers: XT_CONTINUE, the packet is unchanged.
      return { flow: 'continue', packet, description: `${target.kind} (packet unchanged): ${target.raw}` };
    case 'CT': {
      if (!target.notrack) return { flow: 'continue', packet, description: `CT (no effect modelled): ${target.raw}` };
      // `-j CT --notrack` / NOTRACK: no conntrack entry, state UNTRACKED (iptables-extensions(8) "CT"); NAT
      // is then skipped for this packet (netfilter.md §2).
      const next = clonePacket(packet);
      next.ct.state = new Set(['UNTRACKED']);
      return { flow: 'continue', packet: next, description: 'conntrack off: state UNTRACKED' };
    }
    case 'unknown':
      return { flow: 'unknown', reason: `not understood: ${target.raw}` };
  }
}
