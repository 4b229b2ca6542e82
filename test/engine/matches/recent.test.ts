import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeContext, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

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
])('%s is runtime state: unknown when the default says so', (raw, list) => {
  expect(evaluateMatch(raw, makePacket(), makeContext({ recentDefault: 'unknown' }))).toEqual({
    kind: 'unknown',
    reason: `session affinity: whether the client is in recent list ${list} is runtime state`,
  });
});

test.each([
  ['-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-ABC --mask 255.255.255.255 --rsource', false],
  ['-m recent ! --rcheck --name Y', true],
])('%s with lists not captured: a first-time client (in no list) → %s, said as an assumption', (raw, expected) => {
  const r = evaluateMatch(raw, makePacket({ src: '10.244.1.9' }));
  expect(summarize(r)).toBe(expected);
  expect(r.kind === 'bool' && r.assumption).toMatch(/10\.244\.1\.9 taken as a first-time client/);
});

test.each([
  ['10.244.1.9', true],
  ['10.244.1.10', false],
])('captured list contents decide: client %s → %s', (src, expected) => {
  const ctx = makeContext({ recentLists: new Map([['KUBE-SEP-ABC', new Set(['10.244.1.9'])]]) });
  const r = evaluateMatch('-m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-ABC --mask 255.255.255.255 --rsource', makePacket({ src }), ctx);
  expect(summarize(r)).toBe(expected);
});

test('no action does not compile', () => {
  expect(compileMatch(makeMatch('-m recent --name X'), makeRule()).error).toBeDefined();
});
