import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parseConntrack, parseConntrackLines } from '../../src/parse/conntrack.js';
import { InputError } from '../../src/model/source.js';
import type { ConntrackEntry } from '../../src/model/conntrack.js';

const DIR = fileURLToPath(new URL('../fixtures/parse/conntrack/', import.meta.url));
const read = (name: string): string => readFileSync(DIR + name, 'utf8');

/** Captured from the kernel with conntrack-tools 1.4.7 (test/fixtures/parse/conntrack/capture.sh). */
const FIXTURES = [
  ['list.txt', 13],
  ['extended.txt', 13],
  ['id.txt', 13],
  ['extended-id-labels.txt', 13],
  ['ipv6.txt', 3],
  ['list-with-summary.txt', 13],
] as const;

/** Tuple-level view of an entry: what stays equal across output formats and over the second between captures. */
const key = (e: ConntrackEntry): string =>
  JSON.stringify([e.family, e.protocol, e.protocolNumber, e.state, e.original, e.reply, e.flags, e.mark, e.zone, e.use]);

describe('parseConntrack on real conntrack output', () => {
  test.each(FIXTURES)('%s: %i entries in strict mode, each pointing at its line', (name, count) => {
    const text = read(name);
    const lines = text.split('\n');
    const { entries, diagnostics } = parseConntrack(text, name, { strict: true });
    expect(diagnostics).toEqual([]);
    expect(entries.length).toBe(count);
    for (const e of entries) expect(lines[e.source!.line - 1]).toBe(e.raw);
  });

  test.each(['extended.txt', 'id.txt', 'extended-id-labels.txt', 'list-with-summary.txt'])(
    '%s holds the same flows as plain `conntrack -L`',
    (name) => {
      const plain = parseConntrack(read('list.txt'), 'list.txt').entries.map(key).sort();
      expect(parseConntrack(read(name), name).entries.map(key).sort()).toEqual(plain);
    },
  );

  test('the summary conntrack prints on stderr is read, and its count agrees', () => {
    const r = parseConntrack(read('list-with-summary.txt'), 'list-with-summary.txt');
    expect(r.shownCount).toBe(13);
    expect(parseConntrack(read('list.stderr'), 'list.stderr').shownCount).toBe(13);
  });

  test('-o id gives every entry an id, distinct from ICMP echo ids', () => {
    const { entries } = parseConntrack(read('id.txt'), 'id.txt');
    expect(entries.every((e) => typeof e.id === 'number' && e.id > 0)).toBe(true);
    const echo = entries.find((e) => e.original.icmpId === 4242)!;
    expect(echo.reply.icmpId).toBe(4242);
    expect(echo.id).not.toBe(4242);
  });

  const labelled = parseConntrack(read('extended-id-labels.txt'), 'x').entries;
  const find = (pred: (e: ConntrackEntry) => boolean): ConntrackEntry => {
    const e = labelled.find(pred);
    if (!e) throw new Error('fixture entry missing');
    return e;
  };

  test.each([
    [
      'DNAT to a pod: reply comes from the endpoint, mark and labels set',
      (e: ConntrackEntry) => e.original.dport === 80 && e.original.dst === '10.96.34.82',
      {
        family: 4, protocol: 'tcp', protocolNumber: 6, state: 'ESTABLISHED', flags: ['ASSURED'], mark: 16384, labels: ['knetdbg-pinned'],
        original: { src: '10.244.0.7', dst: '10.96.34.82', sport: 40000, dport: 80, packets: 0, bytes: 0 },
        reply: { src: '10.244.2.2', dst: '10.244.0.7', sport: 8080, dport: 40000 },
      },
    ],
    [
      'real TCP from traffic: accounting and the label set by -m connlabel',
      (e: ConntrackEntry) => e.protocol === 'tcp' && e.original.dport === 8080 && e.family === 4,
      { state: 'ESTABLISHED', flags: ['ASSURED'], labels: ['knetdbg-seen'], original: { src: '10.250.0.2', dst: '10.250.0.1' } },
    ],
    ['zone= (both directions)', (e: ConntrackEntry) => e.original.sport === 53000, { zone: 5, flags: ['UNREPLIED'], original: { dport: 53 } }],
    ['zone-orig=', (e: ConntrackEntry) => e.original.sport === 53001, { original: { zone: 7 }, reply: { src: '10.96.0.10' } }],
    ['zone-reply=', (e: ConntrackEntry) => e.original.sport === 53002, { reply: { zone: 9 } }],
    ['UDP without state, marked by CONNMARK', (e: ConntrackEntry) => e.original.dport === 5353, { protocol: 'udp', protocolNumber: 17, mark: 0x4000 }],
    ['SCTP', (e: ConntrackEntry) => e.protocol === 'sctp', { protocolNumber: 132, state: 'ESTABLISHED', reply: { src: '10.244.4.4', sport: 9999 } }],
    ['SYN_SENT, unreplied', (e: ConntrackEntry) => e.state === 'SYN_SENT', { flags: ['UNREPLIED'], reply: { sport: 8443 } }],
    ['ICMP echo', (e: ConntrackEntry) => e.original.icmpId === 4711, { protocol: 'icmp', original: { icmpType: 8, icmpCode: 0 }, reply: { icmpType: 0, icmpId: 4711 } }],
    ['ICMPv6 echo', (e: ConntrackEntry) => e.protocol === 'icmpv6', { family: 6, protocolNumber: 58, original: { icmpType: 128, icmpId: 4712 }, reply: { icmpType: 129 } }],
    ['IPv6 UDP to a service', (e: ConntrackEntry) => e.original.dst === 'fd00:96::a', { family: 6, mark: 1, reply: { src: 'fd00:10:244:3::9' } }],
  ] as const)('%s', (_case, pred, expected) => {
    expect(find(pred)).toMatchObject(expected);
  });

  test('UDP has no state and ICMP no ports: absent, not empty or zero', () => {
    const udp = find((e) => e.original.dport === 5353);
    expect('state' in udp).toBe(false);
    const icmp = find((e) => e.original.icmpId === 4711);
    expect('sport' in icmp.original || 'dport' in icmp.reply).toBe(false);
  });

  test('IPv6 family is known without the -o extended prefix', () => {
    const { entries } = parseConntrack(read('ipv6.txt'), 'ipv6.txt');
    expect(entries.every((e) => e.family === 6)).toBe(true);
  });

  test('timeouts are the seconds written on the line', () => {
    for (const e of labelled) expect(e.timeout).toBe(Number(e.raw.split(/\s+/)[4]));
  });
});

