import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makeRule, summarize } from './fixtures.js';

test.each([
  ['-m recent --set --name KUBE-SEP-ABC --mask 255.255.255.255 --rsource', true],
  ['-m recent ! --set --name X', false],
])('%s → %s', (raw, expected) => {
  expect(summarize(evaluateMatch(raw))).toBe(expected);
});

test.each([
  ['-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-ABC --mask 255.255.255.255 --rsource', 'KUBE-SEP-ABC'],
  ['-m recent --update --seconds 60 --name X', 'X'],
  ['-m recent --remove', 'DEFAULT'],
  ['-m recent ! --rcheck --name Y', 'Y'],
])('%s is runtime state', (raw, list) => {
  expect(evaluateMatch(raw)).toEqual({
    kind: 'unknown',
    reason: `session affinity: whether the client is in recent list ${list} is runtime state`,
  });
});

test('no action does not compile', () => {
  expect(compileMatch(makeMatch('-m recent --name X'), makeRule()).error).toBeDefined();
});
