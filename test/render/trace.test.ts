import { describe, expect, test } from 'vitest';
import type { TraceOutcome } from '../../src/interpret/report.js';
import { formatQueryDestination, renderTrace } from '../../src/render/trace.js';
import { makeOutcome, makeReport, makeStep } from './report-builders.js';

/** Shares the kernel applies for kube-proxy's three-endpoint chain (0.3333333333, then 0.5, then the rest). */
const kernelShare = (p: number): number => Math.round(p * 2 ** 31) / 2 ** 31;
const shares = [kernelShare(0.3333333333)];
shares.push((1 - shares[0]) * kernelShare(0.5));
shares.push(1 - shares[0] - shares[1]);

const svcRule = makeStep({
  chain: 'KUBE-SERVICES',
  rule: 3,
  line: 20,
  text: '-A KUBE-SERVICES -d 10.96.34.82/32 -p tcp -m comment --comment "default/nginx:http cluster IP" -m tcp --dport 80 -j KUBE-SVC-2IRACUALRELARSND',
  effect: 'jump KUBE-SVC-2IRACUALRELARSND',
  meaning: 'cluster IP of service default/nginx:http',
});

function threeWay(): TraceOutcome[] {
  return ['10.244.1.5', '10.244.2.6', '10.244.3.7'].map((pod, index) =>
    makeOutcome({
      probability: shares[index],
      destination: `${pod}:80`,
      endpoint: `${pod}:80`,
      service: 'default/nginx:http',
      masquerade: index === 2,
      conditions: [`statistic: p=${index === 0 ? '0.3333333333' : index === 1 ? '0.5' : 'rest'}`],
      path: [
        makeStep({ effect: 'jump KUBE-SERVICES' }),
        svcRule,
        makeStep({
          chain: 'KUBE-SVC-2IRACUALRELARSND',
          rule: index + 1,
          line: 30 + index,
          text: `-A KUBE-SVC-2IRACUALRELARSND -m comment --comment "default/nginx:http -> ${pod}:80" -j KUBE-SEP-${index}`,
          effect: `jump KUBE-SEP-${index}`,
        }),
        makeStep({
          chain: `KUBE-SEP-${index}`,
          rule: 2,
          line: 40 + index,
          text: `-A KUBE-SEP-${index} -p tcp -m comment --comment "default/nginx:http" -m tcp -j DNAT --to-destination ${pod}:80`,
          effect: `DNAT to ${pod}:80`,
          meaning: 'endpoint of default/nginx:http',
        }),
      ],
    }),
  );
}

const lines = (text: string): string[] => text.split('\n');

describe('renderTrace: ACCEPT, three-way split', () => {
  const text = renderTrace(makeReport({ outcomes: threeWay() }), { color: false });

  test('has no colour when colour is off', () => {
    expect(text).not.toContain('\u001b[');
  });

  test('heads with the query', () => {
    expect(lines(text).slice(0, 4)).toEqual([
      'Trace of a new tcp connection to 10.96.34.82:80',
      '  source   10.244.1.3',
      '  enters   PREROUTING',
      '  rules    samples/example.rules',
    ]);
  });

  test('sums the verdicts in one line', () => {
    expect(text).toContain('Verdict: ACCEPT 100.0% (3 branches)');
  });

  test('titles each branch with share, fraction, verdict, endpoint and service, in report order', () => {
    const titles = lines(text).filter((line) => line.startsWith('Branch '));
    expect(titles).toEqual([
      'Branch 1 — p=33.3% (1/3) — ACCEPT → 10.244.1.5:80 (service default/nginx:http)',
      'Branch 2 — p=33.3% (1/3) — ACCEPT → 10.244.2.6:80 (service default/nginx:http)',
      'Branch 3 — p=33.3% (1/3) — ACCEPT → 10.244.3.7:80 (service default/nginx:http)',
    ]);
  });

  test('shows each path step: hook, table/chain #rule (line N), rule text, effect and meaning', () => {
    const branch1 = text.slice(text.indexOf('Branch 1'), text.indexOf('Branch 2'));
    expect(lines(branch1)).toEqual(
      expect.arrayContaining([
        '  PREROUTING',
        '    nat/PREROUTING #1 (line 10)',
        '      -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
        '      → jump KUBE-SERVICES',
        '    nat/KUBE-SERVICES #3 (line 20)',
        '      → jump KUBE-SVC-2IRACUALRELARSND — cluster IP of service default/nginx:http',
        '    nat/KUBE-SEP-0 #2 (line 40)',
        '      → DNAT to 10.244.1.5:80 — endpoint of default/nginx:http',
        '  FORWARD',
        '    (no rule matched)',
        '  hooks  PREROUTING → FORWARD → POSTROUTING (forwarded)',
        '  if     statistic: p=0.3333333333',
      ]),
    );
  });

  test('says when a branch is masqueraded', () => {
    const branch3 = text.slice(text.indexOf('Branch 3'));
    expect(branch3).toContain('  hooks  PREROUTING → FORWARD → POSTROUTING (forwarded, masqueraded)\n');
  });

  test('tabulates the outcomes like kubectl', () => {
    const table = lines(text.slice(text.indexOf('Outcomes:')));
    expect(table[1].split(/ {3,}/)).toEqual(['PROBABILITY', 'VERDICT', 'DESTINATION', 'ENDPOINT', 'MASQUERADE', 'CONDITIONS']);
    expect(table[2].split(/ {3,}/)).toEqual(['33.3% (1/3)', 'ACCEPT', '10.244.1.5:80', '10.244.1.5:80', 'no', 'statistic: p=0.3333333333']);
    expect(table[4].split(/ {3,}/)).toEqual(['33.3% (1/3)', 'ACCEPT', '10.244.3.7:80', '10.244.3.7:80', 'yes', 'statistic: p=rest']);
    expect(table.every((line) => line === line.trimEnd())).toBe(true);
  });

  test('renders the same report to the same text', () => {
    expect(renderTrace(makeReport({ outcomes: threeWay() }), { color: false })).toBe(text);
  });

  test('keeps report order rather than sorting by share', () => {
    const outcomes = [makeOutcome({ probability: 0.25, destination: '10.244.9.9:80' }), makeOutcome({ probability: 0.75 })];
    const titles = lines(renderTrace(makeReport({ outcomes }), { color: false })).filter((line) => line.startsWith('Branch '));
    expect(titles[0]).toContain('p=25.0% (1/4)');
    expect(titles[1]).toContain('p=75.0% (3/4)');
  });
});

