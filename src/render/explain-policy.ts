import type { ChalkInstance } from 'chalk';
import type { DirectionExplanation, PolicyExplanation, WorkloadSummary } from '../interpret/calico/explain-policy.js';
import type { PolicyChainExplanation, PolicyRuleExplanation } from '../interpret/calico/policy-rules.js';
import type { ReachCheck } from '../interpret/calico/policy-reach.js';
import { makeChalk } from './color.js';
import { renderKubectlTable } from './table.js';
import { wrapText } from './wrap.js';

/** How to render: colour decided by the caller (color.ts); the terminal's width, if any. */
export interface RenderExplainPolicyOptions {
  color: boolean;
  width?: number;
}

/**
 * Renders a pod's Calico policy for a human, on one screen for a small node: the pod, the plain summary
 * (who may reach it, whom it may reach), then per direction the rules in the order the dataplane runs them
 * (tiers, their policies and rules, the end-of-tier drop, the profiles), the peer answers, and what the
 * input lacked. Line numbers point into the input file.
 */
export function renderExplainPolicy(report: PolicyExplanation, options: RenderExplainPolicyOptions): string {
  const c = makeChalk(options.color);
  const w = options.width;
  if (report.status !== 'explained') return renderLookupFailure(report, c, w);
  const wl = report.workload!;
  const who = wl.name !== undefined ? `${wl.namespace}/${wl.name}` : wl.interface;
  const blocks: string[] = [
    [
      c.bold(`Calico policy of ${who}`),
      `  interface  ${wl.interface}${wl.ips.length ? `   address ${wl.ips.join(', ')}` : ''}`,
      c.dim(`  found by   ${report.lookup}; marks: accept ${report.layout.accept}, pass ${report.layout.pass}${report.layout.drop ? `, drop ${report.layout.drop}` : ''} (${report.layout.era}, ${report.layout.source === 'rules' ? 'read from the rules' : report.layout.source})`),
    ].join('\n'),
    [c.bold('In short'), ...report.summary.flatMap((s) => wrapText('  • ', colorSummary(s, c), w, '    '))].join('\n'),
  ];
  if (report.ingress) blocks.push(renderDirection(report.ingress, c, w));
  if (report.egress) blocks.push(renderDirection(report.egress, c, w));
  if (report.reach) blocks.push(renderReach(report.reach, c, w));
  if (report.missing.length) blocks.push([c.yellow.bold('Missing from the input:'), ...report.missing.flatMap((m) => wrapText('  - ', m, w, '    '))].join('\n'));
  return blocks.join('\n\n');
}

function colorSummary(text: string, c: ChalkInstance): string {
  return text.replace(/\b(dropped|denies)\b/g, (m) => c.red(m)).replace(/\b(accepts|allowed|may send)\b/g, (m) => c.green(m));
}

function renderLookupFailure(report: PolicyExplanation, c: ChalkInstance, w: number | undefined): string {
  const title = report.status === 'ambiguous' ? `Several workloads match "${report.query.pod}": choose one` : `No workload "${report.query.pod}" on this node`;
  const lines = [c.bold(title), ...wrapText('  ', report.lookup, w, '  ')];
  if (report.candidates?.length) {
    lines.push('', renderKubectlTable(['pod', 'interface', 'address'], report.candidates.map((x: WorkloadSummary) => [x.pod ?? '?', x.interface, x.ips.join(',') || '?'])));
  }
  return lines.join('\n');
}

const ACTION_COLOR: Record<PolicyRuleExplanation['action'], (c: ChalkInstance, s: string) => string> = {
  allow: (c, s) => c.green(s),
  deny: (c, s) => c.red(s),
  pass: (c, s) => c.yellow(s),
  log: (c, s) => c.dim(s),
  'match-block': (c, s) => c.dim(s),
  other: (c, s) => s,
};

