/**
 * loadSnapshot on bundles people already have, built from the real tool outputs in test/fixtures/parse and
 * samples/: a plain folder named by command, a calicoctl-node-diags-shaped tarball (made with GNU tar, as
 * calicoctl does), single files detected by content, and broken input.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { getPodCaptureId, loadSnapshot } from '../../src/collect/load-snapshot.js';
import { InputError } from '../../src/model/source.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIX = join(ROOT, 'test', 'fixtures', 'parse');
const SAMPLE = join(ROOT, 'samples', 'clusterip-nginx.rules');
const tmp = mkdtempSync(join(tmpdir(), 'knetdbg-load-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const dir = join(tmp, name);
  for (const [rel, from] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    copyFileSync(from, join(dir, rel));
  }
  return dir;
}

describe('a plain folder of captures named by their command', () => {
  const dir = folder('plain', {
    'iptables-save.txt': SAMPLE,
    ipset_list: join(FIX, 'ipset', 'list.txt'),
    'conntrack-L.txt': join(FIX, 'conntrack', 'extended.txt'),
    'ip-addr.json': join(FIX, 'ip', 'addr-d.json'),
    'ip-route.txt': join(FIX, 'ip', 'route-all.txt'),
    'sysctl-a.txt': join(FIX, 'sysctl', 'several.txt'),
    'notes.md': join(ROOT, 'samples', 'README.md'),
  });

  test('every file is read by the parser its content calls for', async () => {
    const s = await loadSnapshot(dir);
    expect(s.meta).toBeUndefined();
    expect(s.iptables.map((c) => [c.id, c.file])).toEqual([['iptables-save', join(dir, 'iptables-save.txt')]]);
    expect(s.iptables[0]!.text).toBe(readFileSync(SAMPLE, 'utf8'));
    expect(s.ipsets.length).toBeGreaterThan(0);
    expect(s.conntrack.length).toBe(readFileSync(join(FIX, 'conntrack', 'extended.txt'), 'utf8').split('\n').filter((l) => /^ipv[46]/.test(l)).length);
    expect(s.interfaces.length).toBeGreaterThan(0);
    expect(s.routes.length).toBeGreaterThan(0);
    expect(Object.keys(s.sysctls).length).toBeGreaterThan(0);
    expect(s.missing.map((m) => m.id).sort()).toEqual(['ip6tables-save', 'pods']);
    expect(s.diagnostics.some((d) => d.source.file.endsWith('notes.md') && /skipped/.test(d.message))).toBe(true);
  });

  test('a conntrack filter keeps only the entries asked for, while streaming', async () => {
    const s = await loadSnapshot(dir, { conntrackFilter: (e) => e.protocol === 'udp' });
    expect(s.conntrack.length).toBeGreaterThan(0);
    expect(s.conntrack.every((e) => e.protocol === 'udp')).toBe(true);
  });
});

describe('a calicoctl node diags bundle', () => {
  // calicoctl/commands/node/diags.go: files under diagnostics/, `tar -zcvf diags-<time>.tar.gz diagnostics`.
  const dir = folder('calico', {
    'diagnostics/ipv4_tables': SAMPLE,
    'diagnostics/ipsets': join(FIX, 'ipset', 'list.txt'),
    'diagnostics/ipv4_addr': join(FIX, 'ip', 'addr-eth0-4.txt'),
    'diagnostics/ipv6_addr': join(FIX, 'ip', 'addr.txt'),
    'diagnostics/ipv4_route': join(FIX, 'ip', 'route-main.txt'),
    'diagnostics/ipv6_route': join(FIX, 'ip', 'route6-all.txt'),
    'diagnostics/logs/felix.log': join(ROOT, 'samples', 'README.md'),
  });
  writeFileSync(join(dir, 'diagnostics', 'hostname'), 'node-1\n');
  writeFileSync(join(dir, 'diagnostics', 'ipv6_tables'), '');
  const bundle = join(tmp, 'diags-20260101_120000.tar.gz');
  execFileSync('tar', ['-zcf', bundle, '-C', dir, 'diagnostics']);

  test('loads rules, sets, addresses of both families and routes; says conntrack and sysctls are missing', async () => {
    const s = await loadSnapshot(bundle);
    expect(s.iptables.map((c) => [c.id, c.file])).toEqual([['iptables-save', `${bundle}(diagnostics/ipv4_tables)`]]);
    expect(s.ipsets.length).toBeGreaterThan(0);
    expect(s.routes.some((r) => r.family === 6)).toBe(true);
    expect(s.routes.some((r) => r.family === 4)).toBe(true);
    const missing = s.missing.map((m) => m.id);
    expect(missing).toEqual(expect.arrayContaining(['conntrack', 'sysctl', 'pods']));
    expect(missing).not.toContain('iptables-save');
    expect(s.texts?.map((t) => t.id)).toEqual(['hostname']);
    expect(s.diagnostics.some((d) => d.source.file.includes('felix.log'))).toBe(false);
  });
});

describe('single files, detected by content', () => {
  test.each([
    ['rules-with-odd-name.log', SAMPLE, (s: Awaited<ReturnType<typeof loadSnapshot>>) => s.iptables.length === 1],
    ['out.txt', join(FIX, 'conntrack', 'list.txt'), (s: Awaited<ReturnType<typeof loadSnapshot>>) => s.conntrack.length > 0],
    ['paste', join(FIX, 'ipset', 'save.txt'), (s: Awaited<ReturnType<typeof loadSnapshot>>) => s.ipsets.length > 0],
    ['x.json', join(FIX, 'ip', 'route6-all.json'), (s: Awaited<ReturnType<typeof loadSnapshot>>) => s.routes.length > 0],
  ])('%s', async (name, from, check) => {
    const path = join(tmp, name);
    copyFileSync(from, path);
    const s = await loadSnapshot(path);
    expect(check(s)).toBe(true);
    expect(s.missing.length).toBeGreaterThan(3);
  });

  test('a gzipped single file is read too', async () => {
    const path = join(tmp, 'iptables.txt');
    copyFileSync(SAMPLE, path);
    execFileSync('gzip', ['-f', path]);
    const s = await loadSnapshot(`${path}.gz`);
    expect(s.iptables[0]?.text).toBe(readFileSync(SAMPLE, 'utf8'));
  });
});

describe('bad input', () => {
  test('a path that does not exist is an InputError naming it', async () => {
    const path = join(tmp, 'nope.tar.gz');
    await expect(loadSnapshot(path)).rejects.toThrow(new InputError({ file: path, line: 0 }, 'no such file or directory'));
  });

  test('a single file of unknown content is an InputError naming it', async () => {
    const path = join(tmp, 'readme.txt');
    writeFileSync(path, 'hello\nworld\n');
    await expect(loadSnapshot(path)).rejects.toThrow(/readme\.txt: cannot tell what this file holds/);
  });

  test('an iptables -L listing is refused with the reason', async () => {
    const path = join(tmp, 'list.txt');
    writeFileSync(path, 'Chain INPUT (policy ACCEPT)\ntarget     prot opt source               destination\nKUBE-FIREWALL  all  --  anywhere             anywhere\n');
    await expect(loadSnapshot(path)).rejects.toThrow(/iptables -L/);
  });

  test('a corrupt gzip is an InputError, not a stack trace', async () => {
    const path = join(tmp, 'broken.tar.gz');
    writeFileSync(path, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 7)]));
    await expect(loadSnapshot(path)).rejects.toBeInstanceOf(InputError);
  });

  test('a garbled line is a diagnostic with file and line; strict mode throws it', async () => {
    const dir = join(tmp, 'garbled');
    mkdirSync(dir);
    const lines = readFileSync(join(FIX, 'conntrack', 'list.txt'), 'utf8').split('\n');
    lines.splice(1, 0, 'tcp      6 zzz ESTABLISHED src=');
    writeFileSync(join(dir, 'conntrack.txt'), lines.join('\n'));
    const s = await loadSnapshot(dir);
    const d = s.diagnostics.find((x) => x.severity === 'error');
    expect(d?.source).toEqual({ file: join(dir, 'conntrack.txt'), line: 2 });
    await expect(loadSnapshot(dir, { strict: true })).rejects.toThrow(`${join(dir, 'conntrack.txt')}:2`);
  });

  test('a dump whose meta.json is garbled still loads its files by name and content', async () => {
    const dir = join(tmp, 'badmeta');
    mkdirSync(dir);
    writeFileSync(join(dir, 'meta.json'), '{"format": "knetdbg-dump",\n "sources": [\n');
    copyFileSync(SAMPLE, join(dir, 'iptables-save.txt'));
    const s = await loadSnapshot(dir);
    expect(s.iptables).toHaveLength(1);
    expect(s.diagnostics.find((x) => x.source.file === join(dir, 'meta.json'))?.message).toMatch(/not valid JSON/);
  });
});

test.each([
  ['crictl-pods.json', 'crictl-pods'],
  ['crictl-inspectp-0123abcd.json', 'crictl-inspectp-0123abcd'],
  ['pod-netns-0123abcd.txt', 'pod-netns-0123abcd'],
  ['cni-cache-k8s-pod-network-abc-eth0.json', 'cni-cache-k8s-pod-network-abc-eth0'],
  ['iptables-save.txt', undefined],
])('getPodCaptureId(%s) = %s', (name, id) => {
  expect(getPodCaptureId(name)).toBe(id);
});