describe('parseConntrack on other layouts', () => {
  // Lines in the layout of libnetfilter_conntrack's snprintf_default.c for fields the capture machine could not
  // produce (no SELinux, no flowtable offload, no helpers): the field order is the library's.
  test.each([
    [
      'offloaded flow with secctx',
      'tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [OFFLOAD] mark=0 secctx=system_u:object_r:unlabeled_t:s0 use=2',
      { flags: ['OFFLOAD'], secctx: 'system_u:object_r:unlabeled_t:s0', use: 2 },
    ],
    [
      'hardware offload, ASSURED',
      'tcp      6 120 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [ASSURED] [HW_OFFLOAD] mark=0 use=1',
      { flags: ['ASSURED', 'HW_OFFLOAD'], timeout: 120 },
    ],
    [
      'helper and delta-time are kept as extras',
      'tcp      6 300 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=21 src=10.0.0.2 dst=10.0.0.1 sport=21 dport=1 [ASSURED] mark=0 delta-time=42 use=1 helper=ftp',
      { extras: { 'delta-time': '42', helper: 'ftp' } },
    ],
    [
      'a conntrack -E event line',
      ' [NEW] udp      17 30 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=1',
      { extras: { event: 'NEW' }, flags: ['UNREPLIED'], protocol: 'udp' },
    ],
    [
      'GRE keys stay with their tuple',
      'gre      47 179 src=10.0.0.1 dst=10.0.0.2 srckey=0x0 dstkey=0x0 src=10.0.0.2 dst=10.0.0.1 srckey=0x0 dstkey=0x0 mark=0 use=1',
      { protocolNumber: 47, extras: { 'original.srckey': '0x0', 'reply.dstkey': '0x0' } },
    ],
    [
      'protocol conntrack has no name for',
      'unknown  41 599 src=fd00::1 dst=fd00::2 src=fd00::2 dst=fd00::1 mark=0 use=1',
      { protocol: 'unknown', protocolNumber: 41, family: 6, timeout: 599 },
    ],
    [
      'hexadecimal mark and CRLF line ending',
      'udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0x4000 use=1\r',
      { mark: 0x4000 },
    ],
  ] as const)('%s', (_case, line, expected) => {
    const r = parseConntrack(line, 'ct.txt', { strict: true });
    expect(r.entries.length).toBe(1);
    expect(r.entries[0]).toMatchObject(expected);
  });

  test('an entry without timeout (conntrack -L of a flow being offloaded) has none, not 0', () => {
    const r = parseConntrack('tcp      6 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 [OFFLOAD] mark=0 use=2', 'x');
    expect(r.entries[0]!.timeout).toBeUndefined();
    expect(r.entries[0]!.state).toBeUndefined();
  });

  test.each([
    ['truncated line (no reply tuple)', 'tcp      6 86395 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2', /no reply tuple/],
    ['a port that is not a number', 'tcp      6 86395 ESTABLISHED src=10.0.0.1 dst=10.0.0.2 sport=x dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1', /expected a number in `sport=`/],
    ['a stray word', 'tcp      6 86395 established src=10.0.0.1 dst=10.0.0.2 src=10.0.0.2 dst=10.0.0.1', /unexpected word `established`/],
    ['not conntrack at all', 'Chain INPUT (policy ACCEPT)', /expected a conntrack entry/],
    ['a field before the tuple', 'tcp      6 5 dst=10.0.0.2 src=10.0.0.1', /before the original tuple/],
    ['three tuples', 'udp 17 5 src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 src=3.3.3.3 dst=4.4.4.4', /more than two tuples/],
    ['unterminated flag', 'tcp 6 5 src=1.1.1.1 dst=2.2.2.2 src=2.2.2.2 dst=1.1.1.1 [ASSUR', /unterminated `\[`/],
  ] as const)('%s → error naming file and line; strict throws', (_case, bad, message) => {
    const good = 'udp      17 29 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=2 src=10.0.0.2 dst=10.0.0.1 sport=2 dport=1 mark=0 use=1';
    const r = parseConntrack(`${good}\n${bad}\n${good}\n`, 'node/conntrack.txt');
    expect(r.entries.length).toBe(2);
    expect(r.diagnostics.length).toBe(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', source: { file: 'node/conntrack.txt', line: 2 } });
    expect(r.diagnostics[0]!.message).toMatch(message);
    expect(() => parseConntrack(`${good}\n${bad}\n`, 'node/conntrack.txt', { strict: true })).toThrow(InputError);
    expect(() => parseConntrack(`${good}\n${bad}\n`, 'node/conntrack.txt', { strict: true })).toThrow(/^node\/conntrack\.txt:2: /);
  });

  test('a summary count that disagrees with the entries read means a truncated capture', () => {
    const text = read('list.txt').split('\n').slice(0, 5).join('\n') + '\nconntrack v1.4.7 (conntrack-tools): 13 flow entries have been shown.\n';
    const r = parseConntrack(text, 'cut.txt');
    expect(r.entries.length).toBe(5);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ severity: 'warning', source: { file: 'cut.txt', line: 6 }, message: expect.stringMatching(/13 flow entries were shown but 5 were read/) }),
    ]);
  });

  test('the label-map complaint of libnetfilter_conntrack is noted, not an error, even in strict mode', () => {
    const r = parseConntrack('nfct_labelmap_new: No such file or directory\n', 'x', { strict: true });
    expect(r.diagnostics.map((d) => d.severity)).toEqual(['info']);
  });
});

