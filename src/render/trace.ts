import { isIPv4, isIPv6 } from 'node:net';
import type { ChalkInstance } from 'chalk';
import type { Hook } from '../engine/packet.js';
import type { Finding, PathStep, TraceOutcome, TraceReport } from '../interpret/report.js';
import { makeChalk } from './color.js';
import { formatProbability } from './probability.js';
import { shortenRuleText, shortenText } from './rule-text.js';
import { renderKubectlTable } from './table.js';
import { wrapText } from './wrap.js';

/** How to render: colour is decided by the caller (see color.ts); width is the terminal's, if any. */
export interface RenderTraceOptions {
  color: boolean;
  /** Terminal columns. Undefined (piped output): rule texts are never shortened nor lines wrapped. */
  width?: number;
}

/** Indents of the path block: hook, step header, rule text and effect. */
const HOOK_INDENT = '  ';
const STEP_INDENT = '    ';
const DETAIL_INDENT = '      ';
/** A conditions cell never gets narrower than this, even on a narrow terminal. */
const MIN_CONDITIONS_WIDTH = 20;
/**
 * Width the outcome table keeps to when there is no terminal (piped): rule texts stay whole there, but
 * the table is a summary and its full conditions are printed in each branch above it.
 */
const PIPED_TABLE_WIDTH = 120;
/** Table columns sit three spaces apart (table.ts). */
const TABLE_PADDING = 3;

/** `  why    `: the labels of a branch's summary lines, aligned. */
const LABEL = (label: string): string => `  ${label.padEnd(7)}`;

const SEVERITY_GLYPH: Record<Finding['severity'], string> = { error: '✖', warning: '⚠', info: 'ℹ' };

/**
 * Renders a trace for a human: the query, what was assumed, a one-line verdict summary, each branch's
 * path through the rules (hook, table/chain, rule number, input line, rule text, effect and meaning),
 * a kubectl-style table of outcomes and the findings. Outcomes keep the report's order, so the same
 * report always renders to the same text.
 */
export function renderTrace(report: TraceReport, options: RenderTraceOptions): string {
  const c = makeChalk(options.color);
  const blocks = [
    renderHeader(report, c),
    renderAssumptions(report.assumptions, c, options.width),
    renderSummary(report.outcomes, c, options.width),
    ...report.outcomes.map((outcome, index) => renderBranch(outcome, index + 1, report, c, options.width)),
    renderOutcomeTable(report.outcomes, c, options.width),
    renderFindings(report.findings, c, options.width),
  ];
  return blocks.filter((block): block is string => block !== undefined).join('\n\n');
}

/**
 * `10.96.34.82:80`, `[fd00::1]:443`, or the bare address when the query has no port. `query.destination`
 * may already carry the port (it is "as the user gave it"), so a port is only added to a bare address.
 */
export function formatQueryDestination(query: TraceReport['query']): string {
  const { destination, port } = query;
  if (port === undefined) return destination;
  if (isIPv4(destination)) return `${destination}:${port}`;
  if (isIPv6(destination)) return `[${destination}]:${port}`;
  return destination;
}

function renderHeader(report: TraceReport, c: ChalkInstance): string {
  const { query } = report;
  const source = query.sourceAssumed
    ? `${query.source} ${c.yellow('(assumed: no --src given)')}`
    : query.source;
  return [
    c.bold(`Trace of a new ${query.protocol} connection to ${formatQueryDestination(query)}`),
    `  source   ${source}`,
    `  enters   ${query.startHook}`,
    `  rules    ${query.input}`,
  ].join('\n');
}

function renderAssumptions(assumptions: readonly string[], c: ChalkInstance, width: number | undefined): string | undefined {
  if (assumptions.length === 0) return undefined;
  return [c.yellow.bold('Assumed:'), ...assumptions.flatMap((assumption) => wrapText('  - ', assumption, width, '    '))].join('\n');
}

/**
 * One line totalling the share of each verdict, in order of first appearance: what the reader wants first.
 * When branches depend on conditions the rules cannot decide (`given`), shares only add up within one
 * set of such conditions, so there is one line per scenario instead of a misleading total.
 */
