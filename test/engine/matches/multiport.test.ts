import { expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

test.each([
  ['-m multiport --dports 80,443,8000:8080', { dport: 443 }, true],
  ['-m multiport --dports 80,443,8000:8080', { dport: 8042 }, true],
  ['-m multiport --dports 80,443,8000:8080', { dport: 8081 }, false],
  ['-m multiport ! --dports 22', { dport: 80 }, true],
  ['-m multiport ! --dports 22,80', { dport: 80 }, false],
  ['-m multiport --destination-ports 4789', { protocol: 'udp', dport: 4789 }, true],
  ['-m multiport --sports 40000', {}, true],
  ['-m multiport --source-ports 1:1023', {}, false],
  ['-m multiport --ports 40000', { dport: 1 }, true],
  ['-m multiport --ports 80', { sport: undefined }, true],
  ['-m multiport --ports 22', { sport: undefined }, 'unknown'],
  ['-m multiport ! --ports 22', {}, true],
  ['-m multiport --sports 1', { sport: undefined }, 'unknown'],
  ['-m multiport --dports 80', { protocol: 'icmp', dport: undefined }, false],
])('%s on %j → %s', (raw, packet, expected) => {
  expect(summarize(evaluateMatch(raw, makePacket(packet)))).toBe(expected);
});

test.each(['-m multiport --dports 80,x', '-m multiport --dports 80 --sports 1', '-m multiport --foo 1'])('%s does not compile', (raw) => {
  expect(compileMatch(makeMatch(raw), makeRule()).error).toBeDefined();
});
