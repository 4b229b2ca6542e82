/**
 * The kernel's xt_recent lists in a dump, against a real node in a box (node-box.ts). kube-proxy's ClientIP
 * session affinity keeps one list per endpoint and checks it with `-m recent --rcheck --name KUBE-SEP-…`
 * (iptables-extensions(8) "recent"); the list lives in /proc/net/xt_recent/<NAME> of the node's network
 * namespace. Here a raw-table `--set` rule puts the client pod's address in list KNETDBG-AFFINITY when it
 * connects (a real connection between the box's namespaces), and a kube-proxy-shaped `--rcheck` rule in the
 * ClusterIP's KUBE-SVC chain pins listed clients. `knetdbg collect` (and the --script dump under dash) taken
 * inside the node namespace must hold the list with that address, load it back as `xt-recent-KNETDBG-AFFINITY`,
 * and the trace of the dump must decide the `--rcheck` from it, with no "first-time client" assumption.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadSnapshot } from '../../src/collect/load-snapshot.js';
import type { TraceReport } from '../../src/interpret/report.js';
import type { NodeSnapshot } from '../../src/model/snapshot.js';
import { cleanupStale, type Lab, netnsUnavailableReason, run, runIn } from './harness.js';
import { buildNodeBox, CLUSTER_IP, DEV } from './node-box.js';

const reason = await netnsUnavailableReason();
const hasDash = (await run('sh', ['-c', 'command -v dash'], { allowFail: true })).code === 0;

const LIST = 'KNETDBG-AFFINITY';
const CLIENT = '10.244.1.3';
/** A client that never connected: in no list. */
const STRANGER = '10.244.1.77';
/** The ClusterIP's service chain and its one endpoint in samples/clusterip-nginx.rules. */
const SVC = 'KUBE-SVC-2CMXP7HKUVJN7L6M';
const SEP = 'KUBE-SEP-HUXRPHBUO34UVPEF';
/** Records each client that sends a TCP packet to port 80 (before DNAT: raw PREROUTING sees the ClusterIP port). */
const SET_RULE = ['-t', 'raw', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '80', '-m', 'recent', '--set', '--name', LIST, '--rsource'];
/** kube-proxy's affinity rule shape (pkg/proxy/iptables/proxier.go): a listed client goes straight to its endpoint. */
const RCHECK_RULE = ['-t', 'nat', '-I', SVC, '1', '-m', 'recent', '--rcheck', '--seconds', '10800', '--reap', '--name', LIST, '--mask', '255.255.255.255', '--rsource', '-j', SEP];

