/**
 * describeCalicoStep / listCalicoFindings over real walks: the samples parsed by src/parse, their `ipset list`
 * by src/parse/ipset.ts, walked by src/engine/walk.ts with the pods' Calico interfaces as routes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseCidr } from '../../../src/model/address.js';
import type { Pod } from '../../../src/model/pod.js';
import type { NodeContext } from '../../../src/engine/context.js';
import type { TraceResult } from '../../../src/engine/result.js';
import { tracePacket } from '../../../src/engine/walk.js';
import { parseIptables } from '../../../src/parse/iptables-save.js';
import { parseIpsetList } from '../../../src/parse/ipset.js';
import { calicoInterfaceName } from '../../../src/interpret/calico/interface-names.js';
import { detectMarkLayout } from '../../../src/interpret/calico/marks.js';
import { describeCalicoStep, listCalicoFindings, type CalicoContext } from '../../../src/interpret/calico/explain.js';

const pod = (ns: string, name: string, ip: string): Pod => ({ namespace: ns, name, ips: [ip], foundBy: 'given' });

const SAMPLES = {
  fbd: {
    base: 'samples/calico-frontend-backend-db',
    pods: [pod('default', 'backend-867fd6dff-mjf92', '10.88.0.27'), pod('default', 'db-8d66ff5f7-bp6kf', '10.88.0.26'), pod('default', 'frontend-8b474f47-zdqdv', '10.88.0.24')],
  },
  tiers: {
    base: 'samples/calico-tiers',
    pods: [pod('shop', 'frontend-6d4cf56db6-x7k2p', '10.244.1.10'), pod('shop', 'api-7c9d8b5f4-q2w8e', '10.244.1.11'), pod('monitoring', 'prometheus-main-0', '10.244.1.12')],
  },
};

/** Walks a new TCP connection; pods' IPs route to (and arrive from) their Calico interfaces, others via eth0. */
function walk(sample: keyof typeof SAMPLES, src: string, dst: string, dport: number, extraRoutes: Record<string, string> = {}): { result: TraceResult; context: CalicoContext } {
  const { base, pods } = SAMPLES[sample];
  const ruleset = parseIptables(readFileSync(`${base}/iptables-save.rules`, 'utf8'), `${base}/iptables-save.rules`);
  const sets = parseIpsetList(readFileSync(`${base}/ipset-list.txt`, 'utf8'), `${base}/ipset-list.txt`).sets;
  const iface = (ip: string): string => {
    const p = pods.find((x) => x.ips.includes(ip));
    return extraRoutes[ip] ?? (p ? calicoInterfaceName(p.namespace, p.name) : 'eth0');
  };
  const node: NodeContext = {
    localAddresses: [parseCidr('127.0.0.0/8')!],
    localAddressesComplete: true,
    ipsets: new Map(sets.map((s) => [s.name, s])),
    routeOutInterface: iface,
  };
  const result = tracePacket(
    ruleset,
    {
      family: 4, protocol: 'tcp', src, dst, sport: 40000, dport, inInterface: iface(src), outInterface: '', mark: 0,
      ct: { state: new Set(['NEW']), status: new Set(), origSrc: src, origDst: dst, origDport: dport, replySrc: dst, replyDst: src, mark: 0 },
    },
    'remote',
    node,
  );
  return { result, context: { layout: detectMarkLayout(ruleset), ipsets: node.ipsets, pods, ruleset } };
}

