import { describe, expect, test } from 'vitest';
import { compileRule, MATCH_MODULES } from '../../../src/engine/matches/index.js';
import { makeContext, makePacket, makeRule, summarize } from './fixtures.js';

describe('compileRule', () => {
  test('one test per basic option and per match block', () => {
    const compiled = compileRule(
      makeRule({ p: 'tcp', s: '10.244.0.0/16', d: '10.96.34.82/32', i: 'eth0', o: 'cni0', f: 'negated', matches: ['-m comment --comment x', '-m tcp --dport 80'] }),
    );
    expect(compiled.tests).toHaveLength(8);
    expect(compiled.notUnderstood).toEqual([]);
  });

  test.each([
    ['-m bpf --bytecode 1,2,3', 'no match module bpf'],
    ['-m tcp --tcp-option 2', 'tcp: option --tcp-option 2 not understood'],
    ['-m set --match-set X src --packets-gt 5', 'set: option --packets-gt 5 not understood'],
  ])('%s is not understood, never silently true or false', (raw, why) => {
    const compiled = compileRule(makeRule({ p: 'tcp', matches: [raw] }));
    expect(compiled.notUnderstood).toEqual([`${raw} (${why})`]);
    const last = compiled.tests[compiled.tests.length - 1]!;
    expect(last(makePacket(), makeContext())).toEqual({ kind: 'unknown', reason: `not understood: ${raw}`, notUnderstood: true });
  });

  test('an unknown protocol name is reported as not understood', () => {
    const compiled = compileRule(makeRule({ p: 'nosuchproto' }));
    expect(compiled.notUnderstood).toEqual(['-p nosuchproto']);
    expect(summarize(compiled.tests[0]!(makePacket(), makeContext()))).toBe('unknown');
  });

  test('the registry has one module per name', () => {
    for (const [name, module] of MATCH_MODULES) expect(module.name).toBe(name);
    expect([...MATCH_MODULES.keys()]).toEqual(expect.arrayContaining(['tcp', 'udp', 'set', 'statistic', 'addrtype', 'conntrack']));
  });
});
