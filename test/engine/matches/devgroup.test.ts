import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makeRule } from './fixtures.js';

test('-m devgroup --src-group 0x1 is unknown (runtime or node state), not a silent true/false', () => {
  const r = evaluateMatch('-m devgroup --src-group 0x1');
  expect(r.kind).toBe('unknown');
  expect(r.kind === 'unknown' && r.notUnderstood).toBeFalsy();
});

test('an option devgroup does not have is not understood', () => {
  expect(compileMatch(makeMatch('-m devgroup --no-such-option'), makeRule()).error).toBeDefined();
});