describe('renderTrace: DROP at a filter rule', () => {
  const drop = makeOutcome({
    verdict: 'DROP',
    disposition: 'dropped',
    reason: 'rule 2 of filter KUBE-FIREWALL: DROP',
    hooks: ['PREROUTING', 'INPUT'],
    path: [
      makeStep({
        hook: 'INPUT',
        table: 'filter',
        chain: 'KUBE-FIREWALL',
        rule: 2,
        line: 77,
        text: '-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP',
        effect: 'DROP',
        meaning: 'kubelet drops packets kube-proxy marked with 0x8000 (KUBE-MARK-DROP)',
      }),
    ],
  });
  const text = renderTrace(makeReport({ outcomes: [drop] }), { color: false });

  test('titles the branch with the verdict and no arrow when the destination did not change', () => {
    expect(text).toContain('Branch 1 — p=100.0% — DROP\n');
    expect(text).toContain('  why    rule 2 of filter KUBE-FIREWALL: DROP');
    expect(text).toContain('  hooks  PREROUTING → INPUT (dropped)');
  });

  test('shows the dropping rule under its hook', () => {
    expect(text).toContain(
      [
        '  INPUT',
        '    filter/KUBE-FIREWALL #2 (line 77)',
        '      -A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP',
        '      → DROP — kubelet drops packets kube-proxy marked with 0x8000 (KUBE-MARK-DROP)',
      ].join('\n'),
    );
  });

  test('lists it in the table with no endpoint or conditions', () => {
    const row = lines(text.slice(text.indexOf('Outcomes:')))[2];
    expect(row.split(/ {3,}/)).toEqual(['100.0%', 'DROP', '10.96.34.82:80', '-', 'no', '-']);
  });

  test('shows the translated destination of a branch dropped after DNAT', () => {
    const dnatThenReject = makeOutcome({ verdict: 'REJECT', disposition: 'rejected', destination: '10.244.1.5:80' });
    expect(renderTrace(makeReport({ outcomes: [dnatThenReject] }), { color: false })).toContain(
      'Branch 1 — p=100.0% — REJECT → 10.244.1.5:80\n',
    );
  });
});

