/**
 * Writing a dump: a folder holding one file per source plus `meta.json`, or the same folder packed as a
 * `.tar.gz` whose single top-level directory is named after the archive (`node-dump.tar.gz` holds
 * `node-dump/meta.json`, …), so unpacking it never scatters files. The collect script (collect-node.sh)
 * writes the identical layout with tar and gzip.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile, rename } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { DumpMeta } from '../model/snapshot.js';
import { collectLive, type CollectLiveOptions } from './live.js';
import { META_FILE } from './sources.js';
import { packTar, type TarInputFile } from './tar.js';

/** How a dump is stored. */
export type DumpFormat = 'folder' | 'tar.gz';

/** Archive suffixes recognised as `.tar.gz`. */
const ARCHIVE_SUFFIX = /\.(?:tar\.gz|tgz)$/i;

/** `.tar.gz`/`.tgz` → archive; anything else (`dir/`, `dump`) → folder. */
export function getDumpFormat(output: string): DumpFormat {
  return ARCHIVE_SUFFIX.test(output) ? 'tar.gz' : 'folder';
}

/** The top-level directory inside an archive: its file name without the suffix. */
export function getArchiveTopName(output: string): string {
  return basename(output).replace(ARCHIVE_SUFFIX, '') || 'knetdbg-dump';
}

/** Default output name: `knetdbg-<host>-<UTC time>.tar.gz` (sortable, no characters shells dislike). */
export function getDefaultOutput(hostname: string | undefined, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const host = (hostname ?? 'node').replace(/[^A-Za-z0-9._-]/g, '_');
  return `knetdbg-${host}-${stamp}.tar.gz`;
}

/** Writes meta.json (2-space JSON, trailing newline) into a dump folder. */
export async function writeDumpMeta(dir: string, meta: DumpMeta): Promise<void> {
  await writeFile(join(dir, META_FILE), `${JSON.stringify(meta, null, 2)}\n`);
}

/**
 * Packs a dump folder into `output` (`.tar.gz`), entries under `top/`, meta.json first so a reader streaming
 * the archive meets it before the data. Streams file by file; memory stays flat whatever the sizes.
 */
export async function packDump(dir: string, output: string, top: string = getArchiveTopName(output)): Promise<void> {
  const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name);
  names.sort((a, b) => (a === META_FILE ? -1 : b === META_FILE ? 1 : a.localeCompare(b)));
  const files: TarInputFile[] = [];
  for (const name of names) {
    const s = await stat(join(dir, name));
    files.push({ name: `${top}/${name}`, path: join(dir, name), size: s.size, mtime: s.mtime });
  }
  // Write next to the target, then rename: a reader never sees half an archive under the final name.
  const partial = `${output}.partial`;
  try {
    await pipeline(Readable.from(packTar(files)), createGzip(), createWriteStream(partial));
    await rename(partial, output);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** Options of {@link collectDump}. */
export interface CollectDumpOptions extends Omit<CollectLiveOptions, 'dir'> {
  /** `x.tar.gz` / `x.tgz` or a folder path; default {@link getDefaultOutput} in the current folder. */
  output?: string;
}

/** What {@link collectDump} wrote. */
export interface CollectDumpResult {
  output: string;
  format: DumpFormat;
  meta: DumpMeta;
}

/**
 * Collects this node into a dump. For an archive, sources are first written to a staging folder next to the
 * output (not in /tmp, which is often RAM-backed tmpfs on nodes) and removed afterwards. A folder output must
 * be new or empty, so a dump never mixes with older files.
 */
export async function collectDump(options: CollectDumpOptions = {}): Promise<CollectDumpResult> {
  const { output: requested, ...live } = options;
  let output = requested;
  if (output === undefined) {
    const { runProgram } = await import('./runner.js');
    const r = await (live.run ?? runProgram)(['uname', '-n'], { timeoutMs: 5_000 });
    output = getDefaultOutput(r.exitCode === 0 ? r.stdout.trim() || undefined : undefined);
  }
  output = resolve(output);
  const format = getDumpFormat(output);
  if (format === 'folder') {
    await ensureEmptyFolder(output);
    const { meta } = await collectLive({ ...live, dir: output });
    await writeDumpMeta(output, meta);
    return { output, format, meta };
  }
  await mkdir(dirname(output), { recursive: true });
  const staging = await mkdtemp(join(dirname(output), '.knetdbg-collect-'));
  try {
    const { meta } = await collectLive({ ...live, dir: staging });
    await writeDumpMeta(staging, meta);
    await packDump(staging, output);
    return { output, format, meta };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

async function ensureEmptyFolder(path: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      await mkdir(path, { recursive: true });
      return;
    }
    throw error;
  }
  if (entries.length > 0) throw new Error(`${path} is not empty: give a new folder or a .tar.gz file name`);
}
