import { describe, expect, test } from 'vitest';
import type { IpSet } from '../../../src/model/ipset.js';
import { evaluateMatch, makeContext, makePacket, makeSet, summarize } from './fixtures.js';

/** Member lines exactly as `ipset list` (ipset 7.17) printed them in a scratch namespace. */
const SETS: IpSet[] = [
  makeSet('A', 'hash:ip', ['10.96.0.1']),
  makeSet('N', 'hash:net', ['192.168.1.5', '10.0.0.0/8', '10.1.0.0/16 nomatch']),
  makeSet('N2', 'hash:net', ['10.2.0.0/16 timeout 99 comment "hello world"']),
  makeSet('IP', 'hash:ip,port', [
    '10.96.0.11,tcp:80', '10.96.0.13,icmp:echo-request', '10.96.0.14,icmp:echo-reply', '10.96.0.12,sctp:90',
    '10.96.0.1,tcp:443', '10.96.0.10,udp:53', '10.1.0.1,gre:0', '10.0.3.8,icmp:3/8',
  ]),
  makeSet('IPI', 'hash:ip,port,ip', ['10.244.1.2,tcp:80,10.244.1.2']),
  makeSet('IPN', 'hash:ip,port,net', ['10.96.0.1,tcp:80,10.0.0.0/8']),
  makeSet('NP', 'hash:net,port', ['10.0.0.0/24,udp:80 nomatch', '10.0.0.0/24,tcp:80', '10.0.0.0/16,udp:80']),
  makeSet('BP', 'bitmap:port', ['30080', '31000']),
  makeSet('L', 'list:set', ['A', 'N']),
  makeSet('LX', 'list:set', ['A', 'MISSING']),
  makeSet('A6', 'hash:ip', ['fd00::1'], 'inet6'),
  makeSet('N6', 'hash:net', ['fd00::/64'], 'inet6'),
  makeSet('MAC', 'hash:mac', ['00:11:22:33:44:55']),
];
const ctx = makeContext({ ipsets: new Map(SETS.map((s) => [s.name, s])) });

function run(raw: string, packet: Parameters<typeof makePacket>[0]) {
  return evaluateMatch(raw, makePacket(packet), ctx);
}

