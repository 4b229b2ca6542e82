import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makeRule } from './fixtures.js';

test('-m rpfilter --invert is unknown (runtime or node state), not a silent true/false', () => {
  const r = evaluateMatch('-m rpfilter --invert');
  expect(r.kind).toBe('unknown');
  expect(r.kind === 'unknown' && r.notUnderstood).toBeFalsy();
});

test('an option rpfilter does not have is not understood', () => {
  expect(compileMatch(makeMatch('-m rpfilter --no-such-option'), makeRule()).error).toBeDefined();
});
