import { BUILTIN_CHAINS, type Chain, type Ruleset, type Table } from '../model/ruleset.js';
import type { SourceRef } from '../model/source.js';
import { TABLE_NAMES, type TableName } from '../model/rule.js';
import { ChainIndex } from './chain-index.js';
import { SAVE_HEADER } from './detect.js';
import { makeChainFactory, reportProblem, type ParseState } from './parse-state.js';
import { MaterializingChainMap } from './lazy-chain-map.js';

/**
 * The fast index of a canonical `iptables-save` dump (kube-proxy's at 10k services: 435k lines, 110k chains).
 *
 * What makes it fast: it reads the file's bytes (the 49 MB text is never decoded whole: a rule's line is
 * decoded when a walk reaches its chain), and nothing per chain is allocated during the pass. Chain
 * declarations are kept as offsets in typed arrays (no name strings, no Map), and a chain is found by binary search
 * over its name, because iptables-save prints user chains sorted by strcmp after the built-in ones
 * (observed with iptables 1.8.9, both backends; netfilter.md §10) and their `-A` lines in the same order.
 *
 * Anything non-canonical (unsorted or repeated declarations, rules of an undeclared chain, rules outside a
 * table, unknown lines) makes it give up, and the general indexer in iptables-save.ts handles the input.
 */
export function indexSaveFast(state: ParseState): Ruleset | undefined {
  const { segments } = state;
  const text = state.bytes;
  if (!text) return undefined;
  const len = text.length;
  const tables: Table[] = [];
  const seen = new Set<TableName>();
  let decls: DeclStore | undefined;
  let tableName: TableName | undefined;
  let tableLine = 0;
  let backend: Ruleset['backend'];
  const warnings: [number, string, string][] = [];
  /** Next declaration expected to have rules (rules come in declaration order). */
  let cursor = 0;

  let pos = 0;
  let lineNo = 0;
  while (pos < len) {
    lineNo++;
    let end = text.indexOf(LF, pos);
    if (end < 0) end = len;
    let lineEnd = end;
    if (lineEnd > pos && text[lineEnd - 1] === CR) lineEnd--;
    const c0 = text[pos];
    if (c0 === DASH || c0 === BRACKET) {
      // `-A NAME …` or `[p:b] -A NAME …`. Rules come in declaration order, so the next declared chain is
      // nearly always the one: the run scanner then takes this line and the rest of the chain's in one call.
      if (decls && cursor < decls.size && decls.count[cursor] === 0) {
        const run = countChainRun(text, pos, decls.nameStart[cursor]!, decls.nameLen[cursor]!);
        if (run > 0) {
          const seg = segments.appendAfter(decls.lastSeg[cursor]!, pos, lineNo);
          decls.firstSeg[cursor] = seg;
          decls.lastSeg[cursor] = seg;
          decls.count[cursor] = run;
          segments.count[seg] = run;
          cursor++;
          lineNo += run - 1;
          pos = runEnd;
          continue;
        }
      }
      let ns = pos;
      if (c0 === BRACKET) {
        const close = text.indexOf(CLOSE_BRACKET, pos);
        if (close < 0 || close > lineEnd || text[close + 1] !== SPACE) return undefined;
        ns = close + 2;
      }
      if (!decls || text[ns] !== DASH || text[ns + 1] !== A || text[ns + 2] !== SPACE) return undefined;
      ns += 3;
      let id = -1;
      for (let k = cursor; k < decls.size && k < cursor + 4; k++) {
        if (decls.nameAt(k, text, ns, lineEnd)) {
          id = k;
          break;
        }
      }
      if (id < 0) {
        let ne = ns;
        while (ne < lineEnd && text[ne] !== SPACE) ne++;
        id = decls.find(text.toString('utf8', ns, ne));
        if (id < 0) return undefined; // rules of an undeclared chain
      }
      if (id < cursor - 1 || decls.count[id]! > 0) return undefined; // rules out of declaration order
      cursor = id + 1;
      decls.count[id] = 1;
      const seg = segments.appendAfter(decls.lastSeg[id]!, pos, lineNo);
      if (decls.firstSeg[id]! < 0) decls.firstSeg[id] = seg;
      decls.lastSeg[id] = seg;
      // The chain's further lines (nearly every line of a dump) are consumed by a small function the JIT
      // optimises at once; this big one deoptimised and recompiled twice per run (measured with --trace-opt).
      const more = countChainRun(text, end + 1, decls.nameStart[id]!, decls.nameLen[id]!);
      if (more > 0) {
        decls.count[id]! += more;
        segments.count[seg]! += more;
        lineNo += more;
        pos = runEnd;
        continue;
      }
    } else if (c0 === COLON) {
      // A run of `:NAME POLICY [p:b]` declarations (110k at 10k services), in a small function of its own.
      if (!decls) return undefined;
      const n = scanDeclarations(text, pos, lineNo, decls);
      if (n < 0) return undefined;
      lineNo += n - 1;
      pos = runEnd;
      continue;
    } else if (lineEnd > pos) {
      const line = text.toString('utf8', pos, lineEnd).trim();
      if (line === '') {
        // blank
      } else if (line.startsWith('#')) {
        const header = SAVE_HEADER.exec(line);
        if (header) {
          const b = header[3] === 'nf_tables' ? 'nf_tables' : 'legacy';
          if (backend === undefined) backend = b;
          else if (backend !== b) return undefined;
        } else if (line.includes('iptables-legacy tables present')) {
          warnings.push([lineNo, 'the node also has iptables-legacy rules, which this dump does not show; capture `iptables-legacy-save` too', line]);
        }
      } else if (line.startsWith('*')) {
        const name = line.slice(1) as TableName;
        if (decls || !TABLE_NAMES.includes(name) || seen.has(name)) return undefined;
        seen.add(name);
        tableName = name;
        tableLine = lineNo;
        decls = new DeclStore(name, text);
        cursor = 0;
      } else if (line === 'COMMIT') {
        if (!decls || !tableName) return undefined;
        tables.push(makeTable(state, tableName, { file: state.file, line: tableLine }, decls));
        decls = undefined;
        tableName = undefined;
      } else {
        return undefined;
      }
    }
    pos = end + 1;
  }
  if (decls || tables.length === 0) return undefined;
  for (const [line, message, raw] of warnings) reportProblem(state, 'warning', line, message, raw);
  tables.sort((a, b) => TABLE_NAMES.indexOf(a.name) - TABLE_NAMES.indexOf(b.name));
  const ruleset: Ruleset = {
    family: state.family,
    format: 'iptables-save',
    file: state.file,
    tables: new Map(tables.map((t) => [t.name, t])),
    diagnostics: state.diagnostics,
    assumptions: [],
  };
  if (backend) ruleset.backend = backend;
  return ruleset;
}

