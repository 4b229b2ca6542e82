import { describe, expect, test } from 'vitest';
import { InputError, type Diagnostic } from '../../src/model/source.js';
import { MALFORMED_MODULE, parseRuleLine } from '../../src/parse/rule-line.js';

const SRC = { file: 't.rules', line: 7 };
const parse = (line: string, family: 4 | 6 = 4) => parseRuleLine(line, 'filter', 3, SRC, { family });

describe('parseRuleLine: basic options', () => {
  test('every basic option and its negation (canonical iptables-save order)', () => {
    const r = parse('-A FORWARD -s 10.0.0.0/8 ! -d 10.1.0.0/16 ! -i eth+ -o lo -p tcp -f -j ACCEPT');
    expect(r).toMatchObject({
      table: 'filter',
      chain: 'FORWARD',
      index: 3,
      source: SRC,
      sourceAddress: { negated: false, value: '10.0.0.0/8' },
      destinationAddress: { negated: true, value: '10.1.0.0/16' },
      inInterface: { negated: true, value: 'eth+' },
      outInterface: { negated: false, value: 'lo' },
      protocol: { negated: false, value: 'tcp' },
      fragment: { negated: false, value: true },
      matches: [],
    });
  });

  test.each([
    ['--source 1.2.3.4/32', 'sourceAddress'],
    ['--src 1.2.3.4/32', 'sourceAddress'],
    ['--destination 1.2.3.4/32', 'destinationAddress'],
    ['--dst 1.2.3.4/32', 'destinationAddress'],
    ['--in-interface 1.2.3.4/32', 'inInterface'],
    ['--out-interface 1.2.3.4/32', 'outInterface'],
    ['--protocol 1.2.3.4/32', 'protocol'],
  ] as const)('long form %s', (opt, field) => {
    expect(parse(`-A X ${opt}`)[field]).toEqual({ negated: false, value: '1.2.3.4/32' });
  });

  test('old-style negation after the option (-s ! x)', () => {
    expect(parse('-A X -s ! 10.0.0.0/8 -j DROP').sourceAddress).toEqual({ negated: true, value: '10.0.0.0/8' });
  });

  test('! -f', () => {
    expect(parse('-A X ! -f -j DROP').fragment).toEqual({ negated: true, value: true });
  });

  test('raw keeps the rule from -A on, without counters or indentation', () => {
    expect(parse('  [12:3400] -A X -j ACCEPT  ').raw).toBe('-A X -j ACCEPT');
  });
});

