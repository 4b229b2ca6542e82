import { describe, expect, test } from 'vitest';
import { describeBranch, describeStep } from '../../../src/interpret/kube-proxy/explain.js';
import { buildServiceIndex } from '../../../src/interpret/kube-proxy/service-index.js';
import { buildRuleset } from './build-ruleset.js';
import {
  CLUSTERIP_NGINX,
  CURRENT_NO_LOCAL,
  CURRENT_WITH_LOCAL,
  NO_ENDPOINTS,
  NODEPORT_WEBAPP_OLD,
  THREE_ENDPOINTS_OLD,
  V124_NO_LOCAL,
  XLB_NO_LOCAL,
  XLB_WITH_LOCAL,
} from './fixtures.js';
import { branchOf, stepsOf, type StepRef } from './trace-helper.js';

const DUMPS = {
  CLUSTERIP_NGINX,
  CURRENT_NO_LOCAL,
  CURRENT_WITH_LOCAL,
  NO_ENDPOINTS,
  NODEPORT_WEBAPP_OLD,
  THREE_ENDPOINTS_OLD,
  V124_NO_LOCAL,
  XLB_NO_LOCAL,
  XLB_WITH_LOCAL,
};

describe('describeStep', () => {
  test.each<[keyof typeof DUMPS, StepRef, string]>([
    ['CLUSTERIP_NGINX', ['nat', 'PREROUTING', 1], 'kubernetes service portals'],
    ['CLUSTERIP_NGINX', ['nat', 'KUBE-SERVICES', 1], 'service default/nginx cluster IP 10.96.34.82:80 → service chain'],
    ['CLUSTERIP_NGINX', ['nat', 'KUBE-SERVICES', 2], 'not a service IP: NodePort dispatch (dst is LOCAL)'],
    ['CLUSTERIP_NGINX', ['nat', 'KUBE-SVC-2CMXP7HKUVJN7L6M', 1], 'mark for masquerade (0x4000): source is outside the cluster CIDR 10.244.0.0/16'],
    ['CLUSTERIP_NGINX', ['nat', 'KUBE-SVC-2CMXP7HKUVJN7L6M', 2], 'pick endpoint 1 of 1 (p=1/1) → 10.244.2.2:80'],
    ['CLUSTERIP_NGINX', ['nat', 'KUBE-SEP-HUXRPHBUO34UVPEF', 1], 'hairpin: endpoint 10.244.2.2 reaching itself through the service → mark for masquerade (0x4000)'],
    ['CLUSTERIP_NGINX', ['nat', 'KUBE-SEP-HUXRPHBUO34UVPEF', 2], 'DNAT to endpoint 10.244.2.2:80 of default/nginx'],
    ['CLUSTERIP_NGINX', ['nat', 'KUBE-MARK-MASQ', 1], 'set masquerade mark 0x4000: KUBE-POSTROUTING will SNAT this connection'],
    ['CLUSTERIP_NGINX', ['nat', 'KUBE-MARK-DROP', 1], 'set drop mark 0x8000: KUBE-FIREWALL drops the packet in filter INPUT/OUTPUT'],
    ['CLUSTERIP_NGINX', ['nat', 'KUBE-POSTROUTING', 1], 'no masquerade mark (0x4000): not SNATed by kube-proxy'],
    ['CLUSTERIP_NGINX', ['nat', 'KUBE-POSTROUTING', 2], 'clear the 0x4000 mark so the packet is not masqueraded twice'],
    ['CLUSTERIP_NGINX', ['nat', 'KUBE-POSTROUTING', 3], "masquerade: packet carries 0x4000 (SNAT to the outgoing interface's address)"],
    ['CLUSTERIP_NGINX', ['filter', 'KUBE-FIREWALL', 1], 'KUBE-MARK-DROP mark 0x8000 → DROP'],
    ['CLUSTERIP_NGINX', ['filter', 'KUBE-FORWARD', 1], 'conntrack state INVALID → DROP'],
    ['CLUSTERIP_NGINX', ['filter', 'KUBE-FORWARD', 2], 'forwarding: packet carries the masquerade mark 0x4000 → ACCEPT'],
    ['CLUSTERIP_NGINX', ['filter', 'INPUT', 1], 'drops 0x8000-marked packets and non-loopback connections to 127.0.0.0/8'],
    ['NODEPORT_WEBAPP_OLD', ['nat', 'KUBE-SERVICES', 1], 'mark for masquerade (0x4000): source is outside the cluster CIDR 10.244.0.0/16'],
    ['NODEPORT_WEBAPP_OLD', ['nat', 'KUBE-NODEPORTS', 1], 'mark for masquerade (0x4000): NodePort traffic'],
    ['NODEPORT_WEBAPP_OLD', ['nat', 'KUBE-NODEPORTS', 2], 'NodePort 31380 of default/webapp → service chain'],
    ['NODEPORT_WEBAPP_OLD', ['nat', 'KUBE-SVC-2IRACUALRELARSND', 1], 'pick endpoint 1 of 2 (p=1/2) → 10.244.120.102:80'],
    ['NODEPORT_WEBAPP_OLD', ['nat', 'KUBE-SVC-2IRACUALRELARSND', 2], 'pick endpoint 2 of 2 (p=1/2) → 10.244.120.103:80'],
    ['THREE_ENDPOINTS_OLD', ['nat', 'KUBE-SVC-6JXEEPSEELXY3JZG', 1], 'pick endpoint 1 of 3 (p=1/3) → 192.167.1.138:80'],
    ['THREE_ENDPOINTS_OLD', ['nat', 'KUBE-SVC-6JXEEPSEELXY3JZG', 3], 'pick endpoint 3 of 3 (p=1/3) → 192.167.3.9:80'],
    // an uncommented SEP seen on its own cannot be named (no reverse scan of every SVC chain)
    ['THREE_ENDPOINTS_OLD', ['nat', 'KUBE-SEP-AHRDCNDYGFSFVA64', 2], 'DNAT to endpoint 192.167.2.17:80'],
    ['XLB_NO_LOCAL', ['nat', 'KUBE-NODEPORTS', 1], 'mark for masquerade (0x4000): localhost NodePort: a loopback source must be masqueraded'],
    ['XLB_NO_LOCAL', ['nat', 'KUBE-NODEPORTS', 2], 'NodePort 30080 of default/webapp → externalTrafficPolicy Local chain'],
    ['XLB_NO_LOCAL', ['nat', 'KUBE-XLB-2IRACUALRELARSND', 1], 'pod source: redirected to the cluster-wide service chain of default/webapp'],
    ['XLB_NO_LOCAL', ['nat', 'KUBE-XLB-2IRACUALRELARSND', 2], 'mark for masquerade (0x4000): source is a LOCAL address of the node'],
    ['XLB_NO_LOCAL', ['nat', 'KUBE-XLB-2IRACUALRELARSND', 3], 'node-local source (LOCAL): routed to the cluster-wide service chain of default/webapp'],
    ['XLB_NO_LOCAL', ['nat', 'KUBE-XLB-2IRACUALRELARSND', 4], 'default/webapp has no local endpoints → mark for DROP (0x8000, externalTrafficPolicy: Local)'],
    ['XLB_WITH_LOCAL', ['nat', 'KUBE-XLB-2IRACUALRELARSND', 4], 'pick local endpoint 1 of 1 (p=1/1) → 10.244.120.111:80'],
    ['V124_NO_LOCAL', ['nat', 'KUBE-EXT-2IRACUALRELARSND', 1], 'pod source (10.244.0.0/16): short-circuit to the cluster-wide service chain of default/webapp'],
    ['V124_NO_LOCAL', ['nat', 'KUBE-EXT-2IRACUALRELARSND', 4], 'external client: node-local endpoints only (externalTrafficPolicy: Local), source IP kept'],
    ['V124_NO_LOCAL', ['nat', 'KUBE-SVL-2IRACUALRELARSND', 1], 'default/webapp has no local endpoints → mark for DROP (0x8000, externalTrafficPolicy: Local)'],
    ['V124_NO_LOCAL', ['nat', 'KUBE-NODEPORTS', 1], 'NodePort 30080 of default/webapp → external traffic chain'],
    ['CURRENT_NO_LOCAL', ['nat', 'KUBE-SERVICES', 2], 'service default/webapp load balancer IP 203.0.113.10:80 → external traffic chain'],
    ['CURRENT_NO_LOCAL', ['filter', 'KUBE-EXTERNAL-SERVICES', 2], 'default/webapp has no local endpoints → DROP (externalTrafficPolicy: Local)'],
    ['CURRENT_NO_LOCAL', ['filter', 'KUBE-FIREWALL', 1], 'block incoming localnet connections: 127.0.0.0/8 destination from a non-loopback source → DROP'],
    ['CURRENT_NO_LOCAL', ['filter', 'KUBE-FORWARD', 3], 'forwarding: RELATED,ESTABLISHED connection → ACCEPT'],
    ['CURRENT_NO_LOCAL', ['filter', 'KUBE-NODEPORTS', 1], 'health check node port 32000 of default/webapp → ACCEPT'],
    ['CURRENT_NO_LOCAL', ['filter', 'INPUT', 1], 'kubernetes load balancer firewall'],
    ['CURRENT_WITH_LOCAL', ['nat', 'KUBE-SVL-2IRACUALRELARSND', 1], 'pick local endpoint 1 of 1 (p=1/1) → 10.244.120.111:80'],
    ['NO_ENDPOINTS', ['filter', 'KUBE-SERVICES', 1], 'default/broken:http has no endpoints → REJECT'],
    ['NO_ENDPOINTS', ['filter', 'KUBE-EXTERNAL-SERVICES', 1], 'default/broken:http has no endpoints → REJECT'],
  ])('%s %j', (dump, ref, expected) => {
    const rs = buildRuleset(DUMPS[dump]);
    const [step] = stepsOf(rs, [ref]);
    expect(describeStep(step!, buildServiceIndex(rs))).toBe(expected);
  });

  test('an uncommented SEP is named once the path has gone through its SVC chain', () => {
    const rs = buildRuleset(THREE_ENDPOINTS_OLD);
    const index = buildServiceIndex(rs);
    const steps = stepsOf(rs, [['nat', 'KUBE-SERVICES', 2], ['nat', 'KUBE-SVC-6JXEEPSEELXY3JZG', 2], ['nat', 'KUBE-SEP-AHRDCNDYGFSFVA64', 2]]);
    expect(steps.map((s) => describeStep(s, index))).toEqual([
      'service default/my-nginx-nodeport: cluster IP 10.97.229.148:80 → service chain',
      'pick endpoint 2 of 3 (p=1/3) → 192.167.2.17:80',
      'DNAT to endpoint 192.167.2.17:80 of default/my-nginx-nodeport:',
    ]);
  });

  test('a non-uniform balancing chain reads as percentages; endpoints come from comments when SEP chains are absent', () => {
    const rs = buildRuleset(`*nat
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.30000000005 -j KUBE-SEP-SXIVWICOYRO3J4NJ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -j KUBE-SEP-LXVODXWDISEETFEF
COMMIT
`);
    const index = buildServiceIndex(rs);
    expect(stepsOf(rs, [['nat', 'KUBE-SVC-XPGD46QRK7WJZT7O', 1], ['nat', 'KUBE-SVC-XPGD46QRK7WJZT7O', 2]]).map((s) => describeStep(s, index))).toEqual([
      'pick endpoint 1 of 2 (p=30.0%) → 10.180.0.1:80',
      'pick endpoint 2 of 2 (p=70.0%) → 10.180.0.2:80',
    ]);
  });

  test('masquerade reason names the source when known', () => {
    const rs = buildRuleset(CLUSTERIP_NGINX);
    const [step] = stepsOf(rs, [['nat', 'KUBE-SVC-2CMXP7HKUVJN7L6M', 1]]);
    expect(describeStep(step!, buildServiceIndex(rs), { source: '192.168.1.50' })).toBe(
      'mark for masquerade (0x4000): source 192.168.1.50 is outside the cluster CIDR 10.244.0.0/16',
    );
  });

  test('a rule kube-proxy did not write means nothing here', () => {
    const rs = buildRuleset(`*filter\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n`);
    const [step] = stepsOf(rs, [['filter', 'INPUT', 1]]);
    expect(describeStep(step!, buildServiceIndex(rs))).toBeUndefined();
  });

  test('an unknown service is said to be unknown, naming its chain', () => {
    const rs = buildRuleset(`*nat\n-A KUBE-SERVICES -d 10.96.9.9/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA\n-A KUBE-SVC-AAAAAAAAAAAAAAAA -j KUBE-SEP-BBBBBBBBBBBBBBBB\nCOMMIT\n`);
    const [step] = stepsOf(rs, [['nat', 'KUBE-SERVICES', 1]]);
    expect(describeStep(step!, buildServiceIndex(rs))).toBe('service unknown service (KUBE-SVC-AAAAAAAAAAAAAAAA) cluster IP 10.96.9.9:80 → service chain');
  });
});

