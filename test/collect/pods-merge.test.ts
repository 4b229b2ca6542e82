import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { buildPodList, parsePodLogDirs, parsePodSources } from '../../src/collect/pods-merge.js';
import { calicoInterfaceName } from '../../src/model/pod.js';
import { findHostPeer, formatPodNetnsCapture, listNetnsCommand, parsePodNetnsCapture } from '../../src/collect/pods-netns.js';
import type { CapturedText } from '../../src/model/snapshot.js';
import type { Pod } from '../../src/model/pod.js';

/** A fixture folder read the way a dump is: text id = file name without its extension. */
function loadTexts(dir: string): CapturedText[] {
  const path = fileURLToPath(new URL(`../fixtures/pods/${dir}/`, import.meta.url));
  return readdirSync(path).sort().map((file) => ({ id: file.replace(/\.(json|txt)$/, ''), file, text: readFileSync(path + file, 'utf8') }));
}
const without = (texts: CapturedText[], ...prefixes: string[]): CapturedText[] => texts.filter((t) => !prefixes.some((p) => t.id.startsWith(p)));
const edit = (texts: CapturedText[], id: string, change: (s: string) => string): CapturedText[] =>
  texts.map((t) => (t.id.startsWith(id) ? { ...t, text: change(t.text) } : t));
const byName = (pods: Pod[], name: string): Pod | undefined => pods.find((p) => p.name === name);

const NGINX = '48ad32c1ecb87d7ae94b3e9549ca5846e9323ca9d418574a43b3af115c13b300';
const calico = loadTexts('containerd-calico');
const flannel = loadTexts('flannel-no-runtime');

describe('calicoInterfaceName', () => {
  test.each([
    // calico.md 2.4, recomputed there against real nodes.
    ['default', 'db-8d66ff5f7-bp6kf', 'cali95aa86cbb2a'],
    ['default', 'backend-867fd6dff-mjf92', 'cali2b1490aa46a'],
    ['default', 'frontend-8b474f47-zdqdv', 'cali505cfbeac50'],
    ['team-b', 'nettest2', 'calicd14548c312'],
  ])('%s/%s → %s', (namespace, pod, name) => {
    expect(calicoInterfaceName(namespace, pod)).toBe(name);
  });

  test('another prefix (FELIX_INTERFACEPREFIX) keeps the hash', () => {
    expect(calicoInterfaceName('default', 'db-8d66ff5f7-bp6kf', 'eni')).toBe('eni95aa86cbb2a');
  });
});

