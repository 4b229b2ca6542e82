import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

test.each([
  ['-m sctp --dport 80', { protocol: 'sctp' }, true],
  ['-m sctp --dport 81', { protocol: 'sctp' }, false],
  ['-m sctp ! --dport 81', { protocol: 'sctp' }, true],
  ['-m sctp --dport 80', { protocol: 'tcp' }, false],
  ['-m sctp --sport 1', { protocol: 'sctp', sport: undefined }, 'unknown'],
])('%s on %j → %s', (raw, packet, expected) => {
  expect(summarize(evaluateMatch(raw, makePacket(packet)))).toBe(expected);
});

test('--chunk-types is not understood', () => {
  expect(compileMatch(makeMatch('-m sctp --chunk-types any INIT'), makeRule()).error).toBeDefined();
});
