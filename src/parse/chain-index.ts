import type { Counters, TableName } from '../model/rule.js';

/**
 * Where one chain's `-A` lines are in the input text, gathered by the index pass and read by the lazy loader.
 * A kube-proxy dump has ~120k chains, so a chain holds no array of its own: its lines are runs ("segments") of
 * consecutive lines kept in one shared {@link SegmentStore}.
 */
export class ChainIndex {
  policy: 'ACCEPT' | 'DROP' | undefined;
  counters: Counters | undefined;
  /** Number of `-A` lines. */
  count = 0;
  /** First and last segment in the store; -1 when the chain has no rules. */
  firstSegment = -1;
  lastSegment = -1;

  constructor(
    public table: TableName,
    readonly name: string,
    /** 1-based line of the declaration, or of the first rule when undeclared (a SourceRef is made at build time). */
    public line: number,
    public declared: boolean,
  ) {}
}

/** Growable columns of segments: start offset, first line number, line count, next segment of the same chain. */
export class SegmentStore {
  start: Int32Array = new Int32Array(1024);
  line: Int32Array = new Int32Array(1024);
  count: Int32Array = new Int32Array(1024);
  next: Int32Array = new Int32Array(1024);
  size = 0;

  /** Starts a new segment of `idx` at text offset `start` (1-based line `line`) holding one line. */
  append(idx: ChainIndex, start: number, line: number): void {
    const s = this.appendAfter(idx.lastSegment, start, line);
    if (idx.firstSegment < 0) idx.firstSegment = s;
    idx.lastSegment = s;
  }

  /** Starts a new one-line segment after segment `previous` (-1: none) of the same chain; returns its id. */
  appendAfter(previous: number, start: number, line: number): number {
    if (this.size === this.start.length) this.grow();
    const s = this.size++;
    this.start[s] = start;
    this.line[s] = line;
    this.count[s] = 1;
    this.next[s] = -1;
    if (previous >= 0) this.next[previous] = s;
    return s;
  }

  private grow(): void {
    const n = this.start.length * 2;
    const copy = (a: Int32Array): Int32Array => {
      const b = new Int32Array(n);
      b.set(a);
      return b;
    };
    this.start = copy(this.start);
    this.line = copy(this.line);
    this.count = copy(this.count);
    this.next = copy(this.next);
  }
}
