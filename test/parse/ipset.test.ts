import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { listIpsetTypeDimensions, parseIpsetList } from '../../src/parse/ipset.js';
import { InputError } from '../../src/model/source.js';
import type { IpSet } from '../../src/model/ipset.js';

const DIR = fileURLToPath(new URL('../fixtures/parse/ipset/', import.meta.url));
const read = (name: string): string => readFileSync(DIR + name, 'utf8');

/** Fixtures captured from ipset 7.17 in a scratch namespace (test/fixtures/parse/ipset/capture.sh). */
const FIXTURES = ['list.txt', 'save.txt', 'list-o-save.txt', 'list-terse.txt'] as const;

describe('parseIpsetList on real ipset output', () => {
  test.each(FIXTURES)('%s parses in strict mode, every set and member points at its own line', (name) => {
    const text = read(name);
    const lines = text.split('\n');
    const { sets, diagnostics } = parseIpsetList(text, name, { strict: true });
    expect(diagnostics).toEqual([]);
    expect(sets.length).toBe(18);
    for (const set of sets) {
      expect(set.source?.file).toBe(name);
      const setLine = lines[set.source!.line - 1]!;
      expect(setLine === `Name: ${set.name}` || setLine.startsWith(`create ${set.name} `)).toBe(true);
      for (const m of set.members) {
        expect(lines[m.source!.line - 1]!.endsWith(m.raw)).toBe(true);
      }
    }
  });

  test.each([
    ['list.txt', 'list'],
    ['save.txt', 'save'],
    ['list-o-save.txt', 'save'],
    ['list-terse.txt', 'list'],
  ] as const)('%s is read as the %s form', (name, format) => {
    expect(parseIpsetList(read(name), name).format).toBe(format);
  });

  const list = parseIpsetList(read('list.txt'), 'list.txt', { strict: true }).sets;
  const byName = new Map(list.map((s) => [s.name, s]));

  test.each([
    // name, type, family, members, one member's elements
    ['KUBE-CLUSTER-IP', 'hash:ip,port', 'inet', 4, ['10.96.0.1', 'tcp:443']],
    ['KUBE-LOOP-BACK', 'hash:ip,port,ip', 'inet', 1, ['10.244.1.5', 'tcp:8080', '10.244.1.5']],
    ['KUBE-LOAD-BALANCER-SOURCE-CIDR', 'hash:ip,port,net', 'inet', 2, ['203.0.113.10', 'tcp:80', '192.168.0.0/16']],
    ['KUBE-NODE-PORT-TCP', 'bitmap:port', undefined, 4, ['31001']],
    ['KUBE-IPVS-IPS', 'hash:ip', 'inet', 2, ['10.96.0.10']],
    ['cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge', 'hash:net', 'inet', 3, ['10.88.0.27']],
    ['cali60s:a_sG3wUbuH4Nz-nbt4Bl5Dz', 'hash:net', 'inet6', 2, ['fd00:10:244:1::/64']],
    ['cali40n:Xq3_abc', 'hash:ip,port', 'inet', 1, ['10.88.0.27', 'tcp:5432']],
    ['KUBE-NODE-PORT-SCTP-HASH', 'hash:net,port', 'inet', 1, ['10.0.0.0/8', 'sctp:30099']],
    ['cali40all-ipam-pools', 'list:set', undefined, 2, ['cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge']],
    ['KUBE-EMPTY', 'hash:ip', 'inet6', 0, undefined],
    ['KUBE-ICMP', 'hash:ip,port', 'inet', 2, ['10.0.0.9', 'icmp:echo-request']],
    ['KUBE-6-CLUSTER-IP', 'hash:ip,port', 'inet6', 2, ['fd00:96::1', 'tcp:443']],
    ['KUBE-ICMP6', 'hash:ip,port', 'inet6', 1, ['fd00::9', 'ipv6-icmp:echo-request']],
    ['KUBE-LB-SRC-IP', 'hash:ip,port,ip', 'inet6', 1, ['fd00::1', 'tcp:80', 'fd00::2']],
  ] as const)('%s: %s, family %s, %i members', (name, type, family, count, elements) => {
    const set = byName.get(name)!;
    expect(set.type).toBe(type);
    expect(set.family).toBe(family);
    expect(set.members.length).toBe(count);
    expect(set.entryCount).toBe(count);
    expect(set.membersOmitted).toBeUndefined();
    if (elements) expect(set.members.map((m) => m.elements)).toContainEqual([...elements]);
  });

  test.each([
    ['KUBE-CLUSTER-IP', { comment: true, counters: false, hashsize: 1024, maxelem: 65536, bucketsize: 12 }],
    ['KUBE-NODE-PORT-TCP', { range: '0-65535', comment: true }],
    ['KUBE-IPVS-IPS', { timeout: 300, counters: true, comment: false }],
    ['KUBE-HEALTH-CHECK-NODE-PORT', { range: '30000-32767', timeout: 0 }],
    ['cali40all-ipam-pools', { size: 8 }],
    ['cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge', { maxelem: 1048576 }],
    ['KUBE-MARKED', { skbinfo: true }],
  ] as const)('header of %s', (name, expected) => {
    expect(byName.get(name)!.header).toMatchObject(expected);
  });

  test('initval, revision, size in memory and references come from the list block', () => {
    const set = byName.get('KUBE-IPVS-IPS')!;
    expect(set.header?.initval).toMatch(/^0x[0-9a-f]+$/);
    expect(set.revision).toBe(6);
    expect(set.sizeInMemory).toBeGreaterThan(0);
    // cali40all-ipam-pools (a list:set) holds KUBE-IPVS-IPS: that is its one reference.
    expect(set.references).toBe(1);
  });

  test.each([
    ['KUBE-CLUSTER-IP', '10.96.0.10,udp:53', { comment: 'kube-system/kube-dns:dns', nomatch: false }],
    ['KUBE-LOAD-BALANCER-SOURCE-CIDR', '203.0.113.10,tcp:80,10.1.2.0/24', { nomatch: true }],
    ['cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge', '10.88.1.128/25', { nomatch: true }],
    ['cali4t0', '192.0.2.0/24', { comment: 'pool a, with spaces', packets: 0, bytes: 0, nomatch: false }],
    ['cali4t0', '198.51.100.7', { nomatch: true, packets: 0, bytes: 0 }],
    ['KUBE-IPVS-IPS', '10.96.0.1', { packets: 10, bytes: 840 }],
    ['KUBE-MARKED', '10.0.0.1', { skbmark: '0x4000/0xffff', skbprio: '1:10', skbqueue: '2' }],
    ['KUBE-HEALTH-CHECK-NODE-PORT', '32000', { timeout: 0 }],
    ['KUBE-NODE-PORT-TCP', '30080', { comment: 'default/webapp:http' }],
  ] as const)('%s member %s has its options', (name, element, expected) => {
    const member = byName.get(name)!.members.find((m) => m.elements.join(',') === element)!;
    expect(member).toMatchObject(expected);
    expect(member.otherOptions).toBeUndefined();
  });

  test('members with a timeout keep the seconds left as listed', () => {
    const member = byName.get('cali4t0')!.members.find((m) => m.elements[0] === '192.0.2.0/24')!;
    expect(member.timeout).toBe(Number(/timeout (\d+)/.exec(member.raw)![1]));
    expect(member.timeout).toBeGreaterThan(0);
    expect(member.timeout).toBeLessThanOrEqual(500);
  });

  /** What both forms print: names, types, families, members and their options (not timeouts, which tick). */
  const project = (sets: IpSet[]): unknown =>
    sets.map((s) => ({
      name: s.name,
      type: s.type,
      family: s.family,
      header: s.header && { ...s.header, raw: undefined },
      members: s.members.map((m) => ({ ...m, timeout: m.timeout !== undefined, raw: undefined, source: undefined })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    }));

  test('`ipset list` and `ipset save` of the same sets give the same sets', () => {
    const save = parseIpsetList(read('save.txt'), 'save.txt').sets;
    expect(project(save)).toEqual(project(list));
  });

  test('`ipset list -t` (terse) marks every set as having unknown, not empty, members', () => {
    const terse = parseIpsetList(read('list-terse.txt'), 'list-terse.txt').sets;
    expect(terse.every((s) => s.membersOmitted === true && s.members.length === 0)).toBe(true);
    expect(terse.find((s) => s.name === 'KUBE-CLUSTER-IP')!.entryCount).toBe(4);
  });
});

describe('parseIpsetList on the samples', () => {
  const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));
  const files = (readdirSync(SAMPLES, { recursive: true }) as string[]).filter((f) => f.endsWith('ipset-list.txt'));
  test('the samples hold ipset lists', () => expect(files.length).toBeGreaterThanOrEqual(2));
  test.each(files)('%s parses in strict mode with its member counts', (name) => {
    const text = readFileSync(SAMPLES + name, 'utf8');
    const { sets, format } = parseIpsetList(text, name, { strict: true });
    expect(format).toBe('list');
    expect(sets.length).toBe(text.split('\n').filter((l) => l.startsWith('Name: ')).length);
    for (const s of sets) expect(s.members.length).toBe(s.entryCount);
  });
});

