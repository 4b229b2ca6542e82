import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makePacket, makeRule } from './fixtures.js';

test.each([
  ['-m comment --comment "ns1/svc1:p80 cluster IP"', makePacket()],
  ['-m comment --comment x', makePacket({ protocol: 'udp', dst: '1.2.3.4' })],
])('%s always matches', (raw, packet) => {
  expect(evaluateMatch(raw, packet)).toEqual({ kind: 'bool', value: true });
});

test('an option other than --comment is not understood', () => {
  expect(compileMatch(makeMatch('-m comment --foo x'), makeRule()).error).toBeDefined();
});
