import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import { encodeHeader, extractTar, packTar, sanitizeName, TarFormatError } from '../../src/collect/tar.js';

const tmp = mkdtempSync(join(tmpdir(), 'knetdbg-tar-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of gen) parts.push(b);
  return Buffer.concat(parts);
}

function chunks(buf: Buffer, size: number): AsyncIterable<Buffer> {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return Readable.from(out);
}

describe('packTar', () => {
  const src = join(tmp, 'src');
  mkdirSync(src);
  const long = `${'d'.repeat(60)}/${'e'.repeat(60)}/file-with-a-long-name.txt`;
  const files = [
    { name: 'dump/meta.json', body: '{"a":1}\n' },
    { name: 'dump/empty.txt', body: '' },
    { name: 'dump/exact.txt', body: 'x'.repeat(512) },
    { name: long, body: 'long\n' },
  ];
  const inputs = files.map((f, i) => {
    const path = join(src, `f${i}`);
    writeFileSync(path, f.body);
    return { name: f.name, path, size: Buffer.byteLength(f.body), mtime: new Date('2026-01-01T00:00:00Z') };
  });

  test('GNU tar lists and extracts what packTar wrote (ustar, prefix split for long names)', async () => {
    const archive = join(tmp, 'ours.tar');
    writeFileSync(archive, await collect(packTar(inputs)));
    expect(statSync(archive).size % 512).toBe(0);
    const listed = execFileSync('tar', ['-tf', archive], { encoding: 'utf8' }).trim().split('\n');
    expect(listed).toEqual(files.map((f) => f.name));
    const out = join(tmp, 'gnu-out');
    mkdirSync(out);
    execFileSync('tar', ['-xf', archive, '-C', out]);
    for (const f of files) expect(readFileSync(join(out, f.name), 'utf8')).toBe(f.body);
  });

  test.each([1, 7, 512, 100_000])('extractTar reads it back whatever the chunk size (%i bytes)', async (size) => {
    const bytes = await collect(packTar(inputs));
    const out = mkdtempSync(join(tmp, 'ex-'));
    const r = await extractTar(chunks(bytes, size), out);
    expect(r.files).toEqual(files.map((f) => f.name));
    expect(r.truncatedIn).toBeUndefined();
    for (const f of files) expect(readFileSync(join(out, f.name), 'utf8')).toBe(f.body);
  });
});

describe('extractTar on archives written by GNU tar', () => {
  test.each(['gnu', 'pax', 'ustar'])('--format=%s with a 150-character name', async (format) => {
    const dir = mkdtempSync(join(tmp, `gnu-${format}-`));
    const name = `${'n'.repeat(150)}.txt`;
    mkdirSync(join(dir, 'diagnostics'));
    writeFileSync(join(dir, 'diagnostics', 'ipsets'), 'Name: x\n');
    writeFileSync(join(dir, 'diagnostics', format === 'ustar' ? 'short.txt' : name), 'content\n');
    const archive = join(dir, 'a.tar');
    execFileSync('tar', [`--format=${format}`, '-cf', archive, '-C', dir, 'diagnostics']);
    const out = join(dir, 'out');
    mkdirSync(out);
    const r = await extractTar(Readable.from([readFileSync(archive)]), out);
    expect(r.files.sort()).toEqual(['diagnostics/ipsets', `diagnostics/${format === 'ustar' ? 'short.txt' : name}`].sort());
    expect(readFileSync(join(out, 'diagnostics', 'ipsets'), 'utf8')).toBe('Name: x\n');
  });
});

describe('extractTar on bad input', () => {
  test('an entry escaping the folder is skipped, not written', async () => {
    const body = Buffer.from('evil');
    const bytes = Buffer.concat([encodeHeader('../evil.txt', body.length, new Date(), '0'), body, Buffer.alloc(508), Buffer.alloc(1024)]);
    const out = mkdtempSync(join(tmp, 'evil-'));
    const r = await extractTar(Readable.from([bytes]), join(out, 'inner'));
    expect(r.files).toEqual([]);
    expect(r.skipped).toEqual([{ name: '../evil.txt', why: 'unsafe path (.. component)' }]);
  });

  test('a cut archive keeps the complete entries and names the cut one', async () => {
    const a = Buffer.from('a'.repeat(600));
    const bytes = Buffer.concat([encodeHeader('d/a.txt', 600, new Date(), '0'), a, Buffer.alloc(424), encodeHeader('d/b.txt', 2000, new Date(), '0'), Buffer.alloc(700)]);
    const out = mkdtempSync(join(tmp, 'cut-'));
    const r = await extractTar(Readable.from([bytes]), out);
    expect(r.files).toEqual(['d/a.txt', 'd/b.txt']);
    expect(r.truncatedIn).toBe('d/b.txt');
    expect(readFileSync(join(out, 'd/a.txt'), 'utf8')).toBe(a.toString());
  });

  test('bytes that are not tar raise TarFormatError with the offset', async () => {
    const out = mkdtempSync(join(tmp, 'bad-'));
    await expect(extractTar(Readable.from([Buffer.alloc(1024, 0x41)]), out)).rejects.toThrow(TarFormatError);
  });

  test.each([
    ['a/b/c', 'a/b/c'],
    ['/etc/passwd', 'etc/passwd'],
    ['./x//y', 'x/y'],
    ['a/../b', undefined],
  ])('sanitizeName(%s) = %s', (input, expected) => {
    expect(sanitizeName(input)).toBe(expected);
  });
});