describe('parseRuleLine: matches', () => {
  test('options belong to the most recent -m block, with their own negation', () => {
    const r = parse('-A X -m mark ! --mark 0x4000/0x4000 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -m comment --comment "a b" -j DROP');
    expect(r.matches).toEqual([
      { module: 'mark', options: [{ name: 'mark', negated: true, args: ['0x4000/0x4000'] }], raw: '-m mark ! --mark 0x4000/0x4000' },
      {
        module: 'conntrack',
        options: [{ name: 'ctstate', negated: true, args: ['RELATED,ESTABLISHED,DNAT'] }],
        raw: '-m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT',
      },
      { module: 'comment', options: [{ name: 'comment', negated: false, args: ['a b'] }], raw: '-m comment --comment "a b"' },
    ]);
  });

  test('multi-option modules and zero-argument flags', () => {
    const r = parse(
      '-A X -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-X --mask 255.255.255.255 --rsource -m statistic --mode random ! --probability 0.50000000000 -j KUBE-SEP-X',
    );
    expect(r.matches[0]!.options.map((o) => [o.name, o.args])).toEqual([
      ['rcheck', []],
      ['seconds', ['10800']],
      ['reap', []],
      ['name', ['KUBE-SEP-X']],
      ['mask', ['255.255.255.255']],
      ['rsource', []],
    ]);
    expect(r.matches[1]!.options).toEqual([
      { name: 'mode', negated: false, args: ['random'] },
      { name: 'probability', negated: true, args: ['0.50000000000'] },
    ]);
  });

  test('-m set takes two arguments', () => {
    const r = parse('-A X -m set ! --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT');
    expect(r.matches[0]!.options).toEqual([{ name: 'match-set', negated: true, args: ['KUBE-CLUSTER-IP', 'dst,dst'] }]);
  });

  test('a comment that looks like an option stays a comment (xtables_save_string leaves -foo bare)', () => {
    const r = parse('-A X -m comment --comment -foo -j ACCEPT');
    expect(r.matches[0]!.options[0]).toEqual({ name: 'comment', negated: false, args: ['-foo'] });
    expect(r.target?.kind).toBe('ACCEPT');
  });

  // Observed: iptables-restore loads the protocol match for --dport/--sport without -m (netfilter.md §10).
  test.each([
    ['-A X -p tcp --dport 80 -j ACCEPT', 'tcp', [['dport', ['80']]]],
    ['-A X -p udp --sport 53 --dport 1000:2000 -j ACCEPT', 'udp', [['sport', ['53']], ['dport', ['1000:2000']]]],
    ['-A X -p sctp --dport 80 -j ACCEPT', 'sctp', [['dport', ['80']]]],
    ['-A X -p icmp --icmp-type 8 -j ACCEPT', 'icmp', [['icmp-type', ['8']]]],
    ['-A X -p ipv6-icmp --icmpv6-type 128 -j ACCEPT', 'icmp6', [['icmpv6-type', ['128']]]],
    ['-A X -p tcp --dport 80 -m comment --comment x --sport 90 -j ACCEPT', 'tcp', [['dport', ['80']], ['sport', ['90']]]],
  ])('implicit match: %s', (line, module, options) => {
    const m = parse(line).matches.find((x) => x.module === module);
    expect(m?.options.map((o) => [o.name, o.args])).toEqual(options);
  });

  test('implicit block raw text joins its options', () => {
    const r = parse('-A X -p tcp --dport 80 -m comment --comment x --sport 90 -j ACCEPT');
    expect(r.matches.map((m) => m.raw)).toEqual(['--dport 80 --sport 90', '-m comment --comment x']);
  });

  test('an explicit -m tcp takes its own options', () => {
    const r = parse('-A X -p tcp -m tcp ! --dport 80:90 --tcp-flags SYN,RST SYN -j ACCEPT');
    expect(r.matches).toHaveLength(1);
    expect(r.matches[0]!.options).toEqual([
      { name: 'dport', negated: true, args: ['80:90'] },
      { name: 'tcp-flags', negated: false, args: ['SYN,RST', 'SYN'] },
    ]);
  });

  test('old-style negation inside a match (--dport ! 80)', () => {
    expect(parse('-A X -p tcp -m tcp --dport ! 80 -j ACCEPT').matches[0]!.options[0]).toEqual({ name: 'dport', negated: true, args: ['80'] });
  });
});

describe('parseRuleLine: counters', () => {
  test.each([
    ['[5:300] -A X -j ACCEPT', { packets: 5, bytes: 300 }, '-A X -j ACCEPT'],
    ['-A PREROUTING -p tcp -c 7 900 -j DNAT --to-destination :8080', { packets: 7, bytes: 900 }, '-A PREROUTING -p tcp -j DNAT --to-destination :8080'],
    ['-A X -j ACCEPT', undefined, '-A X -j ACCEPT'],
  ])('%s', (line, counters, raw) => {
    const r = parse(line);
    expect(r.counters).toEqual(counters);
    expect(r.raw).toBe(raw);
  });
});

