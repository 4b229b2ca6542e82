import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makeRule, summarize } from './fixtures.js';

test.each([
  ['-m hashlimit --hashlimit-upto 5/sec --hashlimit-burst 5 --hashlimit-name h', true],
  ['-m hashlimit --hashlimit-above 5/sec --hashlimit-burst 5 --hashlimit-mode srcip --hashlimit-name h', false],
])('%s → %s for a first packet', (raw, expected) => {
  expect(summarize(evaluateMatch(raw))).toBe(expected);
});

test('--hashlimit-rate-match is not understood', () => {
  expect(compileMatch(makeMatch('-m hashlimit --hashlimit-upto 5/sec --hashlimit-rate-match --hashlimit-name h'), makeRule()).error).toBeDefined();
});
