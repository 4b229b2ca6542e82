/**
 * Live collection: runs every source of sources.ts on this node through the {@link Runner} and writes each
 * one's output to its file in a dump folder. Nothing aborts the collection: a missing tool, a failing
 * command or a timeout is recorded in meta.json (`sources[]`) and the next source runs. Read-only by
 * construction: only the listing commands of sources.ts run, and /proc/sys and /proc/net/xt_recent are opened
 * for reading.
 */
import { readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { CapturedText, DumpMeta, SourceRecord } from '../model/snapshot.js';
import { discoverPods } from './pods.js';
import { runProgram, type Runner } from './runner.js';
import { orderLikeShellGlob, renderRecentLists, type RecentListText } from './xt-recent.js';
import {
  listProcDirCommand,
  listProcSysCommand,
  META_PROBES,
  procSysPath,
  SOURCES,
  VERSION_PROBES,
  type CommandSource,
  type ProcDirSource,
  type ProcSysSource,
  type SourceSpec,
} from './sources.js';

/** Name and version written to meta.json `tool`. */
export const KNETDBG_TOOL = { name: 'knetdbg', version: '0.1.0' } as const;

/** stderr kept per source in meta.json: enough for any tool's error message, not a runaway log. */
export const MAX_STDERR_CHARS = 16 * 1024;

/** Options of {@link collectLive}. */
export interface CollectLiveOptions {
  /** Folder the source files are written to; created when absent. */
  dir: string;
  /** Runs the programs; the execa runner by default. */
  run?: Runner;
  /** Sources to capture; all of sources.ts by default. */
  sources?: readonly SourceSpec[];
  /** Overrides each command's timeout (tests). */
  timeoutMs?: number;
  /** Progress lines (the command prints them to stderr). */
  onProgress?: (message: string) => void;
  /** Discover pods (pods.ts); default true. */
  pods?: boolean;
  /**
   * The node's filesystem root for the files pod discovery reads (CNI cache, /var/log/pods): `/` (default),
   * `/host` under `kubectl debug node/… --profile=sysadmin`. /proc/sys is not re-rooted: its net.* values are
   * those of the reading process's network namespace (proc(5)), which is the node's under hostNetwork.
   */
  root?: string;
}

/** Result of {@link collectLive}. */
export interface LiveCollection {
  /**
   * Outputs held in memory, one per source that produced a file. Streamed sources (conntrack) are NOT here:
   * they exist only as files in the dump folder, so a huge table never enters memory.
   */
  captures: CapturedText[];
  meta: DumpMeta;
}

/**
 * Captures every source into `options.dir` and returns meta.json's content (not yet written: dump-write.ts
 * writes it). Never throws for a failing source; throws only when the folder itself cannot be written.
 */
export async function collectLive(options: CollectLiveOptions): Promise<LiveCollection> {
  const run = options.run ?? runProgram;
  const sources = options.sources ?? SOURCES;
  const progress = options.onProgress ?? (() => undefined);
  await mkdir(options.dir, { recursive: true });
  const capturedAt = new Date().toISOString();

  const meta: DumpMeta = {
    format: 'knetdbg-dump',
    formatVersion: 1,
    capturedAt,
    tool: { ...KNETDBG_TOOL },
    toolVersions: {},
    sources: [],
  };
  for (const probe of META_PROBES) {
    const r = await run([...probe.command], { timeoutMs: 5_000 });
    const value = firstLine(r.stdout);
    if (r.exitCode === 0 && value !== undefined) meta[probe.field] = value;
  }
  for (const probe of VERSION_PROBES) {
    const r = await run([...probe.command], { timeoutMs: 5_000 });
    // Some tools print their version on stderr; a missing tool leaves no entry.
    const value = r.error === undefined ? (firstLine(r.stdout) ?? firstLine(r.stderr)) : undefined;
    if (value !== undefined) meta.toolVersions[probe.tool] = value;
  }

  const captures: CapturedText[] = [];
  for (const source of sources) {
    const { record, text } =
      source.kind === 'command'
        ? await captureCommand(source, options.dir, run, options.timeoutMs)
        : source.kind === 'proc-sys'
          ? await captureProcSys(source, options.dir)
          : await captureProcDir(source, options.dir);
    meta.sources.push(record);
    if (text !== undefined) captures.push({ id: source.id, file: source.file, text });
    progress(describeRecord(record));
  }

  // Pods (pods.ts): crictl, the pods' network namespaces, the CNI cache and /var/log/pods, each output in
  // its own file; the loader rebuilds the pod list from those files with parsePodSources.
  if (options.pods !== false) {
    const found = await discoverPods(run, {
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.root === undefined ? {} : { root: options.root }),
    });
    for (const text of found.texts) {
      await writeFile(join(options.dir, text.file), text.text);
      captures.push(text);
    }
    meta.sources.push(...found.records);
    progress(`pods: ${found.pods.length} found (${found.records.length} commands and reads)`);
  }
  return { captures, meta };
}

/**
 * Why `root` cannot be the node's filesystem root (not there, not a folder), or undefined when it can. The
 * commands refuse such a `--root` up front: a mistyped path would otherwise silently find no pods.
 */
export async function checkNodeRoot(root: string): Promise<string | undefined> {
  try {
    return (await stat(root)).isDirectory() ? undefined : `${root} is not a folder`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return `${root}: ${code === 'ENOENT' ? 'no such folder' : (code ?? (error as Error).message)}`;
  }
}

