import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { parseCrictlInspectp, parseCrictlPods } from '../../src/parse/crictl.js';
import { InputError } from '../../src/model/source.js';

/**
 * Fixtures shaped like crictl 1.2x on containerd 1.7 with Calico (test/fixtures/pods/containerd-calico):
 * `crictl pods -o json` is protojson of ListPodSandboxResponse; `crictl inspectp -o json` is
 * {"info": containerd SandboxInfo, "status": PodSandboxStatus}.
 */
const DIR = fileURLToPath(new URL('../fixtures/pods/containerd-calico/', import.meta.url));
const read = (name: string): string => readFileSync(DIR + name, 'utf8');

const NGINX = '48ad32c1ecb87d7ae94b3e9549ca5846e9323ca9d418574a43b3af115c13b300';
const NGINX_OLD = '348c6e966cf431e1bd376cb52eeb59a0f8628a66d855285baa5a3a46b20f4ea1';
const COREDNS = '3ea2cc2a5725c6b581bec20edf8d7dafd5c53d3fef9bd1df4a3621163b8a6dab';
const WEB = 'e7f564e6ea4b4ed3a24e13cab35d67c3b495486eccd5c843e600c454eed096b9';
const PROXY = '2ab3162911502843ad2b39639185b25a5eb17fb989418d43732e448eb7941db9';

describe('parseCrictlPods', () => {
  const text = read('crictl-pods.json');
  const lines = text.split('\n');
  const { sandboxes, readable, diagnostics } = parseCrictlPods(text, 'crictl-pods.json', { strict: true });

  test('reads every sandbox of the fixture, each pointing at the line of its id', () => {
    expect(readable).toBe(true);
    expect(diagnostics).toEqual([]);
    expect(sandboxes.map((s) => s.id)).toEqual([COREDNS, NGINX, NGINX_OLD, PROXY, WEB]);
    for (const s of sandboxes) expect(lines[s.source.line - 1]).toContain(`"id": "${s.id}"`);
  });

  test.each([
    [COREDNS, 'kube-system', 'coredns-5dd5756b68-q7lzt', 'SANDBOX_READY', 0],
    [NGINX, 'default', 'nginx-7d9fc5b4f-x2x9k', 'SANDBOX_READY', 1],
    [NGINX_OLD, 'default', 'nginx-7d9fc5b4f-x2x9k', 'SANDBOX_NOTREADY', 0],
    [PROXY, 'kube-system', 'kube-proxy-8xk2p', 'SANDBOX_READY', 0],
  ] as const)('%s is %s/%s, %s, attempt %i', (id, namespace, name, state, attempt) => {
    expect(sandboxes.find((s) => s.id === id)).toMatchObject({ namespace, name, state, attempt });
  });

  test('a bare array with numeric states (old crictl marshalling r.Items) reads the same', () => {
    const items = (JSON.parse(text) as { items: { state: string }[] }).items.map((i) => ({ ...i, state: i.state === 'SANDBOX_READY' ? 0 : 1 }));
    const old = parseCrictlPods(JSON.stringify(items, null, 2), 'old.json', { strict: true });
    expect(old.sandboxes.map((s) => [s.id, s.state])).toEqual(sandboxes.map((s) => [s.id, s.state]));
  });

  test.each([
    ['empty output', '', 1],
    ['cut off', text.slice(0, 900), undefined],
    ['not crictl', '{"kind": "PodList"}', 1],
  ] as const)('%s: not readable, an error diagnostic', (_, input, line) => {
    const r = parseCrictlPods(input, 'x.json');
    expect(r.readable).toBe(false);
    expect(r.sandboxes).toEqual([]);
    expect(r.diagnostics[0]).toMatchObject({ severity: 'error', source: { file: 'x.json' } });
    if (line !== undefined) expect(r.diagnostics[0]!.source.line).toBe(line);
    else expect(r.diagnostics[0]!.source.line).toBeGreaterThan(1);
    expect(() => parseCrictlPods(input, 'x.json', { strict: true })).toThrow(InputError);
  });

  test('an item without metadata is reported at its line and the others are kept', () => {
    const doc = JSON.parse(text) as { items: Record<string, unknown>[] };
    delete doc.items[1]!['metadata'];
    const bad = JSON.stringify(doc, null, 2);
    const r = parseCrictlPods(bad, 'bad.json');
    expect(r.sandboxes.map((s) => s.id)).toEqual([COREDNS, NGINX_OLD, PROXY, WEB]);
    expect(r.diagnostics).toHaveLength(1);
    expect(bad.split('\n')[r.diagnostics[0]!.source.line - 1]).toContain(NGINX);
  });
});

