/**
 * explainPolicy over the Calico samples (parsed by src/parse, ipsets by src/parse/ipset.ts): the tw/fw chains
 * read into tiers, policies, rules and profiles; the pod found by name, prefix, IP or interface; peers
 * answered by the engine; partial input said.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { explainPolicy, type ExplainPolicyOptions, type PolicyExplanation } from '../../../src/interpret/calico/explain-policy.js';
import { calicoInterfaceName } from '../../../src/interpret/calico/interface-names.js';
import type { Pod } from '../../../src/model/pod.js';
import type { Route } from '../../../src/model/network.js';
import { parseIpRoute } from '../../../src/parse/ip-route.js';
import { parseIpsetList } from '../../../src/parse/ipset.js';
import { parseIptables } from '../../../src/parse/iptables-save.js';

const pod = (namespace: string, name: string, ip: string): Pod => ({ namespace, name, ips: [ip], foundBy: 'given' });

const FBD = 'samples/calico-frontend-backend-db';
const TIERS = 'samples/calico-tiers';
const PODS: Record<string, Pod[]> = {
  [FBD]: [pod('default', 'backend-867fd6dff-mjf92', '10.88.0.27'), pod('default', 'db-8d66ff5f7-bp6kf', '10.88.0.26'), pod('default', 'frontend-8b474f47-zdqdv', '10.88.0.24')],
  [TIERS]: [pod('shop', 'frontend-6d4cf56db6-x7k2p', '10.244.1.10'), pod('shop', 'api-7c9d8b5f4-q2w8e', '10.244.1.11'), pod('monitoring', 'prometheus-main-0', '10.244.1.12')],
};

function rulesOf(base: string) {
  return parseIptables(readFileSync(`${base}/iptables-save.rules`, 'utf8'), `${base}/iptables-save.rules`);
}

function setsOf(base: string) {
  return new Map(parseIpsetList(readFileSync(`${base}/ipset-list.txt`, 'utf8'), `${base}/ipset-list.txt`).sets.map((s) => [s.name, s]));
}

function explain(base: string, options: Partial<ExplainPolicyOptions> & { pod: string }): PolicyExplanation {
  return explainPolicy(rulesOf(base), { ipsets: setsOf(base), pods: PODS[base], ...options });
}

/** The line of the first rule of `chain` in a sample, read from the file (independent of the parser). */
function lineOf(base: string, prefix: string, nth = 0): number {
  const lines = readFileSync(`${base}/iptables-save.rules`, 'utf8').split('\n');
  const hits = lines.map((l, i) => (l.startsWith(prefix) ? i + 1 : 0)).filter((n) => n > 0);
  if (hits[nth] === undefined) throw new Error(`no line ${nth} starting with ${prefix}`);
  return hits[nth]!;
}

describe('frontend/backend/db (Calico ~3.16: no policy comments)', () => {
  const r = explain(FBD, { pod: 'db', policies: [{ namespace: 'default', name: 'allow-db-access' }] });

  test('db ingress: one tier, the policy allowing only the backend set, the end-of-tier drop', () => {
    expect(r.status).toBe('explained');
    expect(r.workload).toMatchObject({ interface: 'cali95aa86cbb2a', namespace: 'default', name: 'db-8d66ff5f7-bp6kf', ips: ['10.88.0.26'] });
    const ingress = r.ingress!;
    expect(ingress.chain).toBe('cali-tw-cali95aa86cbb2a');
    expect(ingress.tiers).toHaveLength(1);
    const [tier] = ingress.tiers;
    expect(tier!.name).toBe('default');
    expect(tier!.endOfTier).toMatchObject({ line: 170, comment: 'Drop if no policies passed packet' });
    expect(tier!.policies.map((p) => [p.chain, p.name, p.nameFrom])).toEqual([['cali-pi-_tTE-E7yY40ogArNVgKt', 'default/knp.default.allow-db-access', 'hash-match']]);
    const rules = tier!.policies[0]!.rules;
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({ number: 1, action: 'allow', line: lineOf(FBD, '-A cali-pi-_tTE-E7yY40ogArNVgKt') });
    expect(rules[0]!.peers).toEqual([
      { side: 'source', negated: false, kind: 'ipset', value: 'cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge', setKind: 'selector', members: [{ text: '10.88.0.27', pod: 'default/backend-867fd6dff-mjf92', nomatch: false }] },
    ]);
    expect(ingress.profiles.map((p) => [p.name, p.allowsAll, p.allowsNothing])).toEqual([['kns.default', true, false], ['ksa.default.default', false, true]]);
    expect(ingress.unmatched).toMatchObject({ action: 'drop', rule: { line: 170 } });
    expect(ingress.preamble.map((p) => p.note)).toEqual(['RELATED,ESTABLISHED accepted before any policy', 'INVALID dropped', "clears Calico's verdict bits (0x10000) before the policies"]);
  });

  test('the summary says who can reach db and what drops the rest', () => {
    expect(r.summary[0]).toBe(
      `default/db-8d66ff5f7-bp6kf accepts any protocol from 10.88.0.27 (default/backend-867fd6dff-mjf92) (default/knp.default.allow-db-access) only; everything else is dropped by its ingress policy default/knp.default.allow-db-access (${FBD}/iptables-save.rules:170 'Drop if no policies passed packet').`,
    );
    expect(r.summary[1]).toBe('default/db-8d66ff5f7-bp6kf may send everything (egress): no policy selects it, and its profile kns.default allows all.');
    expect(r.egress!.tiers).toEqual([]);
    expect(r.egress!.unmatched.action).toBe('allow');
    expect(r.missing).toEqual([]);
  });

  test('without --policy the hashed chain keeps its name and says so', () => {
    const plain = explain(FBD, { pod: 'db' });
    expect(plain.ingress!.tiers[0]!.policies[0]).toMatchObject({ name: 'cali-pi-_tTE-E7yY40ogArNVgKt', nameFrom: 'unknown' });
  });
});