/** One line of progress: `iptables-save -c: ok, 1234 bytes, 12 ms` / `nft list ruleset: not found`. */
export function describeRecord(record: SourceRecord): string {
  // A /proc/sys read lists ten paths; name the folder instead.
  const sysctl = record.command[0] === 'read' && record.command[1]?.startsWith('/proc/sys/') === true;
  const what = sysctl ? `read /proc/sys (${record.command.length - 1} keys)` : record.command.join(' ');
  if (record.error !== undefined) return `${what}: ${record.error} (${record.durationMs} ms)`;
  return `${what}: ok (${record.durationMs} ms)`;
}

async function captureCommand(
  source: CommandSource,
  dir: string,
  run: Runner,
  timeoutOverride: number | undefined,
): Promise<{ record: SourceRecord; text?: string }> {
  const path = join(dir, source.file);
  const timeoutMs = timeoutOverride ?? source.timeoutMs;
  const result = await run([...source.command], {
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(source.stream ? { stdoutFile: path } : {}),
  });
  const record: SourceRecord = {
    id: source.id,
    command: [...source.command],
    exitCode: result.exitCode,
    durationMs: result.durationMs,
    stderr: clip(result.stderr),
  };
  const error = result.error ?? (result.exitCode !== 0 ? describeExit(result.exitCode, result.stderr) : undefined);
  if (error !== undefined) record.error = error;

  let text: string | undefined;
  if (source.stream) {
    // The runner opened the file before spawning; a program that never started leaves it empty.
    const size = await fileSize(path);
    if (size === undefined || (size === 0 && result.error !== undefined)) await rm(path, { force: true });
    else record.file = source.file;
  } else if (result.error === undefined || result.stdout !== '') {
    // A failing command's partial output is still written: the loader reads what is there and says why.
    await writeFile(path, result.stdout);
    record.file = source.file;
    text = result.stdout;
  }
  return text === undefined ? { record } : { record, text };
}

/** Reads each key's /proc/sys file into `key = value` lines; a key the kernel lacks is noted on stderr. */
async function captureProcSys(source: ProcSysSource, dir: string): Promise<{ record: SourceRecord; text: string }> {
  const started = performance.now();
  const lines: string[] = [];
  const problems: string[] = [];
  for (const key of source.keys) {
    const path = procSysPath(key);
    try {
      const value = (await readFile(path, 'utf8')).replace(/\n$/, '');
      lines.push(`${key} = ${value}`);
    } catch (error) {
      // ENOENT is normal: net.bridge.* exists only with br_netfilter loaded, net.netfilter.* only with nf_conntrack.
      problems.push(`${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  await writeFile(join(dir, source.file), text);
  const record: SourceRecord = {
    id: source.id,
    command: listProcSysCommand(source),
    exitCode: problems.length === source.keys.length ? 1 : 0,
    durationMs: Math.round(performance.now() - started),
    stderr: problems.length === 0 ? '' : `${problems.join('\n')}\n`,
    file: source.file,
  };
  if (record.exitCode !== 0) record.error = 'no key could be read';
  return { record, text };
}

/**
 * Reads every file of `source.dir` into the xt-recent.ts format. An absent directory means the module is not
 * loaded: an empty file and a note on stderr, not an error (sources.ts {@link ProcDirSource}).
 */
async function captureProcDir(source: ProcDirSource, dir: string): Promise<{ record: SourceRecord; text: string }> {
  const started = performance.now();
  const lists: RecentListText[] = [];
  const problems: string[] = [];
  let unreadable: string | undefined;
  let names: string[] = [];
  try {
    names = orderLikeShellGlob(await readdir(source.dir));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') problems.push(`${source.dir}: ${source.absentMeans}`);
    else unreadable = `${source.dir}: ${code ?? (error as Error).message}`;
  }
  for (const name of names) {
    const path = `${source.dir}/${name}`;
    try {
      lists.push({ name, text: await readFile(path, 'utf8') });
    } catch (error) {
      // A list vanishes when its last rule is deleted between the listing and the read (xt_recent recent_mt_destroy).
      problems.push(`${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  }
  if (unreadable !== undefined) problems.push(unreadable);
  const text = renderRecentLists(lists);
  await writeFile(join(dir, source.file), text);
  const failed = unreadable !== undefined || (names.length > 0 && lists.length === 0);
  const record: SourceRecord = {
    id: source.id,
    command: listProcDirCommand(source),
    exitCode: failed ? 1 : 0,
    durationMs: Math.round(performance.now() - started),
    stderr: problems.length === 0 ? '' : `${problems.join('\n')}\n`,
    file: source.file,
  };
  if (failed) record.error = unreadable !== undefined ? `cannot list ${source.dir}` : 'no list could be read';
  return { record, text };
}

function describeExit(code: number | null, stderr: string): string {
  const first = firstLine(stderr);
  return `exit status ${code ?? '?'}${first === undefined ? '' : `: ${first}`}`;
}

function firstLine(text: string): string | undefined {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t !== '') return t;
  }
  return undefined;
}

function clip(text: string): string {
  return text.length > MAX_STDERR_CHARS ? `${text.slice(0, MAX_STDERR_CHARS)}\n… (${text.length - MAX_STDERR_CHARS} more characters)\n` : text;
}

async function fileSize(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}
