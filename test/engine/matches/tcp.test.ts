import { describe, expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import { evaluateMatch, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

describe('-m tcp', () => {
  test.each([
    ['-m tcp --dport 80', {}, true],
    ['-m tcp --dport 81', {}, false],
    ['-m tcp ! --dport 80', {}, false],
    ['-m tcp ! --dport 81', {}, true],
    ['-m tcp --destination-port 80', {}, true],
    ['-m tcp --dport 0:1024', {}, true],
    ['-m tcp --dport :1024', {}, true],
    ['-m tcp --dport 1024:', {}, false],
    ['-m tcp --dport 1024:65535', { dport: 30080 }, true],
    ['-m tcp --dport http', {}, true],
    ['-m tcp --sport 40000', {}, true],
    ['-m tcp --source-port 1:1023', {}, false],
    ['-m tcp --sport 1000:2000 --dport 80', { sport: 1500 }, true],
    ['-m tcp', {}, true],
    ['-m tcp --dport 80', { protocol: 'udp' }, false],
    ['-m tcp', { protocol: 'udp' }, false],
    // The traced packet is the first SYN.
    ['-m tcp --tcp-flags FIN,SYN,RST,ACK SYN', {}, true],
    ['-m tcp ! --tcp-flags FIN,SYN,RST,ACK SYN', {}, false],
    ['-m tcp --syn', {}, true],
    ['-m tcp ! --syn', {}, false],
    ['-m tcp --tcp-flags SYN,ACK SYN', {}, true],
    ['-m tcp --tcp-flags SYN,ACK SYN,ACK', {}, false],
    ['-m tcp --tcp-flags FIN,SYN,RST,PSH,ACK,URG NONE', {}, false],
    ['-m tcp --tcp-flags ALL SYN', {}, true],
  ])('%s on %j → %s', (raw, packet, expected) => {
    expect(summarize(evaluateMatch(raw, makePacket(packet)))).toBe(expected);
  });

  test.each([
    ['-m tcp --sport 1000', { sport: undefined }, 'source port unknown'],
    ['-m tcp ! --sport 1000', { sport: undefined }, 'source port unknown'],
    ['-m tcp --dport 80', { dport: undefined }, 'destination port unknown'],
  ])('%s with %j → unknown', (raw, packet, reason) => {
    expect(evaluateMatch(raw, makePacket(packet))).toEqual({ kind: 'unknown', reason });
  });

  test('a known false port decides even when the source port is unknown', () => {
    expect(evaluateMatch('-m tcp --sport 1000 --dport 443', makePacket({ sport: undefined }))).toEqual({ kind: 'bool', value: false });
  });

  test.each(['-m tcp --dport 2000:1000', '-m tcp --dport 70000', '-m tcp --tcp-flags SYN', '-m tcp --tcp-flags FOO SYN'])(
    '%s does not compile',
    (raw) => {
      expect(compileMatch(makeMatch(raw), makeRule()).error).toBeDefined();
    },
  );
});