describe('finding the pod', () => {
  const routes: Route[] = parseIpRoute(
    ['default via 192.168.49.1 dev eth0', '10.88.0.24 dev cali505cfbeac50 scope link', '10.88.0.26 dev cali95aa86cbb2a scope link', '10.88.0.27 dev cali2b1490aa46a scope link'].join('\n'),
    'routes',
  ).routes;
  test.each([
    ['db', undefined, 'cali95aa86cbb2a', 'name prefix db', PODS[FBD], []],
    ['default/db-8d66ff5f7-bp6kf', undefined, 'cali95aa86cbb2a', 'pod default/db-8d66ff5f7-bp6kf', PODS[FBD], []],
    ['10.88.0.26', undefined, 'cali95aa86cbb2a', 'address 10.88.0.26', PODS[FBD], []],
    ['cali2b1490aa46a', undefined, 'cali2b1490aa46a', 'interface cali2b1490aa46a', [], []],
    ['10.88.0.24', undefined, 'cali505cfbeac50', 'address 10.88.0.24', [], routes],
    ['db-8d66ff5f7-bp6kf', 'default', 'cali95aa86cbb2a', 'Calico interface name of default/db-8d66ff5f7-bp6kf', [], []],
  ] as const)('%s (-n %s) → %s by %s', (query, namespace, iface, how, pods, rts) => {
    const r = explainPolicy(rulesOf(FBD), { pod: query, ...(namespace ? { namespace } : {}), ipsets: setsOf(FBD), pods: [...pods], routes: [...rts] });
    expect(r.status).toBe('explained');
    expect(r.workload!.interface).toBe(iface);
    expect(r.lookup).toBe(how);
  });

  test('several matches are returned as candidates', () => {
    // Two pods whose known host interfaces are db's and backend's, both named db-…
    const pods: Pod[] = [
      { ...pod('default', 'db-a', '10.88.0.26'), hostInterface: 'cali95aa86cbb2a' },
      { ...pod('default', 'db-b', '10.88.0.27'), hostInterface: 'cali2b1490aa46a' },
    ];
    const r = explainPolicy(rulesOf(FBD), { pod: 'db', ipsets: setsOf(FBD), pods });
    expect(r.status).toBe('ambiguous');
    expect(r.candidates).toEqual([
      { interface: 'cali2b1490aa46a', pod: 'default/db-b', ips: ['10.88.0.27'] },
      { interface: 'cali95aa86cbb2a', pod: 'default/db-a', ips: ['10.88.0.26'] },
    ]);
    expect(r.ingress).toBeUndefined();
  });

  test.each([
    ['nginx', PODS[FBD], 'no pod is named nginx or starts with it'],
    ['db', [], 'no pod list was given'],
    ['10.88.0.99', PODS[FBD], 'no workload of this node has the address 10.88.0.99'],
  ] as const)('%s is not found (%#)', (query, pods, why) => {
    const r = explainPolicy(rulesOf(FBD), { pod: query, ipsets: setsOf(FBD), pods: [...pods] });
    expect(r.status).toBe('not-found');
    expect(r.lookup).toContain(why);
    expect(r.candidates!.map((c) => c.interface)).toEqual(['cali2b1490aa46a', 'cali505cfbeac50', 'cali95aa86cbb2a']);
  });

  test('the interfaces of the sample are Calico names of its pods', () => {
    for (const p of PODS[FBD]!) expect(explain(FBD, { pod: p.name }).workload!.interface).toBe(calicoInterfaceName(p.namespace, p.name));
  });
});

