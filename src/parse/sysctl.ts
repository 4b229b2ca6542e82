/**
 * sysctl values → a key/value map (sysctl(8), procps-ng). Three inputs:
 * - `sysctl -a` / `sysctl KEY…`: `net.ipv4.ip_forward = 1` lines; values with several fields keep their tabs
 *   (`net.ipv4.tcp_rmem = 4096	131072	6291456`);
 * - a sysctl.conf-style file (`net.ipv4.ip_forward=1`, `#`/`;` comments, a leading `-` meaning "ignore errors");
 * - one `/proc/sys/...` file or `sysctl -n KEY` output: just the value, so the caller names the key.
 * Keys are kept in sysctl's dotted form, where a dot inside a path component is written `/`
 * (`net.ipv4.conf.flannel/1.rp_filter` is /proc/sys/net/ipv4/conf/flannel.1/rp_filter).
 */
import type { Diagnostic, SourceRef } from '../model/source.js';
import { forEachLine, ProblemLog, type LineParseOptions } from './line-input.js';

/** Options of {@link parseSysctl} and {@link parseSysctlEntries}. */
export interface ParseSysctlOptions extends LineParseOptions {
  /**
   * The key the text is the value of: for a `/proc/sys/...` file or `sysctl -n KEY` output. A `/proc/sys/…`
   * path or a slash-separated key is accepted and normalised.
   */
  key?: string;
  /** Receives the diagnostics of {@link parseSysctl}, which returns only the map. */
  diagnostics?: Diagnostic[];
}

/** One sysctl value with where it was read. */
export interface SysctlEntry {
  key: string;
  value: string;
  raw: string;
  source: SourceRef;
}

/** Result of {@link parseSysctlEntries}. */
export interface ParsedSysctl {
  entries: SysctlEntry[];
  diagnostics: Diagnostic[];
}

/** `key = value` (sysctl -a) or `key=value` (sysctl.conf); a leading `-` is sysctl.conf's "ignore failure" mark. */
const ASSIGNMENT = /^-?\s*([A-Za-z0-9_][^\s=]*)\s*=[ \t]*(.*)$/;

/**
 * Turns a `/proc/sys/net/ipv4/conf/flannel.1/rp_filter` path or `net/ipv4/conf/flannel.1/rp_filter` key into
 * sysctl's dotted form `net.ipv4.conf.flannel/1.rp_filter` (sysctl(8): with `/` as separator, dots are part of
 * the names). Dotted keys are returned unchanged.
 */
export function normalizeSysctlKey(key: string): string {
  let k = key.trim();
  if (k.startsWith('/proc/sys/')) k = k.slice('/proc/sys/'.length);
  if (!k.includes('/') || (k.includes('.') && k.indexOf('.') < k.indexOf('/'))) return k;
  return k
    .split('/')
    .filter((c) => c !== '')
    .map((c) => c.replace(/\./g, '/'))
    .join('.');
}

/** Parses sysctl output into entries that keep their raw line and source. Tolerant unless `strict`. */
export function parseSysctlEntries(text: string, file: string, options: ParseSysctlOptions = {}): ParsedSysctl {
  const log = new ProblemLog(file, options.strict === true);
  const entries: SysctlEntry[] = [];
  if (options.key !== undefined) {
    // A single value file: everything but the final newline is the value (the kernel writes one line).
    const value = text.replace(/\r?\n$/, '');
    if (value.includes('\n')) log.warning(1, `expected one value for ${options.key}, found several lines; keeping them all`);
    if (value.trim() === '') log.warning(1, `no value for ${options.key} (empty file)`);
    else entries.push({ key: normalizeSysctlKey(options.key), value, raw: value, source: log.at(1) });
    return { entries, diagnostics: log.diagnostics };
  }
  forEachLine(text, (raw, n) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    if (line.startsWith('sysctl:')) {
      // procps reports unreadable keys on stderr: `sysctl: permission denied on key 'x'`, `sysctl: cannot stat /proc/sys/x: …`.
      log.warning(n, 'sysctl could not read a key', line);
      return;
    }
    const m = ASSIGNMENT.exec(line);
    if (!m) {
      log.error(n, 'expected `key = value` (sysctl -a)', line);
      return;
    }
    const key = normalizeSysctlKey(m[1]!);
    const value = m[2]!;
    entries.push({ key, value, raw, source: log.at(n) });
  });
  return { entries, diagnostics: log.diagnostics };
}

/**
 * sysctl output as `{ key: value }` (a later line for the same key wins, as with `sysctl -p`). See
 * {@link parseSysctlEntries} for the lines; pass `options.diagnostics` to receive problems.
 */
export function parseSysctl(text: string, file: string, options: ParseSysctlOptions = {}): Record<string, string> {
  const { entries, diagnostics } = parseSysctlEntries(text, file, options);
  options.diagnostics?.push(...diagnostics);
  const out: Record<string, string> = {};
  for (const e of entries) out[e.key] = e.value;
  return out;
}