/** Where {@link countChainRun} stopped: the start of the first line that is not the chain's. */
let runEnd = 0;

/**
 * Counts the lines from `pos` on that are rules of the chain whose name is bytes [nameStart, +nameLen) of
 * `text` (`-A name …`, or `[p:b] -A name …` from `iptables-save -c`), and leaves the offset after them in
 * {@link runEnd}.
 */
function countChainRun(text: Buffer, pos: number, nameStart: number, nameLen: number): number {
  const len = text.length;
  let n = 0;
  outer: while (pos < len) {
    let ns = pos;
    if (text[pos] === BRACKET) {
      const close = text.indexOf(CLOSE_BRACKET, pos);
      const eol = text.indexOf(LF, pos);
      if (close < 0 || (eol >= 0 && close > eol) || text[close + 1] !== SPACE) break;
      ns = close + 2;
    }
    if (text[ns] !== DASH || text[ns + 1] !== A || text[ns + 2] !== SPACE) break;
    const at = ns + 3;
    for (let i = 0; i < nameLen; i++) if (text[at + i] !== text[nameStart + i]) break outer;
    const after = at + nameLen;
    const c = text[after];
    if (after < len && c !== SPACE && c !== LF && c !== CR) break;
    const end = text.indexOf(LF, after);
    n++;
    if (end < 0) {
      pos = len;
      break;
    }
    pos = end + 1;
  }
  runEnd = pos;
  return n;
}

