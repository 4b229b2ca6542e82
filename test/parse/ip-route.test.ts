import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { lookupRoute, parseIpRoute } from '../../src/parse/ip-route.js';
import { InputError } from '../../src/model/source.js';
import type { Route } from '../../src/model/network.js';

const DIR = fileURLToPath(new URL('../fixtures/parse/ip/', import.meta.url));
const read = (name: string): string => readFileSync(DIR + name, 'utf8');

/** Captured with iproute2 6.1.0 in a scratch node namespace (test/fixtures/parse/ip/capture.sh). */
const FIXTURES = [
  ['route-all.txt', 'text', 61],
  ['route-all.json', 'json', 61],
  ['route6-all.txt', 'text', 30],
  ['route6-all.json', 'json', 30],
  ['route-main.txt', 'text', 12],
] as const;

const project = (routes: Route[]): unknown => routes.map(({ raw: _raw, source: _source, ...r }) => r);

describe('parseIpRoute on real iproute2 output', () => {
  test.each(FIXTURES)('%s: %s form, %i routes, strict', (name, format, count) => {
    const r = parseIpRoute(read(name), name, { strict: true });
    expect(r.diagnostics).toEqual([]);
    expect(r.format).toBe(format);
    expect(r.routes.length).toBe(count);
  });

  test.each([
    ['route-all.txt', 'route-all.json'],
    ['route6-all.txt', 'route6-all.json'],
  ])('%s and %s give the same routes', (textName, jsonName) => {
    expect(project(parseIpRoute(read(jsonName), jsonName).routes)).toEqual(project(parseIpRoute(read(textName), textName).routes));
  });

  test('every text route points at its line; multipath routes keep their nexthop lines', () => {
    const text = read('route-all.txt');
    const lines = text.split('\n');
    for (const r of parseIpRoute(text, 'route-all.txt').routes) {
      const rawLines = r.raw.split('\n').map((l) => l.trim());
      expect(lines.slice(r.source!.line - 1, r.source!.line - 1 + rawLines.length).map((l) => l.trim())).toEqual(rawLines);
    }
  });

  const routes = parseIpRoute(read('route-all.txt'), 'route-all.txt').routes;
  const find = (raw: string): Route => {
    const r = routes.find((x) => x.raw.trim() === raw || x.raw.startsWith(raw));
    if (!r) throw new Error(`no route ${raw}`);
    return r;
  };

  test.each([
    ['default via 192.168.56.1 dev eth0 proto dhcp src 192.168.56.11 metric 100', { family: 4, table: 'main', type: 'unicast', destination: 'default', gateway: '192.168.56.1', device: 'eth0', protocol: 'dhcp', preferredSource: '192.168.56.11', metric: 100, flags: [] }],
    ['10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink', { gateway: '10.244.2.0', device: 'flannel.1', flags: ['onlink'] }],
    ['blackhole 10.88.1.0/26 proto bird', { type: 'blackhole', destination: '10.88.1.0/26', protocol: 'bird', table: 'main' }],
    ['10.88.1.5 dev cali95aa86cbb2a scope link', { destination: '10.88.1.5', device: 'cali95aa86cbb2a', scope: 'link' }],
    ['unreachable 198.51.100.0/24', { type: 'unreachable' }],
    ['prohibit 198.51.101.0/24', { type: 'prohibit' }],
    ['throw 10.98.0.0/16 table 100', { type: 'throw', table: '100' }],
    ['local 10.96.0.1 dev kube-ipvs0 table local proto kernel scope host src 10.96.0.1', { type: 'local', table: 'local', device: 'kube-ipvs0', scope: 'host' }],
    ['broadcast 10.244.1.255 dev cni0 table local proto kernel scope link src 10.244.1.1', { type: 'broadcast', table: 'local' }],
    ['203.0.113.0/24 proto static', { protocol: 'static', nexthops: [{ gateway: '192.168.56.2', device: 'eth0', weight: 1, flags: [] }, { gateway: '192.168.56.3', device: 'eth0', weight: 2, flags: [] }] }],
    ['fe80::/64 dev eth0 proto kernel metric 256 pref medium', { family: 6, metric: 256, preference: 'medium' }],
    ['default via 2001:db8:56::1 dev eth0 metric 1024 pref medium', { family: 6, destination: 'default' }],
    ['multicast ff00::/8 dev eth0 table local proto kernel metric 256 pref medium', { type: 'multicast', table: 'local', family: 6 }],
    ['blackhole fd00:10:244:3::/64 dev lo metric 1024 pref medium', { type: 'blackhole', family: 6, device: 'lo' }],
  ] as const)('%s', (raw, expected) => {
    const r = find(raw);
    expect(r).toMatchObject(expected);
    expect(r.otherOptions).toBeUndefined();
  });

  test('a multipath route has no single gateway or device', () => {
    const r = find('203.0.113.0/24 proto static');
    expect(r.gateway ?? r.device).toBeUndefined();
  });
});