/** The meaning of the walk's step at `chain` rule `rule` (first occurrence), with optional policies. */
function meaningAt(w: ReturnType<typeof walk>, chain: string, rule: number, extra: Partial<CalicoContext> = {}): string | undefined {
  const branch = w.result.branches[0]!;
  const step = branch.path.find((s) => s.chain === chain && s.rule === rule);
  if (!step) throw new Error(`no step ${chain} #${rule} on the path: ${branch.path.map((s) => `${s.chain}#${s.rule}`).join(' ')}`);
  return describeCalicoStep(step, { ...w.context, ...extra });
}

const DB_TW = 'cali-tw-cali95aa86cbb2a';
const DB_POLICY = 'cali-pi-_tTE-E7yY40ogArNVgKt';
const API_TW = 'cali-tw-calief4a6ea9f4b';

describe('frontend/backend/db (Calico ~3.16, seed 000)', () => {
  test('frontend → db is dropped by the db ingress policy', () => {
    const w = walk('fbd', '10.88.0.24', '10.88.0.26', 80);
    expect(w.result.branches).toHaveLength(1);
    const b = w.result.branches[0]!;
    expect(b.verdict).toBe('DROP');
    expect(b.path.at(-1)).toMatchObject({ chain: DB_TW, rule: 7, line: 170 });
    const policies = [{ namespace: 'default', name: 'allow-db-access' }];
    expect(meaningAt(w, 'cali-from-wl-dispatch', 2)).toBe('from workload default/frontend-8b474f47-zdqdv (cali505cfbeac50)');
    expect(meaningAt(w, 'cali-to-wl-dispatch', 3)).toBe('to workload default/db-8d66ff5f7-bp6kf (cali95aa86cbb2a)');
    expect(meaningAt(w, DB_TW, 3)).toBe('ingress of default/db-8d66ff5f7-bp6kf (cali95aa86cbb2a): clears accept mark (0x10000)');
    expect(meaningAt(w, DB_TW, 5)).toContain('run policy cali-pi-_tTE-E7yY40ogArNVgKt (hashed name;');
    expect(meaningAt(w, DB_TW, 5, { policies })).toBe(
      'ingress of default/db-8d66ff5f7-bp6kf (cali95aa86cbb2a): run policy default/knp.default.allow-db-access if the pass mark is clear',
    );
    expect(meaningAt(w, DB_TW, 7)).toBe(
      "no policy in tier default accepted the packet → dropped by 'Drop if no policies passed packet' (ingress of default/db-8d66ff5f7-bp6kf (cali95aa86cbb2a))",
    );
    const findings = listCalicoFindings(w.result, { ...w.context, policies });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'calico-policy-drop', line: 170 });
    expect(findings[0]!.message).toContain('default/knp.default.allow-db-access did not accept it');
    expect(findings[0]!.message).toContain('default/db-8d66ff5f7-bp6kf');
  });

  test('backend → db is allowed by rule 1 of allow-db-access, whose ipset holds the backend', () => {
    const w = walk('fbd', '10.88.0.27', '10.88.0.26', 80);
    const b = w.result.branches[0]!;
    expect(b.verdict).toBe('ACCEPT');
    const policies = [{ namespace: 'default', name: 'allow-db-access' }];
    expect(meaningAt(w, DB_POLICY, 1, { policies })).toBe(
      'policy default/knp.default.allow-db-access, ingress rule 1: source in set cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge = {10.88.0.27 (default/backend-867fd6dff-mjf92)} → allow: sets accept mark',
    );
    expect(meaningAt(w, DB_TW, 6)).toBe('a policy allowed the packet (accept mark set) → RETURN: ingress allowed for default/db-8d66ff5f7-bp6kf (cali95aa86cbb2a)');
    expect(meaningAt(w, 'FORWARD', 4)).toBe('Calico policy accepted the packet (accept mark set) → ACCEPT');
    expect(listCalicoFindings(w.result, w.context)).toEqual([]);
  });

  test('db → frontend (no policy selects frontend) is allowed by the namespace profile', () => {
    const w = walk('fbd', '10.88.0.26', '10.88.0.24', 80);
    expect(w.result.branches[0]!.verdict).toBe('ACCEPT');
    expect(meaningAt(w, 'cali-pri-kns.default', 1)).toBe('profile kns.default, ingress rule 1: any packet → allow: sets accept mark');
    expect(meaningAt(w, 'cali-tw-cali505cfbeac50', 4)).toBe(
      'ingress of default/frontend-8b474f47-zdqdv (cali505cfbeac50): run profile kns.default',
    );
  });

  test('a cali interface felix does not know is dropped by the dispatch chain', () => {
    const w = walk('fbd', '10.88.0.24', '10.88.0.99', 80, { '10.88.0.99': 'cali0123456789a' });
    const b = w.result.branches[0]!;
    expect(b.verdict).toBe('DROP');
    expect(b.path.at(-1)?.chain).toBe('cali-to-wl-dispatch');
    expect(meaningAt(w, 'cali-to-wl-dispatch', 4)).toBe(
      "interface matches the workload prefix but felix knows no endpoint on it → dropped by 'Unknown interface'",
    );
    const findings = listCalicoFindings(w.result, w.context);
    expect(findings.map((f) => f.code)).toEqual(['calico-unknown-interface']);
    expect(findings[0]!.message).toContain('cali0123456789a');
  });
});