function renderSummary(outcomes: readonly TraceOutcome[], c: ChalkInstance, width: number | undefined): string {
  if (outcomes.length === 0) return c.bold('Verdict: none (the walk produced no outcome)');
  const scenarios = new Map<string, TraceOutcome[]>();
  for (const outcome of outcomes) {
    const key = (outcome.given ?? []).join('\n');
    scenarios.set(key, [...(scenarios.get(key) ?? []), outcome]);
  }
  const totalsOf = (group: readonly TraceOutcome[]): string => {
    const totals = new Map<TraceOutcome['verdict'], number>();
    for (const outcome of group) totals.set(outcome.verdict, (totals.get(outcome.verdict) ?? 0) + outcome.probability);
    return [...totals].map(([verdict, share]) => `${colorVerdict(verdict, c)} ${formatProbability(share)}`).join(', ');
  };
  const branches = outcomes.length === 1 ? '1 branch' : `${outcomes.length} branches`;
  if (scenarios.size === 1) return `${c.bold('Verdict:')} ${totalsOf(outcomes)} ${c.dim(`(${branches})`)}`;
  const lines = [`${c.bold('Verdict depends on what the rules cannot decide')} ${c.dim(`(${branches}, ${scenarios.size} scenarios)`)}:`];
  let shown = 0;
  for (const [key, group] of scenarios) {
    if (shown++ === MAX_SCENARIO_LINES) {
      lines.push(c.dim(`  … ${scenarios.size - MAX_SCENARIO_LINES} more scenarios (each branch below says its conditions; --json lists them as \`given\`)`));
      break;
    }
    const given = key === '' ? ['(no undecidable condition)'] : key.split('\n').map(shortenCondition);
    lines.push(...wrapText('  - ', `${given.join('; ')}: `, width, '    '));
    lines[lines.length - 1] += totalsOf(group);
  }
  return lines.join('\n');
}

/** Scenario lines in the summary before the rest is summarised (a Calico node without routes has dozens). */
const MAX_SCENARIO_LINES = 8;

/** `if input interface unknown: -i cali+ at raw/cali-PREROUTING #2 (line 33) matches` → `-i cali+ (line 33)`. */
function shortenCondition(condition: string): string {
  const m = /^if (?:.*?): (.+?) at \S+ #\d+ \(line (\d+)\) (matches|does not match)$/.exec(condition);
  if (!m) return condition;
  return m[3] === 'matches' ? `${m[1]} (line ${m[2]})` : `not ${m[1]} (line ${m[2]})`;
}

function renderBranch(
  outcome: TraceOutcome,
  number: number,
  report: TraceReport,
  c: ChalkInstance,
  width: number | undefined,
): string {
  const lines = [branchTitle(outcome, number, report, c)];
  lines.push(...wrapText(LABEL('why'), outcome.reason, width, LABEL('')));
  const route = outcome.hooks.length > 0 ? outcome.hooks.join(' → ') : '(none)';
  const fate = outcome.masquerade ? `${outcome.disposition}, masqueraded` : outcome.disposition;
  lines.push(`${LABEL('hooks')}${route} ${c.dim(`(${fate})`)}`);
  // One condition per line: a branch of an n-endpoint service carries up to n statistic conditions.
  outcome.conditions.forEach((condition, index) => lines.push(...wrapText(LABEL(index === 0 ? 'if' : ''), condition, width, `${LABEL('')}  `)));
  for (const [hook, steps] of groupByHook(outcome)) {
    lines.push(`${HOOK_INDENT}${c.cyan(hook)}`);
    if (steps.length === 0) lines.push(`${STEP_INDENT}${c.dim('(no rule matched)')}`);
    for (const step of steps) lines.push(...renderStep(step, c, width));
  }
  return lines.join('\n');
}

/** `Branch 1 — p=33.3% (1/3) — ACCEPT → 10.244.1.5:80 (service default/nginx:http)`. */
function branchTitle(outcome: TraceOutcome, number: number, report: TraceReport, c: ChalkInstance): string {
  const title = `Branch ${number} — p=${formatProbability(outcome.probability)} — `;
  // Show where the packet went when it was accepted or when NAT changed it; a DROP at the original
  // destination needs no arrow.
  const translated = outcome.destination !== formatQueryDestination(report.query);
  const arrow = outcome.verdict === 'ACCEPT' || translated ? ` → ${outcome.destination}` : '';
  const about: string[] = [];
  if (outcome.service !== undefined) about.push(`service ${outcome.service}`);
  if (outcome.endpoint !== undefined && outcome.endpoint !== outcome.destination) about.push(`endpoint ${outcome.endpoint}`);
  const aboutText = about.length > 0 ? ` (${about.join(', ')})` : '';
  return `${c.bold(title)}${colorVerdict(outcome.verdict, c)}${c.bold(`${arrow}${aboutText}`)}`;
}

