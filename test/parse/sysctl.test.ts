import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { normalizeSysctlKey, parseSysctl, parseSysctlEntries } from '../../src/parse/sysctl.js';
import { InputError, type Diagnostic } from '../../src/model/source.js';

const DIR = fileURLToPath(new URL('../fixtures/parse/sysctl/', import.meta.url));
const read = (name: string): string => readFileSync(DIR + name, 'utf8');

describe('parseSysctl on real sysctl output (test/fixtures/parse/sysctl/capture.sh)', () => {
  test.each([
    ['ip_forward.txt', 1],
    ['several.txt', 4],
    ['net-a.txt', 202],
    ['net-all.txt', 700],
  ] as const)('%s: %i keys, strict', (name, count) => {
    const { entries, diagnostics } = parseSysctlEntries(read(name), name, { strict: true });
    expect(diagnostics).toEqual([]);
    expect(entries.length).toBe(count);
    const lines = read(name).split('\n');
    for (const e of entries) expect(lines[e.source.line - 1]).toBe(e.raw);
  });

  test.each([
    ['several.txt', 'net.ipv4.ip_forward', '1'],
    ['several.txt', 'net.ipv4.conf.all.rp_filter', '0'],
    ['several.txt', 'net.ipv4.tcp_rmem', '4096\t131072\t33554432'],
    ['net-all.txt', 'net.ipv4.conf.flannel/1.forwarding', '1'],
    ['net-all.txt', 'net.ipv4.ip_local_port_range', '32768\t60999'],
    ['net-a.txt', 'net.netfilter.nf_conntrack_tcp_be_liberal', '0'],
  ] as const)('%s: %s = %j', (name, key, value) => {
    expect(parseSysctl(read(name), name)[key]).toBe(value);
  });

  test.each([
    ['proc-ip_forward.txt', '/proc/sys/net/ipv4/ip_forward'],
    ['n-ip_forward.txt', 'net.ipv4.ip_forward'],
  ])('single value file %s with key %s', (name, key) => {
    expect(parseSysctl(read(name), name, { key, strict: true })).toEqual({ 'net.ipv4.ip_forward': '1' });
  });

  test('the three captures of ip_forward agree', () => {
    const a = parseSysctl(read('ip_forward.txt'), 'a')['net.ipv4.ip_forward'];
    expect(parseSysctl(read('net-all.txt'), 'b')['net.ipv4.ip_forward']).toBe(a);
    expect(parseSysctl(read('proc-ip_forward.txt'), 'c', { key: 'net/ipv4/ip_forward' })['net.ipv4.ip_forward']).toBe(a);
  });
});

describe('normalizeSysctlKey', () => {
  test.each([
    ['net.ipv4.ip_forward', 'net.ipv4.ip_forward'],
    ['/proc/sys/net/ipv4/ip_forward', 'net.ipv4.ip_forward'],
    ['net/ipv4/conf/flannel.1/rp_filter', 'net.ipv4.conf.flannel/1.rp_filter'],
    ['/proc/sys/net/ipv4/conf/vxlan.calico/forwarding', 'net.ipv4.conf.vxlan/calico.forwarding'],
    ['net.ipv4.conf.flannel/1.rp_filter', 'net.ipv4.conf.flannel/1.rp_filter'],
  ])('%s → %s', (key, normal) => {
    expect(normalizeSysctlKey(key)).toBe(normal);
  });
});

describe('parseSysctl on other layouts and broken input', () => {
  test('sysctl.conf style: no spaces, comments, the ignore-errors dash, later lines win', () => {
    const text = '# node tuning\n; old style comment\nnet.ipv4.ip_forward=0\n-net.bridge.bridge-nf-call-iptables = 1\nnet.ipv4.ip_forward = 1\n';
    expect(parseSysctl(text, 'sysctl.conf', { strict: true })).toEqual({ 'net.ipv4.ip_forward': '1', 'net.bridge.bridge-nf-call-iptables': '1' });
  });

  test('an empty value is kept as empty (the key exists)', () => {
    expect(parseSysctl('kernel.core_pattern = \n', 'x', { strict: true })).toEqual({ 'kernel.core_pattern': '' });
  });

  test.each([
    ['procps stderr: permission denied', "sysctl: permission denied on key 'net.ipv6.conf.all.stable_secret'", 'warning', /could not read a key/],
    ['procps stderr: missing key', 'sysctl: cannot stat /proc/sys/net/bridge/bridge-nf-call-iptables: No such file or directory', 'warning', /could not read a key/],
    ['no `=`', 'net.ipv4.ip_forward 1', 'error', /expected `key = value`/],
    ['garbage', '=== 1', 'error', /expected `key = value`/],
  ] as const)('%s → %s at its line; strict throws', (_case, bad, severity, message) => {
    const diagnostics: Diagnostic[] = [];
    const values = parseSysctl(`net.ipv4.ip_forward = 1\n${bad}\n`, 'node/sysctl.txt', { diagnostics });
    expect(values['net.ipv4.ip_forward']).toBe('1');
    expect(diagnostics).toEqual([expect.objectContaining({ severity, source: { file: 'node/sysctl.txt', line: 2 }, message: expect.stringMatching(message) })]);
    expect(() => parseSysctl(`net.ipv4.ip_forward = 1\n${bad}\n`, 'node/sysctl.txt', { strict: true })).toThrow(InputError);
  });

  test.each([
    ['empty value file', '', /no value/],
    ['several lines for one key', '1\n0\n', /found several lines/],
  ])('%s → warning', (_case, text, message) => {
    const diagnostics: Diagnostic[] = [];
    parseSysctl(text, 'ip_forward', { key: 'net.ipv4.ip_forward', diagnostics });
    expect(diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(message)]);
  });
});
