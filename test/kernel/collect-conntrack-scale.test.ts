/**
 * A node with 200k tracked connections: `knetdbg collect` must stream the conntrack table to the dump and stay
 * under 200 MB of memory (issue 3, "Done when"). The entries are inserted into a scratch namespace with
 * `conntrack -R` (no packet is sent); the peak RSS is GNU time's `%M` for the collecting process, which
 * `ip netns exec` replaces by node (execve), so it is node's own peak.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadSnapshot } from '../../src/collect/load-snapshot.js';
import { cleanupStale, netnsUnavailableReason, run, runIn } from './harness.js';
import { createScratchNetns, DEV, renderConntrackLoadFile } from './node-box.js';

const ENTRIES = 200_000;
const BUDGET_KB = 200 * 1024;
const reason =
  (await netnsUnavailableReason()) ??
  ((await run('sh', ['-c', 'command -v /usr/bin/time && command -v conntrack'], { allowFail: true })).code === 0 ? undefined : 'needs /usr/bin/time and conntrack');

describe.skipIf(reason !== undefined)(`collect with ${ENTRIES} conntrack entries`, () => {
  let scratch: Awaited<ReturnType<typeof createScratchNetns>> | undefined;
  let tmp: string;

  beforeAll(async () => {
    await cleanupStale();
    tmp = mkdtempSync(join(tmpdir(), 'knetdbg-scale-'));
    scratch = await createScratchNetns();
    const file = join(tmp, 'load.txt');
    writeFileSync(file, renderConntrackLoadFile(ENTRIES));
    await runIn(scratch.ns, 'conntrack', ['-R', file], { timeoutMs: 120_000 });
  });

  afterAll(async () => {
    await scratch?.remove();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('streams the table to the dump under 200 MB RSS, and the dump holds every entry', async () => {
    const count = await runIn(scratch!.ns, 'conntrack', ['-C']);
    expect(Number(count.stdout.trim())).toBe(ENTRIES);
    const dump = join(tmp, 'scale.tar.gz');
    const started = Date.now();
    const r = await run('/usr/bin/time', ['-f', 'maxrss_kb=%M', 'ip', 'netns', 'exec', scratch!.ns, process.execPath, DEV, 'collect', '-o', dump], {
      timeoutMs: 180_000,
    });
    const seconds = (Date.now() - started) / 1000;
    const maxRss = Number(/maxrss_kb=(\d+)/.exec(r.stderr)?.[1]);
    // The figure the issue asks for, printed for the report.
    console.log(`collect: ${ENTRIES} conntrack entries, peak RSS ${(maxRss / 1024).toFixed(1)} MB, ${seconds.toFixed(1)} s`);
    expect(maxRss).toBeGreaterThan(0);
    expect(maxRss).toBeLessThan(BUDGET_KB);

    let seen = 0;
    const snapshot = await loadSnapshot(dump, {
      // Count while streaming, keep none: the way a trace loads only the entries of its flow.
      conntrackFilter: () => {
        seen++;
        return false;
      },
    });
    expect(seen).toBe(ENTRIES);
    expect(snapshot.conntrack).toEqual([]);
    expect(snapshot.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
  });
});
