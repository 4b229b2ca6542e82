import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

test.each([
  ['-m iprange --src-range 10.244.1.1-10.244.1.9', {}, true],
  ['-m iprange --src-range 10.244.1.6-10.244.1.9', {}, false],
  ['-m iprange ! --src-range 10.244.1.6-10.244.1.9', {}, true],
  ['-m iprange --dst-range 10.96.0.0-10.96.255.255', {}, true],
  ['-m iprange --src-range 10.244.1.1-10.244.1.9 --dst-range 10.0.0.1-10.0.0.2', {}, false],
  ['-m iprange --dst-range fd00::1-fd00::9', { family: 6 as const, src: 'fd00::5', dst: 'fd00::2' }, true],
])('%s with %j → %s', (raw, packet, expected) => {
  expect(summarize(evaluateMatch(raw, makePacket(packet)))).toBe(expected);
});

test('bad range does not compile', () => {
  expect(compileMatch(makeMatch('-m iprange --src-range 10.0.0.1'), makeRule()).error).toBeDefined();
});
