import { Chain, type RawRule, type RuleLoader, type Table } from '../model/ruleset.js';
import { InputError, type Diagnostic, type SourceRef } from '../model/source.js';
import type { Family, TableName } from '../model/rule.js';
import { TABLE_NAMES } from '../model/rule.js';
import type { ChainIndex, SegmentStore } from './chain-index.js';
import { parseRuleLine } from './rule-line.js';
import { LazyChainMap } from './lazy-chain-map.js';

/** Shared state of one parse, for the index passes and the lazy loaders. */
export interface ParseState {
  /** The input as text ('' when only `bytes` are held: the fast index never decodes a dump whole). */
  text: string;
  /**
   * The input's bytes, for the fast index (save-fast-index.ts). When set, segment offsets are byte offsets and
   * rule lines are decoded from here one by one.
   */
  bytes?: Buffer;
  file: string;
  family: Family;
  strict: boolean;
  diagnostics: Diagnostic[];
  segments: SegmentStore;
}

/** Records a problem, or throws it in strict mode. */
export function reportProblem(state: ParseState, severity: Diagnostic['severity'], line: number, message: string, text?: string): void {
  const source: SourceRef = { file: state.file, line };
  if (state.strict && severity !== 'info') throw new InputError(source, message);
  const d: Diagnostic = { severity, source, message };
  if (text !== undefined) d.text = text;
  state.diagnostics.push(d);
}

/**
 * Builds the tables, each with a {@link LazyChainMap} over its chain indexes (in input order): `Chain` objects
 * are made on first access and their rules parsed on first `listRules()`.
 */
export function buildTables(state: ParseState, perTable: Map<TableName, Map<string, ChainIndex>>, tableSources: Map<TableName, SourceRef>): Map<TableName, Table> {
  const create = makeChainFactory(state);
  const tables = new Map<TableName, Table>();
  // Deterministic table order: the kernel's (iptables(8) "TABLES").
  for (const name of TABLE_NAMES) {
    const chains = perTable.get(name);
    if (!chains || chains.size === 0) continue;
    const first = chains.values().next().value!;
    tables.set(name, { name, chains: new LazyChainMap(chains, create), source: tableSources.get(name) ?? { file: state.file, line: first.line } });
  }
  return tables;
}

/** Makes the model's lazy `Chain` for an indexed chain of this parse. */
export function makeChainFactory(state: ParseState): (idx: ChainIndex) => Chain {
  return (idx) =>
    new Chain(idx.table, idx.name, idx.policy, { file: state.file, line: idx.line }, idx.count, ruleLoader(state, idx.table, idx), idx.counters, idx.declared);
}

/** Groups chain indexes by table, keeping their order. */
export function groupByTable(indexes: Iterable<ChainIndex>): Map<TableName, Map<string, ChainIndex>> {
  const perTable = new Map<TableName, Map<string, ChainIndex>>();
  for (const idx of indexes) {
    let m = perTable.get(idx.table);
    if (!m) perTable.set(idx.table, (m = new Map()));
    m.set(idx.name, idx);
  }
  return perTable;
}

/** Gives a chain its raw `-A` lines (cheap slices) and parses one of them on demand. */
function ruleLoader(state: ParseState, table: TableName, idx: ChainIndex): RuleLoader {
  const options = { family: state.family, diagnostics: state.diagnostics, strict: state.strict };
  return {
    listRaw: () => listRawLines(state, idx),
    parse: (raw, index) => parseRuleLine(raw.text, table, index + 1, { file: state.file, line: raw.line }, options),
  };
}

/** The `-A` lines of one chain, from the segments the index pass recorded. */
function listRawLines(state: ParseState, idx: ChainIndex): RawRule[] {
  const out: RawRule[] = [];
  const { text, bytes, segments } = state;
  for (let s = idx.firstSegment; s >= 0; s = segments.next[s]!) {
    let pos = segments.start[s]!;
    let line = segments.line[s]!;
    const count = segments.count[s]!;
    for (let k = 0; k < count; k++) {
      if (bytes) {
        let end = bytes.indexOf(10, pos);
        if (end < 0) end = bytes.length;
        out.push({ text: bytes.toString('utf8', pos, end), line });
        pos = end + 1;
      } else {
        let end = text.indexOf('\n', pos);
        if (end < 0) end = text.length;
        out.push({ text: text.slice(pos, end), line });
        pos = end + 1;
      }
      line++;
    }
  }
  return out;
}
