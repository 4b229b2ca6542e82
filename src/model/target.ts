import type { MatchOption } from './rule.js';

/** Fields every target keeps: its name and arguments as written, so nothing is lost. */
interface TargetBase {
  /** Target name as written after -j/-g (`KUBE-SVC-…`, `DNAT`, `MARK`). */
  name: string;
  /** Target options as written, e.g. `[{name:'to-destination', args:['10.244.2.2:80']}]`. */
  options: MatchOption[];
  /** Raw text from `-j`/`-g` to the end of the rule. */
  raw: string;
}

/** A NAT address/port range: `--to-destination 10.0.0.1-10.0.0.3:80-81`. */
export interface NatRange {
  /** First address of the range, undefined when only ports are given (`:8080`). */
  addressFrom?: string;
  addressTo?: string;
  portFrom?: number;
  portTo?: number;
}

/**
 * Targets as a discriminated union (STYLE.md 6). `listTargetChain` names the chain a target
 * refers to: those are the edges of the chain graph. Semantics: iptables(8), iptables-extensions(8).
 */
export type Target =
  | (TargetBase & { kind: 'ACCEPT' | 'DROP' | 'RETURN' })
  | (TargetBase & { kind: 'jump'; chain: string })
  | (TargetBase & { kind: 'goto'; chain: string })
  /** REJECT; `rejectWith` defaults to icmp-port-unreachable (iptables-extensions(8)). */
  | (TargetBase & { kind: 'REJECT'; rejectWith: string })
  /** MARK in its saved normal form: mark = (mark & ~mask) ^ value (xt_mark.c mark_tg). */
  | (TargetBase & { kind: 'MARK'; value: number; mask: number })
  /**
   * CONNMARK: `set` ctmark = (ctmark & ~mask) ^ value; `save` ctmark = (ctmark & ~ctmask) ^ (mark & nfmask);
   * `restore` mark = (mark & ~nfmask) ^ (ctmark & ctmask) (xt_connmark.c, shift options aside).
   */
  | (TargetBase & { kind: 'CONNMARK'; mode: 'set' | 'save' | 'restore'; value: number; mask: number; nfmask: number; ctmask: number })
  | (TargetBase & { kind: 'DNAT'; ranges: NatRange[]; random: boolean; persistent: boolean })
  | (TargetBase & { kind: 'SNAT'; ranges: NatRange[]; random: boolean; randomFully: boolean; persistent: boolean })
  | (TargetBase & { kind: 'MASQUERADE'; ports?: NatRange; random: boolean; randomFully: boolean })
  | (TargetBase & { kind: 'REDIRECT'; ports?: NatRange; random: boolean })
  /** Observers that never change the packet's fate (XT_CONTINUE). */
  | (TargetBase & { kind: 'LOG' | 'NFLOG' | 'ULOG' | 'TRACE' })
  /** CT (raw table): `--notrack` makes the packet UNTRACKED; also the old NOTRACK target. */
  | (TargetBase & { kind: 'CT'; notrack: boolean })
  /** A target the engine does not understand: kept verbatim and reported "not understood". */
  | (TargetBase & { kind: 'unknown' });

export type TargetKind = Target['kind'];

/** The user chain a target jumps or goes to, if any. The edges of the chain graph. */
export function listTargetChain(target: Target | undefined): string | undefined {
  if (!target) return undefined;
  return target.kind === 'jump' || target.kind === 'goto' ? target.chain : undefined;
}
