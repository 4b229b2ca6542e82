import type { Ruleset } from '../model/ruleset.js';
import type { SourceRef } from '../model/source.js';
import type { Counters, TableName } from '../model/rule.js';
import { ChainIndex } from './chain-index.js';
import { classifyIptablesLine, SAVE_HEADER } from './detect.js';
import { getChainTableEntry, inferRuleTable, type TableDecision } from './infer-table.js';
import { buildTables, groupByTable, reportProblem, type ParseState } from './parse-state.js';
import { tokenizeRuleLine } from './tokenize.js';

/**
 * Excerpts: what people paste in tickets. `iptables-save | grep …` output between shell prompts, `[p:b]` counters,
 * `...` cut marks, markdown fences, article comments, no table headers. Every `-A` line is kept; the table of each
 * rule comes from the nearest context (a `*table` line, or `-t TABLE` / plain `iptables -S` in the prompt above it)
 * or, failing that, is inferred from chain names and targets (src/parse/infer-table.ts), and each inference is
 * stated as an assumption. Excerpts are small, so rules are tokenized here to find their targets.
 */

interface Context {
  table: TableName;
  /** Why: "`*nat` on line 3" or "the command on line 7 (`iptables -t nat -S`)". */
  origin: string;
  /** True when the context came from a `*table` line (no assumption to state). */
  header: boolean;
}

interface ExcerptRule {
  lineNo: number;
  /** The rule without counters or surrounding blanks, to spot the same rule pasted twice. */
  text: string;
  start: number;
  chain: string;
  target?: string;
  ctstateNew: boolean;
  context?: Context;
  decision?: TableDecision;
}

interface ExcerptDecl {
  lineNo: number;
  name: string;
  policy: 'ACCEPT' | 'DROP' | undefined;
  counters?: Counters;
  context?: Context;
}

/** A shell prompt line: `$ …`, `# …`, `root@node:~# …`, `[root@minikube /]# …`, `user@host:~$ …`, `PS C:\> …`. */
const PROMPT = /^(?:\$|#|%|>|[\w.-]+@[\w.-]+(?::[^\s$#]*)?[$#]|\[[^\]]+\][$#]|[\w.-]+\s*[$#]|PS [^>]*>)\s+\S/;
const IPTABLES_COMMAND = /\b(?:sudo\s+)?(ip6?tables(?:-nft|-legacy)?(?:-save)?)\b(.*)$/;
const TABLE_OPTION = /(?:^|\s)(?:-t\s*|--table[=\s]+)(raw|mangle|nat|filter|security)\b/;
const CUT_MARK = /^(?:\.{3,}|…+|\[\.{3}\]|<snip>|\.\.\.\s*\(.*\)|-- ?)$/i;
const FENCE = /^(?:```|~~~)/;

/** What a prompt line tells about the table of the lines after it; undefined = no table known. */
function commandContext(line: string, lineNo: number): { isIptables: boolean; context?: Context } {
  const m = IPTABLES_COMMAND.exec(line);
  if (!m) return { isIptables: false };
  const program = m[1]!;
  const args = m[2]!;
  const cmd = args.split('|')[0]!;
  const t = TABLE_OPTION.exec(cmd);
  const origin = `the command on line ${lineNo} (\`${line.trim()}\`)`;
  if (t) return { isIptables: true, context: { table: t[1] as TableName, origin, header: false } };
  // iptables(8): without -t the table is filter. iptables-save without -t dumps every table: no information.
  if (!program.endsWith('-save') && /(?:^|\s)(?:-S|--list-rules)\b/.test(cmd)) {
    return { isIptables: true, context: { table: 'filter', origin: `${origin}, which has no -t: iptables' default table`, header: false } };
  }
  return { isIptables: true };
}

function ruleFacts(line: string): { chain?: string; target?: string; ctstateNew: boolean } {
  const { tokens } = tokenizeRuleLine(line.replace(/^\[\d+:\d+\]\s+/, ''));
  let chain: string | undefined;
  let target: string | undefined;
  let ctstateNew = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.quoted) continue;
    if ((t.text === '-A' || t.text === '--append') && i === 0) chain = tokens[1]?.text;
    else if (t.text === '-j' || t.text === '-g' || t.text === '--jump' || t.text === '--goto') target = tokens[i + 1]?.text;
    else if ((t.text === '--ctstate' || t.text === '--state') && /(^|,)NEW(,|$)/.test(tokens[i + 1]?.text ?? '')) {
      ctstateNew = tokens[i - 1]?.text !== '!';
    }
  }
  if (chain?.startsWith('-')) chain = undefined;
  const r: { chain?: string; target?: string; ctstateNew: boolean } = { ctstateNew };
  if (chain !== undefined) r.chain = chain;
  if (target !== undefined) r.target = target;
  return r;
}

