import { describe, expect, test } from 'vitest';
import { compileMatch } from '../../../src/engine/matches/index.js';
import type { CtState, Packet } from '../../../src/engine/packet.js';
import { evaluateMatch, makeMatch, makePacket, makeRule, summarize } from './fixtures.js';

/** The ClusterIP packet after DNAT to 10.244.2.2:8080: ct keeps the original tuple. */
function dnatted(states: CtState[] = ['NEW', 'DNAT']): Packet {
  const p = makePacket({ state: states });
  p.dst = '10.244.2.2';
  p.dport = 8080;
  p.ct.replySrc = '10.244.2.2';
  return p;
}

describe('--ctstate', () => {
  test.each([
    ['-m conntrack --ctstate NEW', ['NEW'], true],
    ['-m conntrack --ctstate RELATED,ESTABLISHED', ['NEW'], false],
    ['-m conntrack ! --ctstate RELATED,ESTABLISHED', ['NEW'], true],
    ['-m conntrack --ctstate INVALID', ['NEW'], false],
    ['-m conntrack --ctstate DNAT', ['NEW', 'DNAT'], true],
    ['-m conntrack --ctstate DNAT', ['NEW'], false],
    ['-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT', ['NEW', 'DNAT'], false],
    ['-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT', ['NEW'], true],
    ['-m conntrack --ctstate SNAT', ['NEW', 'SNAT'], true],
    ['-m conntrack --ctstate new', ['NEW'], true],
    ['-m conntrack --ctstate UNTRACKED', ['UNTRACKED'], true],
  ] as [string, CtState[], boolean][])('%s with %j → %s', (raw, states, expected) => {
    expect(summarize(evaluateMatch(raw, makePacket({ state: states })))).toBe(expected);
  });
});

describe('tuple options', () => {
  test.each([
    ['-m conntrack --ctorigdst 10.96.34.82/32', true],
    ['-m conntrack --ctorigdst 10.96.0.0/12', true],
    ['-m conntrack ! --ctorigdst 10.96.0.0/12', false],
    ['-m conntrack --ctorigsrc 10.244.1.5', true],
    ['-m conntrack --ctreplsrc 10.244.2.2', true],
    ['-m conntrack --ctreplsrc 10.96.34.82', false],
    ['-m conntrack --ctrepldst 10.244.1.5', true],
    ['-m conntrack ! --ctrepldst 1.2.3.4', true],
    ['-m conntrack --ctorigdstport 80', true],
    ['-m conntrack --ctorigdstport 8080', false],
    ['-m conntrack --ctreplsrcport 8080', true],
    ['-m conntrack --ctorigsrcport 1000:50000', true],
    ['-m conntrack --ctrepldstport 40000', true],
    ['-m conntrack --ctproto tcp', true],
    ['-m conntrack --ctproto 6', true],
    ['-m conntrack --ctproto 17', false],
    ['-m conntrack --ctdir ORIGINAL', true],
    ['-m conntrack --ctdir REPLY', false],
    ['-m conntrack --ctstatus ASSURED,CONFIRMED', false],
    ['-m conntrack ! --ctstatus ASSURED', true],
    ['-m conntrack --ctstatus NONE', false],
    ['-m conntrack ! --ctstatus NONE', true],
    ['-m conntrack --ctstate NEW,DNAT --ctorigdstport 80 --ctproto 6', true],
    ['-m conntrack --ctproto 6 --ctorigdst 10.0.0.0/8 --ctorigdstport 80 --ctstatus ASSURED,CONFIRMED --ctdir ORIGINAL', false],
  ])('%s → %s on a DNATed packet', (raw, expected) => {
    expect(summarize(evaluateMatch(raw, dnatted()))).toBe(expected);
  });

  test('unknown original source port is unknown', () => {
    const p = makePacket({ sport: undefined });
    expect(evaluateMatch('-m conntrack --ctorigsrcport 1000', p)).toEqual({ kind: 'unknown', reason: 'source port unknown' });
  });

  test('a packet without conntrack entry is decided by --ctstate alone (xt_conntrack)', () => {
    const p = makePacket({ state: ['UNTRACKED'] });
    expect(summarize(evaluateMatch('-m conntrack --ctorigdst 1.2.3.4', p))).toBe(false);
    expect(summarize(evaluateMatch('-m conntrack --ctstate UNTRACKED --ctorigdst 1.2.3.4', p))).toBe(true);
  });
});

test.each(['-m conntrack --ctstate FOO', '-m conntrack --ctexpire 10:20', '-m conntrack --ctorigdst x'])('%s does not compile', (raw) => {
  expect(compileMatch(makeMatch(raw), makeRule()).error).toBeDefined();
});
