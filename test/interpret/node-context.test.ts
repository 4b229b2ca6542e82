import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { NodeSnapshot } from '../../src/model/snapshot.js';
import type { ConntrackEntry } from '../../src/model/conntrack.js';
import { listFlowEntries, viewSnapshot } from '../../src/interpret/node-context.js';
import { traceQuery } from '../../src/interpret/trace-query.js';
import { parseIpAddr } from '../../src/parse/ip-addr.js';
import { parseIpRoute } from '../../src/parse/ip-route.js';
import { parseConntrack } from '../../src/parse/conntrack.js';

/** A kind worker like the clusterip-nginx sample's: eth0 172.18.0.2, pods on veths, nginx on another node. */
const IP_ADDR = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
       valid_lft forever preferred_lft forever
2: vethc1a2b3c4@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default
    link/ether 7a:1b:2c:3d:4e:5f brd ff:ff:ff:ff:ff:ff link-netns cni-1111
    inet 10.244.1.1/32 scope global vethc1a2b3c4
       valid_lft forever preferred_lft forever
9: eth0@if10: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default
    link/ether 02:42:ac:12:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0
    inet 172.18.0.2/16 brd 172.18.255.255 scope global eth0
       valid_lft forever preferred_lft forever
`;
const IP_ROUTE = `default via 172.18.0.1 dev eth0
10.244.1.3 dev vethc1a2b3c4 scope host
10.244.2.0/24 via 172.18.0.4 dev eth0
172.18.0.0/16 dev eth0 proto kernel scope link src 172.18.0.2
local 10.244.1.1 dev vethc1a2b3c4 table local proto kernel scope host src 10.244.1.1
local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1
local 172.18.0.2 dev eth0 table local proto kernel scope host src 172.18.0.2
`;
const CONNTRACK = `tcp      6 86387 ESTABLISHED src=10.244.1.3 dst=10.96.34.82 sport=51000 dport=80 src=10.244.2.2 dst=10.244.1.3 sport=80 dport=51000 [ASSURED] mark=0 use=1
udp      17 25 src=10.244.1.3 dst=10.96.34.82 sport=40000 dport=80 src=10.244.2.9 dst=10.244.1.3 sport=80 dport=40000 mark=0 use=1
tcp      6 100 TIME_WAIT src=10.244.1.3 dst=10.96.0.1 sport=52000 dport=443 src=172.18.0.3 dst=10.244.1.3 sport=6443 dport=52000 [ASSURED] mark=0 use=1
`;

function snapshot(): NodeSnapshot {
  return {
    origin: 'test',
    iptables: [],
    ipsets: [],
    conntrack: parseConntrack(CONNTRACK, 'conntrack.txt').entries,
    interfaces: parseIpAddr(IP_ADDR, 'ip-addr.txt').interfaces,
    routes: parseIpRoute(IP_ROUTE, 'ip-route.txt').routes,
    sysctls: { 'net.ipv4.ip_forward': '1' },
    pods: [
      { namespace: 'default', name: 'client-6b7c9', ips: ['10.244.1.3'], hostInterface: 'vethc1a2b3c4', foundBy: 'nsenter' },
    ],
    missing: [{ id: 'ipset-list', why: 'ipset: not found' }],
    diagnostics: [],
  };
}

const RULES = { text: readFileSync(new URL('../../samples/clusterip-nginx.rules', import.meta.url), 'utf8'), file: 'samples/clusterip-nginx.rules' };

describe('viewSnapshot', () => {
  test('local addresses come from interfaces and local routes, and are complete', () => {
    const v = viewSnapshot(snapshot(), 4);
    expect(v.node.localAddressesComplete).toBe(true);
    const texts = v.node.localAddresses.map((c) => c.text);
    expect(texts).toEqual(expect.arrayContaining(['127.0.0.0/8', '172.18.0.2', '10.244.1.1']));
  });

  test.each([
    ['10.244.2.2', 'eth0'],
    ['10.244.1.3', 'vethc1a2b3c4'],
    ['172.18.0.2', 'lo'],
    ['8.8.8.8', 'eth0'],
  ])('route out to %s: %s', (dst, dev) => {
    expect(viewSnapshot(snapshot(), 4).node.routeOutInterface!(dst)).toBe(dev);
  });

  test('a pod source arrives on its host interface', () => {
    expect(viewSnapshot(snapshot(), 4).arrivalInterface('10.244.1.3')).toBe('vethc1a2b3c4');
  });

  test('flow entries: same protocol and original destination:port', () => {
    const flows: ConntrackEntry[] = listFlowEntries(snapshot().conntrack, 'tcp', '10.96.34.82', 80);
    expect(flows).toHaveLength(1);
    expect(flows[0]!.reply.src).toBe('10.244.2.2');
  });
});

describe('traceQuery with a snapshot', () => {
  test('source defaults to a real pod of the node, arrives on its veth, endpoint routed out eth0', () => {
    const r = traceQuery({ ...RULES, snapshot: snapshot() }, { destination: '10.96.34.82', port: 80 });
    expect(r.query.source).toBe('10.244.1.3');
    expect(r.query.inInterface).toBe('vethc1a2b3c4');
    expect(r.assumptions.some((a) => /pod default\/client-6b7c9/.test(a))).toBe(true);
    // The node's addresses are known: no assumption about them.
    expect(r.assumptions.some((a) => /own addresses are not known/.test(a))).toBe(false);
    expect(r.outcomes).toHaveLength(1);
    expect(r.outcomes[0]!.destination).toBe('10.244.2.2:80');
    expect(r.outcomes[0]!.masquerade).toBe(false);
  });

  test('existing conntrack entries are reported; one pinned to a gone endpoint is a warning', () => {
    const r = traceQuery({ ...RULES, snapshot: snapshot() }, { destination: '10.96.34.82', port: 80, protocol: 'tcp' });
    const info = r.findings.find((f) => f.code === 'conntrack-entries');
    expect(info?.message).toMatch(/1 existing conntrack entry .*10\.244\.2\.2:80 \[ASSURED\]/);
    expect(r.findings.some((f) => f.code === 'conntrack-stale-endpoint')).toBe(false);
    const udp = traceQuery({ ...RULES, snapshot: snapshot() }, { destination: '10.96.34.82', port: 80, protocol: 'udp' });
    const stale = udp.findings.filter((f) => f.code === 'conntrack-stale-endpoint');
    expect(stale).toHaveLength(1);
    expect(stale[0]!.message).toMatch(/10\.244\.2\.9:80.*UDP flow/);
  });

  test('ip_forward=0 with a forwarded branch is an error finding; missing sources are said', () => {
    const s = snapshot();
    s.sysctls['net.ipv4.ip_forward'] = '0';
    const r = traceQuery({ ...RULES, snapshot: s }, { destination: '10.96.34.82', port: 80 });
    expect(r.findings.find((f) => f.code === 'ip-forward-disabled')?.severity).toBe('error');
    expect(r.findings.some((f) => f.code === 'source-missing' && /ipset-list/.test(f.message))).toBe(true);
  });

  test('an endpoint that is a pod of this node is named with its interface', () => {
    const s = snapshot();
    s.pods.push({ namespace: 'default', name: 'nginx-7d9f8', ips: ['10.244.2.2'], hostInterface: 'veth99', foundBy: 'crictl' });
    const r = traceQuery({ ...RULES, snapshot: s }, { destination: '10.96.34.82', port: 80, src: '10.244.1.3' });
    expect(r.outcomes[0]!.endpoint).toBe('default/nginx-7d9f8 (10.244.2.2, veth99)');
  });
});

describe('viewSnapshot: IPv6 pods', () => {
  test('a pod listed as fd00:0::5 is the pod of packets to fd00::5', () => {
    const s = snapshot();
    s.pods.push({ namespace: 'default', name: 'web6', ips: ['fd00:0:0::5'], hostInterface: 'veth6', foundBy: 'given' });
    const v = viewSnapshot(s, 6);
    expect(v.getPodByIp('fd00::5')?.name).toBe('web6');
    expect(v.arrivalInterface('FD00::5')).toBe('veth6');
  });
});
