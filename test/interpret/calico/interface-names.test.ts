import { describe, expect, test } from 'vitest';
import type { Pod } from '../../../src/model/pod.js';
import { calicoInterfaceName, matchPodByInterface } from '../../../src/interpret/calico/interface-names.js';

/** Pod → interface pairs from `calicoctl get workloadEndpoint` in the seed article (000, lines 669-673). */
const SEED: [string, string, string][] = [
  ['default', 'db-8d66ff5f7-bp6kf', 'cali95aa86cbb2a'],
  ['default', 'backend-867fd6dff-mjf92', 'cali2b1490aa46a'],
  ['default', 'frontend-8b474f47-zdqdv', 'cali505cfbeac50'],
  ['team-b', 'nettest2', 'calicd14548c312'],
];

const pod = (namespace: string, name: string, extra: Partial<Pod> = {}): Pod => ({ namespace, name, ips: [], foundBy: 'given', ...extra });

describe('calicoInterfaceName', () => {
  test.each(SEED)('%s/%s → %s', (ns, name, iface) => {
    expect(calicoInterfaceName(ns, name)).toBe(iface);
  });
  test('the prefix is configurable (FELIX_INTERFACEPREFIX)', () => {
    expect(calicoInterfaceName('default', 'db-8d66ff5f7-bp6kf', 'eni')).toBe('eni95aa86cbb2a');
  });
});

describe('matchPodByInterface', () => {
  const pods = SEED.map(([ns, name]) => pod(ns, name));
  test.each(SEED)('%s/%s is found behind %s', (ns, name, iface) => {
    expect(matchPodByInterface(iface, pods)).toMatchObject({ namespace: ns, name });
  });
  test('a known hostInterface wins over recomputation', () => {
    const veth = pod('kube-system', 'coredns-1', { hostInterface: 'veth1234abcd' });
    expect(matchPodByInterface('veth1234abcd', [...pods, veth])).toBe(veth);
  });
  test.each(['cali0000000000a', 'eth0', 'cali+'])('%s matches no pod', (iface) => {
    expect(matchPodByInterface(iface, pods)).toBeUndefined();
  });
});