/**
 * Reads consecutive `:NAME POLICY [packets:bytes]` lines from `pos` (line `lineNo`) into `decls`. Returns
 * how many, leaving the offset after them in {@link runEnd}; -1 when one is malformed or breaks the canonical
 * order (the fast path then gives up).
 */
function scanDeclarations(text: Buffer, pos: number, lineNo: number, decls: DeclStore): number {
  const len = text.length;
  let n = 0;
  while (pos < len && text[pos] === COLON) {
    let end = text.indexOf(LF, pos);
    if (end < 0) end = len;
    let lineEnd = end;
    if (lineEnd > pos && text[lineEnd - 1] === CR) lineEnd--;
    let ne = pos + 1;
    while (ne < lineEnd && text[ne] !== SPACE) ne++;
    const pe = text.indexOf(SPACE, ne + 1);
    const policyEnd = pe < 0 || pe > lineEnd ? lineEnd : pe;
    const policy = readPolicy(text, ne + 1, policyEnd);
    if (ne === pos + 1 || policy < 0) return -1;
    let packets = 0;
    let bytes = 0;
    if (policyEnd < lineEnd) {
      // ` [packets:bytes]`, read in place: a slice and a regex per declaration cost ~20 ms at 110k chains.
      let q = policyEnd + 1;
      if (text[policyEnd] !== SPACE || text[q] !== BRACKET) return -1;
      q++;
      const p0 = q;
      while (q < lineEnd && isDigit(text[q]!)) packets = packets * 10 + (text[q++]! - 48);
      if (q === p0 || text[q] !== COLON) return -1;
      const b0 = ++q;
      while (q < lineEnd && isDigit(text[q]!)) bytes = bytes * 10 + (text[q++]! - 48);
      if (q === b0 || text[q] !== CLOSE_BRACKET) return -1;
      q++;
      while (q < lineEnd && (text[q] === SPACE || text[q] === TAB)) q++;
      if (q !== lineEnd) return -1;
    }
    if (!decls.declare(pos + 1, ne - pos - 1, policy, packets, bytes, lineNo + n)) return -1;
    n++;
    pos = end + 1;
  }
  runEnd = pos;
  return n;
}

const LF = 10;
const CR = 13;
const SPACE = 32;
const DASH = 45;
const A = 65;
const COLON = 58;
const BRACKET = 91;
const CLOSE_BRACKET = 93;
const TAB = 9;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

const ACCEPT_BYTES = Buffer.from('ACCEPT');
const DROP_BYTES = Buffer.from('DROP');

/** True when bytes [start, start+word.length) of `text` are `word`. */
function bytesEqual(text: Buffer, start: number, word: Buffer): boolean {
  for (let i = 0; i < word.length; i++) if (text[start + i] !== word[i]) return false;
  return true;
}

/** 0 for `-`, 1 ACCEPT, 2 DROP, -1 otherwise. */
function readPolicy(text: Buffer, start: number, end: number): number {
  const n = end - start;
  if (n === 1 && text[start] === DASH) return 0;
  if (n === 6 && bytesEqual(text, start, ACCEPT_BYTES)) return 1;
  if (n === 4 && bytesEqual(text, start, DROP_BYTES)) return 2;
  return -1;
}

/** strcmp of bytes `a` against text[start, start+len): negative when `a` sorts first (iptables sorts by strcmp). */
function compareName(a: Buffer, text: Buffer, start: number, len: number): number {
  const n = Math.min(a.length, len);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - text[start + i]!;
    if (d !== 0) return d;
  }
  return a.length - len;
}

/** strcmp of text[a, a+aLen) against text[b, b+bLen). */
function compareRanges(text: Buffer, a: number, aLen: number, b: number, bLen: number): number {
  const n = Math.min(aLen, bLen);
  for (let i = 0; i < n; i++) {
    const d = text[a + i]! - text[b + i]!;
    if (d !== 0) return d;
  }
  return aLen - bLen;
}

/** First capacity of a table's declaration columns (filter/mangle tables stay well under it). */
const DECL_CAPACITY = 1024;

