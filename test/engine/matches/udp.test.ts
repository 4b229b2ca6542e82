import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

test.each([
  ['-m udp --dport 53', { protocol: 'udp', dport: 53 }, true],
  ['-m udp --dport 53', { protocol: 'udp', dport: 54 }, false],
  ['-m udp ! --dport 53', { protocol: 'udp', dport: 54 }, true],
  ['-m udp --sport 1024:65535', { protocol: 'udp', sport: 5353 }, true],
  ['-m udp --dport 53', { protocol: 'tcp', dport: 53 }, false],
  ['-m udp --sport 53', { protocol: 'udp', sport: undefined }, 'unknown'],
])('%s on %j → %s', (raw, packet, expected) => {
  expect(summarize(evaluateMatch(raw, makePacket(packet)))).toBe(expected);
});

test('udp has no --syn', () => {
  expect(compileMatch(makeMatch('-m udp --syn'), makeRule()).error).toContain('--syn');
});
