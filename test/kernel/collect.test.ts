/**
 * `knetdbg collect` against a real node in a box (node-box.ts): real nf_tables rules from
 * samples/clusterip-nginx.rules, a legacy-backend ghost rule, real ipsets, and conntrack entries of a real
 * pod → ClusterIP connection. Collection runs INSIDE the node namespace (`ip netns exec`), as the CLI and as
 * the `--script` output under dash and busybox sh; the dumps must hold what is there, load to the same
 * snapshot, give the same trace as the live rules, and leave rules, sets and conntrack exactly as they were.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { countRules, pickIptables } from '../../src/collect/iptables-backends.js';
import { loadSnapshot } from '../../src/collect/load-snapshot.js';
import { SOURCES } from '../../src/collect/sources.js';
import { traceQuery } from '../../src/interpret/trace-query.js';
import type { NodeSnapshot } from '../../src/model/snapshot.js';
import { cleanupStale, type Lab, netnsUnavailableReason, run, runIn } from './harness.js';
import { BOX_SETS, buildNodeBox, CLUSTER_IP, DEV, GHOST_RULE, readNodeState, ROOT, type NodeState } from './node-box.js';

const reason = await netnsUnavailableReason();
const hasShell = (sh: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${sh}`]);
    return true;
  } catch {
    return false;
  }
};

describe.skipIf(reason !== undefined)('knetdbg collect in a node namespace', () => {
  let lab: Lab;
  let tmp: string;
  let before: NodeState;
  let dump: string;
  let snapshot: NodeSnapshot;
  let script: string;

  beforeAll(async () => {
    await cleanupStale();
    lab = await buildNodeBox({ ghostRule: true });
    tmp = mkdtempSync(join(tmpdir(), 'knetdbg-collect-test-'));
    before = await readNodeState(lab.node);
    dump = join(tmp, 'dump.tar.gz');
    const r = await runIn(lab.node, process.execPath, [DEV, 'collect', '-o', dump, '--json'], { timeoutMs: 60_000 });
    const summary = JSON.parse(r.stdout) as { output: string; sources: { id: string; status: string }[] };
    expect(summary.output).toBe(dump);
    snapshot = await loadSnapshot(dump);
    script = join(tmp, 'collect.sh');
    writeFileSync(script, (await run(process.execPath, [DEV, 'collect', '--script'], { timeoutMs: 30_000 })).stdout);
  });

  afterAll(async () => {
    await lab?.destroy();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  test('rules, sets, conntrack, nft ruleset and sysctls are unchanged by collection', async () => {
    const after = await readNodeState(lab.node);
    expect(after).toEqual(before);
    // The comparison itself must see the state: an empty reading would make it vacuous.
    expect(before.rules).toContain('KUBE-SVC-2CMXP7HKUVJN7L6M');
    expect(before.sets).toContain('KNETDBG-CLUSTER-IP');
    expect(before.conntrack).toContain(`dst=${CLUSTER_IP}`);
  });

  test('meta.json records the node, the tools and every source', () => {
    const meta = snapshot.meta!;
    expect(meta.format).toBe('knetdbg-dump');
    expect(meta.kernel).toBe(execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim());
    expect(meta.toolVersions.iptables).toMatch(/^iptables v1\.\d+\.\d+/);
    const ids = meta.sources.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['iptables-save', 'iptables-legacy-save', 'ipset-list', 'conntrack', 'ip-addr', 'ip-route', 'sysctl']));
    const ipt = meta.sources.find((s) => s.id === 'iptables-save')!;
    expect(ipt).toMatchObject({ command: ['iptables-save', '-c'], exitCode: 0, file: 'iptables-save.txt' });
    expect(ipt.durationMs).toBeGreaterThanOrEqual(0);
  });

  test('the dump holds the rules of both backends and reports the ghost rule', async () => {
    const live = (await runIn(lab.node, 'iptables-nft-save', [])).stdout;
    const chosen = pickIptables(snapshot, 4).capture!;
    expect(countRules(chosen.text)).toBe(countRules(live));
    expect(chosen.text).toMatch(/^\[\d+:\d+\] -A KUBE-SERVICES -d 10\.96\.34\.82\/32/m);
    const legacy = snapshot.iptables.find((c) => c.id === 'iptables-legacy-save')!;
    expect(legacy.text).toContain(GHOST_RULE.join(' '));
    expect(snapshot.diagnostics.map((d) => d.message).join('\n')).toMatch(/both iptables backends hold rules: legacy 1 .* nf_tables \d+/);
  });

  test('the dump holds every set with its members and options', () => {
    for (const set of BOX_SETS) {
      const found = snapshot.ipsets.find((s) => s.name === set.create[0]);
      expect(found, set.create[0]).toBeDefined();
      expect(found!.type).toBe(set.create[1]);
      expect(found!.members).toHaveLength(set.add.length);
    }
    const cluster = snapshot.ipsets.find((s) => s.name === 'KNETDBG-CLUSTER-IP')!;
    expect(cluster.members.find((m) => m.elements[0] === CLUSTER_IP)).toMatchObject({ elements: [CLUSTER_IP, 'tcp:80'], comment: 'default/nginx:http' });
    expect(snapshot.ipsets.find((s) => s.name === 'KNETDBG-POD-NETS')!.members.find((m) => m.nomatch)?.elements).toEqual(['10.244.9.0/24']);
    const timed = snapshot.ipsets.find((s) => s.name === 'KNETDBG-TIMED')!.members[0]!;
    expect(timed.timeout).toBeGreaterThan(2900);
    expect(timed.timeout).toBeLessThanOrEqual(3000);
  });

  test('the dump holds the conntrack entry of the pod → ClusterIP connection', () => {
    const entry = snapshot.conntrack.find((e) => e.original.dst === CLUSTER_IP && e.original.dport === 80);
    expect(entry).toBeDefined();
    expect(entry!).toMatchObject({ family: 4, protocol: 'tcp', original: { src: '10.244.1.3' }, reply: { src: '10.244.2.2', sport: 80 } });
    expect(entry!.flags).toContain('ASSURED');
  });

  test('the dump holds addresses, routes and sysctls', () => {
    const eth0 = snapshot.interfaces.find((i) => i.name === 'eth0')!;
    expect(eth0.addresses.map((a) => `${a.address}/${a.prefixLength}`)).toContain('172.18.0.2/24');
    const cali = snapshot.interfaces.filter((i) => i.name.startsWith('cali'));
    expect(cali).toHaveLength(2);
    expect(cali.every((i) => i.kind === 'veth')).toBe(true);
    const podRoute = snapshot.routes.find((r) => r.destination === '10.244.2.2' && r.table === 'main');
    expect(podRoute?.device).toMatch(/^cali/);
    expect(snapshot.routes.some((r) => r.table === 'local' && r.type === 'local' && r.destination === '172.18.0.2')).toBe(true);
    expect(snapshot.sysctls['net.ipv4.ip_forward']).toBe('1');
    expect(snapshot.missing.map((m) => m.id)).toEqual(['pods']);
  });

  test('the trace from the dump equals the trace from the live rules', async () => {
    const live = (await runIn(lab.node, 'iptables-save', [])).stdout;
    const query = { destination: CLUSTER_IP, port: 80, protocol: 'tcp' as const, src: '10.244.1.3' };
    const fromLive = traceQuery({ text: live, file: '<live>' }, query);
    const chosen = pickIptables(snapshot, 4).capture!;
    const fromDump = traceQuery({ text: chosen.text, file: chosen.file }, query);
    expect(fromDump.outcomes).toEqual(fromLive.outcomes);
    expect(fromDump.outcomes.some((o) => o.destination === '10.244.2.2:80')).toBe(true);
  });

  test.each(['dash', 'busybox sh'].filter((sh) => hasShell(sh.split(' ')[0]!)))('the --script dump written by %s loads to the same snapshot', async (shell) => {
    const out = join(tmp, `${shell.replace(' ', '-')}.tar.gz`);
    const [prog, ...args] = shell.split(' ');
    await runIn(lab.node, prog!, [...args, script, out], { timeoutMs: 60_000 });
    const fromScript = await loadSnapshot(out);
    expect(fromScript.meta?.tool.name).toBe('knetdbg-collect.sh');
    // Same sources in the same order (pod discovery's per-sandbox records depend on the node: compared as a set).
    const ids = (x: NodeSnapshot) => x.meta!.sources.map((s) => s.id);
    const core = (x: NodeSnapshot) => ids(x).filter((id) => SOURCES.some((s) => s.id === id));
    expect(core(fromScript)).toEqual(SOURCES.map((s) => s.id));
    expect(core(snapshot)).toEqual(SOURCES.map((s) => s.id));
    expect(ids(fromScript)).toEqual(expect.arrayContaining(['crictl-pods', 'pod-host-ip-link', 'cni-cache', 'pod-log-dirs']));
    expect(essence(fromScript)).toEqual(essence(snapshot));
    expect(await readNodeState(lab.node)).toEqual(before);
  });

  test('loadSnapshot() without a dump collects live in the namespace and gives the same snapshot', async () => {
    const code = `import('${join(ROOT, 'src/collect/load-snapshot.ts')}').then(async (m) => process.stdout.write(JSON.stringify(await m.loadSnapshot())))`;
    const r = await runIn(lab.node, process.execPath, ['--import', 'tsx', '-e', code], { timeoutMs: 60_000 });
    const live = JSON.parse(r.stdout) as NodeSnapshot;
    expect(live.origin).toBe('live');
    expect(live.iptables.every((c) => c.file.startsWith('<live>/'))).toBe(true);
    expect(essence(live)).toEqual(essence(snapshot));
  });

  test('shellcheck finds nothing in the script', async () => {
    const check = await run('sh', ['-c', 'command -v shellcheck'], { allowFail: true });
    if (check.code !== 0) return;
    const r = await run('shellcheck', ['--shell=sh', script], { allowFail: true });
    expect(r.stdout).toBe('');
  });

  test('a partial dump loads what it has and says what is missing', async () => {
    const dir = join(tmp, 'partial');
    await run('tar', ['-xzf', dump, '-C', tmp]);
    cpSync(join(tmp, 'dump'), dir, { recursive: true });
    unlinkSync(join(dir, 'conntrack.txt'));
    unlinkSync(join(dir, 'ipset-list.txt'));
    const partial = await loadSnapshot(dir);
    const missing = Object.fromEntries(partial.missing.map((m) => [m.id, m.why]));
    expect(missing.conntrack).toMatch(/conntrack\.txt is listed in meta\.json but absent/);
    expect(missing['ipset-list']).toMatch(/ipset-list\.txt/);
    expect(partial.conntrack).toEqual([]);
    expect(partial.ipsets).toEqual([]);
    expect(essence(partial).routes).toEqual(essence(snapshot).routes);
    expect(pickIptables(partial, 4).capture?.text).toBe(pickIptables(snapshot, 4).capture?.text);
  });

  test('a truncated conntrack capture and a garbled ipset line are reported with file and line', async () => {
    const dir = join(tmp, 'garbled');
    cpSync(join(tmp, 'dump'), dir, { recursive: true });
    const ct = join(dir, 'conntrack.txt');
    // Cut the last entry in the middle, as a full disk or a killed collector would.
    truncateSync(ct, statSync(ct).size - 40);
    const sets = join(dir, 'ipset-list.txt');
    const lines = readFileSync(sets, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.startsWith('Type: hash:net'));
    lines.splice(at + 1, 0, 'Header: family inet hashsize \u0001\u0002 garbage');
    writeFileSync(sets, lines.join('\n'));
    const loaded = await loadSnapshot(dir);
    const located = loaded.diagnostics.map((d) => `${d.source.file}:${d.source.line}: ${d.message}`);
    const ctLines = readFileSync(ct, 'utf8').split('\n').filter(Boolean).length;
    expect(located.some((l) => l.startsWith(`${join(dir, 'conntrack.txt')}:${ctLines}:`))).toBe(true);
    expect(located.some((l) => l.startsWith(`${join(dir, 'ipset-list.txt')}:${at + 2}:`))).toBe(true);
    await expect(loadSnapshot(dir, { strict: true })).rejects.toThrow(/conntrack\.txt:\d+|ipset-list\.txt:\d+/);
  });

  test('a truncated archive loads the entries before the cut and says so', async () => {
    const cut = join(tmp, 'cut.tar.gz');
    const bytes = readFileSync(dump);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const loaded = await loadSnapshot(cut);
    expect(loaded.diagnostics.some((d) => d.source.file === cut && /cut or damaged|truncated/.test(d.message))).toBe(true);
    expect(loaded.meta?.format).toBe('knetdbg-dump');
    expect(loaded.missing.length).toBeGreaterThan(1);
  });
});

/**
 * What two collections of the same unchanged node must agree on (no timers, counters or file labels). IPv6
 * link-local addresses and their routes are left out: the kernel adds them on its own after a link comes up
 * (addrconf, after duplicate address detection), so they may appear between two collections.
 */
function essence(s: NodeSnapshot) {
  const linkLocal = (a: string) => /^fe80:/i.test(a);
  const strip = (t: string) => t.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/^\[\d+:\d+\] /, '')).join('\n');
  return {
    iptables: s.iptables.map((c) => ({ id: c.id, text: strip(c.text) })),
    ipsets: s.ipsets.map((x) => ({ name: x.name, type: x.type, members: x.members.map((m) => [m.elements, m.nomatch, m.comment]) })),
    conntrack: s.conntrack.map((e) => [e.protocol, e.state, e.original.src, e.original.dst, e.original.sport, e.original.dport, e.reply.src, e.reply.sport]).sort(),
    interfaces: s.interfaces.map((i) => [i.name, i.kind, i.addresses.filter((a) => !linkLocal(a.address)).map((a) => `${a.address}/${a.prefixLength}`)]),
    routes: s.routes.filter((r) => !linkLocal(r.destination)).map((r) => [r.family, r.table, r.type, r.destination, r.device ?? '', r.gateway ?? '']).sort(),
    sysctls: s.sysctls,
    missing: s.missing.map((m) => m.id),
    texts: (s.texts ?? []).map((t) => t.id),
  };
}