describe('parseIpsetList on odd and broken input', () => {
  test('ipset 6.x listing (no Revision 7 fields, no Number of entries) and a comment line', () => {
    const text = [
      '# ipset list on node-1',
      'Name: cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge',
      'Type: hash:net',
      'Revision: 6',
      'Header: family inet hashsize 1024 maxelem 1048576',
      'Size in memory: 408',
      'References: 3',
      'Members:',
      '10.88.0.27',
    ].join('\n');
    const { sets, diagnostics } = parseIpsetList(text, 'old.txt', { strict: true });
    expect(diagnostics).toEqual([]);
    expect(sets[0]).toMatchObject({ name: 'cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge', family: 'inet', revision: 6, references: 3 });
    expect(sets[0]!.entryCount).toBeUndefined();
    expect(sets[0]!.members.map((m) => m.raw)).toEqual(['10.88.0.27']);
  });

  test('a bundle holding both forms is read whole and reported as mixed', () => {
    const text = 'Name: A\nType: hash:ip\nHeader: family inet\nMembers:\n10.0.0.1\n\ncreate B hash:net family inet6\nadd B fd00::/64\n';
    const r = parseIpsetList(text, 'bundle.txt', { strict: true });
    expect(r.format).toBe('mixed');
    expect(r.sets.map((s) => [s.name, s.family, s.members.length])).toEqual([
      ['A', 'inet', 1],
      ['B', 'inet6', 1],
    ]);
  });

  test('an unknown header option of a newer ipset is kept, not dropped', () => {
    const r = parseIpsetList('create X hash:ip family inet hashsize 64 maxelem 8 newopt 7 shinyflag\n', 'x', { strict: true });
    expect(r.sets[0]!.header?.otherOptions).toEqual(['newopt 7', 'shinyflag']);
  });

  test.each([
    ['truncated member list', 'Name: S\nType: hash:ip\nHeader: family inet\nNumber of entries: 3\nMembers:\n10.0.0.1\n', 6, /lists 1 member but `Number of entries: 3`/],
    ['too few elements for the type', 'Name: S\nType: hash:ip,port\nMembers:\n10.0.0.1\n', 4, /expects 2 comma-separated elements \(ip,port\), member has 1/],
    ['not an address', 'create S hash:net family inet\nadd S 10.0.0.300/24\n', 2, /element 1 should be an address or CIDR/],
    ['add before create', 'add S 10.0.0.1\n', 1, /`add` to set S before any `create S` line/],
    ['create without a type', 'create S\n', 1, /expected `create SETNAME TYPE/],
    ['unterminated comment', 'create S hash:ip comment\nadd S 10.0.0.1 comment "half a comm\n', 2, /unterminated quoted comment/],
    ['bad family', 'Name: S\nType: hash:ip\nHeader: family inet5 hashsize 1024\n', 3, /expected `family inet` or `family inet6`/],
    ['bad timeout', 'create S hash:ip timeout 60\nadd S 10.0.0.1 timeout soon\n', 2, /expected a number after `timeout`/],
    ['field outside a block', 'Type: hash:ip\n', 1, /`Type:` outside a set block/],
    ['no Type line', 'Name: S\nMembers:\n', 1, /has no `Type:` line/],
    ['not ipset output', 'hello world\n', 1, /expected `Name: SETNAME` \(ipset list\) or `create`\/`add` \(ipset save\)/],
    ['ipset error text', 'ipset v7.17: The set with the given name does not exist\n', 1, /ipset reported an error/],
  ] as const)('%s → diagnostic at its line; strict throws', (_case, text, line, message) => {
    const r = parseIpsetList(text, 'sets.txt');
    expect(r.diagnostics.length).toBeGreaterThan(0);
    const d = r.diagnostics.find((x) => message.test(x.message));
    expect(d, JSON.stringify(r.diagnostics)).toBeDefined();
    expect(d!.source).toEqual({ file: 'sets.txt', line });
    let thrown: unknown;
    try {
      parseIpsetList(text, 'sets.txt', { strict: true });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(InputError);
    expect((thrown as InputError).message.startsWith('sets.txt:')).toBe(true);
  });

  test('a member that does not fit its type is kept (so the engine says "not understood") and reported', () => {
    const r = parseIpsetList('Name: S\nType: hash:ip,port\nMembers:\n10.0.0.1\n', 's');
    expect(r.sets[0]!.members.map((m) => m.raw)).toEqual(['10.0.0.1']);
  });
});

describe('listIpsetTypeDimensions', () => {
  test.each([
    ['hash:ip', ['ip']],
    ['hash:ip,port,net', ['ip', 'port', 'net']],
    ['bitmap:port', ['port']],
    ['list:set', ['set']],
    ['weird', []],
  ] as const)('%s → %j', (type, dims) => {
    expect(listIpsetTypeDimensions(type)).toEqual(dims);
  });
});
