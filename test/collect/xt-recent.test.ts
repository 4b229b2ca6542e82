/**
 * The xt_recent dump format (xt-recent.ts) and its capture: rendering and splitting round-trip, the directory
 * order matches a real sh glob, and `knetdbg collect` (live.ts) and the collect script (collect-node.sh under
 * dash and busybox sh) write byte-identical xt-recent.txt from the same directory, which loadSnapshot reads
 * back as one `xt-recent-<NAME>` text per list. The directory is a temporary folder standing in for
 * /proc/net/xt_recent (kernel-made lists are tested in test/kernel/collect-recent.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { writeDumpMeta } from '../../src/collect/dump-write.js';
import { collectLive } from '../../src/collect/live.js';
import { loadSnapshot } from '../../src/collect/load-snapshot.js';
import { renderCollectScript, renderSourceLine } from '../../src/collect/script.js';
import { getSource, SOURCES, type ProcDirSource } from '../../src/collect/sources.js';
import {
  getListNameFromFileName,
  orderLikeShellGlob,
  renderRecentLists,
  splitRecentLists,
  type RecentListText,
} from '../../src/collect/xt-recent.js';
import type { DumpMeta } from '../../src/model/snapshot.js';

const tmp = mkdtempSync(join(tmpdir(), 'knetdbg-xt-recent-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Lines as the kernel prints them (net/netfilter/xt_recent.c recent_seq_show). */
const LINE_A = 'src=10.244.1.3 ttl: 64 last_seen: 4295236891 oldest_pkt: 1 4295236891\n';
const LINE_B = 'src=10.244.1.7 ttl: 63 last_seen: 4295237000 oldest_pkt: 2 4295236950, 4295237000\n';
const LINE_6 = 'src=fd00:10:244::3 ttl: 64 last_seen: 4295238000 oldest_pkt: 1 4295238000\n';

const SPEC = getSource('xt-recent') as ProcDirSource;

/** A stand-in for /proc/net/xt_recent holding `lists`. */
function fakeDir(name: string, lists: readonly RecentListText[]): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const l of lists) writeFileSync(join(dir, l.name), l.text);
  return dir;
}

/** The lists the shell would list, in its glob order. */
function shellGlob(shell: string[], dir: string): string[] {
  const code = 'for f in "$1"/* "$1"/.[!.]* "$1"/..?*; do [ -e "$f" ] && printf "%s\\n" "${f##*/}"; done; :';
  const out = execFileSync(shell[0]!, [...shell.slice(1), '-c', code, 'sh', dir], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  return out.split('\n').filter(Boolean);
}

const hasShell = (sh: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${sh}`]);
    return true;
  } catch {
    return false;
  }
};
const SHELLS = [['dash'], ['busybox', 'sh']].filter((s) => hasShell(s[0]!));

const LISTS: readonly RecentListText[] = [
  { name: 'KUBE-SEP-ABCDEF', text: LINE_A + LINE_B },
  { name: 'KUBE-SEP-EMPTY', text: '' },
  { name: 'a list', text: LINE_6 },
  { name: '.hidden', text: LINE_A },
  { name: '..two', text: LINE_B },
  { name: 'Z.v6', text: LINE_6 },
];

describe('the xt-recent.txt format', () => {
  test.each([
    ['no list', []],
    ['one list', [LISTS[0]!]],
    ['an empty list keeps its header', [LISTS[1]!]],
    ['every kind of name', LISTS],
  ] as const)('round trip: %s', (_what, lists) => {
    const text = renderRecentLists(lists);
    expect(text.split('\n').filter((l) => l.startsWith('# list ')).length).toBe(lists.length);
    const back = splitRecentLists(text, 'xt-recent.txt');
    expect(back.diagnostics).toEqual([]);
    expect(back.texts).toEqual(lists.map((l) => ({ id: `xt-recent-${l.name}`, file: 'xt-recent.txt', text: l.text })));
  });

  test('a list whose file lacks a final newline gets one', () => {
    const text = renderRecentLists([{ name: 'X', text: LINE_A.trimEnd() }, { name: 'Y', text: LINE_B }]);
    expect(text).toBe(`# list X\n${LINE_A}# list Y\n${LINE_B}`);
  });

  test('lines before the first header are reported with their line', () => {
    const r = splitRecentLists(`\n${LINE_A}# list X\n${LINE_B}`, 'dump/xt-recent.txt');
    expect(r.texts).toEqual([{ id: 'xt-recent-X', file: 'dump/xt-recent.txt', text: LINE_B }]);
    expect(r.diagnostics).toMatchObject([{ severity: 'warning', source: { file: 'dump/xt-recent.txt', line: 2 } }]);
  });

  test('a header-less file is one list named by the caller, or reported without a name', () => {
    expect(splitRecentLists(LINE_A + LINE_B, 'xt_recent_KUBE-SEP-X.txt', 'KUBE-SEP-X').texts).toEqual([
      { id: 'xt-recent-KUBE-SEP-X', file: 'xt_recent_KUBE-SEP-X.txt', text: LINE_A + LINE_B },
    ]);
    const unnamed = splitRecentLists(LINE_A, 'xt_recent.txt');
    expect(unnamed.texts).toEqual([]);
    expect(unnamed.diagnostics[0]?.message).toMatch(/without a list name/);
  });

  test.each([
    ['xt_recent_KUBE-SEP-ABC.txt', 'KUBE-SEP-ABC'],
    ['xt-recent-KUBE-SEP-ABC', 'KUBE-SEP-ABC'],
    ['XT_RECENT.KNETDBG.v4.log', 'KNETDBG.v4'],
    ['xt_recent.txt', undefined],
    ['xt-recent.txt', undefined],
    ['dir/xt_recent', undefined],
  ])('getListNameFromFileName(%s) = %s', (file, name) => {
    expect(getListNameFromFileName(file)).toBe(name);
  });

  test.each(SHELLS.map((s) => [s.join(' '), s] as const))('orderLikeShellGlob is the order of a %s glob', (_name, shell) => {
    const dir = fakeDir('order', LISTS);
    const names = ['b', 'B', '-x', '_y', '.a', '..b', '.-c', 'a b', 'ä'];
    for (const n of names) writeFileSync(join(dir, n), '');
    const expected = shellGlob(shell, dir);
    expect(expected.length).toBe(LISTS.length + names.length);
    expect(orderLikeShellGlob([...expected].reverse())).toEqual(expected);
  });
});

