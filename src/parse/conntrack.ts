/**
 * `conntrack -L` text → {@link ConntrackEntry} (conntrack(8), conntrack-tools 1.4.x; the line layout is
 * libnetfilter_conntrack's `snprintf_default`, src/conntrack/snprintf_default.c):
 * ```
 * [ipv4     2 ]tcp      6 86395 ESTABLISHED src=A dst=B sport=P dport=Q [zone-orig=Z] [packets=N bytes=N] [UNREPLIED]
 *     src=B' dst=A' sport=Q' dport=P' [zone-reply=Z] [packets=N bytes=N] [ASSURED] [OFFLOAD] mark=0 [secctx=…] [zone=Z]
 *     use=1 [id=N] [labels=a,b]
 * ```
 * (one line; the `ipv4 2` prefix is `-o extended` and /proc/net/nf_conntrack; `id=` is `-o id`; `labels=` is
 * `-o labels` with a label map). ICMP tuples carry `type= code= id=` instead of ports. conntrack prints
 * `conntrack v1.4.7 (conntrack-tools): N flow entries have been shown.` on stderr; it is accepted in the text and
 * its count is checked against the entries read (a mismatch means a truncated capture).
 *
 * A node can hold hundreds of thousands of entries: {@link parseConntrackLines} streams them to a callback so
 * the caller keeps only what it needs; {@link parseConntrack} walks a text already in memory without
 * splitting it into an array of lines.
 */
import type { ConntrackEntry, ConntrackTuple } from '../model/conntrack.js';
import type { Family } from '../model/rule.js';
import type { Diagnostic } from '../model/source.js';
import { forEachLine, parseInteger, ProblemLog, splitBlanks, type LineParseOptions } from './line-input.js';

/** Result of {@link parseConntrack}. */
export interface ParsedConntrack {
  entries: ConntrackEntry[];
  diagnostics: Diagnostic[];
  /** N from conntrack's `N flow entries have been shown.` line, when the text holds it. */
  shownCount?: number;
}

/** Result of {@link parseConntrackLines}. */
export interface ConntrackStreamResult {
  /** Entries handed to the callback. */
  entryCount: number;
  diagnostics: Diagnostic[];
  shownCount?: number;
}

/** Summary conntrack prints after a listing (conntrack.c `exit_error`/`fprintf(stderr, …)`). */
const SUMMARY = /^conntrack v[\d.]+ \(conntrack-tools\): (\d+) flow entries have been shown\.\s*$/;
/** Layer-3 names of `-o extended` (libnetfilter_conntrack `l3proto2str`) and the family they mean. */
const L3_FAMILIES: Record<string, Family> = { ipv4: 4, ipv6: 6 };
/** Keys that follow both tuples (snprintf_default.c order: mark, secmark, secctx, zone, timestamps, use, id, labels). */
const META_KEYS = new Set(['mark', 'secmark', 'secctx', 'zone', 'use', 'labels', 'helper', 'delta-time', 'timestamp']);
const STATE = /^[A-Z][A-Z_0-9]*$/;

/**
 * Protocol names, states and flags repeat on every line; sharing one string per spelling instead of a fresh
 * copy per entry saves ~80 bytes an entry, which counts when a caller keeps 200k of them.
 */
const interned = new Map<string, string>();
function intern(s: string): string {
  const known = interned.get(s);
  if (known !== undefined) return known;
  if (interned.size < 1024) interned.set(s, s);
  return s;
}
const NUMBER = /^\d+$/;

/** Parses `conntrack -L` / `-o extended` / `-o id` text held in memory. Tolerant unless `strict`. */
export function parseConntrack(text: string, file: string, options: LineParseOptions = {}): ParsedConntrack {
  const reader = new ConntrackLineReader(file, options);
  const entries: ConntrackEntry[] = [];
  forEachLine(text, (line, n) => {
    const entry = reader.read(line, n);
    if (entry) entries.push(entry);
  });
  reader.finish();
  const result: ParsedConntrack = { entries, diagnostics: reader.log.diagnostics };
  if (reader.shownCount !== undefined) result.shownCount = reader.shownCount;
  return result;
}

/**
 * Streams `conntrack -L` lines (from a pipe through `readline`, or any iterable) to `onEntry`, one entry at a
 * time; nothing but the diagnostics is retained, so memory stays flat however large the table is.
 */
