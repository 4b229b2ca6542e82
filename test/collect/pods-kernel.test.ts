/**
 * discoverPods against real network namespaces: a "node" namespace with two "pods" wired by veth pairs
 * (one Calico-style `cali…` /32, one bridge-style `veth…` /24), a `sleep` in each pod namespace standing in
 * for the pause process, a fake node root holding the CNI result cache and /var/log/pods, and no crictl.
 *
 * The Runner runs every command through `ip netns exec <node>` (ip-netns(8)), so `ip -o link` lists the
 * node namespace's links and `nsenter -t PID -n` enters the pods from there; file reads (the cache, /proc)
 * happen in this process, which shares the mount and PID namespaces with the node namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runProgram, type Runner } from '../../src/collect/runner.js';
import { calicoInterfaceName, discoverPods, parsePodSources, type DiscoveredPods } from '../../src/collect/pods.js';
import { cleanupStale, NETNS_PREFIX, netnsUnavailableReason, run } from '../kernel/harness.js';

const skipReason = await netnsUnavailableReason();
const tag = `${NETNS_PREFIX}${process.pid}-pods${randomBytes(2).toString('hex')}`;
const NODE = `${tag}-node`;

interface FakePod {
  netns: string;
  namespace: string;
  name: string;
  uid: string;
  sandboxId: string;
  ip: string;
  prefix: number;
  hostInterface: string;
  network: 'k8s-pod-network' | 'cbr0';
}

const PODS: FakePod[] = [
  {
    netns: `${tag}-p1`,
    namespace: 'default',
    name: 'frontend-6d5f8b7c9-abcde',
    uid: '1f7c2a9e-5b3d-4c8e-9a1f-2b3c4d5e6f70',
    sandboxId: randomBytes(32).toString('hex'),
    ip: '10.244.7.2',
    prefix: 32,
    hostInterface: calicoInterfaceName('default', 'frontend-6d5f8b7c9-abcde'),
    network: 'k8s-pod-network',
  },
  {
    netns: `${tag}-p2`,
    namespace: 'shop',
    name: 'cart-0',
    uid: '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d',
    sandboxId: randomBytes(32).toString('hex'),
    ip: '10.244.8.5',
    prefix: 24,
    hostInterface: `veth${randomBytes(4).toString('hex')}`,
    network: 'cbr0',
  },
];
/** A cache entry whose namespace is gone (a sandbox never torn down): only the cache speaks for it. */
const STALE = { namespace: 'shop', name: 'checkout-1', uid: '0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e', sandboxId: randomBytes(32).toString('hex'), ip: '10.244.8.9' };

const cleanups: (() => Promise<unknown> | void)[] = [];
const sleepers: ChildProcess[] = [];
let root = '';
let savedPath: string | undefined;
let found: DiscoveredPods;
let before = '';

/** The libcni cachedInfo file for a pod (containernetworking/cni libcni/api.go). */
function cacheFile(p: { namespace: string; name: string; uid: string; sandboxId: string; ip: string }, network: string, netns: string, result: object): string {
  return JSON.stringify({
    kind: 'cniCacheV1',
    containerId: p.sandboxId,
    config: Buffer.from(JSON.stringify({ name: network, cniVersion: '0.3.1', plugins: [] })).toString('base64'),
    ifName: 'eth0',
    networkName: network,
    netns,
    cniArgs: [['K8S_POD_NAMESPACE', p.namespace], ['K8S_POD_NAME', p.name], ['K8S_POD_INFRA_CONTAINER_ID', p.sandboxId], ['K8S_POD_UID', p.uid], ['IgnoreUnknown', '1']],
    result,
  });
}

/**
 * No IPv6 in the test namespaces (set inside each namespace only): link-local addresses and their DAD would
 * keep changing `ip addr` while the test compares before and after.
 */