/** Growable columns of one table's chain declarations, in input order. */
class DeclStore {
  nameStart: Int32Array = new Int32Array(DECL_CAPACITY);
  nameLen: Int32Array = new Int32Array(DECL_CAPACITY);
  line: Int32Array = new Int32Array(DECL_CAPACITY);
  policy: Int8Array = new Int8Array(DECL_CAPACITY);
  packets: Float64Array = new Float64Array(DECL_CAPACITY);
  bytes: Float64Array = new Float64Array(DECL_CAPACITY);
  count: Int32Array = new Int32Array(DECL_CAPACITY);
  firstSeg: Int32Array = new Int32Array(DECL_CAPACITY).fill(-1);
  lastSeg: Int32Array = new Int32Array(DECL_CAPACITY).fill(-1);
  size = 0;
  /** Declarations before this index are the table's built-in chains; the rest must be strictly sorted. */
  firstUser = -1;
  private readonly builtins: readonly string[];

  constructor(
    readonly table: TableName,
    /** The dump's bytes: names are offsets into them. */
    private readonly text: Buffer,
  ) {
    this.builtins = BUILTIN_CHAINS[table];
  }

  /** Adds a declaration; false when it breaks the canonical order (the fast path then gives up). */
  declare(start: number, len: number, policy: number, packets: number, bytes: number, line: number): boolean {
    const text = this.text;
    if (this.size === this.nameStart.length) this.grow();
    const id = this.size;
    if (this.firstUser < 0) {
      const name = text.toString('utf8', start, start + len);
      if (!this.builtins.includes(name)) this.firstUser = id;
      else if (this.indexOfBuiltin(name) >= 0) return false; // declared twice
    }
    if (this.firstUser >= 0 && id > this.firstUser) {
      // Strictly increasing by strcmp, or not canonical. Compared in place: no string per declaration.
      const prev = id - 1;
      if (compareRanges(text, start, len, this.nameStart[prev]!, this.nameLen[prev]!) <= 0) return false;
    }
    if (this.firstUser >= 0 && policy !== 0) return false; // user chains have no policy
    this.nameStart[id] = start;
    this.nameLen[id] = len;
    this.policy[id] = policy;
    this.packets[id] = packets;
    this.bytes[id] = bytes;
    this.line[id] = line;
    this.size++;
    return true;
  }

  /** True when the `-A` line's chain name at `ns` is declaration `id`'s. */
  nameAt(id: number, text: Buffer, ns: number, lineEnd: number): boolean {
    const start = this.nameStart[id]!;
    const len = this.nameLen[id]!;
    const after = ns + len;
    if (after > lineEnd) return false;
    if (after < lineEnd && text[after] !== SPACE) return false;
    for (let i = 0; i < len; i++) if (text[ns + i] !== text[start + i]) return false;
    return true;
  }

  getName(id: number): string {
    return this.text.toString('utf8', this.nameStart[id]!, this.nameStart[id]! + this.nameLen[id]!);
  }

  private indexOfBuiltin(name: string): number {
    const end = this.firstUser < 0 ? this.size : this.firstUser;
    for (let i = 0; i < end; i++) if (this.getName(i) === name) return i;
    return -1;
  }