describe('parseCrictlInspectp', () => {
  test.each([
    // id, ips, hostNetwork, pid, netns path, host-side interfaces of cniResult
    [NGINX, ['10.244.2.2'], false, 48211, '/var/run/netns/cni-5c1e9a7b-3d0f-6a2e-8b41-0f9d2c7e6a13', ['caliab98e2c95a9', 'eth0']],
    [COREDNS, ['10.244.2.3', 'fd00:10:244:2::3'], false, 3187, '/var/run/netns/cni-0a6f3e2d-91c4-5b7e-2d8a-c4e19f07b352', ['cali0b7ae03cb14', 'eth0']],
    [WEB, ['10.244.2.9'], false, 51874, '/var/run/netns/cni-d2b7a8e1-6c3f-0e94-5a1d-7b3c9e2f4a80', undefined],
    [PROXY, [], true, 2043, undefined, undefined],
  ] as const)('%s: ips %j, hostNetwork %s, pid %i, netns %s', (id, ips, hostNetwork, pid, netnsPath, outside) => {
    const file = `crictl-inspectp-${id}.json`;
    const text = read(file);
    const { statuses, diagnostics } = parseCrictlInspectp(text, file, { strict: true });
    expect(diagnostics).toEqual([]);
    expect(statuses).toHaveLength(1);
    const s = statuses[0]!;
    expect(s).toMatchObject({ id, ips: [...ips], hostNetwork, pid, state: 'SANDBOX_READY', processStatus: 'running', netNamespaceClosed: false });
    expect(s.netnsPath).toBe(netnsPath);
    expect(s.cniInterfaces?.filter((i) => i.sandbox === undefined).map((i) => i.name)).toEqual(outside);
    expect(text.split('\n')[s.source.line - 1]).toContain(`"id": "${id}"`);
  });

  test('cniResult keeps the IPs go-cni filed under eth0 and the sandbox of lo', () => {
    const s = parseCrictlInspectp(read(`crictl-inspectp-${COREDNS}.json`), 'c.json').statuses[0]!;
    expect(s.cniInterfaces?.find((i) => i.name === 'eth0')?.ips).toEqual(['10.244.2.3', 'fd00:10:244:2::3']);
    expect(s.cniInterfaces?.find((i) => i.name === 'lo')).toMatchObject({ sandbox: s.netnsPath, ips: ['127.0.0.1', '::1'] });
  });

  test('several ids give an array; each status points at its own id', () => {
    const many = `[\n${[NGINX, WEB].map((id) => read(`crictl-inspectp-${id}.json`).trim()).join(',\n')}\n]\n`;
    const { statuses } = parseCrictlInspectp(many, 'many.json', { strict: true });
    expect(statuses.map((s) => s.id)).toEqual([NGINX, WEB]);
    expect(statuses[1]!.source.line).toBeGreaterThan(statuses[0]!.source.line);
    for (const s of statuses) expect(many.split('\n')[s.source.line - 1]).toContain(s.id);
  });

  test('containerd 1.0 shape: info.netNamespace, hostNetwork false, pid 0 once the task is deleted', () => {
    // Shape of the example in containerd/cri#479 (Dec 2017).
    const old = JSON.stringify({
      status: {
        id: 'a'.repeat(64),
        metadata: { attempt: 0, name: 'kube-dns-6c857864fb-z88p2', namespace: 'kube-system', uid: '64489eae-d610-11e7-8e8b-42010af00002' },
        state: 'SANDBOX_NOTREADY',
        createdAt: '2017-11-30T20:52:44.926737345Z',
        network: { ip: '10.88.22.12' },
        linux: { namespaces: { options: { hostIpc: false, hostNetwork: false, hostPid: false } } },
      },
      info: { pid: 0, processStatus: 'deleted', netNamespace: '/var/run/netns/cni-ae2bd03e-4f7e-d9d0-911e-dafa7bb860e2', netNamespaceClosed: false },
    }, null, 2);
    const s = parseCrictlInspectp(old, 'old.json', { strict: true }).statuses[0]!;
    expect(s).toMatchObject({ ips: ['10.88.22.12'], hostNetwork: false, processStatus: 'deleted', netnsPath: '/var/run/netns/cni-ae2bd03e-4f7e-d9d0-911e-dafa7bb860e2', state: 'SANDBOX_NOTREADY' });
    expect(s.pid).toBeUndefined();
  });

  test.each([
    ['truncated', read(`crictl-inspectp-${NGINX}.json`).slice(0, 2000)],
    ['no status', '{"info": {"pid": 12}}'],
  ])('%s: an error diagnostic and no status', (_, text) => {
    const r = parseCrictlInspectp(text, 'bad.json');
    expect(r.statuses).toEqual([]);
    expect(r.diagnostics.map((d) => d.severity)).toEqual(['error']);
  });
});