/** The kernel's answers to `ip route get DST` in the same namespace, recorded by capture.sh. */
const KERNEL_ANSWERS = read('route-get.txt')
  .trim()
  .split('\n')
  .map((line) => {
    const [dst, answer] = line.split('\t') as [string, string];
    return [dst, answer] as const;
  });

/** Route type the kernel's `ip route get` error means (fib_props[] in net/ipv4/fib_semantics.c, ip6_route.c). */
const ERROR_TYPES: Record<string, string> = {
  'RTNETLINK answers: Invalid argument': 'blackhole',
  'RTNETLINK answers: No route to host': 'unreachable',
  'RTNETLINK answers: Permission denied': 'prohibit',
};

describe('lookupRoute agrees with the kernel', () => {
  const all = [...parseIpRoute(read('route-all.txt'), 'route-all.txt').routes];

  test.each(KERNEL_ANSWERS)('%s → %s', (dst, answer) => {
    const route = lookupRoute(all, dst);
    if (answer.startsWith('RTNETLINK')) {
      expect(route?.type).toBe(ERROR_TYPES[answer.trim()]);
      return;
    }
    expect(route).toBeDefined();
    const words = answer.trim().split(/\s+/);
    const type = ['local', 'broadcast', 'multicast', 'anycast'].includes(words[0]!) ? words[0]! : 'unicast';
    const attr = (k: string): string | undefined => {
      const i = words.indexOf(k);
      return i >= 0 ? words[i + 1] : undefined;
    };
    expect(route!.type).toBe(type);
    if (type === 'local') {
      expect(route!.table).toBe('local');
      return; // the kernel answers `dev lo` for every local address.
    }
    const gateways = route!.nexthops ? route!.nexthops.map((h) => h.gateway) : [route!.gateway];
    const devices = route!.nexthops ? route!.nexthops.map((h) => h.device) : [route!.device];
    expect(gateways).toContain(attr('via'));
    expect(devices).toContain(attr('dev'));
  });
});

describe('lookupRoute', () => {
  const parse = (text: string): Route[] => parseIpRoute(text, 'r', { strict: true }).routes;

  test.each([
    ['longest prefix wins', '10.0.0.0/8 dev a\n10.1.0.0/16 dev b\n10.1.2.0/24 dev c\n', '10.1.2.3', 'c'],
    ['lowest metric among equal prefixes', '10.0.0.0/8 dev a metric 50\n10.0.0.0/8 dev b metric 5\n10.0.0.0/8 dev c metric 20\n', '10.9.9.9', 'b'],
    ['a route without metric is metric 0', '10.0.0.0/8 dev a metric 1\n10.0.0.0/8 dev b\n', '10.9.9.9', 'b'],
    ['local table before main', '10.0.0.5 dev main0\nlocal 10.0.0.5 dev local0 table local\n', '10.0.0.5', 'local0'],
    ['other tables are not consulted by default', '10.0.0.0/8 dev t100 table 100\ndefault dev main0\n', '10.1.1.1', 'main0'],
    ['throw in main falls through to the default table', 'throw 10.0.0.0/8\ndefault dev def0 table default\n', '10.1.1.1', 'def0'],
    ['dead routes are skipped', '10.0.0.0/8 dev a dead\n0.0.0.0/0 dev b\n', '10.1.1.1', 'b'],
    ['families never mix', 'default dev v4 via 10.0.0.1\ndefault via fd00::1 dev v6\n', 'fd00::5', 'v6'],
    ['a host route is a /32', '10.0.0.7 dev host\n10.0.0.0/24 dev net\n', '10.0.0.7', 'host'],
  ] as const)('%s', (_case, text, dst, device) => {
    expect(lookupRoute(parse(text), dst)?.device).toBe(device);
  });

  test.each([
    ['no route at all', '10.0.0.0/8 dev a\n', '192.0.2.1'],
    ['not an address', '10.0.0.0/8 dev a\n', 'example.com'],
    ['throw with nothing behind it', 'throw 10.0.0.0/8\n', '10.1.1.1'],
  ] as const)('%s → undefined', (_case, text, dst) => {
    expect(lookupRoute(parse(text), dst)).toBeUndefined();
  });

  test('policy tables can be given in rule order', () => {
    const routes = parse('10.0.0.0/8 dev t100 table 100\ndefault dev main0\n');
    expect(lookupRoute(routes, '10.1.1.1', { tables: ['local', '100', 'main'] })?.device).toBe('t100');
  });
});