export async function parseConntrackLines(
  lines: AsyncIterable<string> | Iterable<string>,
  file: string,
  onEntry: (entry: ConntrackEntry) => void,
  options: LineParseOptions = {},
): Promise<ConntrackStreamResult> {
  const reader = new ConntrackLineReader(file, options);
  let n = 0;
  let count = 0;
  const handle = (line: string): void => {
    n++;
    const entry = reader.read(line.endsWith('\r') ? line.slice(0, -1) : line, n);
    if (entry) {
      count++;
      onEntry(entry);
    }
  };
  if (Symbol.asyncIterator in lines) {
    for await (const line of lines) handle(line);
  } else {
    for (const line of lines) handle(line);
  }
  reader.finish();
  const result: ConntrackStreamResult = { entryCount: count, diagnostics: reader.log.diagnostics };
  if (reader.shownCount !== undefined) result.shownCount = reader.shownCount;
  return result;
}

/** Line-at-a-time state: the problem log, entries read, and the summary count when seen. */
class ConntrackLineReader {
  readonly log: ProblemLog;
  shownCount?: number;
  private summaryLine = 0;
  private count = 0;
  private lastLine = 0;

  constructor(file: string, options: LineParseOptions) {
    this.log = new ProblemLog(file, options.strict === true);
  }

  read(line: string, n: number): ConntrackEntry | undefined {
    this.lastLine = n;
    const trimmed = line.trim();
    if (trimmed === '') return undefined;
    if (trimmed.startsWith('conntrack v')) {
      const m = SUMMARY.exec(trimmed);
      if (m) {
        this.shownCount = Number(m[1]);
        this.summaryLine = n;
      } else this.log.warning(n, 'conntrack reported an error', trimmed);
      return undefined;
    }
    if (trimmed.startsWith('nfct_labelmap_new:')) {
      // libnetfilter_conntrack complains on stderr when /etc/xtables/connlabel.conf is missing; labels are then not named.
      this.log.info(n, 'conntrack had no label map (/etc/xtables/connlabel.conf): labels are not shown', trimmed);
      return undefined;
    }
    const entry = parseEntry(trimmed, n, this.log);
    if (entry) this.count++;
    return entry;
  }

  finish(): void {
    if (this.shownCount !== undefined && this.shownCount !== this.count) {
      this.log.warning(
        this.summaryLine || this.lastLine,
        `conntrack says ${this.shownCount} flow entries were shown but ${this.count} were read (truncated capture, or entries garbled)`,
      );
    }
  }
}

