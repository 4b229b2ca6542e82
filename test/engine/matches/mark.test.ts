import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

test.each([
  ['-m mark --mark 0x4000/0x4000', 0x4000, true],
  ['-m mark --mark 0x4000/0x4000', 0x4001, true],
  ['-m mark --mark 0x4000/0x4000', 0x8000, false],
  ['-m mark ! --mark 0x4000/0x4000', 0x0, true],
  ['-m mark ! --mark 0x4000/0x4000', 0xc000, false],
  ['-m mark --mark 0x8000/0x8000', 0x8000, true],
  ['-m mark --mark 0x5', 0x5, true],
  ['-m mark --mark 0x5', 0x105, false],
  // Calico writes the value without 0x.
  ['-m mark --mark 0/0x20000', 0x10000, true],
  ['-m mark --mark 0x0/0x20000', 0x20000, false],
  ['-m mark ! --mark 0/0xfff00000', 0x00100000, true],
  ['-m mark --mark 0x80000000/0x80000000', 0x80000000, true],
])('%s with mark %i → %s', (raw, mark, expected) => {
  expect(summarize(evaluateMatch(raw, makePacket({ mark })))).toBe(expected);
});

test.each(['-m mark --mark zz', '-m mark --mark 1 --mark 2', '-m mark --foo 1'])('%s does not compile', (raw) => {
  expect(compileMatch(makeMatch(raw), makeRule()).error).toBeDefined();
});
