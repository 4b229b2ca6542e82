import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parseIpAddr } from '../../src/parse/ip-addr.js';
import { InputError } from '../../src/model/source.js';
import type { NetInterface } from '../../src/model/network.js';

const DIR = fileURLToPath(new URL('../fixtures/parse/ip/', import.meta.url));
const read = (name: string): string => readFileSync(DIR + name, 'utf8');

/** Captured with iproute2 6.1.0 in a scratch node namespace (test/fixtures/parse/ip/capture.sh). */
const FIXTURES = [
  // file, form, interfaces, addresses
  ['addr.txt', 'text', 12, 27],
  ['addr-d.txt', 'text', 12, 27],
  ['addr-netnsid.txt', 'text', 12, 27],
  ['addr-d-netnsid.txt', 'text', 12, 27],
  ['addr-o.txt', 'oneline', 10, 27],
  ['addr.json', 'json', 12, 27],
  ['addr-d.json', 'json', 12, 27],
  ['addr-pretty.json', 'json', 12, 27],
  ['addr-eth0-4.txt', 'text', 1, 3],
  ['link-o.txt', 'text', 12, 0],
  ['link.json', 'json', 12, 0],
  ['pod-addr.txt', 'text', 2, 2],
  ['pod-addr-netnsid.txt', 'text', 2, 2],
  ['pod-addr-o.txt', 'oneline', 1, 2],
  ['pod-addr-o-netnsid.txt', 'oneline', 1, 2],
] as const;

/** The fields every form prints (not kind/slave kind, only in -d; not the netns name, JSON gives the id). */
const project = (ifaces: NetInterface[], settled = false): unknown =>
  ifaces.map((i) => ({
    index: i.index,
    name: i.name,
    linkIndex: i.linkIndex,
    linkName: i.linkName,
    flags: i.flags,
    state: i.state,
    mtu: i.mtu,
    mac: i.mac,
    master: i.master,
    addresses: i.addresses.map(({ raw: _raw, source: _source, ...a }) => {
      // `settled`: compare captures taken a few seconds apart, when duplicate address detection may have finished.
      if (!settled || !a.flags) return a;
      const flags = a.flags.filter((f) => f !== 'tentative');
      return flags.length > 0 ? { ...a, flags } : { ...a, flags: undefined };
    }),
  }));

