import { describe, expect, test } from 'vitest';
import { assumeStandardChains } from '../../../src/interpret/kube-proxy/assume-standard-chains.js';
import { getChain, type Ruleset } from '../../../src/model/ruleset.js';
import { buildRuleset } from './build-ruleset.js';
import { CLUSTERIP_NGINX } from './fixtures.js';

/** `iptables-save | grep 2CMXP7HKUVJN7L6M`-style excerpt of seed 004 (no table headers, no base chains). */
const NGINX_EXCERPT = `*nat
-A KUBE-SERVICES -d 10.96.34.82/32 -p tcp -m comment --comment "default/nginx cluster IP" -m tcp --dport 80 -j KUBE-SVC-2CMXP7HKUVJN7L6M
-A KUBE-SVC-2CMXP7HKUVJN7L6M ! -s 10.244.0.0/16 -d 10.96.34.82/32 -p tcp -m comment --comment "default/nginx cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-2CMXP7HKUVJN7L6M -m comment --comment "default/nginx" -j KUBE-SEP-HUXRPHBUO34UVPEF
-A KUBE-SEP-HUXRPHBUO34UVPEF -s 10.244.2.2/32 -m comment --comment "default/nginx" -j KUBE-MARK-MASQ
-A KUBE-SEP-HUXRPHBUO34UVPEF -p tcp -m comment --comment "default/nginx" -m tcp -j DNAT --to-destination 10.244.2.2:80
`;

/** Seed 000 XLB excerpt on the node without a local endpoint. */
const XLB_EXCERPT = `*nat
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/webapp" -m tcp --dport 30080 -j KUBE-XLB-2IRACUALRELARSND
-A KUBE-SERVICES -d 10.111.243.62/32 -p tcp -m comment --comment "default/webapp cluster IP" -m tcp --dport 80 -j KUBE-SVC-2IRACUALRELARSND
-A KUBE-XLB-2IRACUALRELARSND -m comment --comment "default/webapp has no local endpoints" -j KUBE-MARK-DROP
`;

function rulesOf(rs: Ruleset, table: 'nat' | 'filter', chain: string): string[] {
  return getChain(rs, table, chain)?.listRules().map((r) => `${r.index} ${r.raw}`) ?? [];
}