/** Indexes an excerpt and infers the tables its headers no longer say. */
export function indexExcerpt(state: ParseState): Ruleset {
  const { text } = state;
  const ruleset: Ruleset = {
    family: state.family,
    format: 'excerpt',
    file: state.file,
    tables: new Map(),
    diagnostics: state.diagnostics,
    assumptions: [],
  };
  const rules: ExcerptRule[] = [];
  const decls: ExcerptDecl[] = [];
  let context: Context | undefined;
  /** Inside the output of a non-iptables command or an `iptables -L` listing: swallowed until a break. */
  let skipping: 'listing' | 'foreign' | undefined;

  let pos = 0;
  let lineNo = 0;
  while (pos < text.length) {
    lineNo++;
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    const raw = text.slice(pos, end);
    const start = pos;
    pos = end + 1;
    const line = raw.trim();
    const kind = classifyIptablesLine(line);
    if (kind === 'blank' || FENCE.test(line)) {
      skipping = undefined;
      continue;
    }
    if (kind === 'rule') {
      skipping = undefined;
      const facts = ruleFacts(line);
      if (!facts.chain) {
        reportProblem(state, 'error', lineNo, 'expected a chain name after -A; line ignored', raw);
        continue;
      }
      const r: ExcerptRule = { lineNo, text: line.replace(/^\[\d+:\d+\]\s+/, ''), start, chain: facts.chain, ctstateNew: facts.ctstateNew };
      if (facts.target !== undefined) r.target = facts.target;
      if (context) r.context = context;
      rules.push(r);
      continue;
    }
    if (kind === 'chain' || kind === 'new-chain' || kind === 'policy') {
      skipping = undefined;
      const m =
        kind === 'chain'
          ? /^:(\S+)\s+(\S+)(?:\s+\[(\d+):(\d+)\])?/.exec(line)
          : /^-[NP]\s+(\S+)(?:\s+(ACCEPT|DROP))?(?:\s+-c\s+(\d+)\s+(\d+))?/.exec(line);
      if (!m || m[1]!.startsWith('-')) {
        reportProblem(state, 'warning', lineNo, 'expected a chain name in this chain declaration; line ignored', raw);
        continue;
      }
      const policy = m[2] === 'ACCEPT' || m[2] === 'DROP' ? m[2] : undefined;
      const d: ExcerptDecl = { lineNo, name: m[1]!, policy };
      if (m[3] !== undefined) d.counters = { packets: Number(m[3]), bytes: Number(m[4]) };
      if (context) d.context = context;
      decls.push(d);
      continue;
    }
    if (kind === 'table') {
      skipping = undefined;
      const name = line.slice(1).trim() as TableName;
      context = { table: name, origin: `\`*${name}\` on line ${lineNo}`, header: true };
      continue;
    }
    if (kind === 'commit') {
      context = undefined;
      continue;
    }
    if (kind === 'save-header') {
      const m = SAVE_HEADER.exec(line)!;
      ruleset.backend ??= m[3] === 'nf_tables' ? 'nf_tables' : 'legacy';
      continue;
    }
    if (kind === 'list-chain' || kind === 'list-header') {
      if (skipping !== 'listing') {
        reportProblem(
          state,
          'warning',
          lineNo,
          'an `iptables -L` listing is lossy and was skipped; paste `iptables-save` output for these chains instead',
          raw,
        );
      }
      skipping = 'listing';
      continue;
    }
    const cmd = commandContext(line, lineNo);
    if (PROMPT.test(line) || (cmd.isIptables && /^\S*\s*(?:sudo\s+)?ip6?tables/.test(line))) {
      // A new command: its table (if any) replaces the previous context; other commands' output is skipped.
      context = cmd.context;
      skipping = cmd.isIptables ? undefined : 'foreign';
      continue;
    }
    if (kind === 'comment' || CUT_MARK.test(line) || skipping) continue;
    reportProblem(state, 'warning', lineNo, 'expected an iptables rule, chain declaration, shell prompt or cut mark; line ignored', raw);
  }

  decideTables(rules);

  // Group into chains per (table, name), in input order.
  const indexes = new Map<string, ChainIndex>();
  const order: ChainIndex[] = [];
  const get = (table: TableName, name: string, line: number, declared: boolean): ChainIndex => {
    const key = `${table} ${name}`;
    let idx = indexes.get(key);
    if (!idx) {
      idx = new ChainIndex(table, name, line, declared);
      indexes.set(key, idx);
      order.push(idx);
    }
    return idx;
  };
  const ruleTables = new Map<string, TableName>();
  for (const r of rules) {
    const table = r.context?.table ?? r.decision!.table;
    if (!ruleTables.has(r.chain)) ruleTables.set(r.chain, table);
  }
  for (const d of decls) {
    const table = d.context?.table ?? ruleTables.get(d.name) ?? getChainTableEntry(d.name)?.tables[0] ?? 'filter';
    const idx = get(table, d.name, d.lineNo, true);
    if (!idx.declared) idx.line = d.lineNo;
    idx.declared = true;
    if (d.policy) idx.policy = d.policy;
    if (d.counters) idx.counters = d.counters;
    if (!d.context && !ruleTables.has(d.name)) {
      const e = getChainTableEntry(d.name);
      ruleset.assumptions.push(
        `excerpt has no table header for chain ${d.name} (declared on line ${d.lineNo}): assumed to be in ${table} (${e ? e.description : "iptables' default table"})`,
      );
    }
  }
  // The same rule pasted twice (two greps that both match it) is one rule of the chain, not two.
  const seen = new Map<string, number>();
  for (const r of rules) {
    const table = r.context?.table ?? r.decision!.table;
    const key = `${table} ${r.text}`;
    const first = seen.get(key);
    if (first !== undefined) {
      reportProblem(state, 'info', r.lineNo, `same rule as line ${first} (pasted twice); counted once`);
      continue;
    }
    seen.set(key, r.lineNo);
    const idx = get(table, r.chain, r.lineNo, false);
    state.segments.append(idx, r.start, r.lineNo);
    idx.count++;
  }
  ruleset.assumptions.push(...describeAssumptions(rules));
  const tableSources = new Map<TableName, SourceRef>();
  for (const idx of order) if (!tableSources.has(idx.table)) tableSources.set(idx.table, { file: state.file, line: idx.line });
  ruleset.tables = buildTables(state, groupByTable(order), tableSources);
  return ruleset;
}

