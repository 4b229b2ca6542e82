import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { rmSync } from 'node:fs';
import type { PolicyExplanation } from '../../src/interpret/calico/explain-policy.js';

/** The real CLI through bin/dev.js (tsx over src/), as a user runs it. */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const DEV = join(ROOT, 'bin', 'dev.js');
const TIMEOUT = 20_000;
const STACK = /^\s+at .+:\d+:\d+\)?$/m;
const TMP = mkdtempSync(join(tmpdir(), 'knetdbg-explain-policy-'));
const PODS = join(TMP, 'pods.txt');
writeFileSync(PODS, [
  'NAMESPACE   NAME                      READY   STATUS    RESTARTS   AGE   IP           NODE       NOMINATED NODE   READINESS GATES',
  'default     backend-867fd6dff-mjf92   1/1     Running   0          5d    10.88.0.27   minikube   <none>           <none>',
  'default     db-8d66ff5f7-bp6kf        1/1     Running   0          5d    10.88.0.26   minikube   <none>           <none>',
  'default     frontend-8b474f47-zdqdv   1/1     Running   0          5d    10.88.0.24   minikube   <none>           <none>',
].join('\n'));
const FBD = ['--from', 'samples/calico-frontend-backend-db/iptables-save.rules', '--from', 'samples/calico-frontend-backend-db/ipset-list.txt'];

afterAll(() => rmSync(TMP, { recursive: true, force: true }));

function knetdbg(args: string[]) {
  return execa(process.execPath, [DEV, 'explain-policy', ...args], { cwd: ROOT, reject: false, timeout: TIMEOUT, env: { NO_COLOR: '1' } });
}

describe('knetdbg explain-policy', () => {
  test('db by prefix with a kubectl pod list: who can reach db and why, on one screen', async () => {
    const r = await knetdbg(['db', ...FBD, '--from', PODS, '--peer', 'frontend']);
    expect(r.exitCode).toBe(0);
    const out = String(r.stdout);
    expect(out.split('\n')[0]).toBe('Calico policy of default/db-8d66ff5f7-bp6kf');
    expect(out).toContain('default/db-8d66ff5f7-bp6kf accepts any protocol from 10.88.0.27 (default/backend-867fd6dff-mjf92)');
    expect(out).toContain('default/frontend-8b474f47-zdqdv (10.88.0.24) → this pod: NO, dropped at samples/calico-frontend-backend-db/iptables-save.rules:170');
    expect(out).not.toMatch(/\u001b\[/);
    expect(String(r.stderr)).toBe('');
  }, TIMEOUT);

  test('--json is the report, with the peer check decided by the engine', async () => {
    const r = await knetdbg(['calief4a6ea9f4b', '--from', 'samples/calico-tiers/iptables-save.rules', '--from', 'samples/calico-tiers/ipset-list.txt', '--ip', '10.244.1.11', '--peer', '10.99.0.5', '--port', '8080', '--json']);
    expect(r.exitCode).toBe(0);
    const report = JSON.parse(String(r.stdout)) as PolicyExplanation;
    expect(report.status).toBe('explained');
    expect(report.ingress!.tiers.map((t) => t.name)).toEqual(['security', 'default']);
    expect(report.reach![0]).toMatchObject({ direction: 'ingress', answer: 'no', outcomes: [{ verdict: 'DROP', decidedBy: { line: 120 } }] });
  }, TIMEOUT);

  test.each([
    [['', ...FBD, '--from', PODS], 2, 'Several workloads match "": choose one'],
    [['nginx', ...FBD, '--from', PODS], 1, 'No workload "nginx" on this node'],
  ])('%j exits %i', async (args, code, text) => {
    const r = await knetdbg(args);
    expect(r.exitCode).toBe(code);
    expect(String(r.stdout)).toContain(text);
  }, TIMEOUT);

  test.each([
    [['db', '--from', 'no/such/file'], 1, 'no such file or directory'],
    [['db', '--from', 'samples/calico-frontend-backend-db/ipset-list.txt'], 1, 'no iptables rules'],
    [['db', ...FBD, '--layout', 'fast'], 2, 'not understood'],
    [['db', ...FBD, '--port', '80'], 2, '--port needs --peer'],
    [['db', ...FBD, '--ip', 'x'], 2, 'invalid --ip "x"'],
    [['db'], 2, 'Missing required flag'],
  ])('%j exits %i without a stack trace', async (args, code, text) => {
    const r = await knetdbg(args);
    expect(r.exitCode).toBe(code);
    // oclif wraps long errors to the terminal width behind ` ›   `: compare the message unwrapped.
    expect(String(r.stderr).replace(/\n ›\s+/g, ' ').replace(/\s+/g, ' ')).toContain(text);
    expect(String(r.stderr)).not.toMatch(STACK);
  }, TIMEOUT);
});
