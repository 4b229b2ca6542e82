/**
 * The "done when", against a real node in a box (node-box.ts): `knetdbg trace` live INSIDE the node
 * namespace, `knetdbg collect` there then `trace --from dump.tar.gz` OUTSIDE it (as another machine would), and
 * the `collect --script` dump taken under dash inside the namespace, traced the same way, give the same answer
 * and name the pods. Pods come from a fake node root passed with `--root` (the `/host` of a `kubectl debug node`
 * pod): the libcni cache and /var/log/pods folders of the box's two pods, whose namespaces are real.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadSnapshot } from '../../src/collect/load-snapshot.js';
import type { TraceOutcome, TraceReport } from '../../src/interpret/report.js';
import type { DumpMeta } from '../../src/model/snapshot.js';
import { cleanupStale, type Lab, netnsUnavailableReason, run, runIn } from './harness.js';
import { buildNodeBox, CLUSTER_IP, DEV, makeBoxIdentities, writeNodeRoot, type BoxPodOnRoot } from './node-box.js';

const reason = await netnsUnavailableReason();
const hasTool = async (tool: string): Promise<boolean> => (await run('sh', ['-c', `command -v ${tool}`], { allowFail: true })).code === 0;
const hasDash = await hasTool('dash');
const hasBusybox = await hasTool('busybox');
const TARGET = `${CLUSTER_IP}:80`;

/** The parts of an outcome that are the answer (the brief's list), without wording that names input files. */
function answer(o: TraceOutcome) {
  return {
    verdict: o.verdict,
    destination: o.destination,
    masquerade: o.masquerade,
    probability: o.probability,
    endpoint: o.endpoint,
    path: o.path.map((p) => ({ rule: p.rule, line: p.line, text: p.text })),
  };
}

/** `query` without `input`, which names where the rules came from (`<live>/…` vs the dump). */
function queryOf(r: TraceReport): Omit<TraceReport['query'], 'input'> {
  const { input: _input, ...rest } = r.query;
  return rest;
}