/**
 * Steps grouped under the hooks the packet traversed, in the outcome's hook order; a hook crossed
 * without a matching rule still appears so the reader sees the packet passed it. Steps naming a hook
 * missing from `hooks` (should not happen) are kept, after the others, rather than hidden.
 */
function groupByHook(outcome: TraceOutcome): [Hook, PathStep[]][] {
  const groups = new Map<Hook, PathStep[]>(outcome.hooks.map((hook) => [hook, []]));
  for (const step of outcome.path) {
    const group = groups.get(step.hook);
    if (group === undefined) groups.set(step.hook, [step]);
    else group.push(step);
  }
  return [...groups];
}

function renderStep(step: PathStep, c: ChalkInstance, width: number | undefined): string[] {
  const where = step.rule === 0 ? `${step.table}/${step.chain} policy` : `${step.table}/${step.chain} #${step.rule}`;
  const origin = step.line === 0 || step.assumed !== undefined ? c.yellow('(assumed)') : c.dim(`(line ${step.line})`);
  const lines = [`${STEP_INDENT}${where} ${origin}`];
  const textWidth = width === undefined ? undefined : Math.max(width - DETAIL_INDENT.length, MIN_CONDITIONS_WIDTH);
  lines.push(`${DETAIL_INDENT}${c.dim(shortenRuleText(step.text, textWidth))}`);
  if (step.assumed !== undefined) {
    lines.push(...wrapText(`${DETAIL_INDENT}assumed: `, step.assumed, width, `${DETAIL_INDENT}  `).map((line) => c.yellow(line)));
  }
  const said = [step.effect, step.meaning].filter((part): part is string => part !== undefined);
  if (said.length > 0) lines.push(...wrapText(`${DETAIL_INDENT}→ `, said.join(' — '), width, `${DETAIL_INDENT}  `));
  return lines;
}

/**
 * The outcomes table. Only the CONDITIONS column is shortened to fit the terminal (120 columns when
 * piped): every other column is short by nature, and the full conditions are printed in the branch above.
 */
function renderOutcomeTable(outcomes: readonly TraceOutcome[], c: ChalkInstance, width: number | undefined): string | undefined {
  if (outcomes.length === 0) return undefined;
  const headers = ['probability', 'verdict', 'destination', 'endpoint', 'masquerade', 'conditions'];
  const plain = outcomes.map((outcome) => [
    formatProbability(outcome.probability),
    outcome.verdict,
    outcome.destination,
    outcome.endpoint ?? '-',
    outcome.masquerade ? 'yes' : 'no',
    outcome.conditions.length > 0 ? outcome.conditions.join('; ') : '-',
  ]);
  const fixed = headers
    .slice(0, -1)
    .reduce((sum, header, column) => sum + Math.max(header.length, ...plain.map((row) => row[column].length)) + TABLE_PADDING, 0);
  const conditionsWidth = Math.max((width ?? PIPED_TABLE_WIDTH) - fixed, MIN_CONDITIONS_WIDTH);
  const rows = plain.map((row, index) => {
    const cells = [...row];
    cells[1] = colorVerdict(outcomes[index].verdict, c);
    cells[5] = shortenText(cells[5], conditionsWidth);
    return cells;
  });
  return `${c.bold('Outcomes:')}\n${renderKubectlTable(headers, rows)}`;
}

function renderFindings(findings: readonly Finding[], c: ChalkInstance, width: number | undefined): string | undefined {
  if (findings.length === 0) return undefined;
  const lines = findings.flatMap((finding) => {
    const glyph = colorSeverity(finding.severity, c)(`${SEVERITY_GLYPH[finding.severity]} ${finding.severity}`);
    const at = finding.line === undefined ? '' : ` (line ${finding.line})`;
    return wrapText(`  ${glyph}  `, `${finding.code}: ${finding.message}${at}`, width, '    ');
  });
  return [c.bold('Findings:'), ...lines].join('\n');
}

/** Green ACCEPT, red DROP/REJECT, yellow UNKNOWN: the colours of every traffic-light status display. */
function colorVerdict(verdict: TraceOutcome['verdict'], c: ChalkInstance): string {
  switch (verdict) {
    case 'ACCEPT':
      return c.green.bold(verdict);
    case 'DROP':
    case 'REJECT':
      return c.red.bold(verdict);
    case 'UNKNOWN':
      return c.yellow.bold(verdict);
  }
}

function colorSeverity(severity: Finding['severity'], c: ChalkInstance): ChalkInstance {
  switch (severity) {
    case 'error':
      return c.red;
    case 'warning':
      return c.yellow;
    case 'info':
      return c.blue;
  }
}
