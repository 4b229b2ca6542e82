import { describe, expect, test } from 'vitest';
import { listFindings, type Finding } from '../../../src/interpret/kube-proxy/findings.js';
import { buildServiceIndex } from '../../../src/interpret/kube-proxy/service-index.js';
import { loadServiceList } from '../../../src/interpret/kube-proxy/services.js';
import type { TraceBranch, TraceResult } from '../../../src/engine/result.js';
import { buildRuleset } from './build-ruleset.js';
import {
  CLUSTERIP_NGINX,
  CURRENT_NO_LOCAL,
  NO_ENDPOINTS,
  SERVICES_JSON,
  THREE_ENDPOINTS_OLD,
  V124_NO_LOCAL,
  XLB_NO_LOCAL,
} from './fixtures.js';
import { branchOf } from './trace-helper.js';

function findings(dump: string, build: (rs: ReturnType<typeof buildRuleset>) => TraceBranch[], servicesJson?: string): Finding[] {
  const rs = buildRuleset(dump);
  const result: TraceResult = { branches: build(rs), problems: [], assumptions: [] };
  const index = buildServiceIndex(rs, servicesJson ? loadServiceList(servicesJson, 'svc.json') : undefined);
  return listFindings(result, index, rs);
}

function byCode(list: Finding[], code: string): Finding[] {
  return list.filter((f) => f.code === code);
}

describe('no-local-endpoints, in each generation’s terms', () => {
  test.each([
    [
      'XLB era: nat KUBE-XLB → KUBE-MARK-DROP',
      XLB_NO_LOCAL,
      (rs: ReturnType<typeof buildRuleset>) => [
        branchOf(rs, [['nat', 'KUBE-SERVICES', 2], ['nat', 'KUBE-NODEPORTS', 2], ['nat', 'KUBE-XLB-2IRACUALRELARSND', 4], ['nat', 'KUBE-MARK-DROP', 1], ['filter', 'KUBE-FIREWALL', 1, 'INPUT']], { verdict: 'DROP', dst: '192.168.49.3', dport: 30080, src: '192.168.49.1' }),
      ],
      [/nat KUBE-XLB-2IRACUALRELARSND rule 4 \(line \d+\) jumps to KUBE-MARK-DROP \(0x8000\)/, /kube-proxy ≤1\.23 KUBE-XLB shape/, /NodePort 30080/, /pods \(source in 10\.244\.0\.0\/16\)/, /this connection is dropped/],
    ],
    [
      '1.24: nat KUBE-SVL → KUBE-MARK-DROP',
      V124_NO_LOCAL,
      (rs: ReturnType<typeof buildRuleset>) => [
        branchOf(rs, [['nat', 'KUBE-SERVICES', 2], ['nat', 'KUBE-NODEPORTS', 1], ['nat', 'KUBE-EXT-2IRACUALRELARSND', 4], ['nat', 'KUBE-SVL-2IRACUALRELARSND', 1], ['nat', 'KUBE-MARK-DROP', 1], ['filter', 'KUBE-FIREWALL', 1, 'INPUT']], { verdict: 'DROP', dst: '192.168.49.3', dport: 30080, src: '192.168.49.1' }),
      ],
      [/nat KUBE-SVL-2IRACUALRELARSND rule 1/, /KUBE-MARK-DROP/, /kube-proxy 1\.24 shape/, /short-circuit rules of KUBE-EXT-2IRACUALRELARSND/],
    ],
    [
      '1.25+: filter KUBE-EXTERNAL-SERVICES DROP',
      CURRENT_NO_LOCAL,
      (rs: ReturnType<typeof buildRuleset>) => [
        branchOf(rs, [['filter', 'INPUT', 3, 'INPUT'], ['filter', 'KUBE-EXTERNAL-SERVICES', 2, 'INPUT']], { verdict: 'DROP', dst: '192.168.49.3', dport: 30080, src: '192.168.49.1' }),
      ],
      [/filter KUBE-EXTERNAL-SERVICES rule 2 \(line \d+\) drops them \(kube-proxy 1\.25\+ shape\)/, /NodePort 30080, load balancer IP 203\.0\.113\.10/],
    ],
  ])('%s', (_label, dump, build, patterns) => {
    const list = findings(dump, build);
    const [f, ...rest] = byCode(list, 'no-local-endpoints');
    expect(rest).toEqual([]);
    expect(f?.severity).toBe('error');
    expect(f?.message.startsWith('default/webapp has no local endpoints on this node (externalTrafficPolicy: Local)')).toBe(true);
    for (const p of patterns) expect(f?.message).toMatch(p);
    expect(f?.line).toBeGreaterThan(0);
  });

  test('a pod reaching the cluster IP is not dropped, but the static finding still warns', () => {
    const list = findings(CURRENT_NO_LOCAL, (rs) => [
      branchOf(rs, [['nat', 'KUBE-SERVICES', 1], ['nat', 'KUBE-SVC-2IRACUALRELARSND', 2], ['nat', 'KUBE-SEP-5T4S2ILYSXWY3R2J', 2]], { verdict: 'ACCEPT', dst: '10.111.243.62', dport: 80, finalDst: '10.244.120.111' }),
    ]);
    const nle = byCode(list, 'no-local-endpoints');
    expect(nle.length).toBe(1); // one per service port, though two filter rules say it
    for (const f of nle) {
      expect(f.severity).toBe('warning');
      expect(f.message).not.toMatch(/this connection is dropped/);
    }
    expect(byCode(list, 'masquerade')).toEqual([]);
  });

  test('XLB era: KUBE-MARK-DROP is explained through kubelet’s KUBE-FIREWALL rule', () => {
    const list = findings(XLB_NO_LOCAL, (rs) => [
      branchOf(rs, [['nat', 'KUBE-NODEPORTS', 2], ['nat', 'KUBE-XLB-2IRACUALRELARSND', 4], ['nat', 'KUBE-MARK-DROP', 1], ['filter', 'KUBE-FIREWALL', 1, 'INPUT']], { verdict: 'DROP', dst: '192.168.49.3', dport: 30080, src: '192.168.49.1' }),
    ]);
    const [md] = byCode(list, 'mark-drop');
    expect(md?.severity).toBe('info');
    expect(md?.message).toMatch(/filter KUBE-FIREWALL rule 1 \(line \d+\) drops the packet/);
  });

  test('KUBE-MARK-DROP with no KUBE-FIREWALL drop rule (kubelet ≥1.27) is a warning', () => {
    const dump = XLB_NO_LOCAL.replace(/-A KUBE-FIREWALL .*\n/, '');
    const list = findings(dump, (rs) => [
      branchOf(rs, [['nat', 'KUBE-NODEPORTS', 2], ['nat', 'KUBE-XLB-2IRACUALRELARSND', 4], ['nat', 'KUBE-MARK-DROP', 1]], { verdict: 'ACCEPT', dst: '192.168.49.3', dport: 30080, src: '192.168.49.1' }),
    ]);
    const [md] = byCode(list, 'mark-drop');
    expect(md?.severity).toBe('warning');
    expect(md?.message).toMatch(/no filter KUBE-FIREWALL rule drops marked packets/);
  });
});

