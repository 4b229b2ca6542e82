import type { Family } from '../model/rule.js';
import type { InterfaceFacts } from './interface-facts.js';

/** Conntrack states for `-m conntrack --ctstate` / `-m state` (iptables-extensions(8) "conntrack"). */
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'SNAT' | 'DNAT';
/** Conntrack status bits for `--ctstatus` (iptables-extensions(8)). */
export type CtStatus = 'NONE' | 'EXPECTED' | 'SEEN_REPLY' | 'ASSURED' | 'CONFIRMED';

/** The netfilter hooks (netfilter.md §1). */
export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/** Conntrack view of the packet's connection: the original tuple and the states it is in. */
export interface ConntrackView {
  state: Set<CtState>;
  status: Set<CtStatus>;
  /** Original direction tuple, before any NAT (for --ctorigsrc/--ctorigdst/--ctorigdstport). */
  origSrc: string;
  origDst: string;
  origSport?: number;
  origDport?: number;
  /** Reply tuple source/destination after NAT (for --ctreplsrc/--ctrepldst). */
  replySrc: string;
  replyDst: string;
  mark: number;
}

/**
 * A packet as the engine sees it. Fields that are `undefined` are unknown: a match on them evaluates
 * to "unknown" and the walk forks, labelled with what was unknown (STYLE.md 8).
 */
export interface Packet {
  family: Family;
  /** Lower-case protocol name: tcp, udp, sctp, icmp, ipv6-icmp … */
  protocol: string;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  /**
   * Input interface. `''` = none (locally generated: on OUTPUT `-i x` never matches, xt `ip_packet_match`);
   * `undefined` = unknown (a `-i` match evaluates to unknown and the walk forks).
   */
  inInterface?: string;
  /** Output interface. `''` = none yet (PREROUTING); `undefined` = unknown (routing not known). */
  outInterface?: string;
  /** While an interface is unknown: what this branch has found it to match (see interface-facts.ts). */
  inInterfaceFacts?: InterfaceFacts;
  outInterfaceFacts?: InterfaceFacts;
  /** skb->mark, 32-bit unsigned. */
  mark: number;
  ct: ConntrackView;
  /** Physical bridge ports when the packet is bridged (br_netfilter), for -m physdev. */
  physIn?: string;
  physOut?: string;
  bridged?: boolean;
}

/** Copies a packet (the walk forks it). */
export function clonePacket(p: Packet): Packet {
  // Interface facts are replaced, never mutated (addInterfaceFact returns a new object): sharing is safe.
  return { ...p, ct: { ...p.ct, state: new Set(p.ct.state), status: new Set(p.ct.status) } };
}
