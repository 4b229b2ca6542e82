import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

const ping = { protocol: 'icmp', icmpType: 8, icmpCode: 0, sport: undefined, dport: undefined };
const portUnreach = { protocol: 'icmp', icmpType: 3, icmpCode: 3, sport: undefined, dport: undefined };

test.each([
  ['-m icmp --icmp-type 8', ping, true],
  ['-m icmp --icmp-type echo-request', ping, true],
  ['-m icmp --icmp-type 8/0', ping, true],
  ['-m icmp --icmp-type 8/1', ping, false],
  ['-m icmp ! --icmp-type 8', ping, false],
  ['-m icmp --icmp-type any', ping, true],
  ['-m icmp ! --icmp-type any', ping, false],
  ['-m icmp --icmp-type 3/3', portUnreach, true],
  ['-m icmp --icmp-type port-unreachable', portUnreach, true],
  ['-m icmp --icmp-type destination-unreachable', portUnreach, true],
  ['-m icmp --icmp-type host-unreachable', portUnreach, false],
  ['-m icmp ! --icmp-type 3/3', portUnreach, false],
  ['-m icmp --icmp-type TOS-network-unreachable', { ...portUnreach, icmpCode: 11 }, true],
  ['-m icmp --icmp-type 8', {}, false],
  ['-m icmp --icmp-type 8', { protocol: 'icmp', icmpType: undefined, dport: undefined }, 'unknown'],
])('%s on %j → %s', (raw, packet, expected) => {
  expect(summarize(evaluateMatch(raw, makePacket(packet)))).toBe(expected);
});

test('unknown name does not compile', () => {
  expect(compileMatch(makeMatch('-m icmp --icmp-type nope'), makeRule()).error).toBeDefined();
});