describe('other findings', () => {
  test('no-endpoints: filter REJECT', () => {
    const list = findings(NO_ENDPOINTS, (rs) => [branchOf(rs, [['filter', 'OUTPUT', 1, 'OUTPUT'], ['filter', 'KUBE-SERVICES', 1, 'OUTPUT']], { verdict: 'REJECT', dst: '10.96.5.5', dport: 80 })]);
    const [f] = byCode(list, 'no-endpoints');
    expect(f).toMatchObject({ severity: 'error', line: expect.any(Number) });
    expect(f?.message).toMatch(/^default\/broken:http has no endpoints: filter KUBE-SERVICES rule 1 .* rejects new connections \(icmp-port-unreachable\)/);
  });

  test('masquerade: every outcome, with the reason from the KUBE-MARK-MASQ rule', () => {
    const list = findings(THREE_ENDPOINTS_OLD, (rs) =>
      [1, 2, 3].map((i) =>
        branchOf(rs, [['nat', 'KUBE-SERVICES', 1], ['nat', 'KUBE-MARK-MASQ', 1], ['nat', 'KUBE-SERVICES', 2], ['nat', 'KUBE-SVC-6JXEEPSEELXY3JZG', i], ['nat', `KUBE-SEP-${['6HM47TA5RTJFOZFJ', 'AHRDCNDYGFSFVA64', 'BK523K4AX5Y34OZL'][i - 1]}`, 2]], { verdict: 'ACCEPT', dst: '10.97.229.148', dport: 80, masquerade: true, src: '192.168.0.9', probability: 1 / 3 }),
      ),
    );
    const [m, ...rest] = byCode(list, 'masquerade');
    expect(rest).toEqual([]);
    expect(m?.severity).toBe('info');
    expect(m?.message).toMatch(/^every outcome is masqueraded \(0x4000 mark → KUBE-POSTROUTING MASQUERADE, source NAT to the node.s address\) because source 192/);
    expect(m?.message).toMatch(/source 192\.168\.0\.9 is outside the cluster CIDR 192\.167\.0\.0\/16/);
    // the SVC→SEP and SEP rules of this ≤1.18 dump carry no comments
    expect(byCode(list, 'comments-missing')[0]?.message).toMatch(/named from the comments kube-proxy keeps on KUBE-SERVICES/);
  });

  test('partial masquerade names the share', () => {
    const list = findings(CLUSTERIP_NGINX, (rs) => [
      branchOf(rs, [['nat', 'KUBE-SERVICES', 1], ['nat', 'KUBE-SVC-2CMXP7HKUVJN7L6M', 1]], { verdict: 'ACCEPT', dst: '10.96.34.82', dport: 80, masquerade: true, probability: 0.25 }),
      branchOf(rs, [['nat', 'KUBE-SERVICES', 1]], { verdict: 'ACCEPT', dst: '10.96.34.82', dport: 80, probability: 0.75 }),
    ]);
    expect(byCode(list, 'masquerade')[0]?.message).toMatch(/^1 of 2 outcomes \(25\.0%\) are masqueraded/);
  });

  test('stale-service: a commented service missing from the Service list', () => {
    const list = findings(CLUSTERIP_NGINX, (rs) => [branchOf(rs, [['nat', 'KUBE-SERVICES', 1]], { verdict: 'ACCEPT', dst: '10.96.34.82', dport: 80 })], SERVICES_JSON);
    expect(byCode(list, 'stale-service')[0]?.message).toMatch(/^default\/nginx \(KUBE-SVC-2CMXP7HKUVJN7L6M\) is not in svc\.json/);
    expect(byCode(list, 'unknown-service')).toEqual([]);
  });

  test('unknown-service without comments, named with --services', () => {
    const dump = `*nat
-A KUBE-SERVICES -d 10.96.0.10/32 -p udp -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU
-A KUBE-SVC-TCOU7JCQXEZGVUNU -j KUBE-SEP-LPGSDLJ3FDW46N4W
-A KUBE-SEP-LPGSDLJ3FDW46N4W -p udp -m udp -j DNAT --to-destination 10.244.0.5:53
COMMIT
`;
    const build = (rs: ReturnType<typeof buildRuleset>) => [branchOf(rs, [['nat', 'KUBE-SERVICES', 1], ['nat', 'KUBE-SVC-TCOU7JCQXEZGVUNU', 1], ['nat', 'KUBE-SEP-LPGSDLJ3FDW46N4W', 1]], { verdict: 'ACCEPT', dst: '10.96.0.10', dport: 53 })];
    const without = findings(dump, build);
    expect(byCode(without, 'unknown-service')[0]?.message).toMatch(/^KUBE-SVC-TCOU7JCQXEZGVUNU: unknown service: .*pass --services/);
    expect(byCode(without, 'comments-missing')[0]?.message).toMatch(/its name is unknown/);
    const named = findings(dump, build, SERVICES_JSON);
    expect(byCode(named, 'unknown-service')).toEqual([]);
    expect(byCode(named, 'comments-missing')[0]?.message).toMatch(/^kube-system\/kube-dns:dns: .*named from svc\.json by chain hash/);
  });

  test('not-understood forks on the path are reported once with their line', () => {
    const rs = buildRuleset(CLUSTERIP_NGINX);
    const branch = branchOf(rs, [['nat', 'KUBE-SERVICES', 1]], { verdict: 'ACCEPT', dst: '10.96.34.82', dport: 80 });
    branch.path[0] = { ...branch.path[0]!, fork: 'not understood: -m foo --bar' };
    const result: TraceResult = { branches: [branch, branch], problems: [], assumptions: [] };
    const list = byCode(listFindings(result, buildServiceIndex(rs), rs), 'not-understood');
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ severity: 'warning', line: branch.path[0].line });
  });

  test('session affinity is reported as runtime state', () => {
    const dump = `*nat
-A KUBE-SERVICES -d 172.30.0.41/32 -p tcp -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-SXIVWICOYRO3J4NJ --mask 255.255.255.255 --rsource -j KUBE-SEP-SXIVWICOYRO3J4NJ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -p tcp -m comment --comment "ns1/svc1:p80" -m recent --set --name KUBE-SEP-SXIVWICOYRO3J4NJ --mask 255.255.255.255 --rsource -m tcp -j DNAT --to-destination 10.180.0.1:80
COMMIT
`;
    const list = findings(dump, (rs) => [branchOf(rs, [['nat', 'KUBE-SERVICES', 1], ['nat', 'KUBE-SVC-XPGD46QRK7WJZT7O', 1], ['nat', 'KUBE-SEP-SXIVWICOYRO3J4NJ', 1]], { verdict: 'ACCEPT', dst: '172.30.0.41', dport: 80 })]);
    expect(byCode(list, 'session-affinity')[0]?.message).toMatch(/ClientIP session affinity/);
  });

  test('findings are deterministic and deduplicated', () => {
    const build = (rs: ReturnType<typeof buildRuleset>) => [
      branchOf(rs, [['filter', 'INPUT', 3, 'INPUT'], ['filter', 'KUBE-EXTERNAL-SERVICES', 2, 'INPUT']], { verdict: 'DROP', dst: '192.168.49.3', dport: 30080, src: '192.168.49.1' }),
    ];
    const a = findings(CURRENT_NO_LOCAL, build);
    const b = findings(CURRENT_NO_LOCAL, build);
    expect(a).toEqual(b);
    const keys = a.map((f) => `${f.code} ${f.message}`);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