/** Parses one entry line; undefined (and a diagnostic) when it is not one. */
function parseEntry(line: string, n: number, log: ProblemLog): ConntrackEntry | undefined {
  const tokens = splitBlanks(line);
  let i = 0;
  const extras: Record<string, string> = {};
  // `conntrack -E` prefixes an event (`[NEW]`) and with `-o timestamp` a time (`[1700000000.123456]`).
  while (i < tokens.length && tokens[i]!.startsWith('[') && tokens[i]!.endsWith(']')) {
    const inner = tokens[i]!.slice(1, -1);
    if (/^\d+(\.\d+)?$/.test(inner)) extras.time = inner;
    else extras.event = inner;
    i++;
  }

  let family: Family | undefined;
  if (L3_FAMILIES[tokens[i]!] !== undefined && NUMBER.test(tokens[i + 1] ?? '')) {
    family = L3_FAMILIES[tokens[i]!];
    i += 2;
  } else if (NUMBER.test(tokens[i + 1] ?? '') && NUMBER.test(tokens[i + 3] ?? '') && !tokens[i + 2]!.includes('=') && !NUMBER.test(tokens[i + 2]!)) {
    // An unknown layer-3 name with its number (`unknown  0 …`): keep going, the family comes from the addresses.
    extras.l3 = `${tokens[i]} ${tokens[i + 1]}`;
    i += 2;
  }
  const protocol = tokens[i];
  const protocolNumber = parseInteger(tokens[i + 1]);
  if (protocol === undefined || protocol.includes('=') || protocolNumber === undefined) {
    log.error(n, 'expected a conntrack entry: `PROTO NUMBER TIMEOUT [STATE] src=… dst=… …` (conntrack -L)', line);
    return undefined;
  }
  i += 2;

  const entry: ConntrackEntry = {
    family: family ?? 4,
    protocol: intern(protocol),
    protocolNumber,
    original: { src: '', dst: '' },
    reply: { src: '', dst: '' },
    flags: [],
    raw: line,
    source: log.at(n),
  };
  if (i < tokens.length && NUMBER.test(tokens[i]!)) entry.timeout = Number(tokens[i++]);
  if (i < tokens.length && STATE.test(tokens[i]!)) entry.state = intern(tokens[i++]!);

  // 0: before the original tuple, 1: original, 2: reply, 3: fields after both tuples.
  let phase = 0;
  const icmp = protocol === 'icmp' || protocol === 'icmpv6';
  for (; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.startsWith('[')) {
      let text = token;
      while (!text.endsWith(']') && i + 1 < tokens.length) text += ` ${tokens[++i]}`;
      if (!text.endsWith(']')) {
        log.error(n, 'unterminated `[` in conntrack entry (truncated line?)', line);
        return undefined;
      }
      const inner = text.slice(1, -1);
      const eq = inner.indexOf('=');
      if (eq > 0) extras[inner.slice(0, eq)] = inner.slice(eq + 1);
      else entry.flags.push(intern(inner));
      continue;
    }
    const eq = token.indexOf('=');
    if (eq <= 0) {
      log.error(n, `unexpected word \`${token}\` in conntrack entry: expected key=value or [FLAG]`, line);
      return undefined;
    }
    const key = token.slice(0, eq);
    const value = token.slice(eq + 1);
    if (key === 'src') {
      if (phase >= 2) {
        log.error(n, 'more than two tuples in conntrack entry', line);
        return undefined;
      }
      phase++;
    } else if (key === 'zone-orig' || key === 'zone-reply') {
      const z = numberField(key, value, n, line, log);
      if (z === undefined) return undefined;
      (key === 'zone-orig' ? entry.original : entry.reply).zone = z;
      continue;
    } else if (phase === 0) {
      log.error(n, `\`${key}=\` before the original tuple: expected src= first`, line);
      return undefined;
    }
    if (phase === 1 || phase === 2) {
      const tuple = phase === 1 ? entry.original : entry.reply;
      const taken = applyTupleField(tuple, key, value, icmp, n, line, log);
      if (taken === 'error') return undefined;
      if (taken) continue;
      if (!META_KEYS.has(key) && key !== 'id') {
        extras[`${phase === 1 ? 'original' : 'reply'}.${key}`] = value;
        continue;
      }
      phase = 3;
    }
    if (!applyMetaField(entry, key, value, extras, n, line, log)) return undefined;
  }

  if (entry.original.src === '' || entry.original.dst === '') {
    log.error(n, 'conntrack entry has no original tuple (src=… dst=…)', line);
    return undefined;
  }
  if (entry.reply.src === '' || entry.reply.dst === '') {
    log.error(n, 'conntrack entry has no reply tuple (truncated line?)', line);
    return undefined;
  }
  if (family === undefined && entry.original.src.includes(':')) entry.family = 6;
  if (Object.keys(extras).length > 0) entry.extras = extras;
  return entry;
}

function numberField(key: string, value: string, n: number, line: string, log: ProblemLog): number | undefined {
  const v = parseInteger(value);
  if (v === undefined) log.error(n, `expected a number in \`${key}=\``, line);
  return v;
}

/** true when the key belongs to the tuple, false when it does not, 'error' on a bad value. */
function applyTupleField(
  tuple: ConntrackTuple,
  key: string,
  value: string,
  icmp: boolean,
  n: number,
  line: string,
  log: ProblemLog,
): boolean | 'error' {
  switch (key) {
    case 'src':
      tuple.src = value;
      return true;
    case 'dst':
      tuple.dst = value;
      return true;
    case 'sport':
    case 'dport':
    case 'packets':
    case 'bytes': {
      const v = numberField(key, value, n, line, log);
      if (v === undefined) return 'error';
      tuple[key] = v;
      return true;
    }
    case 'type':
    case 'code': {
      const v = numberField(key, value, n, line, log);
      if (v === undefined) return 'error';
      if (key === 'type') tuple.icmpType = v;
      else tuple.icmpCode = v;
      return true;
    }
    case 'id':
      // ICMP tuples end with `id=` (the echo identifier); a later `id=` is the entry's (`-o id`).
      if (!icmp || tuple.icmpId !== undefined) return false;
      {
        const v = numberField(key, value, n, line, log);
        if (v === undefined) return 'error';
        tuple.icmpId = v;
      }
      return true;
    default:
      return false;
  }
}

function applyMetaField(
  entry: ConntrackEntry,
  key: string,
  value: string,
  extras: Record<string, string>,
  n: number,
  line: string,
  log: ProblemLog,
): boolean {
  switch (key) {
    case 'mark':
    case 'zone':
    case 'use':
    case 'id': {
      const v = numberField(key, value, n, line, log);
      if (v === undefined) return false;
      entry[key] = v;
      return true;
    }
    case 'secctx':
      entry.secctx = value;
      return true;
    case 'labels':
      entry.labels = value === '' ? [] : value.split(',');
      return true;
    default:
      extras[key] = value;
      return true;
  }
}