async function quietIpv6(ns: string): Promise<void> {
  for (const key of ['net.ipv6.conf.all.disable_ipv6', 'net.ipv6.conf.default.disable_ipv6']) {
    await run('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `${key}=1`], { allowFail: true });
  }
}

/** What the namespaces hold, read directly: discovery must leave it as it was. */
async function snapshotNamespaces(): Promise<string> {
  const parts: string[] = [];
  for (const ns of [NODE, ...PODS.map((p) => p.netns)]) {
    parts.push((await run('ip', ['-n', ns, '-o', 'link'])).stdout, (await run('ip', ['-n', ns, '-o', 'addr'])).stdout);
  }
  return parts.join('\n');
}

describe.skipIf(skipReason !== undefined)('discoverPods in network namespaces (no crictl)', () => {
  beforeAll(async () => {
    await cleanupStale();
    await run('ip', ['netns', 'add', NODE]);
    cleanups.push(() => run('ip', ['netns', 'del', NODE], { allowFail: true }));
    await quietIpv6(NODE);
    root = mkdtempSync(join(tmpdir(), 'knetdbg-pods-root-'));
    cleanups.push(() => rmSync(root, { recursive: true, force: true }));
    const results = join(root, 'var/lib/cni/results');
    mkdirSync(results, { recursive: true });
    mkdirSync(join(root, 'var/run/netns'), { recursive: true });

    for (const p of PODS) {
      await run('ip', ['netns', 'add', p.netns]);
      cleanups.push(() => run('ip', ['netns', 'del', p.netns], { allowFail: true }));
      await quietIpv6(p.netns);
      await run('ip', ['-n', NODE, 'link', 'add', p.hostInterface, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', p.netns]);
      await run('ip', ['-n', p.netns, 'addr', 'add', `${p.ip}/${p.prefix}`, 'dev', 'eth0']);
      await run('ip', ['-n', p.netns, 'link', 'set', 'eth0', 'up']);
      await run('ip', ['-n', NODE, 'link', 'set', p.hostInterface, 'up']);
      const sleeper = spawn('ip', ['netns', 'exec', p.netns, 'sleep', '300'], { stdio: 'ignore' });
      sleepers.push(sleeper);
      // The node's view of the namespace file, as containerd names it (/var/run/netns/cni-…).
      symlinkSync(`/run/netns/${p.netns}`, join(root, 'var/run/netns', p.netns));
      const netns = `/var/run/netns/${p.netns}`;
      const result = p.network === 'k8s-pod-network'
        ? { cniVersion: '0.3.1', interfaces: [{ name: p.hostInterface }], ips: [{ version: '4', address: `${p.ip}/32` }], dns: {} }
        : {
            cniVersion: '0.3.1',
            interfaces: [{ name: 'cni0', mac: '0a:58:0a:f4:08:01' }, { name: p.hostInterface, mac: '0a:58:0a:f4:08:02' }, { name: 'eth0', mac: '0a:58:0a:f4:08:05', sandbox: netns }],
            ips: [{ version: '4', interface: 2, address: `${p.ip}/24`, gateway: '10.244.8.1' }],
            dns: {},
          };
      writeFileSync(join(results, `${p.network}-${p.sandboxId}-eth0`), cacheFile(p, p.network, netns, result));
      mkdirSync(join(root, 'var/log/pods', `${p.namespace}_${p.name}_${p.uid}`), { recursive: true });
    }
    cleanups.push(() => sleepers.forEach((s) => s.kill('SIGKILL')));
    writeFileSync(
      join(results, `cbr0-${STALE.sandboxId}-eth0`),
      cacheFile(STALE, 'cbr0', `/var/run/netns/${tag}-gone`, { cniVersion: '0.3.1', interfaces: [{ name: 'vethdeadbeef' }, { name: 'eth0', sandbox: `/var/run/netns/${tag}-gone` }], ips: [{ interface: 1, address: `${STALE.ip}/24` }] }),
    );
    mkdirSync(join(root, 'var/log/pods', 'kube-system_etcd-node-2_5d6e7f8a-9b0c-4d1e-8f2a-3b4c5d6e7f8a'), { recursive: true });

    // Wait until each sleep runs inside its pod namespace (ip netns exec has exec'd it).
    for (const p of PODS) {
      for (let i = 0; i < 50 && (await run('ip', ['netns', 'pids', p.netns])).stdout.trim() === ''; i++) await new Promise((r) => setTimeout(r, 20));
    }

    // Carrier comes up asynchronously: snapshot a settled state, so "unchanged" means discovery changed nothing.
    for (let i = 0; i < 100 && (await run('ip', ['-n', NODE, '-o', 'link'])).stdout.includes('NO-CARRIER'); i++) await new Promise((r) => setTimeout(r, 20));

    // crictl must be absent: drop every PATH entry that holds one.
    savedPath = process.env['PATH'];
    process.env['PATH'] = (savedPath ?? '').split(delimiter).filter((d) => d && !existsSync(join(d, 'crictl'))).join(delimiter);

    before = await snapshotNamespaces();
    const runner: Runner = (command, options) => runProgram(['ip', 'netns', 'exec', NODE, ...command], options);
    found = await discoverPods(runner, { root, timeoutMs: 10_000 });
  });

  afterAll(async () => {
    if (savedPath !== undefined) process.env['PATH'] = savedPath;
    for (const c of cleanups.reverse()) await c();
  });

  test('crictl is recorded as missing and the other methods still ran', () => {
    const crictl = found.records.find((r) => r.id === 'crictl-pods')!;
    expect(crictl.command).toEqual(['ip', 'netns', 'exec', NODE, 'crictl', 'pods', '-o', 'json']);
    expect(crictl.exitCode).not.toBe(0);
    expect(crictl.error).toBeDefined();
    expect(found.texts.some((t) => t.id === 'crictl-pods')).toBe(false);
    expect(found.records.map((r) => r.id)).toEqual(expect.arrayContaining(['pod-host-ip-link', 'cni-cache', 'pod-log-dirs', 'pod-netns-pids']));
  });

  test.each(PODS.map((p) => [`${p.namespace}/${p.name}`, p] as const))('%s: IP and host interface found via nsenter on the real veth pair', async (_, p) => {
    const pod = found.pods.find((x) => x.namespace === p.namespace && x.name === p.name);
    expect(pod).toBeDefined();
    const sleeperPids = (await run('ip', ['netns', 'pids', p.netns])).stdout.split(/\s+/).filter(Boolean).map(Number);
    expect(pod).toMatchObject({
      ips: [p.ip],
      foundBy: 'nsenter',
      hostInterface: p.hostInterface,
      hostInterfaceFrom: 'nsenter',
      identityFrom: 'cni-cache',
      sandboxId: p.sandboxId,
      uid: p.uid,
      netnsPath: `/var/run/netns/${p.netns}`,
    });
    expect(sleeperPids).toContain(pod!.pid);
    for (const what of ['link', 'addr']) {
      const record = found.records.find((r) => r.id === `pod-netns-${p.sandboxId}-ip-${what}`)!;
      expect(record.command).toEqual(['ip', 'netns', 'exec', NODE, 'nsenter', '-t', String(pod!.pid), '-n', 'ip', '-o', what]);
      expect(record.exitCode).toBe(0);
    }
    // The pair really is what the kernel says: the node-side interface's peer index is the pod's eth0.
    const podLink = (await run('ip', ['-n', p.netns, '-o', 'link', 'show', 'eth0'])).stdout;
    const hostLink = (await run('ip', ['-n', NODE, '-o', 'link', 'show', p.hostInterface])).stdout;
    expect(hostLink).toContain(`${p.hostInterface}@if${podLink.split(':')[0]}:`);
  });

  test('a cache entry whose namespace is gone keeps its cached IP, and no nsenter ran for it', () => {
    const pod = found.pods.find((x) => x.name === STALE.name)!;
    expect(pod).toMatchObject({ ips: [STALE.ip], foundBy: 'cni-cache', identityFrom: 'cni-cache' });
    expect(pod.hostInterface).toBeUndefined();
    expect(found.records.some((r) => r.id.startsWith(`pod-netns-${STALE.sandboxId}`))).toBe(false);
  });

  test('a pod known only from /var/log/pods is listed without IPs', () => {
    expect(found.pods.find((x) => x.name === 'etcd-node-2')).toMatchObject({ namespace: 'kube-system', ips: [], foundBy: 'pod-log-dir' });
  });

  test('the captured texts rebuild the same pods offline', () => {
    expect(parsePodSources(found.texts)).toEqual(found.pods);
  });

  test('discovery changed nothing in the namespaces', async () => {
    expect(await snapshotNamespaces()).toBe(before);
  });
});
