import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parseCniCacheFile } from '../../src/parse/cni-cache.js';
import { InputError } from '../../src/model/source.js';

/**
 * Fixtures in the dump's naming (`cni-cache-<cache file name>.json`), shaped like libcni's cachedInfo files:
 * Calico (`k8s-pod-network`, CNI 0.3.1 and 1.0.0 results) on containerd, flannel (`cbr0`, the bridge
 * plugin's result) and a pre-cniCacheV1 bare result.
 */
const CALICO = fileURLToPath(new URL('../fixtures/pods/containerd-calico/', import.meta.url));
const FLANNEL = fileURLToPath(new URL('../fixtures/pods/flannel-no-runtime/', import.meta.url));
const cacheName = (dumpFile: string): string => dumpFile.replace(/^cni-cache-/, '').replace(/\.json$/, '');
const load = (dir: string, id: string): { text: string; name: string } => {
  const file = readdirSync(dir).find((f) => f.startsWith('cni-cache-') && f.includes(id))!;
  return { text: readFileSync(dir + file, 'utf8'), name: cacheName(file) };
};

describe('parseCniCacheFile on cache files', () => {
  test.each([
    // dir, container id (prefix), network, namespace/name, ips, addresses, host interface, cniVersion, legacy
    [CALICO, '48ad32c1', 'k8s-pod-network', 'default/nginx-7d9fc5b4f-x2x9k', ['10.244.2.2'], ['10.244.2.2/32'], 'caliab98e2c95a9', '0.3.1', false],
    [CALICO, 'e7f564e6', 'k8s-pod-network', 'default/web-0', ['10.244.2.9'], ['10.244.2.9/32'], 'cali0d7763386da', '1.0.0', false],
    [FLANNEL, '2ec1888e', 'cbr0', 'default/busybox', ['10.244.1.6'], ['10.244.1.6/24'], 'veth6c0e2f1a', '0.3.1', false],
    [FLANNEL, '631856cc', 'cbr0', undefined, ['10.244.1.2'], ['10.244.1.2/24'], 'veth77a1b2c3', '0.3.1', true],
  ] as const)('%s… %s: %s', (dir, id, networkName, pod, ips, addresses, hostInterface, cniVersion, legacy) => {
    const { text, name } = load(dir, id);
    const { entry, diagnostics } = parseCniCacheFile(text, name, { strict: true });
    expect(diagnostics).toEqual([]);
    expect(entry!.containerId.startsWith(id)).toBe(true);
    expect(name).toBe(`${networkName}-${entry!.containerId}-eth0`);
    expect(entry).toMatchObject({ networkName, ifName: 'eth0', ips: [...ips], addresses: [...addresses], hostInterface, cniVersion, legacy });
    expect(entry!.podNamespace === undefined ? undefined : `${entry!.podNamespace}/${entry!.podName}`).toBe(pod);
  });

  test('the bridge result lists the bridge too: the host veth is the last interface outside the pod', () => {
    const { entry } = parseCniCacheFile(load(FLANNEL, '2ec1888e').text, load(FLANNEL, '2ec1888e').name);
    expect(entry!.interfaces.map((i) => [i.name, i.sandbox !== undefined])).toEqual([['cni0', false], ['veth6c0e2f1a', false], ['eth0', true]]);
    expect(entry!.netnsPath).toBe('/var/run/netns/cni-8e2d4c6a-1b3f-5d7e-9a0c-2e4f6a8b0c1d');
    expect(entry!.podUid).toBe('685b3a58-50ce-4729-b460-a40bd16138eb');
  });

  test('an address bound to a host-side interface is not a pod IP', () => {
    const text = JSON.stringify({
      kind: 'cniCacheV1', containerId: 'c'.repeat(64), ifName: 'eth0', networkName: 'ptp-net',
      result: { cniVersion: '1.0.0', interfaces: [{ name: 'veth1' }, { name: 'eth0', sandbox: '/var/run/netns/x' }], ips: [{ address: '169.254.1.1/32', interface: 0 }, { address: '10.1.0.5/32', interface: 1 }] },
    });
    expect(parseCniCacheFile(text, `ptp-net-${'c'.repeat(64)}-eth0`).entry).toMatchObject({ ips: ['10.1.0.5'], hostInterface: 'veth1' });
  });
});

describe('parseCniCacheFile on bad input', () => {
  const good = load(CALICO, '48ad32c1');
  test.each([
    ['truncated JSON', good.text.slice(0, 300), good.name, /invalid JSON/],
    ['unknown kind', good.text.replace('"cniCacheV1"', '"cniCacheV9"'), good.name, /unknown CNI cache kind "cniCacheV9"/],
    ['no containerId', good.text.replace(/"containerId":"[0-9a-f]+",/, ''), good.name, /no containerId/],
    ['legacy file with an odd name', '{"cniVersion":"0.3.1","ips":[]}', 'mynet-abc-eth0', /file name is not/],
    ['not an object', '[1,2]', good.name, /expected a JSON object/],
  ])('%s: an error naming the file, no entry; strict throws', (_, text, name, message) => {
    const r = parseCniCacheFile(text, name, { file: 'dump/cni-cache-x.json' });
    expect(r.entry).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', source: { file: 'dump/cni-cache-x.json' } });
    expect(r.diagnostics[0]!.message).toMatch(message);
    expect(() => parseCniCacheFile(text, name, { strict: true })).toThrow(InputError);
  });
});