describe('capturing a recent-list directory', () => {
  /** The real source pointed at a stand-in directory. */
  const at = (dir: string): ProcDirSource => ({ ...SPEC, dir });

  test('the source is declared as an extra, read-only directory read of /proc/net/xt_recent', () => {
    expect(SPEC).toMatchObject({ kind: 'proc-dir', id: 'xt-recent', file: 'xt-recent.txt', parser: 'xt-recent', importance: 'extra', dir: '/proc/net/xt_recent' });
    expect(renderSourceLine(SPEC)).toMatch(/^read_lists xt-recent xt-recent\.txt '\["read","\/proc\/net\/xt_recent\/\*"\]' \/proc\/net\/xt_recent /);
  });

  test('collectLive writes every list, and loadSnapshot gives one text per list', async () => {
    const dir = fakeDir('live-src', LISTS);
    const out = join(tmp, 'live-dump');
    const { meta, captures } = await collectLive({ dir: out, sources: [at(dir)], pods: false });
    const text = readFileSync(join(out, 'xt-recent.txt'), 'utf8');
    expect(captures).toEqual([{ id: 'xt-recent', file: 'xt-recent.txt', text }]);
    expect(text).toBe(renderRecentLists(orderLikeShellGlob(LISTS.map((l) => l.name)).map((n) => LISTS.find((l) => l.name === n)!)));
    expect(meta.sources).toEqual([{ id: 'xt-recent', command: ['read', `${dir}/*`], exitCode: 0, durationMs: expect.any(Number), stderr: '', file: 'xt-recent.txt' }]);

    await writeDumpMeta(out, meta);
    const s = await loadSnapshot(out);
    const texts = (s.texts ?? []).filter((t) => t.id.startsWith('xt-recent-'));
    expect(texts.map((t) => t.id).sort()).toEqual(LISTS.map((l) => `xt-recent-${l.name}`).sort());
    for (const l of LISTS) expect(texts.find((t) => t.id === `xt-recent-${l.name}`)).toEqual({ id: `xt-recent-${l.name}`, file: join(out, 'xt-recent.txt'), text: l.text });
    expect(s.diagnostics.filter((d) => d.source.file.endsWith('xt-recent.txt'))).toEqual([]);
  });

  test('an absent directory is recorded as "not loaded", not as an error', async () => {
    const out = join(tmp, 'absent-dump');
    const missing = join(tmp, 'no-such-dir');
    const { meta } = await collectLive({ dir: out, sources: [at(missing)], pods: false });
    expect(meta.sources[0]).toMatchObject({ id: 'xt-recent', exitCode: 0, file: 'xt-recent.txt', stderr: `${missing}: ${SPEC.absentMeans}\n` });
    expect(meta.sources[0]!.error).toBeUndefined();
    expect(readFileSync(join(out, 'xt-recent.txt'), 'utf8')).toBe('');
    await writeDumpMeta(out, meta);
    const s = await loadSnapshot(out);
    expect(s.texts?.some((t) => t.id.startsWith('xt-recent-'))).not.toBe(true);
  });

  test.each(SHELLS.map((s) => [s.join(' '), s] as const))('the collect script under %s writes the same file and record as collectLive', async (_name, shell) => {
    const dir = fakeDir('script-src', LISTS);
    const live = join(tmp, `live-for-${shell[0]}`);
    const { meta: liveMeta } = await collectLive({ dir: live, sources: [at(dir)], pods: false });

    // The script with only this source (pointed at the stand-in) and no pod discovery.
    let script = renderCollectScript();
    for (const s of SOURCES) script = script.replace(`${renderSourceLine(s)}\n`, s.id === SPEC.id ? `${renderSourceLine(at(dir))}\n` : '');
    script = script.replace(/^collect_pods$/m, ':');
    expect(script).toContain(`read_lists xt-recent xt-recent.txt '["read","${dir}/*"]' ${dir} `);
    const path = join(tmp, `only-lists-${shell[0]}.sh`);
    writeFileSync(path, script);
    const out = join(tmp, `script-dump-${shell[0]}`);
    execFileSync(shell[0]!, [...shell.slice(1), path, out], { stdio: ['ignore', 'ignore', 'pipe'] });

    expect(readFileSync(join(out, 'xt-recent.txt'), 'utf8')).toBe(readFileSync(join(live, 'xt-recent.txt'), 'utf8'));
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8')) as DumpMeta;
    const { durationMs: _a, ...scripted } = meta.sources.find((r) => r.id === 'xt-recent')!;
    const { durationMs: _b, ...collected } = liveMeta.sources[0]!;
    expect(scripted).toEqual(collected);

    // Absent directory: the same note.
    const absent = join(tmp, 'absent-for-script');
    writeFileSync(path, script.split(`${dir}`).join(absent));
    const out2 = join(tmp, `script-absent-${shell[0]}`);
    execFileSync(shell[0]!, [...shell.slice(1), path, out2], { stdio: ['ignore', 'ignore', 'pipe'] });
    const meta2 = JSON.parse(readFileSync(join(out2, 'meta.json'), 'utf8')) as DumpMeta;
    expect(meta2.sources.find((r) => r.id === 'xt-recent')).toMatchObject({ exitCode: 0, file: 'xt-recent.txt', stderr: `${absent}: ${SPEC.absentMeans}` });
    expect(readFileSync(join(out2, 'xt-recent.txt'), 'utf8')).toBe('');
  });
});

describe('xt_recent files in a plain folder', () => {
  test('`xt_recent_<NAME>` files are read as that list, knetdbg’s own format by its headers', async () => {
    const dir = join(tmp, 'plain');
    mkdirSync(dir);
    writeFileSync(join(dir, 'xt_recent_KUBE-SEP-ONE.txt'), LINE_A);
    writeFileSync(join(dir, 'xt-recent.txt'), renderRecentLists([{ name: 'TWO', text: LINE_B }, { name: 'THREE', text: '' }]));
    const s = await loadSnapshot(dir);
    expect((s.texts ?? []).map((t) => [t.id, t.text]).sort()).toEqual(
      [
        ['xt-recent-KUBE-SEP-ONE', LINE_A],
        ['xt-recent-TWO', LINE_B],
        ['xt-recent-THREE', ''],
      ].sort(),
    );
  });

  test('a single xt_recent file given as --from is read as its list', async () => {
    const file = join(tmp, 'xt_recent_AFFINITY');
    writeFileSync(file, LINE_A);
    const s = await loadSnapshot(file);
    expect(s.texts).toEqual([{ id: 'xt-recent-AFFINITY', file, text: LINE_A }]);
  });
});
