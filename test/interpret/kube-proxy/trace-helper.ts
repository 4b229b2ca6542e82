import type { Packet, Hook } from '../../../src/engine/packet.js';
import type { TraceBranch, TraceStep, Verdict } from '../../../src/engine/result.js';
import type { TableName } from '../../../src/model/rule.js';
import { getChain, type Ruleset } from '../../../src/model/ruleset.js';

/** A rule on a hand-built path: table, chain, 1-based rule index, and the hook (default PREROUTING). */
export type StepRef = [TableName, string, number, Hook?];

/**
 * Test helper: the TraceSteps the engine would record for these rules (taken from the ruleset, so text,
 * line and ruleRef are the real ones). Used where a test is about interpretation, not about the walk.
 */
export function stepsOf(ruleset: Ruleset, refs: StepRef[]): TraceStep[] {
  return refs.map(([table, chain, index, hook]) => {
    const rule = getChain(ruleset, table, chain)?.listRules()[index - 1];
    if (!rule) throw new Error(`test path: no rule ${table} ${chain} ${index}`);
    return { hook: hook ?? 'PREROUTING', table, chain, rule: index, line: rule.source.line, file: rule.source.file, text: rule.raw, ruleRef: rule, kind: 'rule' as const };
  });
}

/** A hand-built branch over real rules. */
export function branchOf(
  ruleset: Ruleset,
  refs: StepRef[],
  options: { verdict: Verdict; probability?: number; masquerade?: boolean; src?: string; dst: string; dport?: number; finalDst?: string; finalDport?: number },
): TraceBranch {
  const packet: Packet = {
    family: 4,
    protocol: 'tcp',
    src: options.src ?? '10.244.1.3',
    dst: options.finalDst ?? options.dst,
    ...(options.finalDport ?? options.dport ? { dport: options.finalDport ?? options.dport } : {}),
    mark: 0,
    ct: { state: new Set(['NEW']), status: new Set(), origSrc: options.src ?? '10.244.1.3', origDst: options.dst, replySrc: options.dst, replyDst: options.src ?? '10.244.1.3', mark: 0 },
  };
  const disposition = options.verdict === 'DROP' ? 'dropped' : options.verdict === 'REJECT' ? 'rejected' : options.verdict === 'ACCEPT' ? 'forwarded' : 'unknown';
  return {
    probability: options.probability ?? 1,
    verdict: options.verdict,
    disposition,
    reason: 'test',
    packet,
    originalDestination: { address: options.dst, ...(options.dport ? { port: options.dport } : {}) },
    masquerade: options.masquerade ?? false,
    path: stepsOf(ruleset, refs),
    conditions: [],
    given: [],
    hooks: ['PREROUTING'],
  };
}