describe('renderTrace: UNKNOWN from a match knetdbg does not understand', () => {
  const notUnderstood = 'not understood: -A KUBE-SERVICES -m bpf --bytecode "4,48 0 0 9" -j KUBE-SVC-X';
  const outcomes = [
    makeOutcome({ probability: 0.5, verdict: 'UNKNOWN', disposition: 'unknown', reason: 'a match was not understood', conditions: [`${notUnderstood}: matched`] }),
    makeOutcome({ probability: 0.5, conditions: [`${notUnderstood}: did not match`] }),
  ];
  const text = renderTrace(makeReport({ outcomes }), { color: false });

  test('sums both verdicts', () => {
    expect(text).toContain('Verdict: UNKNOWN 50.0% (1/2), ACCEPT 50.0% (1/2) (2 branches)');
  });

  test('says what the branch depends on', () => {
    expect(text).toContain(`Branch 1 — p=50.0% (1/2) — UNKNOWN\n  why    a match was not understood\n`);
    expect(text).toContain(`  if     ${notUnderstood}: matched`);
  });

  test('prints one condition per line', () => {
    const two = makeOutcome({ conditions: ['statistic p=0.3333333333 at line 111: not matched', 'statistic p=0.5 at line 112: matched'] });
    expect(renderTrace(makeReport({ outcomes: [two] }), { color: false })).toContain(
      '  if     statistic p=0.3333333333 at line 111: not matched\n         statistic p=0.5 at line 112: matched\n',
    );
  });

  test('keeps the table to 120 columns when piped, though rule texts stay whole', () => {
    const long = makeOutcome({ conditions: [`${notUnderstood} `.repeat(4)] });
    const table = lines(renderTrace(makeReport({ outcomes: [long] }), { color: false }).split('Outcomes:\n')[1]);
    expect(table[1].length).toBeLessThanOrEqual(120);
    expect(table[1].endsWith('…')).toBe(true);
  });

  test('shortens the conditions column, and only it, to the terminal width', () => {
    const table = lines(renderTrace(makeReport({ outcomes }), { color: false, width: 100 }).split('Outcomes:\n')[1]);
    expect(table[1].length).toBeLessThanOrEqual(100);
    const cells = table[1].split(/ {3,}/);
    expect(cells.slice(0, 5)).toEqual(['50.0% (1/2)', 'UNKNOWN', '10.96.34.82:80', '-', 'no']);
    expect(cells[5]).toMatch(/^not understood: -A KUBE-SERVICES .*…$/);
    // The full condition is still in the branch above the table.
    expect(renderTrace(makeReport({ outcomes }), { color: false, width: 100 })).toContain(`  if     ${notUnderstood}: matched`);
  });
});

describe('renderTrace: assumptions', () => {
  const assumedJump = makeStep({ line: 0, assumed: 'kube-proxy jumps from nat PREROUTING to KUBE-SERVICES (excerpt has no PREROUTING)' });
  const report = makeReport(
    {
      assumptions: ['source 10.244.1.3 is a pod of this cluster (no --src)', 'the excerpt is from the nat table'],
      outcomes: [makeOutcome({ path: [assumedJump] })],
    },
    { sourceAssumed: true },
  );
  const text = renderTrace(report, { color: false });

  test('says the source was assumed in the header', () => {
    expect(text).toContain('  source   10.244.1.3 (assumed: no --src given)');
  });

  test('lists every assumption', () => {
    expect(text).toContain(
      'Assumed:\n  - source 10.244.1.3 is a pod of this cluster (no --src)\n  - the excerpt is from the nat table',
    );
  });

  test('marks an assumed rule and says why it was assumed', () => {
    expect(text).toContain(
      '    nat/PREROUTING #1 (assumed)\n' +
        '      -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n' +
        '      assumed: kube-proxy jumps from nat PREROUTING to KUBE-SERVICES (excerpt has no PREROUTING)',
    );
  });

  test('prints no assumptions block when nothing was assumed', () => {
    expect(renderTrace(makeReport({ outcomes: [makeOutcome()] }), { color: false })).not.toContain('Assumed:');
  });
});

describe('renderTrace: findings', () => {
  const report = makeReport({
    outcomes: [makeOutcome({ verdict: 'DROP', disposition: 'dropped' })],
    findings: [
      { severity: 'error', code: 'etp-local-no-endpoint', message: 'default/webapp has externalTrafficPolicy=Local and no endpoint on this node: external traffic to 31380 is dropped', line: 55 },
      { severity: 'warning', code: 'no-endpoints', message: 'default/empty has no endpoints: connections are rejected' },
      { severity: 'info', code: 'masquerade', message: 'traffic from outside the cluster CIDR is masqueraded' },
    ],
  });

  test('prints each finding with its severity glyph, code, message and line, in report order', () => {
    const block = text(report).split('Findings:\n')[1];
    expect(lines(block)).toEqual([
      '  ✖ error  etp-local-no-endpoint: default/webapp has externalTrafficPolicy=Local and no endpoint on this node: external traffic to 31380 is dropped (line 55)',
      '  ⚠ warning  no-endpoints: default/empty has no endpoints: connections are rejected',
      '  ℹ info  masquerade: traffic from outside the cluster CIDR is masqueraded',
    ]);
  });

  test('prints no findings block when there are none', () => {
    expect(text(makeReport({ outcomes: [makeOutcome()] }))).not.toContain('Findings:');
  });

  function text(r: typeof report): string {
    return renderTrace(r, { color: false });
  }
});

