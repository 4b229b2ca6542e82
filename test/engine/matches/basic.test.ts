import { describe, expect, test } from 'vitest';
import { compileBasicTests } from '../../../src/engine/matches/basic.js';
import type { Packet } from '../../../src/engine/packet.js';
import { makeContext, makePacket, makeRule, summarize, type RuleFields } from './fixtures.js';

function evaluate(fields: RuleFields, packet: Packet): ReturnType<typeof summarize> {
  const { tests, notUnderstood } = compileBasicTests(makeRule(fields));
  expect(notUnderstood).toEqual([]);
  expect(tests).toHaveLength(1);
  return summarize(tests[0]!(packet, makeContext()));
}

describe('-p', () => {
  test.each([
    ['tcp', 'tcp', true],
    ['tcp', 'udp', false],
    ['6', 'tcp', true],
    ['17', 'udp', true],
    ['1', 'icmp', true],
    ['132', 'sctp', true],
    ['sctp', 'sctp', true],
    ['ipv6-icmp', 'ipv6-icmp', true],
    ['icmpv6', 'ipv6-icmp', true],
    ['58', 'icmpv6', true],
    ['all', 'udp', true],
    ['0', 'sctp', true],
    ['! tcp', 'tcp', false],
    ['! tcp', 'udp', true],
    ['! all', 'udp', true],
    // /etc/protocols: ipencap is 4 (IP in IP), ipip is 94 (KA9Q IPIP); some distributions print 4 as ipv4.
    ['4', 'ipencap', true],
    ['ipv4', 'ipencap', true],
    ['ipencap', 'ipip', false],
  ])('-p %s on a %s packet → %s', (p, protocol, expected) => {
    expect(evaluate({ p }, makePacket({ protocol }))).toBe(expected);
  });
});

describe('-s / -d', () => {
  test.each([
    [{ s: '10.244.0.0/16' }, {}, true],
    [{ s: '10.0.0.0/255.0.0.0' }, {}, true],
    [{ s: '10.245.0.0/16' }, {}, false],
    [{ s: '! 10.244.0.0/16' }, {}, false],
    [{ s: '! 10.245.0.0/16' }, {}, true],
    [{ d: '10.96.34.82/32' }, {}, true],
    [{ d: '10.96.34.83' }, {}, false],
    [{ d: '0.0.0.0/0' }, {}, true],
    [{ d: 'fd00::/64' }, { family: 6 as const, src: 'fd00::5', dst: 'fd00::1' }, true],
    [{ d: 'fd00::/64' }, {}, false],
    [{ d: '! fd01::/64' }, { family: 6 as const, src: 'fd00::5', dst: 'fd00::1' }, true],
  ])('%j with %j → %s', (fields, packet, expected) => {
    expect(evaluate(fields, makePacket(packet))).toBe(expected);
  });
});

describe('-i / -o', () => {
  test.each([
    [{ i: 'eth0' }, { inInterface: 'eth0' }, true],
    [{ i: 'eth1' }, { inInterface: 'eth0' }, false],
    [{ i: 'eth+' }, { inInterface: 'eth0' }, true],
    [{ i: 'eth+' }, { inInterface: 'eth' }, true],
    [{ i: 'cali+' }, { inInterface: 'eth0' }, false],
    [{ i: '! cali+' }, { inInterface: 'eth0' }, true],
    [{ i: '! eth0' }, { inInterface: 'eth0' }, false],
    // Locally generated: no input interface.
    [{ i: 'lo' }, { inInterface: '' }, false],
    [{ i: '! lo' }, { inInterface: '' }, true],
    [{ i: 'eth+' }, { inInterface: '' }, false],
    [{ i: '+' }, { inInterface: '' }, true],
    [{ i: '+' }, { inInterface: undefined }, true],
    [{ o: 'cni0' }, { outInterface: 'cni0' }, true],
    [{ o: '! cni0' }, { outInterface: 'cni0' }, false],
    [{ o: 'cni0' }, { outInterface: '' }, false],
  ])('%j with %j → %s', (fields, packet, expected) => {
    expect(evaluate(fields, makePacket(packet))).toBe(expected);
  });

  test.each([
    [{ i: 'eth0' }, { inInterface: undefined }, 'input interface unknown: -i eth0', { side: 'in', pattern: 'eth0', whenMatched: true }],
    [{ i: '! eth0' }, { inInterface: undefined }, 'input interface unknown: ! -i eth0', { side: 'in', pattern: 'eth0', whenMatched: false }],
    [{ o: 'cni0' }, { outInterface: undefined }, 'output interface unknown: -o cni0', { side: 'out', pattern: 'cni0', whenMatched: true }],
  ])('%j with unknown interface → unknown, with the constraint to record', (fields, packet, reason, constraint) => {
    const { tests } = compileBasicTests(makeRule(fields));
    const r = tests[0]!(makePacket(packet), makeContext());
    expect(r).toEqual({ kind: 'unknown', reason, constraint });
  });

  test.each([
    // What the branch learnt at an earlier fork decides later tests of the same interface.
    [{ i: 'cali+' }, { matches: ['cali+'], notMatches: [] }, true],
    [{ i: '! cali+' }, { matches: ['cali+'], notMatches: [] }, false],
    [{ i: 'cali95aa86cbb2a' }, { matches: [], notMatches: ['cali+'] }, false],
    [{ i: 'eth0' }, { matches: ['cali+'], notMatches: [] }, false],
    [{ i: 'cali95aa86cbb2a' }, { matches: ['cali95aa86cbb2a'], notMatches: [] }, true],
    [{ i: 'cali+' }, { matches: ['cali95aa86cbb2a'], notMatches: [] }, true],
    [{ i: 'cali2b1490aa46a' }, { matches: ['cali+'], notMatches: ['cali95aa86cbb2a'] }, 'unknown'],
  ])('%j with facts %j → %s', (fields, facts, expected) => {
    const { tests } = compileBasicTests(makeRule(fields));
    const r = tests[0]!(makePacket({ inInterface: undefined, inInterfaceFacts: facts }), makeContext());
    expect(r.kind === 'bool' ? r.value : r.kind).toBe(expected);
  });
});

describe('-f', () => {
  test.each([
    [true, false],
    ['negated' as const, true],
  ])('-f %s → %s for a first packet', (f, expected) => {
    expect(evaluate({ f }, makePacket())).toBe(expected);
  });
});

test('bad address is not understood', () => {
  const { notUnderstood, tests } = compileBasicTests(makeRule({ s: '10.0.0.300/8' }));
  expect(notUnderstood).toEqual(['-s 10.0.0.300/8']);
  expect(tests[0]!(makePacket(), makeContext())).toMatchObject({ kind: 'unknown', notUnderstood: true });
});
