import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseIptables } from '../../../src/parse/iptables-save.js';
import {
  allocateMarkLayout,
  CLASSIC_LAYOUT,
  decodeMark,
  describeMarkOperation,
  describeMarkTest,
  detectMarkLayout,
  DROP_BIT_LAYOUT,
  LEGACY_LAYOUT,
  parseMarkLayout,
} from '../../../src/interpret/calico/marks.js';

/** A v3.0-era excerpt (mask 0xff000000, calico.md §1.2): the shapes of the classic rules with 0x1000000 bits. */
const LEGACY = `*filter
:FORWARD ACCEPT [0:0]
:cali-FORWARD - [0:0]
:cali-tw-cali95aa86cbb2a - [0:0]
-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD
-A cali-FORWARD -m comment --comment "cali:vjrMJCRpqwy5oRoX" -j MARK --set-xmark 0x0/0xe000000
-A cali-tw-cali95aa86cbb2a -m comment --comment "cali:aaaaaaaaaaaaaaaa" -m comment --comment "Start of policies" -j MARK --set-xmark 0x0/0x2000000
-A cali-tw-cali95aa86cbb2a -m comment --comment "cali:bbbbbbbbbbbbbbbb" -m comment --comment "Return if policy accepted" -m mark --mark 0x1000000/0x1000000 -j RETURN
COMMIT
`;

/** Drop-bit era (calico.md §1.2: cali-FORWARD clears 0x1a0000, deny sets 0x40000 then drops on it). */
const DROP_BIT = `*filter
:FORWARD ACCEPT [0:0]
:cali-FORWARD - [0:0]
:cali-pi-_qA9lGysOzwIsyVf0V23 - [0:0]
:cali-tw-calicd14548c312 - [0:0]
-A FORWARD -m comment --comment "cali:wUHhoiAYhphO9Mso" -j cali-FORWARD
-A cali-FORWARD -m comment --comment "cali:cccccccccccccccc" -j MARK --set-xmark 0x0/0x1a0000
-A cali-pi-_qA9lGysOzwIsyVf0V23 -m comment --comment "cali:dddddddddddddddd" -m comment --comment "KubernetesNetworkPolicy team-b/deny-from-other-ns ingress" -j MARK --set-xmark 0x40000/0x40000
-A cali-pi-_qA9lGysOzwIsyVf0V23 -m comment --comment "cali:eeeeeeeeeeeeeeee" -m mark --mark 0x40000/0x40000 -j DROP
-A cali-tw-calicd14548c312 -m comment --comment "cali:ffffffffffffffff" -m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000
-A cali-tw-calicd14548c312 -m comment --comment "cali:gggggggggggggggg" -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN
COMMIT
`;

const KUBE_ONLY = `*nat
:KUBE-MARK-MASQ - [0:0]
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
COMMIT
`;

const layoutKeys = (l: { accept: number; pass: number; drop?: number; scratch0: number; scratch1: number; endpoint: number }) => ({
  accept: l.accept, pass: l.pass, drop: l.drop, scratch0: l.scratch0, scratch1: l.scratch1, endpoint: l.endpoint,
});

describe('detectMarkLayout reads the bits from the rules', () => {
  test.each([
    ['samples/calico-frontend-backend-db/iptables-save.rules', readFileSync('samples/calico-frontend-backend-db/iptables-save.rules', 'utf8'), CLASSIC_LAYOUT, 'rules'],
    ['samples/calico-tiers/iptables-save.rules', readFileSync('samples/calico-tiers/iptables-save.rules', 'utf8'), CLASSIC_LAYOUT, 'rules'],
    ['legacy 0xff000000 rules', LEGACY, LEGACY_LAYOUT, 'rules'],
    ['drop-bit rules', DROP_BIT, DROP_BIT_LAYOUT, 'rules'],
    ['no Calico rules', KUBE_ONLY, CLASSIC_LAYOUT, 'default'],
  ])('%s', (_name, text, expected, source) => {
    const layout = detectMarkLayout(parseIptables(text, 'x.rules'));
    expect(layoutKeys(layout)).toEqual(layoutKeys(expected));
    expect(layout.era).toBe(expected.era);
    expect(layout.source).toBe(source);
    expect(layout.evidence.length).toBeGreaterThan(0);
  });

  test('evidence cites the rule lines it used', () => {
    const layout = detectMarkLayout(parseIptables(readFileSync('samples/calico-frontend-backend-db/iptables-save.rules', 'utf8'), 'x'));
    expect(layout.evidence).toContain('line 88: filter cali-FORWARD clears 0xe0000: every Calico bit but accept');
  });
});