describe('renderTrace: width and colour', () => {
  const longRule =
    '-A KUBE-SVC-2IRACUALRELARSND -m comment --comment "default/nginx:http -> 10.244.1.5:80" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-ABCDEFGHIJKLMNOP';
  const report = makeReport({ outcomes: [makeOutcome({ path: [makeStep({ text: longRule })] })] });

  test('shortens a long rule to 100 columns, keeping its target', () => {
    const ruleLine = lines(renderTrace(report, { color: false, width: 100 })).find((line) => line.startsWith('      -A KUBE-SVC'));
    expect(ruleLine).toBeDefined();
    expect(ruleLine!.length).toBeLessThanOrEqual(100);
    expect(ruleLine!.endsWith('-j KUBE-SEP-ABCDEFGHIJKLMNOP')).toBe(true);
  });

  test('keeps every line of a full report within 100 columns but for a rule whose target alone is wider', () => {
    const wide = makeReport({
      assumptions: ['192.168.49.100 is not a local address: the packet arrives from a pod or the network and starts on PREROUTING (input interface unknown)'],
      outcomes: [
        makeOutcome({
          reason: 'DROP by filter/KUBE-FIREWALL rule 1 (line 30), after nat KUBE-XLB-2IRACUALRELARSND marked the packet 0x8000 because default/webapp has no local endpoints',
          conditions: ['if input interface unknown: -i docker0 at nat/DOCKER #1 (line 78) does not match, so the DOCKER chain returns nothing here'],
          path: [makeStep({ text: longRule, effect: 'jump to KUBE-MARK-DROP', meaning: 'default/webapp has no local endpoints → mark for DROP (0x8000, externalTrafficPolicy: Local)' })],
        }),
      ],
      findings: [{ severity: 'error', code: 'no-local-endpoints', message: 'x '.repeat(150).trim(), line: 115 }],
    });
    const rendered = lines(renderTrace(wide, { color: true, width: 100 }));
    const over = rendered.filter((line) => line.replace(/\u001b\[[0-9;]*m/g, '').length > 100);
    expect(over).toEqual([]);
    expect(rendered.length).toBeGreaterThan(20);
  });

  test('keeps the whole rule when there is no terminal width (piped)', () => {
    expect(renderTrace(report, { color: false })).toContain(`      ${longRule}\n`);
  });

  test('colours verdicts when asked: green ACCEPT, red DROP, yellow UNKNOWN', () => {
    const outcomes = [
      makeOutcome({ probability: 0.5 }),
      makeOutcome({ probability: 0.25, verdict: 'DROP' }),
      makeOutcome({ probability: 0.25, verdict: 'UNKNOWN' }),
    ];
    const coloured = renderTrace(makeReport({ outcomes }), { color: true });
    expect(coloured).toMatch(/\u001b\[32m[^\n]*ACCEPT/);
    expect(coloured).toMatch(/\u001b\[31m[^\n]*DROP/);
    expect(coloured).toMatch(/\u001b\[33m[^\n]*UNKNOWN/);
    // Colour changes nothing but the escapes.
    expect(coloured.replace(/\u001b\[[0-9;]*m/g, '')).toBe(renderTrace(makeReport({ outcomes }), { color: false }));
  });
});

describe('formatQueryDestination', () => {
  test.each<[string, number | undefined, string]>([
    ['10.96.34.82', 80, '10.96.34.82:80'],
    ['10.96.34.82', undefined, '10.96.34.82'],
    ['10.96.34.82:80', 80, '10.96.34.82:80'],
    ['fd00::1', 443, '[fd00::1]:443'],
    ['[fd00::1]:443', 443, '[fd00::1]:443'],
    ['fd00::1', undefined, 'fd00::1'],
  ])('%s with port %s → %s', (destination, port, expected) => {
    expect(formatQueryDestination(makeReport({}, { destination, port }).query)).toBe(expected);
  });
});

describe('renderTrace: no outcome', () => {
  test('says so instead of printing an empty table', () => {
    const text = renderTrace(makeReport(), { color: false });
    expect(text).toContain('Verdict: none (the walk produced no outcome)');
    expect(text).not.toContain('Outcomes:');
  });
});