describe('parseIpAddr on real iproute2 output', () => {
  test.each(FIXTURES)('%s: %s form, %i interfaces, %i addresses, strict', (name, format, interfaces, addresses) => {
    const r = parseIpAddr(read(name), name, { strict: true });
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe(format);
    expect(r.interfaces.length).toBe(interfaces);
    expect(r.interfaces.reduce((n, i) => n + i.addresses.length, 0)).toBe(addresses);
  });

  test.each(['addr.txt', 'addr-d.txt', 'addr-o.txt', 'link-o.txt'])('%s: every interface and address points at its line', (name) => {
    const text = read(name);
    const lines = text.split('\n');
    for (const i of parseIpAddr(text, name).interfaces) {
      if (i.raw !== undefined) expect(lines[i.source!.line - 1]!.startsWith(i.raw)).toBe(true);
      else expect(lines[i.source!.line - 1]!.startsWith(`${i.index}: ${i.name} `)).toBe(true);
      for (const a of i.addresses) expect(lines[a.source!.line - 1]).toContain(a.raw!.trim());
    }
  });

  const text = parseIpAddr(read('addr.txt'), 'addr.txt').interfaces;

  test.each(['addr-d.txt', 'addr.json', 'addr-d.json', 'addr-pretty.json'])('%s describes the node as `ip addr` does', (name) => {
    expect(project(parseIpAddr(read(name), name).interfaces)).toEqual(project(text));
  });

  test('addr-netnsid.txt (taken a moment later, DAD done) describes the node as `ip addr` does', () => {
    expect(project(parseIpAddr(read('addr-netnsid.txt'), 'x').interfaces, true)).toEqual(project(text, true));
  });

  test('`ip -o addr` gives the same addresses per interface as `ip addr`', () => {
    const oneline = parseIpAddr(read('addr-o.txt'), 'addr-o.txt').interfaces;
    for (const o of oneline) {
      const full = text.find((i) => i.index === o.index)!;
      expect(o.name).toBe(full.name);
      expect(o.addresses.map(({ raw: _r, source: _s, ...a }) => a)).toEqual(full.addresses.map(({ raw: _r, source: _s, ...a }) => a));
    }
  });

  const byName = (ifaces: NetInterface[], name: string): NetInterface => ifaces.find((i) => i.name === name)!;

  test.each([
    ['eth0', { index: 2, linkIndex: 2, mtu: 1500, state: 'UP', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'] }],
    ['cali95aa86cbb2a', { index: 3, linkIndex: 2, state: 'UP' }],
    ['kube-ipvs0', { index: 4, state: 'DOWN', flags: ['BROADCAST', 'MULTICAST'] }],
    ['veth1a2b3c4d', { linkName: 'vethpeer0', master: 'cni0' }],
    ['flannel.1', { mtu: 1450, state: 'UNKNOWN' }],
    ['lo', { index: 1, flags: ['LOOPBACK', 'UP', 'LOWER_UP'], mtu: 65536 }],
  ] as const)('interface %s', (name, expected) => {
    expect(byName(text, name)).toMatchObject(expected);
  });

  test('lo has no MAC; a veth has the one ip printed', () => {
    const lines = read('addr.txt').split('\n');
    const linkLine = lines[lines.findIndex((l) => l.startsWith('2: eth0@')) + 1]!;
    expect(byName(text, 'lo').mac).toBeUndefined();
    expect(byName(text, 'eth0').mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    expect(linkLine).toContain(`link/ether ${byName(text, 'eth0').mac} `);
  });

  test.each([
    ['eth0', '192.168.56.11', { family: 4, prefixLength: 24, scope: 'global', broadcast: '192.168.56.255' }],
    ['eth0', '192.168.56.12', { prefixLength: 24, secondary: true, label: 'eth0:1' }],
    ['eth0', '192.168.56.200', { prefixLength: 32, label: 'eth0:vip' }],
    ['eth0', '2001:db8:56::99', { family: 6, prefixLength: 64, flags: ['nodad', 'deprecated', 'dynamic'] }],
    ['kube-ipvs0', '10.96.0.10', { prefixLength: 32, scope: 'global' }],
    ['kube-ipvs0', 'fd00:96::1', { prefixLength: 128, flags: ['nodad'] }],
    ['dummy0', '172.16.9.9', { secondary: true, label: 'dummy0:9' }],
    ['dummy0', 'fe80::1234', { scope: 'link', flags: ['nodad'] }],
    ['lo', '::1', { family: 6, prefixLength: 128, scope: 'host' }],
  ] as const)('%s address %s', (iface, address, expected) => {
    const a = byName(text, iface).addresses.find((x) => x.address === address)!;
    expect(a).toMatchObject(expected);
  });

  test('primary addresses and labels equal to the interface name are left absent', () => {
    const a = byName(text, 'eth0').addresses.find((x) => x.address === '192.168.56.11')!;
    expect('secondary' in a || 'label' in a).toBe(false);
  });

  test('a peer in a named namespace (link-netns) and an unnamed one (link-netnsid)', () => {
    expect(byName(text, 'eth0').linkNetns).toMatch(/^knetdbg-p-ip-up-\d+$/);
    const unnamed = parseIpAddr(read('addr-netnsid.txt'), 'x').interfaces;
    expect(byName(unnamed, 'eth0').linkNetnsId).toBe(0);
    expect(byName(unnamed, 'cali95aa86cbb2a').linkNetnsId).toBe(1);
    expect(byName(parseIpAddr(read('addr.json'), 'x').interfaces, 'eth0').linkNetnsId).toBe(0);
  });

  test.each([
    ['addr-d.txt', [['eth0', 'veth', undefined], ['cni0', 'bridge', undefined], ['veth1a2b3c4d', 'veth', 'bridge'], ['flannel.1', 'vxlan', undefined], ['vxlan.calico', 'vxlan', undefined], ['lo', undefined, undefined]]],
    ['addr-d.json', [['eth0', 'veth', undefined], ['cni0', 'bridge', undefined], ['veth1a2b3c4d', 'veth', 'bridge'], ['flannel.1', 'vxlan', undefined], ['vxlan.calico', 'vxlan', undefined], ['lo', undefined, undefined]]],
  ] as const)('%s: link kinds from -d', (name, kinds) => {
    const ifaces = parseIpAddr(read(name), name).interfaces;
    for (const [iface, kind, slave] of kinds) {
      expect(byName(ifaces, iface).kind).toBe(kind);
      expect(byName(ifaces, iface).slaveKind).toBe(slave);
    }
  });

  test.each(['pod-addr.txt', 'pod-addr-netnsid.txt', 'pod-addr-o.txt'])('%s: the pod eth0 names the host interface that is its veth peer', (name) => {
    const pod = byName(parseIpAddr(read(name), name).interfaces, 'eth0');
    expect(pod.addresses.find((a) => a.family === 4)).toMatchObject({ address: '10.244.1.5', prefixLength: 32 });
    if (name !== 'pod-addr-o.txt') {
      // eth0@if3 ↔ host ifindex 3 (the pod ↔ host-interface mapping).
      expect(text.find((i) => i.index === pod.linkIndex)!.name).toBe('cali95aa86cbb2a');
    }
  });
});

describe('parseIpAddr on other layouts', () => {
  test('point-to-point address, @NONE peer, altname line, older -o addr with link lines', () => {
    const sample = [
      '5: tun0: <POINTOPOINT,NOARP,UP,LOWER_UP> mtu 1420 qdisc fq_codel state UNKNOWN group default qlen 500',
      '    link/none ',
      '    inet 10.8.0.1 peer 10.8.0.2/32 scope global tun0',
      '       valid_lft forever preferred_lft forever',
      '6: vxlan0@NONE: <BROADCAST,MULTICAST> mtu 1450 qdisc noop state DOWN group default qlen 1000',
      '    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff',
      '    altname enp0s3',
      '7: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9001 qdisc mq state UP qlen 1000\\    link/ether 0a:00:00:00:00:01 brd ff:ff:ff:ff:ff:ff',
      '7: eth1    inet 172.31.5.6/20 brd 172.31.15.255 scope global dynamic eth1\\       valid_lft 3000sec preferred_lft 3000sec',
    ].join('\n');
    const r = parseIpAddr(sample, 'paste.txt', { strict: true });
    expect(r.interfaces.map((i) => i.name)).toEqual(['tun0', 'vxlan0', 'eth1']);
    expect(r.interfaces[0]!.addresses[0]).toMatchObject({ address: '10.8.0.1', peer: '10.8.0.2', prefixLength: 32 });
    expect(r.interfaces[0]!.mac).toBeUndefined();
    expect(r.interfaces[1]!.linkIndex ?? r.interfaces[1]!.linkName).toBeUndefined();
    expect(r.interfaces[1]!.kind).toBeUndefined();
    expect(r.interfaces[2]).toMatchObject({ mtu: 9001, mac: '0a:00:00:00:00:01' });
    expect(r.interfaces[2]!.addresses[0]).toMatchObject({ address: '172.31.5.6', prefixLength: 20, flags: ['dynamic'] });
  });

  test('a shell prompt in front is reported, the rest is read', () => {
    const r = parseIpAddr(`$ ip addr\n${read('pod-addr.txt')}`, 'paste.txt');
    expect(r.interfaces.length).toBe(2);
    expect(r.diagnostics).toEqual([expect.objectContaining({ source: { file: 'paste.txt', line: 1 }, severity: 'error' })]);
  });

  test.each([
    ['truncated header', '2: eth0: <BROADCAST,MULTICAST', 1, /garbled interface header/],
    ['bad IPv4 address', '2: eth0: <UP> mtu 1500 state UP\n    inet 10.0.0.300/24 scope global eth0', 2, /expected an IPv4 address/],
    ['bad prefix length', '2: eth0: <UP> mtu 1500 state UP\n    inet6 fd00::1/129 scope global', 2, /bad prefix length/],
    ['inet without address (cut line)', '2: eth0: <UP> mtu 1500\n    inet', 2, /without an address/],
    ['indented line before any header', '    inet 10.0.0.1/24 scope global eth0', 1, /expected an interface header/],
    ['mtu not a number', '2: eth0: <UP> mtu big state UP', 1, /expected a number after `mtu`/],
    ['JSON cut off mid-way', '[{"ifindex":1,"ifname":"lo","flags":[],"addr_info":[]},\n{"ifindex":2,"ifname":"eth0","addr_in', 2, /truncated JSON: interface element 2 is cut off/],
    ['JSON without the closing bracket', '[{"ifindex":1,"ifname":"lo","flags":[],"addr_info":[]}\n', 2, /array is not closed/],
    ['JSON object of another command', '[{"dst":"default","gateway":"10.0.0.1"}]', 1, /without `ifindex` and `ifname`/],
    ['JSON address that is not one', '[{"ifindex":2,"ifname":"eth0","flags":[],"addr_info":[{"family":"inet","local":"10.0.0.999","prefixlen":24}]}]', 1, /without a valid `local`/],
  ] as const)('%s → diagnostic at its line; strict throws', (_case, input, line, message) => {
    const r = parseIpAddr(input, 'node/ip-addr.txt');
    const d = r.diagnostics.find((x) => message.test(x.message));
    expect(d, JSON.stringify(r.diagnostics)).toBeDefined();
    expect(d!.source).toEqual({ file: 'node/ip-addr.txt', line });
    expect(() => parseIpAddr(input, 'node/ip-addr.txt', { strict: true })).toThrow(InputError);
  });

  test('truncated JSON still yields the interfaces before the cut', () => {
    const full = read('addr.json');
    const r = parseIpAddr(full.slice(0, Math.floor(full.length / 2)), 'cut.json');
    const complete = parseIpAddr(full, 'addr.json').interfaces;
    expect(r.interfaces.length).toBeGreaterThan(0);
    expect(r.interfaces.length).toBeLessThan(complete.length);
    expect(project(r.interfaces)).toEqual(project(complete.slice(0, r.interfaces.length)));
    expect(r.diagnostics.map((d) => d.severity)).toEqual(['error']);
  });

  test('empty capture', () => {
    const r = parseIpAddr('', 'empty.txt');
    expect(r.format).toBe('empty');
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', message: expect.stringMatching(/empty/) })]);
  });
});