describe('describeBranch', () => {
  test.each<[keyof typeof DUMPS, StepRef[], Parameters<typeof branchOf>[2], { service?: string; endpoint?: string; summary: RegExp }]>([
    [
      'CLUSTERIP_NGINX',
      [['nat', 'PREROUTING', 1], ['nat', 'KUBE-SERVICES', 1], ['nat', 'KUBE-SVC-2CMXP7HKUVJN7L6M', 2], ['nat', 'KUBE-SEP-HUXRPHBUO34UVPEF', 2]],
      { verdict: 'ACCEPT', dst: '10.96.34.82', dport: 80, finalDst: '10.244.2.2' },
      { service: 'default/nginx', endpoint: '10.244.2.2:80', summary: /^default\/nginx → endpoint 10\.244\.2\.2:80: ACCEPT$/ },
    ],
    [
      'THREE_ENDPOINTS_OLD',
      [['nat', 'KUBE-SERVICES', 1], ['nat', 'KUBE-MARK-MASQ', 1], ['nat', 'KUBE-SERVICES', 2], ['nat', 'KUBE-SVC-6JXEEPSEELXY3JZG', 2], ['nat', 'KUBE-SEP-AHRDCNDYGFSFVA64', 2]],
      { verdict: 'ACCEPT', dst: '10.97.229.148', dport: 80, masquerade: true, src: '192.168.0.9' },
      { service: 'default/my-nginx-nodeport:', endpoint: '192.167.2.17:80', summary: /masqueraded$/ },
    ],
    [
      'XLB_NO_LOCAL',
      [['nat', 'KUBE-SERVICES', 2], ['nat', 'KUBE-NODEPORTS', 2], ['nat', 'KUBE-XLB-2IRACUALRELARSND', 4], ['nat', 'KUBE-MARK-DROP', 1], ['filter', 'KUBE-FIREWALL', 1]],
      { verdict: 'DROP', dst: '192.168.49.3', dport: 30080, src: '192.168.49.1' },
      { service: 'default/webapp', summary: /^default\/webapp has no local endpoints → mark for DROP .*\(DROP\)$/ },
    ],
    [
      'CURRENT_NO_LOCAL',
      [['filter', 'INPUT', 3], ['filter', 'KUBE-EXTERNAL-SERVICES', 2]],
      { verdict: 'DROP', dst: '192.168.49.3', dport: 30080, src: '192.168.49.1' },
      { service: 'default/webapp', summary: /^default\/webapp has no local endpoints → DROP \(externalTrafficPolicy: Local\) \(DROP\)$/ },
    ],
    [
      'NO_ENDPOINTS',
      [['filter', 'OUTPUT', 1], ['filter', 'KUBE-SERVICES', 1]],
      { verdict: 'REJECT', dst: '10.96.5.5', dport: 80 },
      { service: 'default/broken:http', summary: /has no endpoints → REJECT \(REJECT\)$/ },
    ],
    [
      'CLUSTERIP_NGINX',
      [['nat', 'KUBE-SERVICES', 2]],
      { verdict: 'ACCEPT', dst: '10.0.0.1', dport: 22 },
      { summary: /^not a kube-proxy service: ACCEPT, destination untranslated$/ },
    ],
  ])('%s %#', (dump, refs, options, expected) => {
    const rs = buildRuleset(DUMPS[dump]);
    const d = describeBranch(branchOf(rs, refs, options), buildServiceIndex(rs));
    expect(d.service).toBe(expected.service);
    expect(d.endpoint).toBe(expected.endpoint);
    expect(d.summary).toMatch(expected.summary);
  });
});
