/**
 * discoverPods through the live runner (execa) with stand-in executables first on PATH (toolchain.md 2.4,
 * item 3): a `crictl` that prints the containerd + Calico fixtures, an `nsenter` that fails the way it does
 * for a pid that is gone, and the machine's real `ip`. The node root is a temporary folder holding the
 * fixture CNI cache files and /var/log/pods directories. The real-namespace test is pods-kernel.test.ts.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { discoverPods, parsePodSources, type DiscoveredPods } from '../../src/collect/pods.js';
import { runProgram } from '../../src/collect/runner.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/pods/containerd-calico/', import.meta.url));
const READY = [
  '3ea2cc2a5725c6b581bec20edf8d7dafd5c53d3fef9bd1df4a3621163b8a6dab',
  '48ad32c1ecb87d7ae94b3e9549ca5846e9323ca9d418574a43b3af115c13b300',
  '2ab3162911502843ad2b39639185b25a5eb17fb989418d43732e448eb7941db9',
  'e7f564e6ea4b4ed3a24e13cab35d67c3b495486eccd5c843e600c454eed096b9',
];
const HOST_NETWORK = '2ab3162911502843ad2b39639185b25a5eb17fb989418d43732e448eb7941db9';

let work = '';
let savedPath: string | undefined;

/** Writes an executable shell script. */
function script(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

/** A node root with the fixture's cache files (under their real names) and log directories. */
function makeRoot(): string {
  const root = join(work, 'root');
  const results = join(root, 'var/lib/cni/results');
  mkdirSync(results, { recursive: true });
  for (const f of readdirSync(FIXTURES).filter((f) => f.startsWith('cni-cache-'))) {
    writeFileSync(join(results, f.replace(/^cni-cache-/, '').replace(/\.json$/, '')), readFileSync(FIXTURES + f));
  }
  for (const line of readFileSync(FIXTURES + 'pod-log-dirs.txt', 'utf8').split('\n').filter(Boolean)) {
    mkdirSync(join(root, 'var/log/pods', line), { recursive: true });
  }
  return root;
}

/** Runs discovery with a given crictl stand-in. */
async function discoverWith(crictlBody: string): Promise<DiscoveredPods> {
  const bin = mkdtempSync(join(work, 'bin-'));
  script(join(bin, 'crictl'), crictlBody);
  script(join(bin, 'nsenter'), 'echo "nsenter: cannot open /proc/$2/ns/net: No such file or directory" >&2\nexit 1');
  process.env['PATH'] = `${bin}${delimiter}${savedPath ?? ''}`;
  try {
    return await discoverPods(runProgram, { root: join(work, 'root'), timeoutMs: 10_000 });
  } finally {
    process.env['PATH'] = savedPath;
  }
}

beforeAll(() => {
  savedPath = process.env['PATH'];
  work = mkdtempSync(join(tmpdir(), 'knetdbg-pods-'));
  makeRoot();
});
afterAll(() => {
  process.env['PATH'] = savedPath;
  rmSync(work, { recursive: true, force: true });
});

describe('discoverPods with a working crictl', () => {
  let found: DiscoveredPods;
  beforeAll(async () => {
    found = await discoverWith([
      'case "$1" in',
      `  pods) cat '${FIXTURES}crictl-pods.json' ;;`,
      `  inspectp) f='${FIXTURES}crictl-inspectp-'"$4"'.json'; [ -f "$f" ] && cat "$f" || { echo "sandbox $4 not found" >&2; exit 1; } ;;`,
      '  *) exit 2 ;;',
      'esac',
    ].join('\n'));
  });

  test('crictl pods, then inspectp for each READY sandbox only', () => {
    expect(found.records.find((r) => r.id === 'crictl-pods')).toMatchObject({ command: ['crictl', 'pods', '-o', 'json'], exitCode: 0, file: 'crictl-pods.json' });
    const inspected = found.records.filter((r) => r.id.startsWith('crictl-inspectp-'));
    expect(inspected.map((r) => r.command[4]).sort()).toEqual([...READY].sort());
    expect(inspected.every((r) => r.exitCode === 0)).toBe(true);
  });

  test('nsenter ran for every pod sandbox with a pid, never for the hostNetwork one, and its failure is recorded', () => {
    const nsenter = found.records.filter((r) => r.command[0] === 'nsenter');
    expect(nsenter.map((r) => r.command[2]).sort()).toEqual(['3187', '3187', '48211', '48211', '51874', '51874']);
    expect(nsenter.some((r) => r.id.includes(HOST_NETWORK))).toBe(false);
    for (const r of nsenter) {
      expect(r).toMatchObject({ exitCode: 1, error: 'exit code 1' });
      expect(r.stderr).toContain('No such file or directory');
      expect(r.file).toBeUndefined();
    }
    expect(found.texts.some((t) => t.id.startsWith('pod-netns-'))).toBe(false);
  });

  test('the fixture pods come out with the runtime\'s IPs; names this machine lacks are not claimed', () => {
    expect(found.pods.map((p) => [p.namespace, p.name, p.ips, p.foundBy, p.hostInterface])).toEqual([
      ['default', 'nginx-7d9fc5b4f-x2x9k', ['10.244.2.2'], 'crictl', undefined],
      ['default', 'web-0', ['10.244.2.9'], 'crictl', undefined],
      ['kube-system', 'coredns-5dd5756b68-q7lzt', ['10.244.2.3', 'fd00:10:244:2::3'], 'crictl', undefined],
      ['kube-system', 'kube-proxy-8xk2p', [], 'crictl', undefined],
    ]);
  });

  test('the texts are the outputs, named for the dump, and rebuild the same pods', () => {
    const ids = found.texts.map((t) => t.id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toEqual(expect.arrayContaining(['crictl-pods', 'pod-host-ip-link', 'pod-log-dirs', ...READY.map((id) => `crictl-inspectp-${id}`)]));
    expect(ids.filter((id) => id.startsWith('cni-cache-'))).toHaveLength(3);
    for (const t of found.texts) expect(t.file.replace(/\.(json|txt)$/, '')).toBe(t.id);
    expect(found.texts.find((t) => t.id === 'crictl-pods')!.text).toBe(readFileSync(FIXTURES + 'crictl-pods.json', 'utf8'));
    expect(parsePodSources(found.texts)).toEqual(found.pods);
  });
});

describe('discoverPods when crictl cannot reach the runtime', () => {
  let found: DiscoveredPods;
  beforeAll(async () => {
    found = await discoverWith('echo \'time="2024-06-03T10:50:01Z" level=fatal msg="validate service connection: validate CRI v1 runtime API for endpoint \\"unix:///run/containerd/containerd.sock\\": rpc error: code = Unavailable"\' >&2\nexit 1');
  });

  test('the failure is recorded with its stderr and nothing is inspected', () => {
    const r = found.records.find((x) => x.id === 'crictl-pods')!;
    expect(r).toMatchObject({ exitCode: 1, error: 'exit code 1' });
    expect(r.stderr).toContain('validate service connection');
    expect(found.records.some((x) => x.id.startsWith('crictl-inspectp-'))).toBe(false);
  });

  test('the cache and the log directories still name the pods; missing namespaces are noted', () => {
    expect(found.pods.map((p) => [p.name, p.identityFrom])).toEqual([
      ['nginx-7d9fc5b4f-x2x9k', 'cni-cache'],
      ['web-0', 'cni-cache'],
      ['coredns-5dd5756b68-q7lzt', 'pod-log-dir'],
      ['kube-proxy-8xk2p', 'pod-log-dir'],
    ]);
    const pids = found.records.find((x) => x.id === 'pod-netns-pids')!;
    expect(pids.stderr.split('\n')).toHaveLength(3);
    expect(pids.stderr).toContain('ENOENT');
    expect(found.diagnostics.some((d) => d.severity === 'warning' && d.message.startsWith('2 CNI cache entries name pod default/nginx-7d9fc5b4f-x2x9k'))).toBe(true);
  });
});

describe('discoverPods on a root without CNI cache or pod logs', () => {
  test('both reads are recorded as failed, the rest still runs', async () => {
    const empty = mkdtempSync(join(work, 'empty-'));
    const bin = mkdtempSync(join(work, 'bin-'));
    script(join(bin, 'crictl'), 'exit 127');
    process.env['PATH'] = `${bin}${delimiter}${savedPath ?? ''}`;
    let found: DiscoveredPods;
    try {
      found = await discoverPods(runProgram, { root: empty });
    } finally {
      process.env['PATH'] = savedPath;
    }
    expect(found.pods).toEqual([]);
    for (const id of ['cni-cache', 'pod-log-dirs']) {
      expect(found.records.find((r) => r.id === id)).toMatchObject({ exitCode: null, error: expect.stringMatching(/^ENOENT/) });
    }
    expect(found.records.find((r) => r.id === 'pod-host-ip-link')).toMatchObject({ exitCode: 0 });
  });
});
