/**
 * Opening what `--from` names: a dump folder, a `.tar.gz`/`.tgz`/`.tar` (knetdbg's own, the collect script's,
 * or a `calicoctl node diags` bundle), or a single file (possibly gzipped). Archives are unpacked into a
 * private temporary folder, streaming, so a 60 MB conntrack capture never sits in memory; the caller reads
 * files from there and calls `close()`. Errors about the input are {@link InputError}s naming the path.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import { InputError, type Diagnostic } from '../model/source.js';
import type { DumpMeta } from '../model/snapshot.js';
import { META_FILE } from './sources.js';
import { BLOCK, extractTar, TarFormatError } from './tar.js';

/** One file of an opened input. */
export interface DumpFile {
  /** Path relative to the input's root, slash-separated. */
  rel: string;
  /** Where to read it. */
  path: string;
  size: number;
  /** Name for messages: `dir/conntrack.txt`, or `dump.tar.gz(node-dump/conntrack.txt)` inside an archive. */
  label: string;
}

/** An opened `--from`. */
export interface OpenedInput {
  kind: 'folder' | 'archive' | 'file';
  /** The path as the user gave it. */
  from: string;
  files: DumpFile[];
  /** meta.json of a knetdbg dump (or script dump), when present and valid. */
  meta?: DumpMeta;
  /** Problems met while opening (truncated archive, invalid meta.json, skipped entries). */
  diagnostics: Diagnostic[];
  /** Removes the temporary folder of an unpacked archive. Always call it (finally). */
  close(): Promise<void>;
}

/** Folders of a bundle that hold logs, not state (calicoctl node diags copies /var/log/calico to `logs/`). */
const SKIPPED_FOLDERS = new Set(['logs']);
/** How deep to look for files below the root (a bundle's files sit at most a couple of levels down). */
const MAX_DEPTH = 3;
const GZIP_MAGIC = [0x1f, 0x8b];

/** Options of {@link openDumpInput}. */
export interface OpenDumpOptions {
  /** Name used in labels instead of the folder's path (`<live>` for a live collection's temporary folder). */
  displayAs?: string;
}

/** Opens `from`. Throws {@link InputError} when it does not exist, cannot be read, or is a broken archive. */
export async function openDumpInput(from: string, options: OpenDumpOptions = {}): Promise<OpenedInput> {
  let info;
  try {
    info = await stat(from);
  } catch (error) {
    throw new InputError({ file: from, line: 0 }, describeFsError(error));
  }
  if (info.isDirectory()) return openFolder(from, options.displayAs ?? from, 'folder', async () => undefined, []);

  const head = await readHead(from);
  const gzipped = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  if (!gzipped && !looksLikeTar(head)) {
    return { kind: 'file', from, files: [{ rel: from, path: from, size: info.size, label: from }], diagnostics: [], close: async () => undefined };
  }

  const temp = await mkdtemp(join(tmpdir(), 'knetdbg-from-'));
  const close = (): Promise<void> => rm(temp, { recursive: true, force: true });
  try {
    const diagnostics: Diagnostic[] = [];
    const raw = gzipped ? createReadStream(from).pipe(createGunzip()) : createReadStream(from);
    let streamError: Error | undefined;
    const source = stopOnError(raw as AsyncIterable<Buffer>, (error) => (streamError = error));
    let result;
    try {
      result = await extractTar(source, temp, {
        filter: (entry) => !entry.name.split('/').some((part) => SKIPPED_FOLDERS.has(part)),
      });
    } catch (error) {
      if (error instanceof TarFormatError && error.offset === 0 && gzipped) {
        // A gzipped single file (`iptables-save.txt.gz`), not an archive.
        return await openGunzippedFile(from, temp, close);
      }
      throw error;
    }
    if (streamError !== undefined) {
      if (result.files.length === 0) throw streamError;
      diagnostics.push({
        severity: 'error',
        source: { file: from, line: 0 },
        message: `compressed data is cut or damaged (${streamError.message})`,
      });
    }
    if (result.truncatedIn !== undefined) {
      diagnostics.push({
        severity: 'error',
        source: { file: from, line: 0 },
        message: `archive is truncated (cut in ${result.truncatedIn}); loading the files that are complete`,
      });
    }
    return await openFolder(temp, from, 'archive', close, diagnostics);
  } catch (error) {
    await close();
    if (error instanceof InputError) throw error;
    if (error instanceof TarFormatError) throw new InputError({ file: from, line: 0 }, error.message);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR' || code === 'Z_STREAM_ERROR') {
      throw new InputError({ file: from, line: 0 }, `not a valid gzip file (${(error as Error).message})`);
    }
    throw error;
  }
}