describe('buildPodList on a containerd + Calico node', () => {
  const { pods, diagnostics } = buildPodList(calico);

  test.each([
    // name, ips, foundBy, hostInterface, hostInterfaceFrom
    ['nginx-7d9fc5b4f-x2x9k', ['10.244.2.2'], 'crictl', 'caliab98e2c95a9', 'nsenter'],
    ['coredns-5dd5756b68-q7lzt', ['10.244.2.3', 'fd00:10:244:2::3'], 'crictl', 'cali0b7ae03cb14', 'crictl'],
    ['web-0', ['10.244.2.9'], 'crictl', 'cali0d7763386da', 'calico-name'],
    ['kube-proxy-8xk2p', [], 'crictl', undefined, undefined],
  ] as const)('%s: %j from %s, host interface %s from %s', (name, ips, foundBy, hostInterface, hostInterfaceFrom) => {
    const pod = byName(pods, name)!;
    expect(pod).toMatchObject({ ips: [...ips], foundBy, identityFrom: 'crictl' });
    expect(pod.hostInterface).toBe(hostInterface);
    expect(pod.hostInterfaceFrom).toBe(hostInterfaceFrom);
  });

  test('one pod per READY sandbox, sorted; the NOTREADY sandbox and its cache leftover are not pods', () => {
    expect(pods.map((p) => `${p.namespace}/${p.name}`)).toEqual([
      'default/nginx-7d9fc5b4f-x2x9k', 'default/web-0', 'kube-system/coredns-5dd5756b68-q7lzt', 'kube-system/kube-proxy-8xk2p',
    ]);
    expect(byName(pods, 'nginx-7d9fc5b4f-x2x9k')).toMatchObject({ sandboxId: NGINX, pid: 48211, uid: '9b872769-a6d1-46c8-8230-7a3446a56670' });
    expect(diagnostics.map((d) => d.message)).toEqual([expect.stringMatching(/^CNI cache entry for sandbox 348c6e966cf43 .* ignored/)]);
  });

  test('the hostNetwork pod gets no interface, not even the one its netns would show', () => {
    expect(byName(pods, 'kube-proxy-8xk2p')).toMatchObject({ hostNetwork: true, pid: 2043 });
  });

  test('IPs fall back from crictl to the pod namespace to the CNI cache', () => {
    const noInspect = buildPodList(without(calico, `crictl-inspectp-${NGINX}`)).pods;
    expect(byName(noInspect, 'nginx-7d9fc5b4f-x2x9k')).toMatchObject({ ips: ['10.244.2.2'], foundBy: 'nsenter', hostInterfaceFrom: 'nsenter' });
    const noNetns = buildPodList(without(calico, `crictl-inspectp-${NGINX}`, 'pod-netns-')).pods;
    expect(byName(noNetns, 'nginx-7d9fc5b4f-x2x9k')).toMatchObject({ ips: ['10.244.2.2'], foundBy: 'cni-cache', hostInterfaceFrom: 'calico-name' });
  });

  test('host interface falls back from the veth pair to cniResult to the Calico hash to the cache', () => {
    const steps: [CapturedText[], string | undefined][] = [
      [without(calico, 'pod-netns-'), 'crictl'],
      [without(calico, 'pod-netns-', 'crictl-inspectp-'), 'calico-name'],
      // Without the node's links no name can be checked: the hash is not used, the cache's name is.
      [without(calico, 'pod-netns-', 'crictl-inspectp-', 'pod-host-ip-link'), 'cni-cache'],
    ];
    for (const [texts, from] of steps) expect(byName(buildPodList(texts).pods, 'nginx-7d9fc5b4f-x2x9k')?.hostInterfaceFrom).toBe(from);
  });

  test('an interface index the node has is not a pair unless it points back', () => {
    // The node's interface 14 now claims peer index 5, not the pod's eth0 (4): only cniResult names it.
    const texts = edit(calico, 'pod-host-ip-link', (s) => s.replace('caliab98e2c95a9@if4', 'caliab98e2c95a9@if5'));
    expect(byName(buildPodList(texts).pods, 'nginx-7d9fc5b4f-x2x9k')).toMatchObject({ hostInterface: 'caliab98e2c95a9', hostInterfaceFrom: 'crictl' });
  });

  test('a name the node does not have is not claimed, and the cache naming it is reported', () => {
    const texts = without(edit(calico, 'pod-host-ip-link', (s) => s.replace(/^17: .*\n/m, '')), 'crictl-inspectp-e7f5');
    const r = buildPodList(texts);
    expect(byName(r.pods, 'web-0')?.hostInterface).toBeUndefined();
    expect(r.diagnostics.map((d) => d.message)).toContain('default/web-0: the CNI cache names host interface cali0d7763386da, which the node does not have');
  });

  test('the runtime and the namespace disagreeing on the IP is a warning', () => {
    const texts = edit(calico, `pod-netns-${NGINX}`, (s) => s.replace('10.244.2.2/32', '10.244.2.99/32'));
    const r = buildPodList(texts);
    expect(byName(r.pods, 'nginx-7d9fc5b4f-x2x9k')?.ips).toEqual(['10.244.2.2']);
    expect(r.diagnostics).toContainEqual(expect.objectContaining({ severity: 'warning', message: 'default/nginx-7d9fc5b4f-x2x9k: the runtime reports 10.244.2.2 but the pod\'s network namespace has 10.244.2.99' }));
  });

  test.each([
    ['crictl not captured', without(calico, 'crictl-')],
    ['crictl output garbled', edit(without(calico, 'crictl-inspectp-'), 'crictl-pods', (s) => s.slice(0, 500))],
  ])('%s: the CNI cache and /var/log/pods stand in', (_, texts) => {
    const pods = buildPodList(texts).pods;
    expect(pods.map((p) => [p.name, p.identityFrom, p.foundBy, p.ips])).toEqual([
      // Two cache entries name nginx: the one whose namespace was captured wins.
      ['nginx-7d9fc5b4f-x2x9k', 'cni-cache', 'nsenter', ['10.244.2.2']],
      ['web-0', 'cni-cache', 'cni-cache', ['10.244.2.9']],
      ['coredns-5dd5756b68-q7lzt', 'pod-log-dir', 'pod-log-dir', []],
      ['kube-proxy-8xk2p', 'pod-log-dir', 'pod-log-dir', []],
    ]);
    // The Calico hash finds coredns's interface with no runtime and no cache.
    expect(byName(pods, 'coredns-5dd5756b68-q7lzt')).toMatchObject({ hostInterface: 'cali0b7ae03cb14', hostInterfaceFrom: 'calico-name', uid: 'dd12dd33-2343-4891-bc3d-19a1dbf16144' });
  });
});