/**
 * Decides each context-less rule's table. Chains of the registry and built-ins decide per rule (KUBE-SERVICES is
 * in nat and filter); other chains take one table for all their rules, from their targets, then from the chains
 * that jump to them, else filter (iptables' default table).
 */
function decideTables(rules: ExcerptRule[]): void {
  const chainTables = new Map<string, TableName>();
  for (const r of rules) if (r.context && !chainTables.has(r.chain)) chainTables.set(r.chain, r.context.table);
  const lookup = (chain: string): TableName | undefined => chainTables.get(chain);
  const open = rules.filter((r) => !r.context);
  for (let pass = 0; pass < 4; pass++) {
    let changed = false;
    const previous = new Map<string, TableDecision>();
    for (const r of open) {
      const known = getChainTableEntry(r.chain);
      const d = inferRuleTable({ chain: r.chain, target: r.target, ctstateNew: r.ctstateNew }, lookup, known ? previous.get(r.chain) : undefined);
      if (d) {
        if (!r.decision || r.decision.table !== d.table) changed = true;
        r.decision = d;
        previous.set(r.chain, d);
        if (!chainTables.has(r.chain)) chainTables.set(r.chain, d.table);
      }
    }
    if (!changed) break;
  }
  // Chains unknown to the registry: one table for the whole chain.
  const byChain = new Map<string, ExcerptRule[]>();
  for (const r of open) {
    if (getChainTableEntry(r.chain)) continue;
    let list = byChain.get(r.chain);
    if (!list) byChain.set(r.chain, (list = []));
    list.push(r);
  }
  for (const [chain, list] of byChain) {
    let decision = list.find((r) => r.decision)?.decision;
    if (!decision) {
      const caller = rules.find((r) => r.target === chain && (r.context || r.decision));
      if (caller) {
        const t = caller.context?.table ?? caller.decision!.table;
        decision = { table: t, reason: `line ${caller.lineNo} in ${t} jumps to it` };
      } else decision = { table: 'filter', reason: "nothing in the excerpt says; iptables' default table" };
    }
    for (const r of list) r.decision = decision;
  }
  for (const r of open) r.decision ??= { table: 'filter', reason: "iptables' default table" };
}

function describeAssumptions(rules: ExcerptRule[]): string[] {
  const out: string[] = [];
  const groups = new Map<string, ExcerptRule[]>();
  const contexts = new Map<Context, ExcerptRule[]>();
  for (const r of rules) {
    if (r.context) {
      if (!r.context.header) {
        let list = contexts.get(r.context);
        if (!list) contexts.set(r.context, (list = []));
        list.push(r);
      }
      continue;
    }
    const key = `${r.chain} ${r.decision!.table}`;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(r);
  }
  const all = new Map<string, number>();
  for (const r of rules) if (!r.context) all.set(r.chain, (all.get(r.chain) ?? 0) + 1);
  for (const list of groups.values()) {
    const first = list[0]!;
    const table = first.decision!.table;
    if (list.length === all.get(first.chain)) {
      out.push(`excerpt has no table headers: chain ${first.chain} assumed to be in ${table} (${first.decision!.reason})`);
    } else {
      const lines = list.slice(0, 10).map((r) => r.lineNo).join(', ') + (list.length > 10 ? ', …' : '');
      out.push(
        `excerpt has no table headers: ${list.length} rule(s) of chain ${first.chain} (line ${lines}) assumed to be in ${table} (e.g. line ${first.lineNo}: ${first.decision!.reason})`,
      );
    }
  }
  for (const [ctx, list] of contexts) {
    const a = list[0]!.lineNo;
    const b = list[list.length - 1]!.lineNo;
    out.push(`${a === b ? `the rule on line ${a}` : `rules on lines ${a}–${b}`} taken to be in ${ctx.table}, from ${ctx.origin}`);
  }
  return out;
}
