import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makeRule } from './fixtures.js';

test.each(['-m length --length 100:200', '-m length ! --length 1500'])('%s is unknown (length not modelled)', (raw) => {
  expect(evaluateMatch(raw)).toMatchObject({ kind: 'unknown' });
});

test('bad range does not compile', () => {
  expect(compileMatch(makeMatch('-m length --length x'), makeRule()).error).toBeDefined();
});