describe('parseRuleLine: targets', () => {
  test.each([
    ['-j ACCEPT', { kind: 'ACCEPT' }],
    ['-j DROP', { kind: 'DROP' }],
    ['-j RETURN', { kind: 'RETURN' }],
    ['-j REJECT', { kind: 'REJECT', rejectWith: 'icmp-port-unreachable' }],
    ['-j REJECT --reject-with tcp-reset', { kind: 'REJECT', rejectWith: 'tcp-reset' }],
    // netfilter.md §5: every MARK form normalised to set-xmark value/mask (observed saves in round-trip.test.ts).
    ['-j MARK --set-xmark 0x4000/0x4000', { kind: 'MARK', value: 0x4000, mask: 0x4000 }],
    ['-j MARK --set-xmark 0x4000', { kind: 'MARK', value: 0x4000, mask: 0xffffffff }],
    ['-j MARK --set-mark 0x8000', { kind: 'MARK', value: 0x8000, mask: 0xffffffff }],
    ['-j MARK --set-mark 0x1/0x2', { kind: 'MARK', value: 1, mask: 3 }],
    ['-j MARK --or-mark 0x4000', { kind: 'MARK', value: 0x4000, mask: 0x4000 }],
    ['-j MARK --and-mark 0xffffbfff', { kind: 'MARK', value: 0, mask: 0x4000 }],
    ['-j MARK --xor-mark 0x4000', { kind: 'MARK', value: 0x4000, mask: 0 }],
    ['-j MARK --set-xmark 16384/16384', { kind: 'MARK', value: 0x4000, mask: 0x4000 }],
    ['-j CONNMARK --set-xmark 0x5/0x7', { kind: 'CONNMARK', mode: 'set', value: 5, mask: 7 }],
    ['-j CONNMARK --set-mark 0x1/0x2', { kind: 'CONNMARK', mode: 'set', value: 1, mask: 3 }],
    ['-j CONNMARK --or-mark 0x4', { kind: 'CONNMARK', mode: 'set', value: 4, mask: 4 }],
    ['-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff', { kind: 'CONNMARK', mode: 'save', nfmask: 0xffffffff, ctmask: 0xffffffff }],
    ['-j CONNMARK --save-mark', { kind: 'CONNMARK', mode: 'save', nfmask: 0xffffffff, ctmask: 0xffffffff }],
    ['-j CONNMARK --restore-mark --mask 0xff', { kind: 'CONNMARK', mode: 'restore', nfmask: 0xff, ctmask: 0xff }],
    ['-j CONNMARK --restore-mark --nfmask 0xf0 --ctmask 0xf', { kind: 'CONNMARK', mode: 'restore', nfmask: 0xf0, ctmask: 0xf }],
    [
      '-j DNAT --to-destination 10.244.2.2:80',
      { kind: 'DNAT', ranges: [{ addressFrom: '10.244.2.2', addressTo: '10.244.2.2', portFrom: 80, portTo: 80 }], random: false, persistent: false },
    ],
    [
      '-j DNAT --to-destination 1.2.3.4-1.2.3.6:80-81 --random --persistent',
      { kind: 'DNAT', ranges: [{ addressFrom: '1.2.3.4', addressTo: '1.2.3.6', portFrom: 80, portTo: 81 }], random: true, persistent: true },
    ],
    [
      '-j SNAT --to-source 5.6.7.8 --random --random-fully --persistent',
      { kind: 'SNAT', ranges: [{ addressFrom: '5.6.7.8', addressTo: '5.6.7.8' }], random: true, randomFully: true, persistent: true },
    ],
    ['-j MASQUERADE', { kind: 'MASQUERADE', random: false, randomFully: false }],
    ['-j MASQUERADE --to-ports 1000-2000 --random-fully', { kind: 'MASQUERADE', ports: { portFrom: 1000, portTo: 2000 }, random: false, randomFully: true }],
    ['-j REDIRECT --to-ports 8080-8081 --random', { kind: 'REDIRECT', ports: { portFrom: 8080, portTo: 8081 }, random: true }],
    ['-j LOG --log-prefix "hello world: " --log-level 4', { kind: 'LOG' }],
    ['-j NFLOG --nflog-group 2', { kind: 'NFLOG' }],
    ['-j ULOG', { kind: 'ULOG' }],
    ['-j TRACE', { kind: 'TRACE' }],
    ['-j CT --notrack', { kind: 'CT', notrack: true }],
    ['-j CT --zone 1', { kind: 'CT', notrack: false }],
    ['-j NOTRACK', { kind: 'CT', notrack: true, name: 'NOTRACK' }],
    ['-j KUBE-SVC-XPGD46QRK7WJZT7O', { kind: 'jump', chain: 'KUBE-SVC-XPGD46QRK7WJZT7O' }],
    ['-g cali-fw-cali95aa86cbb2a', { kind: 'goto', chain: 'cali-fw-cali95aa86cbb2a' }],
    ['-j TPROXY --on-port 1 --on-ip 1.2.3.4 --tproxy-mark 0x1/0x1', { kind: 'unknown', name: 'TPROXY' }],
    ['-j NFQUEUE --queue-num 3', { kind: 'unknown', name: 'NFQUEUE' }],
    ['-j TCPMSS --clamp-mss-to-pmtu', { kind: 'unknown', name: 'TCPMSS' }],
  ])('%s', (target, expected) => {
    const diagnostics: Diagnostic[] = [];
    const r = parseRuleLine(`-A X -p tcp ${target}`, 'nat', 1, SRC, { diagnostics });
    expect(r.target).toMatchObject(expected);
    expect(r.target!.raw).toBe(target);
    expect(diagnostics).toEqual([]);
  });

  test('target options are kept verbatim', () => {
    const r = parse('-A X -j LOG --log-prefix "hello world: " --log-level 4');
    expect(r.target!.options).toEqual([
      { name: 'log-prefix', negated: false, args: ['hello world: '] },
      { name: 'log-level', negated: false, args: ['4'] },
    ]);
  });

  test('REJECT defaults to icmp6-port-unreachable for IPv6', () => {
    expect(parse('-A X -j REJECT', 6).target).toMatchObject({ kind: 'REJECT', rejectWith: 'icmp6-port-unreachable' });
  });

  test('IPv6 DNAT', () => {
    expect(parse('-A X -p tcp -j DNAT --to-destination [fd00::2]:80', 6).target).toMatchObject({
      kind: 'DNAT',
      ranges: [{ addressFrom: 'fd00::2', addressTo: 'fd00::2', portFrom: 80, portTo: 80 }],
    });
  });

  test('a DNAT port shift (not modelled) becomes unknown with a diagnostic', () => {
    const diagnostics: Diagnostic[] = [];
    const r = parseRuleLine('-A X -p tcp -j DNAT --to-destination 1.2.3.4:80-90/100', 'nat', 1, SRC, { diagnostics });
    expect(r.target?.kind).toBe('unknown');
    expect(diagnostics[0]!.message).toMatch(/expected an address/);
  });

  test('a rule without -j has no target', () => {
    expect(parse('-A KUBE-FW-X -m comment --comment "other traffic will be dropped"').target).toBeUndefined();
  });
});

