/**
 * Plumbing shared by the line-oriented parsers of node data (ipset, conntrack, ip addr, ip route, sysctl):
 * walking lines without splitting the whole text, recording problems as {@link Diagnostic}s (or throwing in
 * strict mode, STYLE.md 7), and reading a JSON array element by element so that a truncated `ip -j` capture
 * still yields what precedes the cut, with line numbers.
 */
import { InputError, type Diagnostic, type SourceRef } from '../model/source.js';

/** Options every node-data parser takes. */
export interface LineParseOptions {
  /** Fixture/test mode: throw {@link InputError} on the first problem instead of recording a diagnostic. */
  strict?: boolean;
}

/** Collects diagnostics for one file, or throws on errors when strict. */
export class ProblemLog {
  readonly diagnostics: Diagnostic[] = [];

  constructor(
    readonly file: string,
    private readonly strict: boolean,
  ) {}

  /** Records an error (malformed input); throws {@link InputError} in strict mode. */
  error(line: number, message: string, text?: string, hint?: string): void {
    if (this.strict) throw new InputError({ file: this.file, line }, text === undefined ? message : `${message}: ${text}`, hint);
    this.diagnostics.push(withText({ severity: 'error', source: { file: this.file, line }, message }, text));
  }

  /** Records a warning (input understood, but something is off: truncation, counts that disagree). */
  warning(line: number, message: string, text?: string): void {
    if (this.strict) throw new InputError({ file: this.file, line }, text === undefined ? message : `${message}: ${text}`);
    this.diagnostics.push(withText({ severity: 'warning', source: { file: this.file, line }, message }, text));
  }

  /** Records a note that never fails strict mode (tool chatter such as a summary on stderr). */
  info(line: number, message: string, text?: string): void {
    this.diagnostics.push(withText({ severity: 'info', source: { file: this.file, line }, message }, text));
  }

  /** A {@link SourceRef} for `line` of this file. */
  at(line: number): SourceRef {
    return { file: this.file, line };
  }
}

function withText(d: Diagnostic, text: string | undefined): Diagnostic {
  if (text !== undefined) d.text = text.length > 200 ? `${text.slice(0, 200)}…` : text;
  return d;
}

/**
 * Calls `onLine` for every line of `text` with its 1-based number, without the line break (`\n` or `\r\n`).
 * Uses indexOf/slice rather than split so a 50 MB capture is not copied into an array of lines.
 */
export function forEachLine(text: string, onLine: (line: string, lineNumber: number) => void): void {
  let pos = 0;
  let n = 0;
  const length = text.length;
  while (pos < length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = length;
    n++;
    const stop = end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    onLine(text.slice(pos, stop), n);
    pos = end + 1;
  }
}

/** Splits on runs of blanks (spaces and tabs), dropping empty tokens. */
export function splitBlanks(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    let c = text.charCodeAt(i);
    while (i < n && (c === 32 || c === 9)) c = text.charCodeAt(++i);
    if (i >= n) break;
    const start = i;
    while (i < n && c !== 32 && c !== 9) c = text.charCodeAt(++i);
    out.push(text.slice(start, i));
  }
  return out;
}

/** A decimal (or `0x` hexadecimal) non-negative integer, or undefined. */
export function parseInteger(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text)) return Number(text);
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text.slice(2), 16);
  return undefined;
}

/** 1-based line of character offset `pos` in `text`. */
export function lineAt(text: string, pos: number): number {
  let line = 1;
  let i = text.indexOf('\n');
  while (i >= 0 && i < pos) {
    line++;
    i = text.indexOf('\n', i + 1);
  }
  return line;
}

/** One element of a top-level JSON array, with the line it starts on and its text. */
export interface JsonElement {
  value: unknown;
  line: number;
  raw: string;
}

/**
 * Reads a top-level JSON array (`ip -j …` output) element by element. Each complete element is parsed on its
 * own, so a capture cut off mid-way (a full disk, a timeout) still gives every element before the cut, and a
 * problem is reported at the line where it is. Returns undefined when the text is not a JSON array at all.
 */
export function readJsonArray(text: string, log: ProblemLog, what: string): JsonElement[] | undefined {
  let i = skipBlank(text, 0);
  if (text.charCodeAt(i) !== 91 /* [ */) return undefined;
  const out: JsonElement[] = [];
  let line = lineAt(text, i);
  i++;
  for (;;) {
    // Advance over blanks and one separating comma, counting lines.
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) line++;
      else if (c !== 32 && c !== 9 && c !== 13 && c !== 44 /* , */) break;
    }
    if (i >= text.length) {
      log.error(line, `truncated JSON: the ${what} array is not closed (after ${out.length} element${out.length === 1 ? '' : 's'})`);
      return out;
    }
    if (text.charCodeAt(i) === 93 /* ] */) {
      const rest = skipBlank(text, i + 1);
      if (rest < text.length) log.warning(lineAt(text, rest), `unexpected text after the ${what} JSON array`, text.slice(rest, rest + 80));
      return out;
    }
    const start = i;
    const startLine = line;
    const end = scanJsonValue(text, start);
    if (end < 0) {
      log.error(startLine, `truncated JSON: ${what} element ${out.length + 1} is cut off`, text.slice(start, start + 80));
      return out;
    }
    const raw = text.slice(start, end);
    for (let k = start; k < end; k++) if (text.charCodeAt(k) === 10) line++;
    i = end;
    try {
      out.push({ value: JSON.parse(raw), line: startLine, raw });
    } catch (e) {
      log.error(startLine, `invalid JSON in ${what} element ${out.length + 1}: ${(e as Error).message}`, raw);
    }
  }
}

function skipBlank(text: string, i: number): number {
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) break;
    i++;
  }
  return i;
}

/** End offset of the object/array/scalar starting at `start`, or -1 when the text ends first. */
function scanJsonValue(text: string, start: number): number {
  const first = text.charCodeAt(start);
  if (first !== 123 /* { */ && first !== 91 /* [ */) {
    // A scalar element: up to the next comma or closing bracket.
    let i = start;
    while (i < text.length && !',]\n'.includes(text[i]!)) i++;
    return i < text.length ? i : -1;
  }
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}
