import { describe, expect, test } from 'vitest';
import { listDestinationCandidates, listRulesMentioning, readExactDestination } from '../../src/parse/rule-prefilter.js';
import { parseIptables } from '../../src/parse/iptables-save.js';
import { compileRule } from '../../src/engine/matches/index.js';

describe('readExactDestination: only a plain host -d before any -m/-j counts', () => {
  test.each([
    ['-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m comment --comment "x" -m udp --dport 53 -j KUBE-SVC-X', '10.96.0.10'],
    ['-A X -d 10.96.0.10 -j ACCEPT', '10.96.0.10'],
    ['[12:720] -A X -d 10.96.0.10/32 -j ACCEPT', '10.96.0.10'],
    ['-A X ! -d 10.96.0.10/32 -j ACCEPT', undefined],
    ['-A X -d ! 10.96.0.10/32 -j ACCEPT', undefined],
    ['-A X -d 10.96.0.0/16 -j ACCEPT', undefined],
    ['-A X -m comment --comment "pretend -d 10.1.1.1/32" -j ACCEPT', undefined],
    ['-A X -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS', undefined],
    ['-A X -d fd00:0:0::10/128 -j ACCEPT', 'fd00::10'],
    ['-A X -d fd00::/64 -j ACCEPT', undefined],
  ])('%s → %s', (line, expected) => {
    expect(readExactDestination(line)).toBe(expected);
  });
});

describe('listDestinationCandidates is a superset of the rules that can match', () => {
  // 100 service rules plus rules without an exact destination scattered in between.
  const lines: string[] = [];
  for (let i = 0; i < 100; i++) {
    lines.push(`-A KUBE-SERVICES -d 10.96.0.${i}/32 -p tcp -m tcp --dport 80 -j ACCEPT`);
    if (i % 30 === 0) lines.push(`-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j RETURN`);
  }
  lines.push('-A KUBE-SERVICES ! -d 10.96.0.5/32 -j DROP');
  const text = `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n${lines.join('\n')}\nCOMMIT\n`;
  const chain = parseIptables(text, 'p.rules').tables.get('filter')!.chains.get('KUBE-SERVICES')!;

  test.each(['10.96.0.5', '10.96.0.99', '10.96.1.1'])('for %s every rule whose -d can match is a candidate, in order', (dst) => {
    const candidates = listDestinationCandidates(chain, dst);
    expect([...candidates].sort((a, b) => a - b)).toEqual(candidates);
    // Soundness: every rule whose -d test does not say "no" for this destination is a candidate.
    const packet = { dst } as never;
    for (let i = 0; i < chain.ruleCount; i++) {
      const rule = chain.getRule(i);
      const d = rule.destinationAddress;
      const mayMatch = !d || compileRule({ ...rule, matches: [], protocol: undefined }).tests.every((t) => {
        const r = t(packet, {} as never);
        return !(r.kind === 'bool' && !r.value);
      });
      if (mayMatch) expect(candidates).toContain(i);
    }
    // And it is small: the exact rule (if any) plus the 5 without an exact destination (4 RETURN, 1 `! -d`).
    expect(candidates.length).toBe(dst === '10.96.1.1' ? 5 : 6);
  });

  test('listRulesMentioning finds rules by raw text', () => {
    expect(listRulesMentioning(chain, 'RETURN')).toHaveLength(4);
    expect(listRulesMentioning(chain, '10.96.0.42/32').map((i) => chain.getRule(i).destinationAddress?.value)).toEqual(['10.96.0.42/32']);
  });
});
