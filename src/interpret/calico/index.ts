/**
 * Calico interpretation: what felix's iptables chains, marks and ipsets mean (calico.md). Consumed by
 * src/interpret/trace-query.ts and the Calico commands.
 */
export * from './chain-names.js';
export * from './rule-facts.js';
export * from './marks.js';
export * from './ipsets.js';
export * from './interface-names.js';
export * from './explain.js';
export * from './decode-report.js';