describe.skipIf(reason !== undefined)('xt_recent lists in a node dump', () => {
  let lab: Lab;
  let tmp: string;
  /** /proc/net/xt_recent/KNETDBG-AFFINITY as cat(1) reads it in the node namespace after the connection. */
  let procList: string;
  let dump: string;
  let snapshot: NodeSnapshot;
  let scriptDump: string | undefined;

  beforeAll(async () => {
    await cleanupStale();
    tmp = mkdtempSync(join(tmpdir(), 'knetdbg-collect-recent-'));
    lab = await buildNodeBox();
    await runIn(lab.node, 'iptables', SET_RULE);
    await runIn(lab.node, 'iptables', RCHECK_RULE);
    const [result] = await lab.connect({ kind: 'pod', name: 'client' }, CLUSTER_IP, 80, { timeoutMs: 3000 });
    if (result?.outcome !== 'answered') throw new Error(`client → ClusterIP connection failed: ${JSON.stringify(result)}`);
    procList = (await runIn(lab.node, 'cat', [`/proc/net/xt_recent/${LIST}`])).stdout;

    dump = join(tmp, 'dump.tar.gz');
    await runIn(lab.node, process.execPath, [DEV, 'collect', '-o', dump, '--json'], { timeoutMs: 60_000 });
    await run('tar', ['-xzf', dump, '-C', tmp]);
    snapshot = await loadSnapshot(dump);
    if (hasDash) {
      const script = join(tmp, 'collect.sh');
      writeFileSync(script, (await run(process.execPath, [DEV, 'collect', '--script'], { timeoutMs: 30_000 })).stdout);
      scriptDump = join(tmp, 'script-dump');
      await runIn(lab.node, 'dash', [script, scriptDump], { timeoutMs: 60_000 });
    }
  }, 180_000);

  afterAll(async () => {
    await lab?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('the kernel put the client in the list (the box is what the test claims)', () => {
    expect(procList).toMatch(new RegExp(`^src=${CLIENT.replace(/\./g, '\\.')} ttl: \\d+ last_seen: \\d+ oldest_pkt: \\d+`, 'm'));
    expect(procList).not.toContain(STRANGER);
  });

  test('the dump holds the list verbatim under `# list NAME`, and meta.json records the read', () => {
    const text = readFileSync(join(tmp, 'dump', 'xt-recent.txt'), 'utf8');
    expect(text).toContain(`# list ${LIST}\n${procList}`);
    const record = snapshot.meta!.sources.find((r) => r.id === 'xt-recent');
    expect(record).toMatchObject({ command: ['read', '/proc/net/xt_recent/*'], exitCode: 0, stderr: '', file: 'xt-recent.txt' });
    expect(record!.error).toBeUndefined();
  });

  test('the loaded snapshot holds the list with the client address', () => {
    const list = snapshot.texts?.find((t) => t.id === `xt-recent-${LIST}`);
    expect(list?.text).toBe(procList);
    expect(list?.file).toBe(`${dump}(dump/xt-recent.txt)`);
  });

  test.skipIf(!hasDash)('the --script dump (dash) writes the same xt-recent.txt and record', async () => {
    const text = readFileSync(join(scriptDump!, 'xt-recent.txt'), 'utf8');
    expect(text).toBe(readFileSync(join(tmp, 'dump', 'xt-recent.txt'), 'utf8'));
    const fromScript = await loadSnapshot(scriptDump!);
    expect(fromScript.texts?.find((t) => t.id === `xt-recent-${LIST}`)?.text).toBe(procList);
    const { durationMs: _a, ...scripted } = fromScript.meta!.sources.find((r) => r.id === 'xt-recent')!;
    const { durationMs: _b, ...collected } = snapshot.meta!.sources.find((r) => r.id === 'xt-recent')!;
    expect(scripted).toEqual(collected);
  });

  const trace = async (src: string, from: string): Promise<TraceReport> => {
    const r = await run(process.execPath, [DEV, 'trace', `${CLUSTER_IP}:80`, '--src', src, '--from', from, '--json'], { timeoutMs: 60_000 });
    return JSON.parse(r.stdout) as TraceReport;
  };
  const usesRcheck = (r: TraceReport): boolean => r.outcomes.some((o) => o.path.some((p) => p.chain === SVC && /--rcheck/.test(p.text)));
  const recentAssumptions = (r: TraceReport): string[] => r.assumptions.filter((a) => /recent list|first-time client/.test(a));

  test.each(['dump', 'script'] as const)('the trace of the %s decides --rcheck from the captured list', async (kind) => {
    if (kind === 'script' && !hasDash) return;
    const from = kind === 'dump' ? dump : scriptDump!;
    const pinned = await trace(CLIENT, from);
    expect(recentAssumptions(pinned)).toEqual([]);
    expect(pinned.outcomes).toHaveLength(1);
    expect(pinned.outcomes[0]).toMatchObject({ probability: 1, destination: '10.244.2.2:80', given: [] });
    expect(usesRcheck(pinned)).toBe(true);
    expect(pinned.outcomes[0]!.path.find((p) => p.chain === SVC)?.rule).toBe(1);

    const stranger = await trace(STRANGER, from);
    expect(recentAssumptions(stranger)).toEqual([]);
    expect(stranger.outcomes).toHaveLength(1);
    expect(stranger.outcomes[0]!.destination).toBe('10.244.2.2:80');
    expect(usesRcheck(stranger)).toBe(false);
  });

  test('without the captured lists the same rules fall back to the first-time-client assumption', async () => {
    // Contrast: the rules alone (the dump's iptables-save file) give the engine no list to read.
    const rules = join(tmp, 'dump', 'iptables-save.txt');
    expect(execFileSync('grep', ['-c', '--', '--rcheck', rules], { encoding: 'utf8' }).trim()).toBe('1');
    const bare = await trace(CLIENT, rules);
    expect(recentAssumptions(bare).join('\n')).toMatch(/first-time client/);
    expect(usesRcheck(bare)).toBe(false);
  });
});
