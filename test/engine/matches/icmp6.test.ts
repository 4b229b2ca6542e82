import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

const v6 = { family: 6 as const, src: 'fd00::5', dst: 'fd00::1', protocol: 'ipv6-icmp', sport: undefined, dport: undefined };

test.each([
  ['-m icmp6 --icmpv6-type 128', { ...v6, icmpType: 128, icmpCode: 0 }, true],
  ['-m icmp6 --icmpv6-type echo-request', { ...v6, icmpType: 128, icmpCode: 0 }, true],
  ['-m icmp6 ! --icmpv6-type 135', { ...v6, icmpType: 128, icmpCode: 0 }, true],
  ['-m icmp6 --icmpv6-type neighbor-solicitation', { ...v6, icmpType: 135, icmpCode: 0 }, true],
  ['-m icmp6 --icmpv6-type 1/4', { ...v6, icmpType: 1, icmpCode: 4 }, true],
  ['-m icmp6 --icmpv6-type 1/4', { ...v6, icmpType: 1, icmpCode: 3 }, false],
  ['-m icmp6 --icmpv6-type 128', { ...v6, protocol: 'tcp' }, false],
  ['-m icmp6 --icmpv6-type 128', v6, 'unknown'],
])('%s on %j → %s', (raw, packet, expected) => {
  expect(summarize(evaluateMatch(raw, makePacket(packet)))).toBe(expected);
});

test('icmp6 has no "any"', () => {
  expect(compileMatch(makeMatch('-m icmp6 --icmpv6-type any'), makeRule()).error).toBeDefined();
});