describe('tiers and pass (Calico ~3.30 rendering)', () => {
  test('frontend → api:8080: tier security passes, the default-tier KNP allows', () => {
    const w = walk('tiers', '10.244.1.10', '10.244.1.11', 8080);
    expect(w.result.branches[0]!.verdict).toBe('ACCEPT');
    expect(meaningAt(w, 'cali-from-wl-dispatch', 1)).toBe('interfaces cali7+ → sub-dispatch cali-from-wl-dispatch-7');
    expect(meaningAt(w, 'cali-from-wl-dispatch-7', 2)).toBe('from workload shop/frontend-6d4cf56db6-x7k2p (cali7940e3525e5)');
    expect(meaningAt(w, API_TW, 3)).toBe('ingress of shop/api-7c9d8b5f4-q2w8e (calief4a6ea9f4b): clears accept mark and pass mark (0x30000)');
    expect(meaningAt(w, API_TW, 4)).toBe('start of tier security (ingress of shop/api-7c9d8b5f4-q2w8e (calief4a6ea9f4b)): clears pass mark (0x20000)');
    expect(meaningAt(w, 'cali-pi-_QIRcAtmYy_qsy1m9LE7', 2)).toBe('policy security.quarantine, ingress rule 2: any packet → pass to the next tier: sets pass mark');
    expect(meaningAt(w, API_TW, 10)).toBe('start of tier default (ingress of shop/api-7c9d8b5f4-q2w8e (calief4a6ea9f4b)): clears pass mark (0x20000)');
    expect(meaningAt(w, 'cali-pi-_xdHM31viflDw6aP1Ewf', 1)).toBe(
      'policy shop/knp.default.allow-frontend-to-api, ingress rule 1: TCP, source in set cali40s:RGARhF_xU-KjWbJh9z7nNQd = {10.244.2.15, 10.244.1.10 (shop/frontend-6d4cf56db6-x7k2p)}, port 8080 → allow: sets accept mark',
    );
  });

  test('prometheus → api:8080: its own egress policy drops it at the end of tier default', () => {
    const w = walk('tiers', '10.244.1.12', '10.244.1.11', 8080);
    const b = w.result.branches[0]!;
    expect(b.verdict).toBe('DROP');
    expect(b.path.at(-1)).toMatchObject({ chain: 'cali-fw-cali706e44fd2a1', rule: 9 });
    expect(meaningAt(w, 'cali-fw-cali706e44fd2a1', 9)).toBe(
      "no policy in tier default accepted the packet → dropped by 'End of tier default. Drop if no policies passed packet' (egress of monitoring/prometheus-main-0 (cali706e44fd2a1))",
    );
    const findings = listCalicoFindings(w.result, w.context);
    expect(findings).toHaveLength(1);
    expect(findings[0]!.message).toContain('egress policy of monitoring/prometheus-main-0 (cali706e44fd2a1) (tier default): monitoring/knp.default.prometheus-egress did not accept it');
  });

  test('a pod of another node → api:8080: passed by tier security, dropped at the end of tier default', () => {
    const w = walk('tiers', '10.244.2.20', '10.244.1.11', 8080);
    const b = w.result.branches[0]!;
    expect(b.verdict).toBe('DROP');
    expect(b.path.at(-1)).toMatchObject({ chain: API_TW, rule: 13 });
    const findings = listCalicoFindings(w.result, w.context);
    expect(findings.map((f) => f.code)).toEqual(['calico-policy-drop']);
    expect(findings[0]!.message).toContain('ingress policy of shop/api-7c9d8b5f4-q2w8e (calief4a6ea9f4b) (tier default): shop/knp.default.allow-frontend-to-api did not accept it');
  });

  test('prometheus → api:9100 is allowed in tier security before the pass', () => {
    const w = walk('tiers', '10.244.1.12', '10.244.1.11', 9100);
    expect(w.result.branches[0]!.verdict).toBe('ACCEPT');
    expect(meaningAt(w, 'cali-po-_Zh7VhC9V56ebBAsNRTa', 1)).toBe(
      'policy monitoring/knp.default.prometheus-egress, egress rule 1: TCP, destination in 10.244.0.0/16, port 9100 → allow: sets accept mark',
    );
    expect(meaningAt(w, 'cali-pi-_jfYTBAXoYnMZf4AsObz', 1)).toContain('{10.244.1.12 (monitoring/prometheus-main-0), 10.244.2.7}, port 9100 → allow: sets accept mark');
  });

  test('a quarantined client is denied by the security tier', () => {
    const w = walk('tiers', '10.99.0.5', '10.244.1.11', 8080);
    const b = w.result.branches[0]!;
    expect(b.verdict).toBe('DROP');
    expect(b.path.at(-1)?.chain).toBe('cali-pi-_QIRcAtmYy_qsy1m9LE7');
    expect(meaningAt(w, 'cali-pi-_QIRcAtmYy_qsy1m9LE7', 1)).toBe('policy security.quarantine, ingress rule 1: source in 10.99.0.0/16 → deny → DROP');
    expect(listCalicoFindings(w.result, w.context).map((f) => f.code)).toEqual(['calico-policy-deny']);
  });
});