function renderDirection(d: DirectionExplanation, c: ChalkInstance, w: number | undefined): string {
  const title = d.direction === 'ingress' ? 'Ingress (traffic to the pod)' : 'Egress (traffic from the pod)';
  const lines = [`${c.bold(title)}  ${c.dim(`${d.chain}${d.dispatchedAt ? `, dispatched at line ${d.dispatchedAt.line}` : ''}`)}`];
  if (!d.present) {
    lines.push(`  ${c.yellow(`${d.chain} is not in the input: unknown`)}`);
    return lines.join('\n');
  }
  if (d.adminDisabled) lines.push(`  ${c.red('endpoint administratively disabled: DROP')} ${c.dim(`line ${d.adminDisabled.line}`)}`);
  const shortcuts = d.preamble.filter((p) => / (accepted before any policy|dropped)$/.test(p.note));
  if (shortcuts.length) lines.push(...wrapText('  first   ', shortcuts.map((p) => `${p.note} (line ${p.line})`).join('; '), w, '          '));
  if (d.tiers.length === 0) lines.push(`  ${c.dim('no policy selects the pod in this direction')}`);
  for (const tier of d.tiers) {
    lines.push(`  ${c.cyan(`tier ${tier.name}`)}${tier.start ? c.dim(` (line ${tier.start.line})`) : ''}`);
    for (const p of tier.policies) lines.push(...renderPolicy(p, '    ', c, w));
    if (tier.endOfTier) lines.push(`    ${c.red('not allowed or passed → DROP')} ${c.dim(`'${tier.endOfTier.comment}', line ${tier.endOfTier.line}`)}`);
    else lines.push(`    ${c.dim('no end-of-tier drop: what no policy allows goes on to the next tier')}`);
  }
  // Traffic reaches the profiles only through every tier that ends in a drop, and only a Pass gets it through one.
  const passes = (t: DirectionExplanation['tiers'][number]): boolean => t.policies.some((p) => (p.members ?? [p]).some((m) => m.rules.some((r) => r.action === 'pass')));
  const ending = d.tiers.filter((t) => t.endOfTier);
  if (d.profiles.length) {
    const note = ending.length === 0 ? '' : ending.every(passes) ? ' (reached only by traffic the tiers pass on)' : ' (never reached: a tier drops what its policies do not allow or pass)';
    lines.push(`  ${c.cyan('profiles')}${c.dim(note)}`);
    for (const p of d.profiles) lines.push(...renderPolicy(p, '    ', c, w));
  }
  if (d.noProfileDrop) lines.push(`    ${c.red('no profile allowed → DROP')} ${c.dim(`'Drop if no profiles matched', line ${d.noProfileDrop.line}`)}`);
  for (const o of d.otherRules) lines.push(...wrapText('  other   ', `${o.note} (line ${o.line}): ${o.text}`, w, '          '));
  lines.push(...wrapText(`  ${c.bold('the rest')} `, `${d.unmatched.action === 'drop' ? c.red('DROP') : d.unmatched.action === 'allow' ? c.green('ALLOW') : c.yellow('UNKNOWN')}: ${d.unmatched.sentence}`, w, '           '));
  return lines.join('\n');
}

function renderPolicy(p: PolicyChainExplanation, indent: string, c: ChalkInstance, w: number | undefined): string[] {
  const hashed = p.nameFrom === 'unknown' && p.kind === 'policy' ? c.yellow(' (name hashed; this Calico writes no comment: --policy <ns>/<name> names it)') : '';
  const at = p.calledAt ? c.dim(` called at line ${p.calledAt.line}`) : '';
  const lines = [`${indent}${p.kind} ${c.bold(p.name)}${hashed}${at}`];
  if (!p.present) {
    lines.push(`${indent}  ${c.yellow(`${p.chain} is not in the input: its rules are unknown`)}`);
    return lines;
  }
  if (p.members) {
    for (const m of p.members) lines.push(...renderPolicy(m, `${indent}  `, c, w));
    return lines;
  }
  if (p.rules.length === 0) {
    lines.push(`${indent}  ${c.dim(p.kind === 'profile' ? 'no rules (labels only)' : 'no rules: allows nothing in this direction')}`);
    return lines;
  }
  const rows = p.rules.map((r) => [`#${r.number}`, ACTION_COLOR[r.action](c, r.action), r.matches, `line ${r.line}`]);
  // The header row is dropped: the columns speak for themselves under the policy's name. Rows are not
  // word-wrapped (that would break the columns); a long ipset member list is cut to a few members already.
  for (const line of renderKubectlTable(['rule', 'action', 'matches', 'where'], rows).split('\n').slice(1)) lines.push(`${indent}  ${line}`);
  return lines;
}

function renderReach(checks: readonly ReachCheck[], c: ChalkInstance, w: number | undefined): string {
  const lines = [c.bold('Peer check (a new connection walked through every table by the engine)')];
  const assumptions: string[] = [];
  for (const r of checks) {
    const answer = r.answer === 'yes' ? c.green.bold('YES') : r.answer === 'no' ? c.red.bold('NO') : c.yellow.bold(r.answer.toUpperCase());
    lines.push(`  ${r.from.label} → ${r.to.label}: ${answer}${r.port === undefined ? '' : c.dim(` (${r.protocol.toUpperCase()} port ${r.port})`)}`);
    for (const o of r.outcomes) {
      const given = o.given.length ? `if ${o.given.join('; ')}: ` : '';
      const d = o.decidedBy;
      const whose = d?.whose && !(d.meaning ?? '').includes(d.whose.replace(/^(ingress|egress) of /, '')) ? ` (${d.whose})` : '';
      lines.push(...wrapText('    ', `${given}${o.verdict}${d ? ` at line ${d.line}${whose}` : ''} — ${d?.meaning ?? o.reason}`, w, '      '));
      if (d) lines.push(...wrapText('      ', c.dim(d.text), w, '        '));
    }
    for (const a of r.assumptions) if (!assumptions.includes(a)) assumptions.push(a);
  }
  for (const a of assumptions) lines.push(...wrapText(c.dim('  assumed: '), c.dim(a), w, '    '));
  return lines.join('\n');
}