/** Ends the stream at a read error (a truncated gzip) and reports it, so the entries before it are kept. */
async function* stopOnError(source: AsyncIterable<Buffer>, onError: (error: Error) => void): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of source) yield chunk;
  } catch (error) {
    onError(error as Error);
  }
}

async function openGunzippedFile(from: string, temp: string, close: () => Promise<void>): Promise<OpenedInput> {
  const { pipeline } = await import('node:stream/promises');
  const { createWriteStream } = await import('node:fs');
  const target = join(temp, 'input');
  await pipeline(createReadStream(from), createGunzip(), createWriteStream(target));
  const s = await stat(target);
  return { kind: 'file', from, files: [{ rel: from, path: target, size: s.size, label: from }], diagnostics: [], close };
}

async function openFolder(
  root: string,
  from: string,
  kind: 'folder' | 'archive',
  close: () => Promise<void>,
  diagnostics: Diagnostic[],
): Promise<OpenedInput> {
  // Descend through wrapper folders (`node-dump/`, calico's `diagnostics/`): the files sit below.
  let base = root;
  let prefix = '';
  for (;;) {
    const entries = (await readdir(base, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
    const only = entries.length === 1 ? entries[0] : undefined;
    if (!only || !only.isDirectory()) break;
    base = join(base, only.name);
    prefix = `${prefix}${only.name}/`;
  }
  const files: DumpFile[] = [];
  const label = (rel: string): string => (kind === 'archive' ? `${from}(${prefix}${rel})` : `${join(from, prefix, rel)}`);
  await walk(base, '', 0, files, label);
  files.sort((a, b) => a.rel.localeCompare(b.rel));
  const opened: OpenedInput = { kind, from, files, diagnostics, close };
  const metaFile = files.find((f) => f.rel === META_FILE);
  if (metaFile) {
    const meta = await readMeta(metaFile, diagnostics);
    if (meta) opened.meta = meta;
  }
  return opened;
}

async function walk(dir: string, rel: string, depth: number, out: DumpFile[], label: (rel: string) => string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (depth + 1 < MAX_DEPTH && !SKIPPED_FOLDERS.has(entry.name) && !entry.name.startsWith('.')) {
        await walk(path, childRel, depth + 1, out, label);
      }
    } else if (entry.isFile()) {
      out.push({ rel: childRel, path, size: (await stat(path)).size, label: label(childRel) });
    }
  }
}

/** Reads and checks meta.json; a broken one is a diagnostic (the files are still loaded by name and content). */
async function readMeta(file: DumpFile, diagnostics: Diagnostic[]): Promise<DumpMeta | undefined> {
  const text = (await readFile(file.path)).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const pos = /position (\d+)/.exec(message);
    const line = pos ? text.slice(0, Number(pos[1])).split('\n').length : 0;
    diagnostics.push({
      severity: 'error',
      source: { file: file.label, line },
      message: `meta.json is not valid JSON (${message}); loading the files by name and content instead`,
    });
    return undefined;
  }
  const meta = value as Partial<DumpMeta>;
  if (meta === null || typeof meta !== 'object' || meta.format !== 'knetdbg-dump' || !Array.isArray(meta.sources)) {
    diagnostics.push({
      severity: 'warning',
      source: { file: file.label, line: 1 },
      message: 'meta.json is not a knetdbg dump description; loading the files by name and content instead',
    });
    return undefined;
  }
  if (meta.formatVersion !== 1) {
    diagnostics.push({
      severity: 'warning',
      source: { file: file.label, line: 1 },
      message: `dump format version ${String(meta.formatVersion)} is newer than this knetdbg reads (1); trying anyway`,
    });
  }
  return meta as DumpMeta;
}

async function readHead(path: string): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(BLOCK);
    const { bytesRead } = await handle.read(buf, 0, BLOCK, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A ustar/GNU header at offset 0: the magic at 257. */
function looksLikeTar(head: Buffer): boolean {
  return head.length === BLOCK && head.toString('ascii', 257, 262) === 'ustar';
}

/** `no such file or directory` rather than `ENOENT: no such file or directory, stat '…'`. */
export function describeFsError(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
