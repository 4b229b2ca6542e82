import type { PathStep, TraceOutcome, TraceReport } from '../../src/interpret/report.js';

/** Builders for hand-made TraceReports: each test states only what it is about. */

export function makeReport(overrides: Partial<TraceReport> = {}, query: Partial<TraceReport['query']> = {}): TraceReport {
  return {
    schemaVersion: 1,
    query: {
      destination: '10.96.34.82',
      port: 80,
      protocol: 'tcp',
      source: '10.244.1.3',
      sourceAssumed: false,
      startHook: 'PREROUTING',
      input: 'samples/example.rules',
      ...query,
    },
    outcomes: [],
    findings: [],
    assumptions: [],
    ...overrides,
  };
}

export function makeOutcome(overrides: Partial<TraceOutcome> = {}): TraceOutcome {
  return {
    probability: 1,
    verdict: 'ACCEPT',
    destination: '10.96.34.82:80',
    masquerade: false,
    disposition: 'forwarded',
    reason: 'no rule dropped it; FORWARD policy ACCEPT',
    conditions: [],
    given: [],
    hooks: ['PREROUTING', 'FORWARD', 'POSTROUTING'],
    path: [],
    ...overrides,
  };
}

export function makeStep(overrides: Partial<PathStep> = {}): PathStep {
  return {
    hook: 'PREROUTING',
    table: 'nat',
    chain: 'PREROUTING',
    rule: 1,
    line: 10,
    text: '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    ...overrides,
  };
}
