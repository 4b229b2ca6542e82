/**
 * Conformance with kube-proxy's own expected behaviour: every `packetFlowTest` of kube-proxy's iptables
 * unit tests (pkg/proxy/iptables/proxier_test.go, transcribed in scenarios.ts) is traced with `traceQuery`
 * over a real `iptables-nft-save` dump of the rules kube-proxy writes for that test's services
 * (test/fixtures/conformance/, built by generate-fixtures.ts).
 *
 * How kube-proxy's `output`/`masq` map onto knetdbg's outcomes:
 * - `"ip:port, ip:port"`: every outcome is ACCEPT, the set of DNAT destinations is exactly that list, and
 *   each destination carries an equal share (kube-proxy's statistic rules balance uniformly).
 * - `DROP` / `REJECT`: every outcome has that verdict.
 * - `ACCEPT` (the filter KUBE-NODEPORTS health-check rule): ACCEPT, untranslated, and that rule is on the path.
 * - `""` (no kube-proxy rule decides): ACCEPT, untranslated, no DNAT on the path.
 * - `masq` is "KUBE-MARK-MASQ was reached"; knetdbg's `masquerade` is "POSTROUTING will SNAT". For every
 *   case of the corpus that is accepted and forwarded these coincide, so `masquerade` is compared
 *   directly; for DROP/REJECT kube-proxy expects false and no packet reaches POSTROUTING.
 * kube-proxy's tracer walks nat PREROUTING even for node-local sources; knetdbg starts those on OUTPUT, as
 * the kernel does. Both chains jump to KUBE-SERVICES, so the expected answers are the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { traceQuery } from '../../src/interpret/trace-query.js';
import type { TraceReport } from '../../src/interpret/report.js';
import { formatEndpoint } from '../../src/model/address.js';
import { type Flow, type Scenario, SCENARIOS } from './scenarios.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'conformance');

interface Row {
  scenario: Scenario;
  flow: Flow;
  label: string;
}

const ROWS: Row[] = SCENARIOS.flatMap((scenario) =>
  scenario.flows.map((flow) => ({ scenario, flow, label: `${scenario.fixture}: ${flow.name}` })),
);

const dumps = new Map<string, string>();
function readFixture(name: string): string {
  let text = dumps.get(name);
  if (text === undefined) {
    text = readFileSync(join(FIXTURES, `${name}.rules`), 'utf8');
    dumps.set(name, text);
  }
  return text;
}

/** The matched-rule path of every outcome, for failure messages. */
function describeReport(report: TraceReport): string {
  return report.outcomes
    .map(
      (o) =>
        `${o.verdict} ${o.destination} p=${o.probability} masq=${o.masquerade} given=[${o.given.join('; ')}]\n` +
        o.path.map((s) => `    ${s.hook} ${s.table} ${s.chain} #${s.rule} L${s.line}: ${s.text}`).join('\n'),
    )
    .join('\n');
}

function trace(row: Row): TraceReport {
  const { scenario, flow } = row;
  const file = `test/fixtures/conformance/${scenario.fixture}.rules`;
  return traceQuery(
    { text: readFixture(scenario.fixture), file },
    { destination: flow.dst, port: flow.port, protocol: flow.protocol ?? 'tcp', src: flow.src, nodeIps: scenario.nodeIps },
  );
}