describe('parseConntrackLines (streaming)', () => {
  const text = read('extended-id-labels.txt');
  const expected = parseConntrack(text, 'x').entries;

  test('an array of lines gives the entries parseConntrack gives', async () => {
    const got: ConntrackEntry[] = [];
    const r = await parseConntrackLines(text.split('\n'), 'x', (e) => got.push(e));
    expect(r.entryCount).toBe(expected.length);
    expect(got).toEqual(expected);
  });

  test('readline over a file stream (how the collector reads `conntrack -L`)', async () => {
    const got: ConntrackEntry[] = [];
    const rl = createInterface({ input: createReadStream(`${DIR}list-with-summary.txt`), crlfDelay: Infinity });
    const r = await parseConntrackLines(rl, 'list-with-summary.txt', (e) => got.push(e));
    expect(r.shownCount).toBe(13);
    expect(got.map(key).sort()).toEqual(parseConntrack(read('list.txt'), 'l').entries.map(key).sort());
    expect(r.diagnostics).toEqual([]);
  });

  test('200k generated entries stream through without being kept', async () => {
    function* lines(): Generator<string> {
      for (let i = 0; i < 200_000; i++) {
        const a = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
        yield `tcp      6 86395 ESTABLISHED src=${a} dst=10.96.0.1 sport=${1024 + (i % 60000)} dport=443 src=10.244.1.5 dst=${a} sport=6443 dport=${1024 + (i % 60000)} [ASSURED] mark=0 use=1`;
      }
      yield 'conntrack v1.4.7 (conntrack-tools): 200000 flow entries have been shown.';
    }
    let toEndpoint = 0;
    const r = await parseConntrackLines(lines(), 'gen', (e) => {
      if (e.reply.src === '10.244.1.5' && e.original.dport === 443) toEndpoint++;
    });
    expect(r.entryCount).toBe(200_000);
    expect(toEndpoint).toBe(200_000);
    expect(r.diagnostics).toEqual([]);
  });

  test('a garbled line in a stream is reported with its line number and the stream goes on', async () => {
    const lines = text.split('\n');
    lines.splice(3, 0, 'tcp 6 5 ESTABLISHED src=1.1.1.1 dst=');
    let n = 0;
    const r = await parseConntrackLines(lines, 'ct', () => n++);
    expect(n).toBe(expected.length);
    expect(r.diagnostics).toEqual([expect.objectContaining({ source: { file: 'ct', line: 4 }, severity: 'error' })]);
  });
});
