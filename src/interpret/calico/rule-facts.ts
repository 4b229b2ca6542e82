/**
 * Readers over a parsed Rule for what felix writes. A felix rule carries several comments: first its
 * hash `cali:<16 chars>`, then the meaningful ones ("Return if policy accepted", "Policy ns/name ingress"),
 * calico.md §1.4, §8; this reader keeps them all, in order.
 */
import type { Rule } from '../../model/rule.js';
import { parseValueMask } from '../../engine/matches/values.js';

/** Every `-m comment --comment` text of a rule, unquoted, in order. */
export function listRuleComments(rule: Rule): string[] {
  const out: string[] = [];
  for (const match of rule.matches) {
    if (match.module !== 'comment') continue;
    for (const option of match.options) {
      if (option.name !== 'comment') continue;
      const text = option.args.join(' ');
      out.push(text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1).replace(/\\"/g, '"') : text);
    }
  }
  return out;
}

/** felix's rule hash (`cali:` + 16 base64url characters, calico.md §8), when the rule has one. */
export function getCalicoRuleHash(rule: Rule): string | undefined {
  for (const c of listRuleComments(rule)) {
    const m = /^cali:([A-Za-z0-9_-]{16})$/.exec(c);
    if (m) return m[1];
  }
  return undefined;
}

/** The comments that say something (all but the `cali:` hash). */
export function listMeaningfulComments(rule: Rule): string[] {
  return listRuleComments(rule).filter((c) => !/^cali:[A-Za-z0-9_-]{16}$/.test(c));
}

/** `-m mark [!] --mark V[/M]` as numbers (mask defaults to 0xffffffff, xt_mark.c). */
export function getMarkTest(rule: Rule): { value: number; mask: number; negated: boolean } | undefined {
  for (const match of rule.matches) {
    if (match.module !== 'mark') continue;
    const option = match.options.find((o) => o.name === 'mark');
    const vm = option?.args[0] !== undefined ? parseValueMask(option.args[0]) : undefined;
    if (option && vm) return { value: vm.value, mask: vm.mask, negated: option.negated };
  }
  return undefined;
}

/** The `-m set [!] --match-set NAME FLAGS` matches of a rule, in order. */
export function listSetMatches(rule: Rule): { name: string; flags: string; negated: boolean }[] {
  const out: { name: string; flags: string; negated: boolean }[] = [];
  for (const match of rule.matches) {
    if (match.module !== 'set') continue;
    for (const option of match.options) {
      if (option.name !== 'match-set' && option.name !== 'set') continue;
      out.push({ name: option.args[0] ?? '', flags: option.args[1] ?? '', negated: option.negated });
    }
  }
  return out;
}

/** Destination ports of a multiport/tcp/udp match as written (`9100`, `80,443`, `1000:2000`), with negation. */
export function getDestinationPorts(rule: Rule): { ports: string; negated: boolean } | undefined {
  for (const match of rule.matches) {
    const option = match.options.find((o) => o.name === 'dports' || o.name === 'destination-ports' || o.name === 'dport' || o.name === 'destination-port');
    if (option?.args[0]) return { ports: option.args[0], negated: option.negated };
  }
  return undefined;
}
