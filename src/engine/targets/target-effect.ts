import type { Packet } from '../packet.js';

/**
 * What applying a target does, for the walker in src/engine/walk.ts to act on. Pure: `packet` is a new
 * object when the target changes it. Control flow targets (jump/goto/RETURN) are handled by the walker.
 */
export type TargetEffect =
  /** Non-terminating (MARK, CONNMARK, LOG, NFLOG, TRACE, CT): go on with the next rule. */
  | { flow: 'continue'; packet: Packet; description?: string }
  /**
   * Terminating for this table on this hook. DNAT/SNAT/MASQUERADE/REDIRECT are ACCEPT after recording the
   * mapping (netfilter.md §4); `nat` says which manipulation happened.
   */
  | {
      flow: 'verdict';
      verdict: 'ACCEPT' | 'DROP' | 'REJECT';
      packet: Packet;
      description?: string;
      nat?: 'dnat' | 'snat';
      /** Free-text assumptions the target made (e.g. first address of a DNAT range). */
      assumptions?: string[];
    }
  /** A target the engine does not understand: the walker forks, labelled "not understood". */
  | { flow: 'unknown'; reason: string };