describe('tiers and pass (Calico ~3.30 rendering)', () => {
  test('api ingress: tier security (allow-monitoring, quarantine deny + pass), tier default (allow-frontend-to-api)', () => {
    const r = explain(TIERS, { pod: 'api' });
    const tiers = r.ingress!.tiers;
    expect(tiers.map((t) => [t.name, t.policies.map((p) => p.name), t.endOfTier?.line])).toEqual([
      ['security', ['shop/security.allow-monitoring', 'security.quarantine'], lineOf(TIERS, '-A cali-tw-calief4a6ea9f4b', 8)],
      ['default', ['shop/knp.default.allow-frontend-to-api'], 179],
    ]);
    const quarantine = tiers[0]!.policies[1]!;
    expect(quarantine.rules.map((x) => [x.number, x.action, x.matches, x.line])).toEqual([
      [1, 'deny', 'any protocol from 10.99.0.0/16', 120],
      [2, 'pass', 'everything', 121],
    ]);
    expect(tiers[0]!.policies[0]!.rules[0]!.matches).toBe('TCP port 9100 from {10.244.1.12 (monitoring/prometheus-main-0), 10.244.2.7}');
    // The quarantine passes everything it does not deny, so the rest is dropped at the end of tier default.
    expect(r.ingress!.unmatched).toMatchObject({ action: 'drop', rule: { line: 179 } });
    expect(r.summary[0]).toContain('security.quarantine passes the rest on to the next tier');
    expect(r.summary[0]).toContain("everything else is dropped by its ingress policy shop/knp.default.allow-frontend-to-api (samples/calico-tiers/iptables-save.rules:179 'End of tier default. Drop if no policies passed packet')");
  });

  test('prometheus: ingress passed on to its allow-all profile; egress limited by its own policy', () => {
    const r = explain(TIERS, { pod: 'prometheus' });
    expect(r.ingress!.unmatched.action).toBe('allow');
    expect(r.summary[0]).toMatch(/^monitoring\/prometheus-main-0 accepts everything except any protocol from 10\.99\.0\.0\/16 \(security\.quarantine\); the rest is allowed by profile kns\.monitoring/);
    const egress = r.egress!;
    expect(egress.tiers.map((t) => [t.name, t.endOfTier?.line])).toEqual([['default', 94]]);
    expect(egress.tiers[0]!.policies[0]!.rules.map((x) => [x.action, x.matches])).toEqual([
      ['allow', 'TCP port 9100 to 10.244.0.0/16'],
      ['allow', 'UDP port 53'],
    ]);
    expect(r.summary[1]).toContain('may send TCP port 9100 to 10.244.0.0/16 (monitoring/knp.default.prometheus-egress); UDP port 53 (monitoring/knp.default.prometheus-egress) only');
  });
});