  /** Declaration id of `name`, or -1. Binary search over the sorted user chains. */
  find(name: string): number {
    const b = this.indexOfBuiltin(name);
    if (b >= 0 || this.firstUser < 0) return b;
    const key = Buffer.from(name, 'utf8');
    let lo = this.firstUser;
    let hi = this.size - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const d = compareName(key, this.text, this.nameStart[mid]!, this.nameLen[mid]!);
      if (d === 0) return mid;
      if (d < 0) hi = mid - 1;
      else lo = mid + 1;
    }
    return -1;
  }

  /** The ChainIndex the lazy loader and Chain factory work from. */
  toChainIndex(id: number): ChainIndex {
    const idx = new ChainIndex(this.table, this.getName(id), this.line[id]!, true);
    const p = this.policy[id];
    idx.policy = p === 1 ? 'ACCEPT' : p === 2 ? 'DROP' : undefined;
    idx.counters = { packets: this.packets[id]!, bytes: this.bytes[id]! };
    idx.count = this.count[id]!;
    idx.firstSegment = this.firstSeg[id]!;
    idx.lastSegment = this.lastSeg[id]!;
    return idx;
  }

  private grow(): void {
    // ×4: a kube-proxy table has ~100k chains; doubling from a small start copied the columns ten times.
    const n = this.nameStart.length * 4;
    const growI32 = (a: Int32Array, fill?: number): Int32Array => {
      const b = new Int32Array(n);
      if (fill !== undefined) b.fill(fill);
      b.set(a);
      return b;
    };
    this.nameStart = growI32(this.nameStart);
    this.nameLen = growI32(this.nameLen);
    this.line = growI32(this.line);
    this.count = growI32(this.count);
    this.firstSeg = growI32(this.firstSeg, -1);
    this.lastSeg = growI32(this.lastSeg, -1);
    const p = new Int8Array(n);
    p.set(this.policy);
    this.policy = p;
    const f1 = new Float64Array(n);
    f1.set(this.packets);
    this.packets = f1;
    const f2 = new Float64Array(n);
    f2.set(this.bytes);
    this.bytes = f2;
  }
}

function makeTable(state: ParseState, name: TableName, source: SourceRef, decls: DeclStore): Table {
  return { name, chains: new DeclChainMap(decls, makeChainFactory(state)), source };
}

/**
 * `Table.chains` over a DeclStore: a real Map whose Chain objects are made on first `get`, found by binary
 * search. Iterating makes every chain, in declaration order.
 */
class DeclChainMap extends MaterializingChainMap {
  #decls: DeclStore | undefined;
  /** Declarations not yet made into chains (by id); undefined once everything is made. */
  #made: Uint8Array | undefined;
  #extra = 0;

  constructor(
    decls: DeclStore,
    private readonly create: (idx: ChainIndex) => Chain,
  ) {
    super();
    this.#decls = decls;
    this.#made = new Uint8Array(decls.size);
  }

  override get(name: string): Chain | undefined {
    const made = super.get(name);
    if (made !== undefined || !this.#decls) return made;
    const id = this.#decls.find(name);
    if (id < 0 || this.#made![id]) return undefined;
    const chain = this.create(this.#decls.toChainIndex(id));
    this.#made![id] = 1;
    super.set(name, chain);
    return chain;
  }

  override has(name: string): boolean {
    if (super.has(name)) return true;
    if (!this.#decls) return false;
    const id = this.#decls.find(name);
    return id >= 0 && !this.#made![id];
  }

  override get size(): number {
    return this.#decls ? this.#decls.size + this.#extra : super.size;
  }

  override set(name: string, chain: Chain): this {
    if (this.#decls && !this.has(name)) this.#extra++;
    else if (this.#decls && !super.has(name)) {
      // Replacing a declared chain that was never made: mark it made so it is not made again.
      const id = this.#decls.find(name);
      if (id >= 0) this.#made![id] = 1;
    }
    return super.set(name, chain);
  }

  override delete(name: string): boolean {
    if (this.#decls) {
      const id = this.#decls.find(name);
      if (id >= 0 && !this.#made![id]) {
        this.#made![id] = 1;
        this.#extra--;
        return true;
      }
    }
    return super.delete(name);
  }

  override clear(): void {
    this.#decls = undefined;
    this.#made = undefined;
    this.#extra = 0;
    super.clear();
  }

  /** Makes every chain; the map ends up in declaration order, with chains added by callers after. */
  protected override materialize(): void {
    const decls = this.#decls;
    if (!decls) return;
    const made = this.#made!;
    this.#decls = undefined;
    this.#made = undefined;
    this.#extra = 0;
    const existing = new Map<string, Chain>(this.madeEntries());
    super.clear();
    for (let id = 0; id < decls.size; id++) {
      const name = decls.getName(id);
      const chain = existing.get(name);
      if (chain !== undefined) {
        existing.delete(name);
        super.set(name, chain);
      } else if (!made[id]) {
        super.set(name, this.create(decls.toChainIndex(id)));
      }
    }
    for (const [k, v] of existing) super.set(k, v);
  }
}
