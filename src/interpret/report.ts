import type { TableName } from '../model/rule.js';
import type { Hook } from '../engine/packet.js';

/**
 * The `knetdbg trace --json` payload (documented in README.md "JSON output"). Adding fields is
 * non-breaking; renaming or removing one bumps `schemaVersion`.
 */
export interface TraceReport {
  schemaVersion: 1;
  query: {
    /** Destination as the user gave it: address and optional port. */
    destination: string;
    port?: number;
    protocol: 'tcp' | 'udp' | 'sctp';
    /** Source address used for the walk. */
    source: string;
    /** True when knetdbg chose the source (no --src): see `assumptions`. */
    sourceAssumed: boolean;
    /** Where the walk started: a pod/remote source enters on PREROUTING, a LOCAL one on OUTPUT. */
    startHook: 'PREROUTING' | 'OUTPUT';
    /** Input interface used for `-i` matches; absent when unknown (such matches fork). */
    inInterface?: string;
    /** The input the rules came from. */
    input: string;
  };
  outcomes: TraceOutcome[];
  findings: Finding[];
  assumptions: string[];
}

/** One possible fate of a new connection. */
export interface TraceOutcome {
  /** Share of new connections (0..1); all outcomes sum to 1. */
  probability: number;
  verdict: 'ACCEPT' | 'DROP' | 'REJECT' | 'UNKNOWN';
  /** `ip:port` (`[ip6]:port`) after any DNAT; the original destination when untranslated. */
  destination: string;
  /** True when POSTROUTING (or nat INPUT) will SNAT/masquerade this branch. */
  masquerade: boolean;
  /** local (delivered to the node), forwarded, dropped, rejected, unknown. */
  disposition: 'local' | 'forwarded' | 'dropped' | 'rejected' | 'unknown';
  /** Why this verdict, in one line, quoting the deciding rule. */
  reason: string;
  /** `namespace/name:port` of the service, when known. */
  service?: string;
  /** The endpoint (pod) this branch lands on, e.g. `10.244.2.2:80` or `default/nginx-… (10.244.2.2, cali…)`. */
  endpoint?: string;
  /** Conditions this branch depends on (forks): `statistic p=0.5`, `not understood: …`, `ipset X unknown`. */
  conditions: string[];
  /**
   * The undecidable ones among `conditions`; `probability` is the share GIVEN these. Outcomes with the
   * same `given` sum to 1. Empty when the rules alone decide.
   */
  given: string[];
  /** Hooks traversed in order. */
  hooks: Hook[];
  /** The rules that matched, in order (plus the policy step when a chain policy decided). */
  path: PathStep[];
}

export interface PathStep {
  hook: Hook;
  table: TableName;
  chain: string;
  /** 1-based rule index in its chain; 0 for a chain-policy step. */
  rule: number;
  /** Line in the input file; 0 for a rule knetdbg assumed (see `assumed`). */
  line: number;
  text: string;
  /** What the target did (`DNAT to 10.244.2.2:80`, `mark 0x0 → 0x4000`). */
  effect?: string;
  /** What this step means in Kubernetes/Calico terms, when known. */
  meaning?: string;
  /** Present when this rule was synthesised by an assumption (excerpt input). */
  assumed?: string;
}

export interface Finding {
  severity: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  /** Input line the finding is about, when there is one. */
  line?: number;
}
