/**
 * The `knetdbg explain-policy` pipeline behind the command: files and snapshots → parsed inputs
 * (policy-input.ts) → the rules parsed → {@link explainPolicy}. Kept out of the command so the command stays
 * an adapter (STYLE.md 2) and the pipeline is testable without oclif.
 */
import { parseIptables } from '../../parse/iptables-save.js';
import type { NodeSnapshot } from '../../model/snapshot.js';
import { InputError } from '../../model/source.js';
import type { KnownPolicy } from './chain-names.js';
import { explainPolicy, type ExplainPolicyOptions, type PolicyExplanation } from './explain-policy.js';
import { parseMarkLayout } from './marks.js';
import { assemblePolicyInput, type InputFile } from './policy-input.js';

/** Thrown for arguments that cannot be used (exit 2 in the command). */
export class PolicyUsageError extends Error {}

/** The command's options, as given on the command line. */
export interface PolicyReportOptions {
  pod: string;
  namespace?: string;
  /** `--ip`: the pod's address when no pod list or route gives it. */
  podIp?: string;
  peer?: string;
  protocol?: 'tcp' | 'udp' | 'sctp';
  port?: number;
  /** `--policy ns/name` (or a global name) to name hashed policy chains. */
  policies?: string[];
  /** `--layout` text (parseMarkLayout). */
  layout?: string;
}

/** Reads the inputs and explains the pod's policy. Throws InputError for unusable input, PolicyUsageError for bad flags. */
export function buildPolicyExplanation(files: readonly InputFile[], snapshots: readonly NodeSnapshot[], options: PolicyReportOptions): PolicyExplanation {
  const layout = options.layout !== undefined ? parseMarkLayout(options.layout) : undefined;
  if (options.layout !== undefined && !layout) {
    throw new PolicyUsageError(`--layout "${options.layout}" not understood: give a Calico version (3.0, 3.16, 3.32), legacy|classic|drop-bit, a mask (0xffff0000) or bits (accept=0x10000,pass=0x20000,…)`);
  }
  const policies = (options.policies ?? []).map(parsePolicyName);
  const input = assemblePolicyInput(files, snapshots, options.namespace);
  const ruleset = parseIptables(input.rules!.text, input.rules!.file, { family: 4 });
  if (ruleset.tables.size === 0) throw new InputError({ file: input.rules!.file, line: 0 }, 'no iptables rules found');
  const explainOptions: ExplainPolicyOptions = {
    pod: options.pod,
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ipsets: new Map(input.ipsets.map((s) => [s.name, s])),
    ipsetsGiven: input.ipsetsGiven,
    pods: input.pods,
    routes: input.routes,
    interfaces: input.interfaces,
    ...(options.podIp !== undefined ? { podIp: options.podIp } : {}),
    ...(options.peer !== undefined ? { peer: options.peer } : {}),
    ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(layout ? { layout } : {}),
    ...(policies.length ? { policies } : {}),
  };
  return explainPolicy(ruleset, explainOptions);
}

/** `default/allow-db-access` → namespaced policy; `security.quarantine` → global. */
function parsePolicyName(text: string): KnownPolicy {
  const parts = text.split('/');
  if (parts.length === 1 && parts[0]) return { name: parts[0] };
  if (parts.length === 2 && parts[0] && parts[1]) return { namespace: parts[0], name: parts[1] };
  throw new PolicyUsageError(`--policy "${text}": expected namespace/name or a global policy name`);
}