describe('set types', () => {
  test.each([
    ['-m set --match-set A dst', { dst: '10.96.0.1' }, true],
    ['-m set --match-set A dst', { dst: '10.96.0.2' }, false],
    ['-m set --match-set A src', { dst: '10.96.0.1' }, false],
    ['-m set ! --match-set A dst', { dst: '10.96.0.2' }, true],
    // hash:net: longest prefix wins, nomatch members exclude.
    ['-m set --match-set N dst', { dst: '10.3.4.5' }, true],
    ['-m set --match-set N dst', { dst: '10.1.4.5' }, false],
    ['-m set ! --match-set N dst', { dst: '10.1.4.5' }, true],
    ['-m set --match-set N dst', { dst: '192.168.1.5' }, true],
    ['-m set --match-set N dst', { dst: '192.168.1.6' }, false],
    ['-m set --match-set N dst --return-nomatch', { dst: '10.1.4.5' }, true],
    ['-m set --match-set N dst --return-nomatch', { dst: '10.3.4.5' }, false],
    ['-m set --match-set N dst --return-nomatch', { dst: '11.0.0.1' }, false],
    ['-m set --match-set N2 src', { src: '10.2.9.9' }, true],
    // hash:ip,port
    ['-m set --match-set IP dst,dst', { dst: '10.96.0.1', dport: 443 }, true],
    ['-m set --match-set IP dst,dst', { dst: '10.96.0.1', dport: 80 }, false],
    ['-m set --match-set IP dst,dst', { dst: '10.96.0.1', dport: 443, protocol: 'udp' }, false],
    ['-m set --match-set IP dst,dst', { dst: '10.96.0.10', dport: 53, protocol: 'udp' }, true],
    ['-m set --match-set IP dst,dst', { dst: '10.96.0.12', dport: 90, protocol: 'sctp' }, true],
    ['-m set --match-set IP dst,dst', { dst: '10.96.0.13', protocol: 'icmp', icmpType: 8, icmpCode: 0, dport: undefined }, true],
    ['-m set --match-set IP dst,dst', { dst: '10.96.0.13', protocol: 'icmp', icmpType: 0, icmpCode: 0, dport: undefined }, false],
    ['-m set --match-set IP dst,dst', { dst: '10.0.3.8', protocol: 'icmp', icmpType: 3, icmpCode: 8, dport: undefined }, true],
    ['-m set --match-set IP dst,dst', { dst: '10.1.0.1', protocol: 'gre', dport: undefined }, true],
    ['-m set --match-set IP src,dst', { src: '10.96.0.1', dst: '1.1.1.1', dport: 443 }, true],
    ['-m set --match-set IP dst', { dst: '10.96.0.1', dport: 443 }, false],
    ['-m set --match-set IP dst,dst', { dst: '10.96.0.1', sport: undefined, dport: 443 }, true],
    // hash:ip,port,ip: kube-proxy's hairpin set.
    ['-m set --match-set IPI dst,dst,src', { src: '10.244.1.2', dst: '10.244.1.2', dport: 80 }, true],
    ['-m set --match-set IPI dst,dst,src', { src: '10.244.1.3', dst: '10.244.1.2', dport: 80 }, false],
    ['-m set --match-set IPN dst,dst,src', { src: '10.9.9.9', dst: '10.96.0.1', dport: 80 }, true],
    ['-m set --match-set IPN dst,dst,src', { src: '11.9.9.9', dst: '10.96.0.1', dport: 80 }, false],
    // hash:net,port: the /24 nomatch for udp:80 beats the /16 member.
    ['-m set --match-set NP dst,dst', { dst: '10.0.0.7', dport: 80 }, true],
    ['-m set --match-set NP dst,dst', { dst: '10.0.0.7', dport: 80, protocol: 'udp' }, false],
    ['-m set --match-set NP dst,dst', { dst: '10.0.9.7', dport: 80, protocol: 'udp' }, true],
    // bitmap:port: no protocol in members; TCP and UDP only.
    ['-m set --match-set BP dst', { dport: 30080 }, true],
    ['-m set --match-set BP dst', { dport: 30080, protocol: 'udp' }, true],
    ['-m set --match-set BP dst', { dport: 30080, protocol: 'sctp' }, false],
    ['-m set --match-set BP dst', { dport: 30081 }, false],
    // list:set: any member set.
    ['-m set --match-set L dst', { dst: '10.96.0.1' }, true],
    ['-m set --match-set L dst', { dst: '10.3.0.1' }, true],
    ['-m set --match-set L dst', { dst: '11.3.0.1' }, false],
    ['-m set --match-set LX dst', { dst: '10.96.0.1' }, true],
    ['-m set --match-set LX dst', { dst: '11.3.0.1' }, 'unknown'],
    // Family must match the set's.
    ['-m set --match-set A6 dst', { family: 6 as const, src: 'fd00::5', dst: 'fd00::1' }, true],
    ['-m set --match-set N6 src', { family: 6 as const, src: 'fd00::5', dst: 'fd01::1' }, true],
    ['-m set --match-set A dst', { family: 6 as const, src: 'fd00::5', dst: 'fd00::1' }, false],
  ])('%s with %j → %s', (raw, packet, expected) => {
    expect(summarize(run(raw, packet))).toBe(expected);
  });
});

describe('unknown paths', () => {
  test('a set not collected is unknown', () => {
    expect(run('-m set --match-set KUBE-CLUSTER-IP dst,dst', {})).toEqual({ kind: 'unknown', reason: 'ipset KUBE-CLUSTER-IP contents unknown' });
  });
  test('a port dimension with unknown source port is unknown', () => {
    expect(run('-m set --match-set IP src,src', { src: '10.96.0.1', sport: undefined })).toEqual({ kind: 'unknown', reason: 'source port unknown' });
  });
  test('an unsupported set type is not understood', () => {
    expect(run('-m set --match-set MAC src', {})).toMatchObject({ kind: 'unknown', notUnderstood: true });
  });
});

describe('set: a set listed without members (ipset list -t)', () => {
  const terse: IpSet = { ...makeSet('T', 'hash:ip', []), membersOmitted: true };
  const terseCtx = makeContext({ ipsets: new Map([['T', terse]]) });
  test.each([['-m set --match-set T dst'], ['-m set ! --match-set T dst']])('%s is unknown, never decided', (raw) => {
    const r = evaluateMatch(raw, makePacket({ dst: '10.96.0.1' }), terseCtx);
    expect(summarize(r)).toBe('unknown');
    expect(r.kind === 'unknown' && r.reason).toMatch(/members were not captured/);
  });
});
