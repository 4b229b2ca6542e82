import { expect, test } from 'vitest';
import { evaluateMatch, makePacket, summarize } from './fixtures.js';

test.each([
  ['-m pkttype --pkt-type unicast', {}, true],
  ['-m pkttype ! --pkt-type unicast', {}, false],
  ['-m pkttype --pkt-type multicast', { dst: '224.0.0.1' }, true],
  ['-m pkttype --pkt-type broadcast', { dst: '255.255.255.255' }, true],
  ['-m pkttype --pkt-type multicast', { family: 6 as const, src: 'fd00::1', dst: 'ff02::1' }, true],
])('%s with %j → %s', (raw, packet, expected) => {
  expect(summarize(evaluateMatch(raw, makePacket(packet)))).toBe(expected);
});