describe('--peer: the engine decides', () => {
  test.each([
    [FBD, 'db', 'frontend', undefined, 'ingress', 'no', 'cali-tw-cali95aa86cbb2a', 170],
    [FBD, 'db', 'backend', undefined, 'ingress', 'yes', 'cali-pi-_tTE-E7yY40ogArNVgKt', 138],
    [FBD, 'db', '10.88.0.24', undefined, 'egress', 'yes', 'cali-pri-kns.default', 140],
    [TIERS, 'api', '10.99.0.5', 8080, 'ingress', 'no', 'cali-pi-_QIRcAtmYy_qsy1m9LE7', 120],
    [TIERS, 'api', 'frontend', 8080, 'ingress', 'yes', 'cali-pi-_xdHM31viflDw6aP1Ewf', lineOf(TIERS, '-A cali-pi-_xdHM31viflDw6aP1Ewf')],
    [TIERS, 'api', 'prometheus', 8080, 'ingress', 'no', 'cali-fw-cali706e44fd2a1', 94],
    [TIERS, 'api', 'prometheus', 9100, 'ingress', 'yes', 'cali-pi-_jfYTBAXoYnMZf4AsObz', lineOf(TIERS, '-A cali-pi-_jfYTBAXoYnMZf4AsObz')],
  ] as const)('%s: %s with peer %s port %s, %s → %s at %s line %i', (base, target, peer, port, direction, answer, chain, line) => {
    const r = explain(base, { pod: target, peer, ...(port !== undefined ? { port } : {}) });
    const check = r.reach!.find((c) => c.direction === direction)!;
    expect(check.answer).toBe(answer);
    expect(check.outcomes).toHaveLength(1);
    expect(check.outcomes[0]!.decidedBy).toMatchObject({ chain, line });
    expect(check.outcomes[0]!.decidedBy!.text).toBe(readFileSync(`${base}/iptables-save.rules`, 'utf8').split('\n')[line - 1]);
  });

  test('without a port, a policy on ports makes the answer depend on it', () => {
    const r = explain(TIERS, { pod: 'api', peer: 'prometheus' });
    const check = r.reach!.find((c) => c.direction === 'ingress')!;
    expect(check.answer).toBe('depends');
    expect(new Set(check.outcomes.map((o) => o.verdict))).toEqual(new Set(['ACCEPT', 'DROP']));
    for (const o of check.outcomes) expect(o.given.join(' ')).toContain('destination port');
  });

  test('a peer that cannot be resolved is said in the summary', () => {
    const r = explain(FBD, { pod: 'db', peer: 'nginx' });
    expect(r.reach).toBeUndefined();
    expect(r.summary.at(-1)).toBe('--peer nginx: no pod named nginx is known; pass its IP');
  });
});

describe('partial input', () => {
  // `iptables-save | grep cali` with the policy chain cut out, and no ipset list.
  const text = readFileSync(`${FBD}/iptables-save.rules`, 'utf8').split('\n').filter((l) => l.includes('cali') && !l.startsWith(':') && !l.startsWith('-A cali-pi-')).join('\n');
  const r = explainPolicy(parseIptables(text, 'excerpt.txt'), { pod: 'cali95aa86cbb2a', ipsets: new Map() });

  test('what is there is explained; what is missing is said', () => {
    expect(r.status).toBe('explained');
    const policy = r.ingress!.tiers[0]!.policies[0]!;
    expect(policy).toMatchObject({ chain: 'cali-pi-_tTE-E7yY40ogArNVgKt', present: false, rules: [] });
    expect(r.ingress!.tiers[0]!.endOfTier).toBeDefined();
    expect(r.missing).toEqual(expect.arrayContaining([
      expect.stringContaining('excerpt.txt is an excerpt'),
      expect.stringContaining('no pod list was given'),
      expect.stringMatching(/^cali-pi-_tTE-E7yY40ogArNVgKt is called by cali-tw-cali95aa86cbb2a line \d+ but its rules are not in the input/),
    ]));
    expect(r.summary[0]).toContain('and whatever cali-pi-_tTE-E7yY40ogArNVgKt allows (not in the input)');
  });

  test('sets without an ipset list are unknown, not empty', () => {
    const full = explainPolicy(rulesOf(FBD), { pod: 'db', ipsets: new Map(), pods: PODS[FBD] });
    const peer = full.ingress!.tiers[0]!.policies[0]!.rules[0]!.peers[0]!;
    expect(peer.members).toBeUndefined();
    expect(peer.membersUnknown).toBe('no ipset list was given');
    expect(full.missing).toContain('no `ipset list` was given: the members of 1 Calico set used by the rules are unknown (add --from ipsets.txt)');
  });

  test('a tw chain cut from the excerpt is unknown, not open', () => {
    const cut = text.split('\n').filter((l) => !l.startsWith('-A cali-tw-cali95aa86cbb2a')).join('\n');
    const e = explainPolicy(parseIptables(cut, 'cut.txt'), { pod: 'cali95aa86cbb2a', ipsets: new Map() });
    expect(e.ingress).toMatchObject({ present: false, unmatched: { action: 'unknown' } });
    expect(e.missing.some((m) => m.startsWith('cali-tw-cali95aa86cbb2a (ingress of cali95aa86cbb2a) is not in the input although cali-to-wl-dispatch line'))).toBe(true);
  });
});

