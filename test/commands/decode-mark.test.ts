import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import type { DecodeMarkReport } from '../../src/interpret/calico/decode-report.js';

/** The real CLI through bin/dev.js (tsx over src/), as a user runs it. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEV = join(ROOT, 'bin', 'dev.js');
const TIMEOUT = 20_000;
const STACK = /^\s+at .+:\d+:\d+\)?$/m;

function knetdbg(args: string[]) {
  return execa(process.execPath, [DEV, 'decode-mark', ...args], { cwd: ROOT, reject: false, timeout: TIMEOUT, env: { NO_COLOR: '1' } });
}

describe('knetdbg decode-mark', () => {
  test.each([
    [['0x10000/0x10000', '--json'], 'classic', 'default', 'accept mark set', ['accept']],
    [['0x14000', '--from', 'samples/calico-frontend-backend-db/iptables-save.rules', '--json'], 'classic', 'rules', 'accept mark (0x10000) and kube-proxy masquerade mark (0x4000) set', ['accept', 'kube-masquerade']],
    [['0x1000000', '--layout', '3.0', '--json'], 'legacy', 'override', 'accept mark (0x1000000) set', ['accept']],
    [['0x40000/0x40000', '--layout', '3.32', '--json'], 'drop-bit', 'override', 'drop mark set', ['drop']],
    [['0x8001', '--json'], 'classic', 'default', 'kube-proxy drop mark (0x8000) and unknown bits 0x1 set', ['kube-drop']],
  ])('%j', async (args, era, source, summary, roles) => {
    const r = await knetdbg(args);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(String(r.stdout)) as DecodeMarkReport;
    expect(report.layout.era).toBe(era);
    expect(report.layout.source).toBe(source);
    expect(report.summary).toBe(summary);
    expect(report.regions.map((x) => x.role)).toEqual(roles);
  }, TIMEOUT);

  test('human output names the bits and the layout evidence with its line', async () => {
    const r = await knetdbg(['0x0/0x30000', '--from', 'samples/calico-tiers/iptables-save.rules']);
    expect(r.exitCode).toBe(0);
    const out = String(r.stdout);
    expect(out).toContain('Mark 0x0/0x30000: accept mark and pass mark clear');
    expect(out).toMatch(/because {2}line \d+: filter cali-FORWARD clears 0xe0000/);
    expect(out).toContain('as MARK --set-xmark 0x0/0x30000: clears accept mark and pass mark (0x30000)');
    expect(out).not.toMatch(/\u001b\[/);
  }, TIMEOUT);

  test.each([
    [['zz'], 2, 'is not a mark'],
    [['0x1', '--layout', 'fast'], 2, 'not understood'],
    [['0x1', '--from', 'no/such/file.rules'], 1, 'no such file or directory'],
  ])('%j exits %i without a stack trace', async (args, code, text) => {
    const r = await knetdbg(args);
    expect(r.exitCode).toBe(code);
    expect(String(r.stderr)).toContain(text);
    expect(String(r.stderr)).not.toMatch(STACK);
  }, TIMEOUT);
});