describe('overrides', () => {
  test.each([
    ['3.0', LEGACY_LAYOUT],
    ['v3.16', CLASSIC_LAYOUT],
    ['3.29.1', CLASSIC_LAYOUT],
    ['3.32', DROP_BIT_LAYOUT],
    ['legacy', LEGACY_LAYOUT],
    ['drop-bit', DROP_BIT_LAYOUT],
    ['0xffff0000', CLASSIC_LAYOUT],
    ['0xff000000', LEGACY_LAYOUT],
    ['accept=0x10000,pass=0x20000,drop=0x40000,scratch0=0x80000,scratch1=0x100000,endpoint=0xffe00000', DROP_BIT_LAYOUT],
  ])('--layout %s', (text, expected) => {
    const layout = parseMarkLayout(text);
    expect(layout && layoutKeys(layout)).toEqual(layoutKeys(expected));
    expect(layout?.source).toBe('override');
  });
  test.each(['3', 'fast', '0x3', 'accept=zz'])('--layout %s is refused', (text) => {
    expect(parseMarkLayout(text)).toBeUndefined();
  });
  test('a custom mask allocates bottom-up like felix', () => {
    expect(layoutKeys(allocateMarkLayout(0x0fff0000))).toEqual({ accept: 0x10000, pass: 0x20000, drop: undefined, scratch0: 0x40000, scratch1: 0x80000, endpoint: 0x0ff00000 });
  });
});

describe('decodeMark', () => {
  test.each([
    [0x14000, undefined, CLASSIC_LAYOUT, 'accept mark (0x10000) and kube-proxy masquerade mark (0x4000) set', 0],
    [0x8000, undefined, CLASSIC_LAYOUT, 'kube-proxy drop mark (0x8000) set', 0],
    [0x300000, undefined, CLASSIC_LAYOUT, 'endpoint mark 0x300000 set', 0],
    [0x10001, undefined, CLASSIC_LAYOUT, 'accept mark (0x10000) and unknown bits 0x1 set', 1],
    [0, undefined, CLASSIC_LAYOUT, 'no bits set', 0],
    [0x10000, 0x30000, CLASSIC_LAYOUT, 'accept mark set; pass mark clear', 0],
    [0x40000, 0x40000, DROP_BIT_LAYOUT, 'drop mark set', 0],
    [0x40000, 0x40000, CLASSIC_LAYOUT, 'scratch0 bit set', 0],
    [0x1000000, undefined, LEGACY_LAYOUT, 'accept mark (0x1000000) set', 0],
  ])('%i/%s', (value, mask, layout, sentence, unknown) => {
    const d = decodeMark(value, mask, layout);
    expect(d.sentence).toBe(sentence);
    expect(d.unknownBits).toBe(unknown);
  });
});

describe('mark operations and tests in words', () => {
  test.each([
    [0x10000, 0x10000, CLASSIC_LAYOUT, 'sets accept mark (0x10000)'],
    [0, 0x10000, CLASSIC_LAYOUT, 'clears accept mark (0x10000)'],
    [0, 0x30000, CLASSIC_LAYOUT, 'clears accept mark and pass mark (0x30000)'],
    [0, 0xe0000, CLASSIC_LAYOUT, 'clears pass mark, scratch0 bit and scratch1 bit (0xe0000)'],
    [0x20000, 0x20000, CLASSIC_LAYOUT, 'sets pass mark (0x20000)'],
    [0x4000, 0x4000, CLASSIC_LAYOUT, 'sets kube-proxy masquerade mark (0x4000)'],
    [0x4000, 0, CLASSIC_LAYOUT, 'flips kube-proxy masquerade mark (0x4000; cleared when it was set)'],
    [0x300000, 0xfff00000, CLASSIC_LAYOUT, 'sets endpoint mark 0x300000'],
  ])('--set-xmark %i/%i', (value, mask, layout, text) => {
    expect(describeMarkOperation(value, mask, layout)).toBe(text);
  });

  test.each([
    [0x10000, 0x10000, false, 'if the accept mark is set'],
    [0, 0x20000, false, 'if the pass mark is clear'],
    [0, 0x10000, true, 'if the accept mark is set'],
    [0, 0xfff00000, true, 'if an endpoint mark is set'],
    [0, 0x30000, true, 'if the accept mark or pass mark is set'],
    [0x4000, 0x4000, true, 'if the kube-proxy masquerade mark is clear'],
  ])('--mark %i/%i negated=%s', (value, mask, negated, text) => {
    expect(describeMarkTest(value, mask, negated, CLASSIC_LAYOUT)).toBe(text);
  });
});