describe('policy groups and the drop bit (Calico 3.28+ / 3.32-era rendering, synthetic)', () => {
  // A group running two policies; deny renders as "set the drop bit, then DROP on it" (calico.md §4.2, §4.4).
  const text = [
    '*filter',
    ':FORWARD ACCEPT [0:0]',
    ':cali-FORWARD - [0:0]',
    ':cali-to-wl-dispatch - [0:0]',
    ':cali-tw-calitest0000a - [0:0]',
    ':cali-gi-grp - [0:0]',
    ':cali-pi-a - [0:0]',
    ':cali-pi-b - [0:0]',
    '-A FORWARD -j cali-FORWARD',
    '-A FORWARD -m comment --comment "Policy explicitly accepted packet." -m mark --mark 0x10000/0x10000 -j ACCEPT',
    '-A cali-FORWARD -j MARK --set-xmark 0x0/0x1a0000',
    '-A cali-FORWARD -o cali+ -j cali-to-wl-dispatch',
    '-A cali-to-wl-dispatch -o calitest0000a -g cali-tw-calitest0000a',
    '-A cali-to-wl-dispatch -m comment --comment "Unknown interface" -j DROP',
    '-A cali-tw-calitest0000a -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    '-A cali-tw-calitest0000a -j MARK --set-xmark 0x0/0x30000',
    '-A cali-tw-calitest0000a -m comment --comment "Start of tier default" -j MARK --set-xmark 0x0/0x20000',
    '-A cali-tw-calitest0000a -m mark --mark 0x0/0x20000 -j cali-gi-grp',
    '-A cali-tw-calitest0000a -m comment --comment "Return if policy accepted" -m mark --mark 0x10000/0x10000 -j RETURN',
    '-A cali-tw-calitest0000a -m comment --comment "End of tier default. Drop if no policies passed packet" -m mark --mark 0x0/0x20000 -j DROP',
    '-A cali-tw-calitest0000a -m comment --comment "Drop if no profiles matched" -j DROP',
    '-A cali-gi-grp -j cali-pi-a',
    '-A cali-gi-grp -m mark --mark 0x0/0x30000 -j cali-pi-b',
    '-A cali-pi-a -s 10.0.9.0/24 -m comment --comment "KubernetesNetworkPolicy ns/a ingress" -j MARK --set-xmark 0x40000/0x40000',
    '-A cali-pi-a -m mark --mark 0x40000/0x40000 -j DROP',
    '-A cali-pi-b -p tcp -m comment --comment "KubernetesNetworkPolicy ns/b ingress" -m multiport --dports 80,443 -j MARK --set-xmark 0x10000/0x10000',
    'COMMIT',
    '',
  ].join('\n');
  const ruleset = parseIptables(text, 'group.rules');

  test('the group is read through to its policies; the drop-bit deny is one Calico rule', () => {
    const r = explainPolicy(ruleset, { pod: 'calitest0000a', ipsets: new Map() });
    expect(r.layout).toMatchObject({ era: 'drop-bit', drop: '0x40000' });
    const group = r.ingress!.tiers[0]!.policies[0]!;
    expect(group.kind).toBe('group');
    expect(group.members!.map((m) => [m.name, m.rules.map((x) => `${x.action} ${x.matches}`)])).toEqual([
      ['ns/a', ['deny any protocol from 10.0.9.0/24']],
      ['ns/b', ['allow TCP ports 80,443']],
    ]);
    expect(r.summary[0]).toBe(
      "calitest0000a accepts TCP ports 80,443 (ns/b) only; denies any protocol from 10.0.9.0/24 (ns/a); everything else is dropped by its ingress policies ns/a, ns/b (group.rules:20 'End of tier default. Drop if no policies passed packet').",
    );
  });

  test.each([
    ['10.0.9.7', 80, 'no', 'cali-pi-a', 25],
    ['10.0.8.7', 443, 'yes', 'cali-pi-b', 26],
    ['10.0.8.7', 22, 'no', 'cali-tw-calitest0000a', 20],
  ])('peer %s port %i → %s, decided in %s line %i', (peer, port, answer, chain, line) => {
    const r = explainPolicy(ruleset, { pod: 'calitest0000a', podIp: '10.0.1.5', ipsets: new Map(), peer, port });
    const check = r.reach!.find((c) => c.direction === 'ingress')!;
    expect(check.answer).toBe(answer);
    expect(check.outcomes[0]!.decidedBy).toMatchObject({ chain, line });
  });
});
