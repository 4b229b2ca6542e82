import type { Rule, TableName } from '../../../src/model/rule.js';
import { Chain, type Ruleset, type RulesetFormat, type Table } from '../../../src/model/ruleset.js';
import { parseRuleLine } from '../../../src/parse/rule-line.js';

/**
 * Test helper: builds a Ruleset from iptables-save-shaped text (`*table`, `:CHAIN POLICY`, `-A …`, `COMMIT`)
 * with lazily parsed chains, so tests can also check which chains were read. Rules are parsed one line at
 * a time by src/parse/rule-line.ts. With `format: 'excerpt'`, chains seen only in `-A` lines are undeclared.
 */
export function buildRuleset(text: string, options: { format?: RulesetFormat; file?: string } = {}): Ruleset {
  const file = options.file ?? 'test.rules';
  const format = options.format ?? 'iptables-save';
  const tables = new Map<TableName, Table>();
  const lines = new Map<string, { line: string; no: number }[]>();
  const declared = new Map<string, { policy?: 'ACCEPT' | 'DROP'; no: number }>();
  let table: TableName | undefined;
  text.split('\n').forEach((raw, i) => {
    const no = i + 1;
    const line = raw.trim();
    if (line.startsWith('*')) {
      table = line.slice(1) as TableName;
      if (!tables.has(table)) tables.set(table, { name: table, chains: new Map(), source: { file, line: no } });
    } else if (line.startsWith(':') && table) {
      const [name, policy] = line.slice(1).split(/\s+/);
      declared.set(`${table} ${name}`, { ...(policy === 'ACCEPT' || policy === 'DROP' ? { policy } : {}), no });
    } else if (line.startsWith('-A ') && table) {
      const chain = line.split(/\s+/)[1]!;
      const key = `${table} ${chain}`;
      lines.set(key, [...(lines.get(key) ?? []), { line, no }]);
    }
  });
  for (const key of new Set([...declared.keys(), ...lines.keys()])) {
    const [t, name] = key.split(' ') as [TableName, string];
    if (!tables.has(t)) tables.set(t, { name: t, chains: new Map(), source: { file, line: 0 } });
    const body = lines.get(key) ?? [];
    const decl = declared.get(key);
    const load = (): Rule[] => body.map((b, i) => parseRuleLine(b.line, t, i + 1, { file, line: b.no }));
    tables.get(t)!.chains.set(name, new Chain(t, name, decl?.policy, { file, line: decl?.no ?? body[0]?.no ?? 0 }, body.length, load, undefined, decl !== undefined));
  }
  return { family: 4, format, file, tables, diagnostics: [], assumptions: [] };
}

/** Parses one rule line, for tests that need a lone Rule. */
export function ruleOf(line: string, table: TableName = 'nat', index = 1, lineNo = 1): Rule {
  return parseRuleLine(line, table, index, { file: 'test.rules', line: lineNo });
}
