import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makeRule, summarize } from './fixtures.js';

test.each([
  ['-m limit --limit 5/min', true],
  ['-m limit --limit 10/sec --limit-burst 20', true],
])('%s: a first packet is within the burst → %s', (raw, expected) => {
  expect(summarize(evaluateMatch(raw))).toBe(expected);
});

test('unknown option is not understood', () => {
  expect(compileMatch(makeMatch('-m limit --foo 1'), makeRule()).error).toBeDefined();
});