describe('parseRuleLine: malformed input never throws (unless strict)', () => {
  test.each([
    ['-A X -m comment --comment "open -j ACCEPT', /expected a closing quote/],
    ['-A -j ACCEPT', /expected a chain name after -A/],
    ['-A X -s', /expected an argument after -s/],
    ['-A X -j', /expected a target or chain name after -j/],
    ['-A X --dport 80 -j ACCEPT', /expected -m MODULE before --dport/],
    ['-A X -j MARK', /expected exactly one of --set-xmark/],
    ['-A X -j MARK --set-xmark zz', /expected a number/],
    ['-A X stray -j ACCEPT', /expected an option, found "stray"/],
    ['-A X ! -j ACCEPT', /expected/],
  ])('%s', (line, message) => {
    const diagnostics: Diagnostic[] = [];
    const r = parseRuleLine(line, 'filter', 1, SRC, { diagnostics });
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ severity: 'error', source: SRC, text: line });
    expect(diagnostics[0]!.message).toMatch(message);
    // The rule is kept (its position in the chain matters) and marked so the engine cannot over-match it.
    const marked = r.matches.some((m) => m.module === MALFORMED_MODULE) || r.target?.kind === 'unknown';
    expect(marked || line.includes('"open')).toBe(true);
    expect(() => parseRuleLine(line, 'filter', 1, SRC, { strict: true })).toThrow(InputError);
  });

  test('strict errors name the file and line', () => {
    expect(() => parseRuleLine('-A X -s', 'filter', 1, SRC, { strict: true })).toThrow(/^t\.rules:7: expected an argument after -s/);
  });
});