describe('kube-proxy packet-flow corpus (proxier_test.go runPacketFlowTests)', () => {
  test('the corpus is complete', () => {
    // 7 TracePacket + 6 NoEndpointsReject + 9 ClusterIPGeneral + 13 LoadBalancer + 7×5 NodePorts
    // + 2 HealthCheckNodePort + 7 + 7 traffic policy + 5 InternalTrafficPolicy + 2×10 Terminating
    // + 4×30 InternalExternalMasquerade.
    expect(ROWS.length).toBe(7 + 6 + 9 + 13 + 35 + 2 + 14 + 5 + 20 + 120);
    expect(new Set(SCENARIOS.map((s) => s.fixture)).size).toBe(SCENARIOS.length);
  });

  // The fixture model against kube-proxy's own expected rules: TestOverallIPTablesRules names these chains
  // for the same services (hashes of service port, protocol and endpoint), and has no KUBE-SVL for
  // ns2/svc2 (eTP=Local, its only endpoint remote) and no nat chain for ns6/svc6 (no endpoints).
  test.each([
    ['KUBE-SVC-XPGD46QRK7WJZT7O', true],
    ['KUBE-SEP-SXIVWICOYRO3J4NJ', true],
    ['KUBE-SVC-GNZBNJ2PO5MGZ6GT', true],
    ['KUBE-EXT-GNZBNJ2PO5MGZ6GT', true],
    ['KUBE-SEP-RS4RBKLTHTF2IUXJ', true],
    ['KUBE-EXT-X27LE4BHSL4DOUIK', true],
    ['KUBE-SEP-OYPFS5VJICHGATKP', true],
    ['KUBE-EXT-4SW47YFZTEDKD3PK', true],
    ['KUBE-SEP-UKSFD7AGPMPPLUHC', true],
    ['KUBE-SEP-C6EBXVWJJZMIWKLZ', true],
    ['KUBE-FW-NUKIZ6OKUXPJNT4C', true],
    ['KUBE-SEP-I77PXRDZVX7PMWMN', true],
    ['KUBE-SVL-GNZBNJ2PO5MGZ6GT', false],
  ])('overall.rules declares %s: %s (as kube-proxy generates it)', (chain, present) => {
    expect(readFixture('overall').includes(`\n:${chain} - [0:0]\n`)).toBe(present);
  });

  test.each(ROWS)('$label', (row) => {
    const { flow } = row;
    const report = trace(row);
    const context = `${flow.protocol ?? 'tcp'} ${flow.src} → ${formatEndpoint(flow.dst, flow.port)}; kube-proxy expects "${flow.output}" masq=${flow.masq}\n${describeReport(report)}`;
    const outcomes = report.outcomes;
    expect(outcomes.length, context).toBeGreaterThan(0);
    // The rules alone decide every case of the corpus: nothing forks on an unknown.
    expect(outcomes.flatMap((o) => o.given), context).toEqual([]);
    const total = outcomes.reduce((s, o) => s + o.probability, 0);
    expect(total, context).toBeCloseTo(1, 9);

    const original = formatEndpoint(flow.dst, flow.port);
    const expected = flow.output === '' ? [] : flow.output.split(', ');
    if (expected.length === 1 && (expected[0] === 'DROP' || expected[0] === 'REJECT')) {
      expect(new Set(outcomes.map((o) => o.verdict)), context).toEqual(new Set([expected[0]]));
      expect(outcomes.some((o) => o.masquerade), context).toBe(flow.masq);
      return;
    }
    expect(new Set(outcomes.map((o) => o.verdict)), context).toEqual(new Set(['ACCEPT']));
    for (const o of outcomes) expect(o.masquerade, context).toBe(flow.masq);

    if (expected.length === 0 || expected[0] === 'ACCEPT') {
      expect(new Set(outcomes.map((o) => o.destination)), context).toEqual(new Set([original]));
      const dnat = outcomes.flatMap((o) => o.path).filter((s) => / -j DNAT /.test(s.text));
      expect(dnat, context).toEqual([]);
      if (expected[0] === 'ACCEPT') {
        for (const o of outcomes) {
          const accepted = o.path.some((s) => s.table === 'filter' && s.chain === 'KUBE-NODEPORTS' && / -j ACCEPT$/.test(s.text));
          expect(accepted, context).toBe(true);
        }
      }
      return;
    }

    const shares = new Map<string, number>();
    for (const o of outcomes) shares.set(o.destination, (shares.get(o.destination) ?? 0) + o.probability);
    expect(new Set(shares.keys()), context).toEqual(new Set(expected));
    for (const [destination, share] of shares) {
      expect(share, `${destination}: ${context}`).toBeCloseTo(1 / expected.length, 6);
    }
  });
});
