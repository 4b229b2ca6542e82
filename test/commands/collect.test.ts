import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';

/** The real CLI through bin/dev.js. Collection itself is tested inside a namespace (test/kernel/collect.test.ts). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEV = join(ROOT, 'bin', 'dev.js');
const tmp = mkdtempSync(join(tmpdir(), 'knetdbg-collect-cmd-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const knetdbg = (args: string[]) => execa(process.execPath, [DEV, ...args], { cwd: ROOT, reject: false, timeout: 20_000 });

describe('knetdbg collect', () => {
  test('--script prints the POSIX script on stdout and nothing else', async () => {
    const r = await knetdbg(['collect', '--script']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.startsWith('#!/bin/sh\n')).toBe(true);
    expect(r.stdout).toContain("run_source conntrack conntrack.txt 60 '[\"conntrack\",\"-L\",\"-o\",\"extended\"]' conntrack -L -o extended");
    expect(r.stderr).toBe('');
  });

  test('--script --json wraps it', async () => {
    const r = await knetdbg(['collect', '--script', '--json']);
    expect(JSON.parse(r.stdout).script).toMatch(/^#!\/bin\/sh/);
  });

  test('a non-empty output folder is refused with exit 1 and one line', async () => {
    const dir = join(tmp, 'full');
    await execa('mkdir', ['-p', dir]);
    writeFileSync(join(dir, 'x'), 'x');
    const r = await knetdbg(['collect', '-o', dir]);
    expect(r.exitCode).toBe(1);
    // oclif wraps the message to the terminal width: compare it unwrapped.
    expect(r.stderr.replace(/\s+›?\s*/g, ' ')).toMatch(/cannot write the dump: \S*full is not empty/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('a --root that does not exist is refused with exit 2 (also under --json) and nothing is written', async () => {
    const out = join(tmp, 'never.tar.gz');
    for (const json of [[], ['--json']]) {
      const r = await knetdbg(['collect', '-o', out, '--root', '/nonexistent/host', ...json]);
      expect(r.exitCode).toBe(2);
      expect(`${r.stdout}${r.stderr}`.replace(/\s+›?\s*/g, ' ')).toContain('invalid --root: /nonexistent/host: no such folder');
    }
    expect(existsSync(out)).toBe(false);
  });

  test('--script --root makes that root the default of the script (its second argument and KNETDBG_ROOT still win)', async () => {
    const r = await knetdbg(['collect', '--script', '--root', "/ho st'"]);
    const plain = await knetdbg(['collect', '--script']);
    expect(plain.stdout).toContain('root=${2:-${KNETDBG_ROOT:-/}}');
    // What sh makes of the line: the baked default, the variable, the argument.
    const line = /^root=.*$/m.exec(r.stdout)![0];
    const value = async (args: string[], env: Record<string, string> = {}) =>
      (await execa('sh', ['-c', `${line}; printf %s "$root"`, 'sh', ...args], { env, extendEnv: false })).stdout;
    expect(await value([])).toBe("/ho st'");
    expect(await value([], { KNETDBG_ROOT: '/host' })).toBe('/host');
    expect(await value(['out.tar.gz', '/mnt/root'], { KNETDBG_ROOT: '/host' })).toBe('/mnt/root');
  });
});