describe.skipIf(reason !== undefined)('trace live on the node = trace of its dump elsewhere', () => {
  let lab: Lab;
  let tmp: string;
  let root: string;
  let pods: BoxPodOnRoot[];
  /** The box connection's conntrack entry, read with conntrack(8) independently of knetdbg. */
  let entry: { sport: number };
  const reports: Record<'live' | 'dump' | 'script', TraceReport> = {} as never;
  const dumps: Partial<Record<'dump' | 'script', string>> = {};
  let script = '';

  beforeAll(async () => {
    await cleanupStale();
    tmp = mkdtempSync(join(tmpdir(), 'knetdbg-live-vs-dump-'));
    lab = await buildNodeBox();
    root = join(tmp, 'root');
    mkdirSync(root);
    pods = await writeNodeRoot(lab, root, makeBoxIdentities());

    const client = pods.find((p) => p.labName === 'client')!;
    const ct = (await lab.conntrack()).filter((e) => e.orig.src === client.ip && e.orig.dst === CLUSTER_IP && e.orig.dport === 80);
    expect(ct).toHaveLength(1);
    entry = { sport: ct[0]!.orig.sport };

    const trace = async (where: 'in' | 'out', args: string[]): Promise<TraceReport> => {
      const argv = [DEV, 'trace', TARGET, '--json', ...args];
      const r = where === 'in' ? await runIn(lab.node, process.execPath, argv, { timeoutMs: 60_000 }) : await run(process.execPath, argv, { timeoutMs: 60_000 });
      return JSON.parse(r.stdout) as TraceReport;
    };

    // (1) Live, in the node namespace, no --src: the source must default to a pod of this node.
    reports.live = await trace('in', ['--root', root]);

    // (2) collect in the node namespace, trace the tarball outside it.
    const dump = join(tmp, 'dump.tar.gz');
    await runIn(lab.node, process.execPath, [DEV, 'collect', '-o', dump, '--root', root, '--json'], { timeoutMs: 60_000 });
    reports.dump = await trace('out', ['--from', dump]);
    dumps.dump = dump;

    // (3) the POSIX script under dash in the node namespace, with the root as its second argument.
    script = join(tmp, 'collect.sh');
    writeFileSync(script, (await run(process.execPath, [DEV, 'collect', '--script'], { timeoutMs: 30_000 })).stdout);
    if (hasDash) {
      const scripted = join(tmp, 'script-dump.tar.gz');
      await runIn(lab.node, 'dash', [script, scripted, root], { timeoutMs: 60_000 });
      reports.script = await trace('out', ['--from', scripted]);
      dumps.script = scripted;
    }
    writeFileSync(join(tmp, 'reports.json'), JSON.stringify(reports, null, 2));
  }, 180_000);

  afterAll(async () => {
    if (process.env['KNETDBG_KEEP_REPORTS'] && tmp) console.log(readFileSync(join(tmp, 'reports.json'), 'utf8'));
    await lab?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const kinds = (): ('dump' | 'script')[] => (hasDash ? ['dump', 'script'] : ['dump']);

  test('the live trace names the endpoint pod and defaults the source to the client pod', () => {
    const nginx = pods.find((p) => p.labName === 'nginx')!;
    const client = pods.find((p) => p.labName === 'client')!;
    const live = reports.live;
    expect(live.query.input).toMatch(/^<live>/);
    expect(live.query.sourceAssumed).toBe(true);
    expect(live.query.source).toBe(client.ip);
    expect(live.assumptions).toContain(`source ${client.ip} assumed: pod ${client.namespace}/${client.name} on this node (pass --src to trace another client)`);
    expect(live.outcomes).toHaveLength(1);
    expect(live.outcomes[0]).toMatchObject({
      verdict: 'ACCEPT',
      destination: `${nginx.ip}:80`,
      endpoint: `${nginx.namespace}/${nginx.name} (${nginx.ip}, ${nginx.hostInterface})`,
    });
    expect(nginx.hostInterface).toMatch(/^cali/);
  });

  test.each([['dump'], ['script']] as const)('the %s trace gives the same outcomes and query as the live one', (kind) => {
    if (!kinds().includes(kind)) return;
    const other = reports[kind];
    expect(other.query.input).not.toMatch(/^<live>/);
    expect(queryOf(other)).toEqual(queryOf(reports.live));
    expect(other.outcomes.map(answer)).toEqual(reports.live.outcomes.map(answer));
    // The source assumption names the same pod.
    const assumed = (r: TraceReport) => r.assumptions.filter((a) => a.startsWith('source '));
    expect(assumed(other)).toEqual(assumed(reports.live));
  });

  test.each([['live'], ['dump'], ['script']] as const)('%s: the box connection is reported as an existing conntrack entry', (kind) => {
    if (kind === 'script' && !hasDash) return;
    const client = pods.find((p) => p.labName === 'client')!;
    const found = reports[kind].findings.filter((f) => f.code === 'conntrack-entries');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/^1 existing conntrack entry for tcp 10\.96\.34\.82:80/);
    expect(found[0]!.message).toContain(`${client.ip}:${entry.sport} → ${CLUSTER_IP}:80 ⇒ 10.244.2.2:80`);
  });

  /** meta.json's record of a source. */
  const recordOf = (meta: DumpMeta | undefined, id: string) => meta?.sources.find((r) => r.id === id);

  test.each([
    ['dump', 'nsenter'],
    ['script', 'cni-cache'],
  ] as const)('the %s read the node root it was given and found both pods (IP from %s)', async (kind, ipFrom) => {
    if (!dumps[kind]) return;
    const snapshot = await loadSnapshot(dumps[kind]);
    for (const [id, dir] of [['cni-cache', 'var/lib/cni/results'], ['pod-log-dirs', 'var/log/pods']]) {
      const record = recordOf(snapshot.meta, id);
      expect(record?.command).toEqual(['ls', '-1', join(root, dir)]);
      expect(record?.exitCode).toBe(0);
    }
    for (const p of pods) {
      // collectLive enters the pod namespaces through the root's netns paths; the script takes no nsenter listing.
      expect(snapshot.pods.find((x) => x.namespace === p.namespace && x.name === p.name)).toMatchObject({
        ips: [p.ip],
        hostInterface: p.hostInterface,
        foundBy: ipFrom,
        sandboxId: p.sandboxId,
        uid: p.uid,
        netnsPath: `/var/run/netns/${p.netns}`,
      });
    }
  });

  test.skipIf(!hasBusybox)('the script takes the root from KNETDBG_ROOT too (busybox sh, folder output)', async () => {
    const out = join(tmp, 'env-root-dump');
    await runIn(lab.node, 'env', [`KNETDBG_ROOT=${root}/`, 'busybox', 'sh', script, out], { timeoutMs: 60_000 });
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as DumpMeta;
    // The trailing slash is dropped, so the path is the one `knetdbg collect --root` records.
    expect(recordOf(meta, 'cni-cache')?.command).toEqual(['ls', '-1', join(root, 'var/lib/cni/results')]);
    const snapshot = await loadSnapshot(out);
    expect(snapshot.pods.map((p) => `${p.namespace}/${p.name}`).sort()).toEqual(pods.map((p) => `${p.namespace}/${p.name}`).sort());
  });
});
