/**
 * A minimal tar reader and writer, enough for dumps (no dependency: package rules). Written archives are
 * POSIX ustar (POSIX.1-1988, pax(1) "ustar Interchange Format"): 512-byte headers, octal numeric fields,
 * `ustar\0` `00` magic, data padded to 512 bytes, two zero blocks at the end. The reader also accepts what
 * GNU tar and busybox tar write for `tar -czf` (calicoctl's `tar -zcvf` bundles, the collect script): the
 * GNU `././@LongLink` long-name entry (typeflag `L`) and pax extended headers (typeflag `x`, `path=`/`size=`
 * records). Both sides stream: file data is never held whole in memory.
 */
import { createReadStream } from 'node:fs';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Size of a tar block. */
export const BLOCK = 512;

/** A file to put into an archive. */
export interface TarInputFile {
  /** Path inside the archive (forward slashes, relative). */
  name: string;
  /** File on disk whose bytes become the entry's data. */
  path: string;
  size: number;
  mtime: Date;
}

/** One entry header as read back. */
export interface TarEntry {
  name: string;
  size: number;
  /** `file`, `directory`, or `other` (links, devices, fifos: skipped by the extractor). */
  type: 'file' | 'directory' | 'other';
}

/** Thrown when the bytes are not a tar archive (bad checksum, impossible size). */
export class TarFormatError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
    this.name = 'TarFormatError';
  }
}

/**
 * Yields the bytes of a ustar archive holding `files`, in order, reading each file as a stream. Names longer
 * than 100 bytes are split into the ustar `prefix` (155) and `name` (100) fields at a slash.
 */
export async function* packTar(files: readonly TarInputFile[]): AsyncGenerator<Buffer> {
  for (const file of files) {
    yield encodeHeader(file.name, file.size, file.mtime, '0');
    let written = 0;
    for await (const chunk of createReadStream(file.path)) {
      const buf = chunk as Buffer;
      // A file that grew since it was listed must not corrupt the archive: cut it at the declared size.
      const room = file.size - written;
      if (room <= 0) break;
      const part = buf.length > room ? buf.subarray(0, room) : buf;
      written += part.length;
      yield part;
    }
    // A file that shrank is padded with zeros to the declared size, for the same reason.
    if (written < file.size) yield Buffer.alloc(file.size - written);
    const pad = (BLOCK - (file.size % BLOCK)) % BLOCK;
    if (pad > 0) yield Buffer.alloc(pad);
  }
  yield Buffer.alloc(BLOCK * 2);
}

/** Encodes a ustar header for a regular file (`0`) or a directory (`5`). */
export function encodeHeader(name: string, size: number, mtime: Date, typeflag: '0' | '5'): Buffer {
  const header = Buffer.alloc(BLOCK);
  const [prefix, base] = splitName(name);
  header.write(base, 0, 100, 'utf8');
  writeOctal(header, 100, 8, typeflag === '5' ? 0o755 : 0o644);
  writeOctal(header, 108, 8, 0);
  writeOctal(header, 116, 8, 0);
  writeOctal(header, 124, 12, size);
  writeOctal(header, 136, 12, Math.floor(mtime.getTime() / 1000));
  header.fill(0x20, 148, 156); // checksum field counts as spaces while summing (ustar spec)
  header.write(typeflag, 156, 1, 'ascii');
  header.write('ustar\u000000', 257, 8, 'ascii');
  header.write('root', 265, 32, 'ascii');
  header.write('root', 297, 32, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  const sum = checksum(header);
  // Six octal digits, NUL, space: the layout GNU tar writes and every reader accepts.
  header.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return header;
}

function splitName(name: string): [string, string] {
  if (Buffer.byteLength(name) <= 100) return ['', name];
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100) return [prefix, base];
  }
  throw new Error(`name too long for a ustar archive: ${name}`);
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  buf.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

function checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  return sum;
}

function readString(buf: Buffer, offset: number, length: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end < 0 || end > offset + length ? offset + length : end);
}