describe('assumeStandardChains', () => {
  test('nat: base-chain jumps, KUBE-MARK-MASQ and KUBE-POSTROUTING for a ClusterIP excerpt', () => {
    const rs = buildRuleset(NGINX_EXCERPT, { format: 'excerpt' });
    const lines = assumeStandardChains(rs);
    expect(rulesOf(rs, 'nat', 'PREROUTING')).toEqual(['1 -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
    expect(rulesOf(rs, 'nat', 'OUTPUT')).toEqual(['1 -A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES']);
    expect(rulesOf(rs, 'nat', 'POSTROUTING')).toEqual(['1 -A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING']);
    expect(rulesOf(rs, 'nat', 'KUBE-MARK-MASQ')).toEqual(['1 -A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000']);
    expect(rulesOf(rs, 'nat', 'KUBE-POSTROUTING')).toEqual([
      '1 -A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '2 -A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
      '3 -A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ]);
    // no KUBE-NODEPORTS in the excerpt: no NodePort dispatch rule assumed
    expect(rulesOf(rs, 'nat', 'KUBE-SERVICES')).toHaveLength(1);
    expect(lines).toHaveLength(5);
    expect(rs.assumptions).toEqual(lines);
    for (const line of lines) expect(line).toMatch(/^assumed /);
  });

  test('synthesised rules are parsed, marked assumed and sourced <assumed>:0', () => {
    const rs = buildRuleset(NGINX_EXCERPT, { format: 'excerpt' });
    assumeStandardChains(rs);
    const [jump] = getChain(rs, 'nat', 'PREROUTING')!.listRules();
    expect(jump?.source).toEqual({ file: '<assumed>', line: 0 });
    expect(jump?.assumed).toMatch(/kube-proxy inserts this jump/);
    expect(jump?.target).toMatchObject({ kind: 'jump', chain: 'KUBE-SERVICES' });
    const [mark] = getChain(rs, 'nat', 'KUBE-MARK-MASQ')!.listRules();
    expect(mark?.target).toMatchObject({ kind: 'MARK', value: 0x4000, mask: 0x4000 });
    expect(getChain(rs, 'nat', 'PREROUTING')?.policy).toBe('ACCEPT');
    // the excerpt's own rules are untouched
    expect(getChain(rs, 'nat', 'KUBE-SEP-HUXRPHBUO34UVPEF')?.listRules()[0]?.assumed).toBeUndefined();
  });

  test('XLB excerpt: NodePort dispatch rule, KUBE-MARK-DROP and kubelet’s KUBE-FIREWALL', () => {
    const rs = buildRuleset(XLB_EXCERPT, { format: 'excerpt' });
    const lines = assumeStandardChains(rs);
    const services = rulesOf(rs, 'nat', 'KUBE-SERVICES');
    expect(services).toHaveLength(2);
    expect(services[1]).toBe(
      '2 -A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    );
    expect(rulesOf(rs, 'nat', 'KUBE-MARK-DROP')).toEqual(['1 -A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000']);
    expect(rulesOf(rs, 'filter', 'KUBE-FIREWALL')).toEqual([
      '1 -A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP',
    ]);
    expect(rulesOf(rs, 'filter', 'INPUT')).toEqual(['1 -A INPUT -j KUBE-FIREWALL']);
    expect(rulesOf(rs, 'filter', 'OUTPUT')).toEqual(['1 -A OUTPUT -j KUBE-FIREWALL']);
    expect(lines.some((l) => l.includes('KUBE-MARK-DROP'))).toBe(true);
    expect(lines.some((l) => l.includes('last rule of nat KUBE-SERVICES'))).toBe(true);
  });

  test('filter chains in the excerpt get their jumps in kube-proxy’s order', () => {
    const rs = buildRuleset(
      `*filter
-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/webapp has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-PROXY-FIREWALL -d 203.0.113.10/32 -p tcp -m comment --comment "default/webapp traffic not accepted by KUBE-FW-2IRACUALRELARSND" -m tcp --dport 80 -j DROP
`,
      { format: 'excerpt' },
    );
    assumeStandardChains(rs);
    const targets = (chain: string) => getChain(rs, 'filter', chain)?.listRules().map((r) => r.target?.name);
    expect(targets('INPUT')).toEqual(['KUBE-PROXY-FIREWALL', 'KUBE-EXTERNAL-SERVICES']);
    expect(targets('FORWARD')).toEqual(['KUBE-PROXY-FIREWALL', 'KUBE-FORWARD', 'KUBE-EXTERNAL-SERVICES']);
    expect(targets('OUTPUT')).toEqual(['KUBE-PROXY-FIREWALL']);
    expect(rulesOf(rs, 'filter', 'INPUT')[1]).toBe(
      '2 -A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    );
  });

  test('a base chain seen only partly in the excerpt gets the jump at the top, renumbered', () => {
    const rs = buildRuleset(`*nat\n-A PREROUTING -j cali-PREROUTING\n${NGINX_EXCERPT.replace('*nat\n', '')}`, { format: 'excerpt' });
    assumeStandardChains(rs);
    expect(rulesOf(rs, 'nat', 'PREROUTING')).toEqual([
      '1 -A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '2 -A PREROUTING -j cali-PREROUTING',
    ]);
    expect(getChain(rs, 'nat', 'PREROUTING')?.listRules()[1]?.source.line).toBe(2);
  });

  test('a base chain that already jumps to KUBE-SERVICES is left alone', () => {
    const rs = buildRuleset(`*nat\n-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES\n${NGINX_EXCERPT.replace('*nat\n', '')}`, { format: 'excerpt' });
    const lines = assumeStandardChains(rs);
    expect(rulesOf(rs, 'nat', 'PREROUTING')).toHaveLength(1);
    expect(lines.some((l) => l.includes('nat PREROUTING'))).toBe(false);
    expect(lines.some((l) => l.includes('nat OUTPUT'))).toBe(true);
  });

  test('idempotent: a second call assumes nothing more', () => {
    const rs = buildRuleset(XLB_EXCERPT, { format: 'excerpt' });
    const first = assumeStandardChains(rs);
    const count = () => [...rs.tables.values()].reduce((n, t) => n + [...t.chains.values()].reduce((m, c) => m + c.listRules().length, 0), 0);
    const before = count();
    expect(assumeStandardChains(rs)).toEqual([]);
    expect(count()).toBe(before);
    expect(rs.assumptions).toEqual(first);
  });

  test('full dumps are never touched', () => {
    const rs = buildRuleset(NGINX_EXCERPT, { format: 'iptables-save' });
    expect(assumeStandardChains(rs)).toEqual([]);
    expect(getChain(rs, 'nat', 'PREROUTING')).toBeUndefined();
    const full = buildRuleset(CLUSTERIP_NGINX);
    expect(assumeStandardChains(full)).toEqual([]);
  });
});
