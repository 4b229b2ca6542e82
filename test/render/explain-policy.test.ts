/** renderExplainPolicy over real explanations of the samples: what a newcomer reads on one screen. */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { explainPolicy } from '../../src/interpret/calico/explain-policy.js';
import type { Pod } from '../../src/model/pod.js';
import { parseIpsetList } from '../../src/parse/ipset.js';
import { parseIptables } from '../../src/parse/iptables-save.js';
import { renderExplainPolicy } from '../../src/render/explain-policy.js';

const BASE = 'samples/calico-frontend-backend-db';
const pod = (name: string, ip: string): Pod => ({ namespace: 'default', name, ips: [ip], foundBy: 'given' });
const PODS = [pod('backend-867fd6dff-mjf92', '10.88.0.27'), pod('db-8d66ff5f7-bp6kf', '10.88.0.26'), pod('frontend-8b474f47-zdqdv', '10.88.0.24')];
const ruleset = parseIptables(readFileSync(`${BASE}/iptables-save.rules`, 'utf8'), `${BASE}/iptables-save.rules`);
const ipsets = new Map(parseIpsetList(readFileSync(`${BASE}/ipset-list.txt`, 'utf8'), `${BASE}/ipset-list.txt`).sets.map((s) => [s.name, s]));
const ANSI = /\u001b\[/;

describe('renderExplainPolicy', () => {
  const report = explainPolicy(ruleset, { pod: 'db', ipsets, pods: PODS, peer: 'frontend', policies: [{ namespace: 'default', name: 'allow-db-access' }] });
  const out = renderExplainPolicy(report, { color: false });

  test('one screen: the pod, the summary, both directions in evaluation order, the peer answer', () => {
    const lines = out.split('\n');
    expect(lines[0]).toBe('Calico policy of default/db-8d66ff5f7-bp6kf');
    expect(lines.length).toBeLessThanOrEqual(60);
    const order = ['In short', 'Ingress (traffic to the pod)', 'tier default (line 167)', 'policy default/knp.default.allow-db-access called at line 168',
      "not allowed or passed → DROP 'Drop if no policies passed packet', line 170", 'profiles (never reached', 'Egress (traffic from the pod)', 'Peer check'];
    let at = -1;
    for (const s of order) {
      const next = out.indexOf(s, at + 1);
      expect(next, `"${s}" after position ${at}`).toBeGreaterThan(at);
      at = next;
    }
    expect(out).toMatch(/#1 +allow +any protocol from 10\.88\.0\.27 \(default\/backend-867fd6dff-mjf92\) +line 138/);
    expect(out).toContain('default/frontend-8b474f47-zdqdv (10.88.0.24) → default/db-8d66ff5f7-bp6kf (10.88.0.26): NO');
    expect(out).toContain('DROP at line 170 — no policy in tier default accepted the packet');
    expect(out).not.toMatch(ANSI);
  });

  test('colour only when asked', () => {
    expect(renderExplainPolicy(report, { color: true })).toMatch(ANSI);
  });

  test('ambiguous pods are listed as a table to choose from', () => {
    const pods: Pod[] = [{ ...pod('db-a', '10.88.0.26'), hostInterface: 'cali95aa86cbb2a' }, { ...pod('db-b', '10.88.0.27'), hostInterface: 'cali2b1490aa46a' }];
    const text = renderExplainPolicy(explainPolicy(ruleset, { pod: 'db', ipsets, pods }), { color: false });
    expect(text.split('\n')).toEqual([
      'Several workloads match "db": choose one',
      '  2 workloads match name prefix db: choose one',
      '',
      'POD            INTERFACE         ADDRESS',
      'default/db-b   cali2b1490aa46a   10.88.0.27',
      'default/db-a   cali95aa86cbb2a   10.88.0.26',
    ]);
  });

  test('missing input is listed last', () => {
    const text = renderExplainPolicy(explainPolicy(ruleset, { pod: 'cali95aa86cbb2a', ipsets: new Map() }), { color: false });
    expect(text).toMatch(/Missing from the input:\n {2}- no `ipset list` was given/);
    expect(text).toContain('set cali40s:LrVD8vMIGQDyv8Y7sPFB1Ge (members unknown: no ipset list was given)');
  });
});