describe('buildPodList on a flannel node without a runtime', () => {
  const { pods, diagnostics } = buildPodList(flannel);

  test('busybox: identity from the cache, IP and veth from its namespace', () => {
    expect(pods).toHaveLength(2);
    expect(byName(pods, 'busybox')).toMatchObject({
      namespace: 'default', ips: ['10.244.1.6'], foundBy: 'nsenter', identityFrom: 'cni-cache', hostInterface: 'veth6c0e2f1a', hostInterfaceFrom: 'nsenter', pid: 7301,
      sandboxId: '2ec1888e21b1d5d4157f322b3ee4011ef1f2a63e2eedfb3a70c13c73ab01cbd4', uid: '685b3a58-50ce-4729-b460-a40bd16138eb',
    });
    expect(byName(pods, 'coredns-787d4945fb-2kx8n')).toMatchObject({ namespace: 'kube-system', ips: [], foundBy: 'pod-log-dir' });
  });

  test('the leftover entry, the nameless legacy entry and a stray directory are reported', () => {
    expect(diagnostics.map((d) => [d.severity, d.message.slice(0, 40)])).toEqual([
      ['info', 'not a <namespace>_<name>_<uid> pod log d'],
      ['info', 'CNI cache entry for 631856ccc4d3d names '],
      ['warning', '2 CNI cache entries name pod default/bus'],
    ]);
  });

  test('without the namespace capture, the cache speaks: the bridge is not taken for the veth', () => {
    const pod = byName(buildPodList(without(flannel, 'pod-netns-')).pods, 'busybox')!;
    expect(pod).toMatchObject({ ips: ['10.244.1.6'], foundBy: 'cni-cache', hostInterface: 'veth6c0e2f1a', hostInterfaceFrom: 'cni-cache' });
  });
});

describe('parsePodSources', () => {
  test.each([['containerd-calico', calico], ['flannel-no-runtime', flannel]])('%s: the pods of buildPodList, in any text order', (_, texts) => {
    expect(parsePodSources([...texts].reverse())).toEqual(buildPodList(texts).pods);
  });
});

describe('parsePodLogDirs', () => {
  test('splits <namespace>_<name>_<uid>, keeping lines; other names are noted', () => {
    const { dirs, diagnostics } = parsePodLogDirs('default_web-0_44abfa05-b4c8-4bbe-a018-181c2f6c2866/\n\nlost+found\na_b\n', 'ls.txt');
    expect(dirs).toEqual([{ namespace: 'default', name: 'web-0', uid: '44abfa05-b4c8-4bbe-a018-181c2f6c2866', source: { file: 'ls.txt', line: 1 } }]);
    expect(diagnostics.map((d) => d.source.line)).toEqual([3, 4]);
  });
});

describe('pod-netns captures', () => {
  test.each([
    [{ pid: 4242 }, 'link', ['nsenter', '-t', '4242', '-n', 'ip', '-o', 'link']],
    [{ pid: 4242, netnsPath: '/run/netns/x' }, 'addr', ['nsenter', '-t', '4242', '-n', 'ip', '-o', 'addr']],
    [{ netnsPath: '/host/var/run/netns/cni-1' }, 'addr', ['nsenter', '--net=/host/var/run/netns/cni-1', 'ip', '-o', 'addr']],
  ] as const)('%j %s → %j', (entry, what, argv) => {
    expect(listNetnsCommand(entry, what)).toEqual(argv);
  });

  const fixture = calico.find((t) => t.id === `pod-netns-${NGINX}`)!;
  const parsed = parsePodNetnsCapture(fixture.text, fixture.file);

  test('eth0 is the pod interface even after tunl0@NONE; only global addresses count; lines are the capture\'s', () => {
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed).toMatchObject({ sandboxId: NGINX, pid: 48211, netnsPath: '/var/run/netns/cni-5c1e9a7b-3d0f-6a2e-8b41-0f9d2c7e6a13', ips: ['10.244.2.2'] });
    expect(parsed.podInterface).toMatchObject({ index: 4, name: 'eth0', linkIndex: 14 });
    expect(fixture.text.split('\n')[parsed.podInterface!.source!.line - 1]).toMatch(/^4: eth0@if14:/);
  });

  test('format then parse gives the same facts', () => {
    const link = parsed.links.map((l) => fixture.text.split('\n')[l.source!.line - 1]).join('\n') + '\n';
    const text = formatPodNetnsCapture({
      sandboxId: NGINX,
      entry: { pid: 48211 },
      netnsPath: '/var/run/netns/cni-5c1e9a7b-3d0f-6a2e-8b41-0f9d2c7e6a13',
      link: { command: listNetnsCommand({ pid: 48211 }, 'link'), exitCode: 0, output: link },
      addr: { command: listNetnsCommand({ pid: 48211 }, 'addr'), exitCode: 0, output: fixture.text.split('ip -o addr\n')[1]! },
    });
    expect(text).toBe(fixture.text);
  });

  test('findHostPeer needs both directions', () => {
    const host = new Map([[14, { index: 14, name: 'caliab98e2c95a9', linkIndex: 4, flags: [], addresses: [] }]]);
    expect(findHostPeer(parsed.podInterface, host)?.name).toBe('caliab98e2c95a9');
    expect(findHostPeer(parsed.podInterface, new Map([[14, { ...host.get(14)!, linkIndex: undefined }]]))).toBeUndefined();
    expect(findHostPeer(undefined, host)).toBeUndefined();
  });

  test('a file that is not a capture is an error', () => {
    expect(parsePodNetnsCapture('hello\n', 'x.txt').diagnostics[0]).toMatchObject({ severity: 'error', source: { file: 'x.txt', line: 1 } });
  });
});
