import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makeRule } from './fixtures.js';

test('-m owner --uid-owner 0 is unknown (runtime or node state), not a silent true/false', () => {
  const r = evaluateMatch('-m owner --uid-owner 0');
  expect(r.kind).toBe('unknown');
  expect(r.kind === 'unknown' && r.notUnderstood).toBeFalsy();
});

test('an option owner does not have is not understood', () => {
  expect(compileMatch(makeMatch('-m owner --no-such-option'), makeRule()).error).toBeDefined();
});