describe('parseIpRoute on other layouts and broken input', () => {
  test('`ip route show table local` with defaultTable, IPv4 via IPv6 gateway, mtu lock, expires, error', () => {
    const r = parseIpRoute(
      [
        'local 10.0.0.1 dev eth0 proto kernel scope host src 10.0.0.1',
        '10.2.0.0/16 via inet6 fe80::1 dev eth0',
        '10.3.0.0/16 via 10.0.0.2 dev eth0 mtu lock 1400',
        'unreachable 2001:db8::/64 dev lo metric 1024 error -113 pref medium',
        '2001:db8:1::/64 via fe80::1 dev eth0 proto ra metric 1024 expires 1799sec pref medium',
      ].join('\n'),
      'local.txt',
      { strict: true, defaultTable: 'local' },
    );
    expect(r.routes[0]).toMatchObject({ table: 'local', type: 'local' });
    expect(r.routes[1]).toMatchObject({ family: 4, gateway: 'fe80::1' });
    expect(r.routes[2]!.otherOptions).toEqual(['mtu 1400']);
    expect(r.routes[3]).toMatchObject({ type: 'unreachable', family: 6, otherOptions: ['error -113'] });
    expect(r.routes[4]).toMatchObject({ protocol: 'ra', otherOptions: ['expires 1799sec'] });
  });

  test('multipath hops on the route line itself (ip -o route)', () => {
    const r = parseIpRoute('default proto static metric 10 nexthop via 10.0.0.1 dev a weight 1 nexthop via 10.0.0.2 dev b weight 3 onlink', 'o', { strict: true });
    expect(r.routes[0]!.nexthops).toEqual([
      { gateway: '10.0.0.1', device: 'a', weight: 1, flags: [] },
      { gateway: '10.0.0.2', device: 'b', weight: 3, flags: ['onlink'] },
    ]);
    expect(r.routes[0]!.family).toBe(4);
  });

  test('`default` takes the family of the block it is in', () => {
    const r = parseIpRoute('fd00::/64 dev a\ndefault dev wg0\n', 'x', { strict: true });
    expect(r.routes[1]!.family).toBe(6);
  });

  test.each([
    ['bad prefix', '10.0.0.0/33 dev eth0', 1, /expected a route/],
    ['value cut off', 'default via', 1, /`via` has no value/],
    ['orphan nexthop', '\tnexthop via 10.0.0.1 dev eth0 weight 1', 1, /`nexthop` line without the route/],
    ['not ip route', 'Kernel IP routing table', 1, /expected a route/],
    ['metric not a number', '10.0.0.0/8 dev a metric high', 1, /expected a number after `metric`/],
    ['JSON cut off', '[{"dst":"default","gateway":"10.0.0.1","flags":[]},{"dst":"10.', 1, /truncated JSON: route element 2 is cut off/],
    ['JSON of another command', '[{"ifindex":1,"ifname":"lo"}]', 1, /without `dst`/],
  ] as const)('%s → diagnostic at its line; strict throws', (_case, input, line, message) => {
    const r = parseIpRoute(`${input}\n`, 'node/ip-route.txt');
    const d = r.diagnostics.find((x) => message.test(x.message));
    expect(d, JSON.stringify(r.diagnostics)).toBeDefined();
    expect(d!.source).toEqual({ file: 'node/ip-route.txt', line });
    expect(() => parseIpRoute(`${input}\n`, 'node/ip-route.txt', { strict: true })).toThrow(InputError);
  });

  test('a garbled line among good ones costs only that line', () => {
    const lines = read('route-main.txt').split('\n');
    lines.splice(2, 0, 'via via via');
    const r = parseIpRoute(lines.join('\n'), 'main.txt');
    expect(r.routes.length).toBe(12);
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: 'error', source: { file: 'main.txt', line: 3 } })]);
  });
});
