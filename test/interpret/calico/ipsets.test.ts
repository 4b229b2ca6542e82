import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { Pod } from '../../../src/model/pod.js';
import { parseIpsetList } from '../../../src/parse/ipset.js';
import { classifyCalicoIpset, formatIpsetMembers, resolveIpsetMembers } from '../../../src/interpret/calico/ipsets.js';

describe('classifyCalicoIpset', () => {
  test.each([
    ['cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge', 'selector', 4, 'iptables'],
    ['cali60s:LrVD8vMIGQDyv8Y7sPFB1Ge', 'selector', 6, 'iptables'],
    ['cali40n:abcdefghijklmnopqrstuvw', 'named-port', 4, 'iptables'],
    ['cali40all-ipam-pools', 'all-ipam-pools', 4, 'iptables'],
    ['cali40masq-ipam-pools', 'masq-ipam-pools', 4, 'iptables'],
    ['cali40this-host', 'this-host', 4, 'iptables'],
    ['cali40all-hosts-net', 'all-hosts-net', 4, 'iptables'],
    ['cali40all-vxlan-net', 'all-vxlan-net', 4, 'iptables'],
    ['cali60all-tunnel-net', 'all-tunnel-net', 6, 'iptables'],
    ['cali40svcnoport:abc', 'service-no-port', 4, 'iptables'],
    ['cali40svc:abc', 'service', 4, 'iptables'],
    ['cali4-all-ipam-pools', 'all-ipam-pools', 4, 'felix-2'],
    ['cali4-s:abc', 'selector', 4, 'felix-2'],
    ['cali40s-XFg75ereaEHRzrl0rQfDg-Y', 'selector', 4, 'nftables'],
    ['cali4t1', 'temporary', 4, 'iptables'],
  ])('%s → %s (IPv%i, %s)', (name, kind, family, style) => {
    expect(classifyCalicoIpset(name)).toMatchObject({ kind, family, style });
  });
  test.each(['KUBE-CLUSTER-IP', 'calico', 'cali'])('%s is not a Calico set', (name) => {
    expect(classifyCalicoIpset(name)).toBeUndefined();
  });
});

describe('members resolved to pods', () => {
  const sets = parseIpsetList(readFileSync('samples/calico-frontend-backend-db/ipset-list.txt', 'utf8'), 'x.ipsets').sets;
  const backend: Pod = { namespace: 'default', name: 'backend-867fd6dff-mjf92', ips: ['10.88.0.27'], foundBy: 'given' };
  test.each([
    ['cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge', [backend], '{10.88.0.27 (default/backend-867fd6dff-mjf92)}'],
    ['cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge', [], '{10.88.0.27}'],
    // A pool CIDR is not one pod even if a pod's IP is inside it.
    ['cali40all-ipam-pools', [backend], '{10.88.0.0/16}'],
  ])('%s', (name, pods, text) => {
    const set = sets.find((s) => s.name === name)!;
    expect(formatIpsetMembers(set, pods)).toBe(text);
  });
  test('long sets are cut with a count', () => {
    const set = { name: 'cali40s:x', type: 'hash:net', members: ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((ip) => ({ elements: [ip], nomatch: false, raw: ip })) };
    expect(formatIpsetMembers(set, [], 2)).toBe('{10.0.0.1, 10.0.0.2, … 1 more}');
    expect(resolveIpsetMembers(set)).toHaveLength(3);
  });
});