function readOctal(buf: Buffer, offset: number, length: number): number {
  // GNU base-256 for sizes ≥ 8 GiB: high bit of the first byte set.
  if (buf[offset]! & 0x80) {
    let value = 0;
    for (let i = offset + 1; i < offset + length; i++) value = value * 256 + buf[i]!;
    return value;
  }
  const text = readString(buf, offset, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** What {@link extractTar} did. */
export interface ExtractResult {
  /** Relative paths of the regular files written. */
  files: string[];
  /** Entries left out, with why (unsafe path, links, filtered out). */
  skipped: { name: string; why: string }[];
  /** Set when the archive ended before its end-of-archive blocks (a truncated download or copy). */
  truncatedIn?: string;
}

/** Options of {@link extractTar}. */
export interface ExtractOptions {
  /** Return false to skip an entry (e.g. calico's `logs/` folder). */
  filter?: (entry: TarEntry) => boolean;
}

/**
 * Extracts the regular files of a tar stream under `dest`, streaming each entry to disk. Paths are sanitised:
 * absolute paths lose their leading `/`, and an entry with a `..` component is skipped, so an archive from
 * elsewhere cannot write outside `dest`. A stream that stops early returns what was complete plus
 * `truncatedIn`; bytes that are not tar throw {@link TarFormatError}.
 */
export async function extractTar(source: AsyncIterable<Buffer>, dest: string, options: ExtractOptions = {}): Promise<ExtractResult> {
  const result: ExtractResult = { files: [], skipped: [] };
  let pending: Buffer = Buffer.alloc(0);
  let offset = 0;
  // Current entry being written.
  let remaining = 0;
  let padding = 0;
  let fd: number | undefined;
  let currentName = '';
  let longName: string | undefined;
  let paxPath: string | undefined;
  let paxSize: number | undefined;
  let metaEntry: { kind: 'L' | 'x'; chunks: Buffer[] } | undefined;
  let zeroBlocks = 0;
  let ended = false;

  const finishEntry = (): void => {
    if (fd !== undefined) {
      closeSync(fd);
      fd = undefined;
    }
    if (metaEntry) {
      const data = Buffer.concat(metaEntry.chunks);
      if (metaEntry.kind === 'L') longName = data.toString('utf8').replace(/\0+$/, '');
      else ({ path: paxPath, size: paxSize } = parsePax(data));
      metaEntry = undefined;
    }
  };

  try {
    for await (const chunk of source) {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let pos = 0;
      while (!ended) {
        if (remaining > 0) {
          const take = Math.min(remaining, pending.length - pos);
          if (take === 0) break;
          const part = pending.subarray(pos, pos + take);
          if (fd !== undefined) writeSync(fd, part);
          else if (metaEntry) metaEntry.chunks.push(Buffer.from(part));
          pos += take;
          remaining -= take;
          if (remaining === 0) finishEntry();
          continue;
        }
        if (padding > 0) {
          const take = Math.min(padding, pending.length - pos);
          if (take === 0) break;
          pos += take;
          padding -= take;
          continue;
        }
        if (pending.length - pos < BLOCK) break;
        const header = pending.subarray(pos, pos + BLOCK);
        const headerOffset = offset + pos;
        pos += BLOCK;
        if (header.every((b) => b === 0)) {
          zeroBlocks++;
          if (zeroBlocks >= 2) ended = true;
          continue;
        }
        zeroBlocks = 0;
        const stored = readOctal(header, 148, 8);
        if (stored !== checksum(header)) {
          throw new TarFormatError(`not a tar archive (bad header checksum at byte ${headerOffset})`, headerOffset);
        }
        const typeflag = String.fromCharCode(header[156]!);
        let size = readOctal(header, 124, 12);
        const prefix = header.toString('ascii', 257, 262) === 'ustar' ? readString(header, 345, 155) : '';
        let name = readString(header, 0, 100);
        if (prefix !== '') name = `${prefix}/${name}`;
        if (typeflag === 'L' || typeflag === 'x') {
          metaEntry = { kind: typeflag, chunks: [] };
          remaining = size;
          padding = (BLOCK - (size % BLOCK)) % BLOCK;
          if (size === 0) finishEntry();
          continue;
        }
        if (longName !== undefined) name = longName;
        if (paxPath !== undefined) name = paxPath;
        if (paxSize !== undefined) size = paxSize;
        longName = paxPath = paxSize = undefined;
        const type: TarEntry['type'] = typeflag === '0' || typeflag === '\0' || typeflag === '7' ? 'file' : typeflag === '5' ? 'directory' : 'other';
        // Global pax headers (`g`) and links carry no file data we want; their data (if any) is skipped.
        const hasData = type === 'file' || typeflag === 'g' || typeflag === 'K';
        remaining = hasData ? size : 0;
        padding = hasData ? (BLOCK - (size % BLOCK)) % BLOCK : 0;
        currentName = name;
        const safe = sanitizeName(name);
        const entry: TarEntry = { name: safe ?? name, size, type };
        if (typeflag === 'g' || typeflag === 'K') {
          // data skipped below (fd undefined)
        } else if (type === 'other') {
          result.skipped.push({ name, why: `not a regular file (type ${JSON.stringify(typeflag)})` });
        } else if (safe === undefined) {
          result.skipped.push({ name, why: 'unsafe path (.. component)' });
        } else if (options.filter && !options.filter(entry)) {
          result.skipped.push({ name, why: 'filtered out' });
        } else if (type === 'directory') {
          if (safe !== '') mkdirSync(join(dest, safe), { recursive: true });
        } else if (safe !== '') {
          const target = join(dest, safe);
          mkdirSync(dirname(target), { recursive: true });
          fd = openSync(target, 'w');
          result.files.push(safe);
          if (remaining === 0) finishEntry();
        }
      }
      offset += pos;
      pending = pending.subarray(pos);
      if (ended) break;
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (offset === 0 && pending.length === 0) throw new TarFormatError('empty archive', 0);
  // Without the end-of-archive blocks the archive was cut (a partial download or copy); everything complete
  // before the cut is kept. A lone zero block at an entry boundary is accepted, as GNU tar does.
  const cutInEntry = remaining > 0 || padding > 0;
  if (!ended && (cutInEntry || pending.length > 0 || zeroBlocks === 0)) {
    result.truncatedIn = cutInEntry ? currentName : `after ${result.files[result.files.length - 1] ?? 'the start'}`;
  }
  return result;
}

/** Relative, slash-separated, without `.`; undefined when a component is `..`. */
export function sanitizeName(name: string): string | undefined {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return undefined;
    parts.push(part);
  }
  return parts.join('/');
}

/** pax extended header records: `LEN key=value\n`, LEN counting bytes (pax(1) "pax Extended Header"). */
function parsePax(data: Buffer): { path?: string; size?: number } {
  const out: { path?: string; size?: number } = {};
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space < 0) break;
    const length = Number(data.toString('ascii', pos, space));
    if (!Number.isInteger(length) || length <= space - pos) break;
    const record = data.toString('utf8', space + 1, pos + length - 1);
    const eq = record.indexOf('=');
    if (eq > 0) {
      const key = record.slice(0, eq);
      const value = record.slice(eq + 1);
      if (key === 'path') out.path = value;
      else if (key === 'size' && /^\d+$/.test(value)) out.size = Number(value);
    }
    pos += length;
  }
  return out;
}
