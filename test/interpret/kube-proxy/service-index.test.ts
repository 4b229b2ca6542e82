import { describe, expect, test } from 'vitest';
import { endpointChainName, servicePortChainHash } from '../../../src/interpret/kube-proxy/hash.js';
import { buildServiceIndex, clusterCidrs } from '../../../src/interpret/kube-proxy/service-index.js';
import { loadServiceList } from '../../../src/interpret/kube-proxy/services.js';
import { buildRuleset } from './build-ruleset.js';
import {
  CLUSTERIP_NGINX,
  CURRENT_NO_LOCAL,
  CURRENT_WITH_LOCAL,
  NO_ENDPOINTS,
  NODEPORT_WEBAPP_OLD,
  SERVICES_JSON,
  THREE_ENDPOINTS_OLD,
  V124_NO_LOCAL,
  XLB_NO_LOCAL,
  XLB_WITH_LOCAL,
} from './fixtures.js';

describe('buildServiceIndex: naming and addresses', () => {
  test('ClusterIP nginx (seed 004)', () => {
    const index = buildServiceIndex(buildRuleset(CLUSTERIP_NGINX));
    const sp = index.getServiceByChain('KUBE-SVC-2CMXP7HKUVJN7L6M');
    expect(sp).toMatchObject({ name: 'default/nginx', nameSource: 'comment', protocol: 'tcp', hash: '2CMXP7HKUVJN7L6M' });
    expect(sp?.clusterIP).toMatchObject({ address: '10.96.34.82', port: 80 });
    expect(sp?.endpoints.map((e) => [e.chain, e.text, e.share])).toEqual([['KUBE-SEP-HUXRPHBUO34UVPEF', '10.244.2.2:80', 1]]);
    // plain `"default/nginx"` SVC→SEP comments: before 1.24, KUBE-SVC may itself be filtered for iTP=Local
    expect(sp?.internalTrafficPolicy).toBeUndefined();
    expect(sp?.commentsMissing).toBe(false);
    // the SEP chain resolves to the same service port
    expect(index.getServiceByChain('KUBE-SEP-HUXRPHBUO34UVPEF')).toBe(sp);
    expect(index.getEndpoint('KUBE-SEP-HUXRPHBUO34UVPEF')).toMatchObject({ address: '10.244.2.2', port: 80 });
  });

  test('a SEP chain looked up first (before its SVC) is named by its own verified comment', () => {
    const index = buildServiceIndex(buildRuleset(CLUSTERIP_NGINX));
    expect(index.getServiceByChain('KUBE-SEP-HUXRPHBUO34UVPEF')?.name).toBe('default/nginx');
  });

  test('NodePort webapp, ≤1.21 shape (seed 000): two endpoints at 1/2 each, nodePort 31380', () => {
    const index = buildServiceIndex(buildRuleset(NODEPORT_WEBAPP_OLD));
    const sp = index.getServiceByNodePort(31380, 'tcp');
    expect(sp?.name).toBe('default/webapp');
    expect(sp?.nodePort?.port).toBe(31380);
    expect(sp?.clusterIP?.address).toBe('10.103.46.104');
    expect(sp?.endpoints.map((e) => [e.text, e.share])).toEqual([['10.244.120.102:80', 0.5], ['10.244.120.103:80', 0.5]]);
    expect(index.isNodePort(31380)).toBe(true);
    expect(index.isNodePort(31381)).toBe(false);
    expect(index.isServiceAddress('10.103.46.104')).toBe(true);
    expect(index.isServiceAddress('10.103.46.105')).toBe(false);
    expect(index.endpointAddresses('10.103.46.104', 80, 'tcp')).toEqual(['10.244.120.102', '10.244.120.103']);
  });

  test('three endpoints, trailing-colon name, no SVC→SEP comments (seed 001)', () => {
    const index = buildServiceIndex(buildRuleset(THREE_ENDPOINTS_OLD));
    const [sp] = index.listServicesByDestination('10.97.229.148', 80, 'tcp');
    expect(sp?.name).toBe('default/my-nginx-nodeport:');
    expect(sp?.parsedName).toMatchObject({ namespace: 'default', name: 'my-nginx-nodeport', trailingColon: true });
    expect(sp?.parsedName?.portName).toBeUndefined();
    expect(sp?.commentsMissing).toBe(true);
    const shares = sp!.endpoints.map((e) => e.share!);
    for (const s of shares) expect(s).toBeCloseTo(1 / 3, 4);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // uncommented SEPs are attributed through the SVC chain that lists them
    expect(index.getServiceByChain('KUBE-SEP-BK523K4AX5Y34OZL')).toBe(sp);
  });

  test('listServicesByDestination filters by port and protocol', () => {
    const index = buildServiceIndex(buildRuleset(CLUSTERIP_NGINX));
    expect(index.listServicesByDestination('10.96.34.82', 80, 'tcp')).toHaveLength(1);
    expect(index.listServicesByDestination('10.96.34.82', 81, 'tcp')).toHaveLength(0);
    expect(index.listServicesByDestination('10.96.34.82', 80, 'udp')).toHaveLength(0);
    expect(index.listServicesByDestination('10.96.34.83')).toHaveLength(0);
  });

  test('unknown chains and non-service chains', () => {
    const index = buildServiceIndex(buildRuleset(CLUSTERIP_NGINX));
    expect(index.getServiceByChain('KUBE-SVC-AAAAAAAAAAAAAAAA')).toBeUndefined();
    expect(index.getServiceByChain('KUBE-SERVICES')).toBeUndefined();
    expect(index.getServiceByChain('PREROUTING')).toBeUndefined();
  });
});

describe('traffic policy and no-endpoint facts, per generation', () => {
  test.each([
    ['XLB era, no local endpoint', XLB_NO_LOCAL, 'KUBE-XLB-2IRACUALRELARSND', [], 'nat'],
    ['XLB era, local endpoint', XLB_WITH_LOCAL, 'KUBE-XLB-2IRACUALRELARSND', ['10.244.120.111:80'], undefined],
    ['1.24, no local endpoint', V124_NO_LOCAL, 'KUBE-SVL-2IRACUALRELARSND', [], 'nat'],
    ['1.25+, no local endpoint', CURRENT_NO_LOCAL, undefined, undefined, 'filter'],
    ['1.25+, local endpoint', CURRENT_WITH_LOCAL, 'KUBE-SVL-2IRACUALRELARSND', ['10.244.120.111:80'], undefined],
  ])('%s', (_label, dump, localChain, local, noLocalTable) => {
    const index = buildServiceIndex(buildRuleset(dump));
    const sp = index.getServiceByChain('KUBE-SVC-2IRACUALRELARSND');
    expect(sp?.name).toBe('default/webapp');
    expect(sp?.externalTrafficPolicy).toBe('Local');
    expect(sp?.chains.svl ?? sp?.chains.xlb).toBe(localChain);
    expect(sp?.localEndpoints?.map((e) => e.text)).toEqual(local);
    expect(sp?.endpoints.map((e) => e.text)).toEqual(['10.244.120.111:80']);
    // 1.24+ shapes show internalTrafficPolicy Cluster (cluster IP → KUBE-SVC); older ones cannot tell
    expect(sp?.internalTrafficPolicy).toBe(sp?.chains.xlb ? undefined : 'Cluster');
    if (noLocalTable) {
      expect(sp?.noLocalEndpoints.length).toBeGreaterThan(0);
      for (const r of sp!.noLocalEndpoints) expect(r.table).toBe(noLocalTable);
    } else {
      expect(sp?.noLocalEndpoints).toEqual([]);
    }
  });

  test('current generation: NodePort and LB IP reach KUBE-EXT', () => {
    const index = buildServiceIndex(buildRuleset(CURRENT_NO_LOCAL));
    const sp = index.getServiceByNodePort(30080, 'tcp');
    expect(sp?.chains.ext).toBe('KUBE-EXT-2IRACUALRELARSND');
    expect(sp?.loadBalancerIPs.map((a) => a.address)).toEqual(['203.0.113.10']);
    expect(sp?.noLocalEndpoints.map((r) => r.chain)).toEqual(['KUBE-EXTERNAL-SERVICES', 'KUBE-EXTERNAL-SERVICES']);
    expect(index.listServicesByDestination('203.0.113.10', 80)).toEqual([sp]);
  });

  test('no endpoints: only filter REJECT rules name the service', () => {
    const index = buildServiceIndex(buildRuleset(NO_ENDPOINTS));
    const [sp] = index.listServicesByDestination('10.96.5.5', 80, 'tcp');
    expect(sp?.name).toBe('default/broken:http');
    expect(sp?.hash).toBe(servicePortChainHash('default/broken:http', 'tcp'));
    expect(sp?.chains).toEqual({});
    expect(sp?.noEndpoints.map((r) => r.chain)).toEqual(['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES']);
    expect(sp?.clusterIP?.address).toBe('10.96.5.5');
    expect(sp?.nodePort?.port).toBe(30555);
    expect(index.getServiceByNodePort(30555, 'tcp')).toBe(sp);
  });
});

describe('generation guess', () => {
  test.each([
    [NODEPORT_WEBAPP_OLD, 'iptables-1.21-or-older'],
    [THREE_ENDPOINTS_OLD, 'iptables-1.21-or-older'],
    [XLB_NO_LOCAL, 'iptables-1.22-1.23'],
    [V124_NO_LOCAL, 'iptables-1.24'],
    [CURRENT_NO_LOCAL, 'iptables-1.25-or-newer'],
    [CLUSTERIP_NGINX, 'iptables'],
  ])('%#: %s', (dump, id) => {
    const g = buildServiceIndex(buildRuleset(dump)).generation;
    expect(g.id).toBe(id);
    expect(g.evidence.length).toBeGreaterThan(0);
  });

  test('IPVS mode', () => {
    const ipvs = `*nat
-A KUBE-SERVICES ! -s 10.244.0.0/16 -m comment --comment "Kubernetes service cluster ip + port for masquerade purpose" -m set --match-set KUBE-CLUSTER-IP dst,dst -j KUBE-MARK-MASQ
-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODE-PORT
-A KUBE-SERVICES -m set --match-set KUBE-CLUSTER-IP dst,dst -j ACCEPT
COMMIT
`;
    const rs = buildRuleset(ipvs);
    expect(buildServiceIndex(rs).generation.id).toBe('ipvs');
    expect(clusterCidrs(rs).map((c) => c.text)).toEqual(['10.244.0.0/16']);
  });
});

describe('clusterCidrs', () => {
  test.each([
    [CLUSTERIP_NGINX, ['10.244.0.0/16']], // KUBE-SVC ! -s
    [NODEPORT_WEBAPP_OLD, ['10.244.0.0/16']], // KUBE-SERVICES ! -s (≤1.21)
    [THREE_ENDPOINTS_OLD, ['192.167.0.0/16']],
    [CURRENT_NO_LOCAL, ['10.244.0.0/16']],
    [NO_ENDPOINTS, []],
  ])('%#', (dump, expected) => {
    expect(clusterCidrs(buildRuleset(dump)).map((c) => c.text)).toEqual(expected);
  });

  test('XLB "Redirect pods" and EXT "pod traffic" rules give the CIDR (chains reached from KUBE-NODEPORTS)', () => {
    const xlb = `*nat
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/webapp" -m tcp --dport 30080 -j KUBE-XLB-2IRACUALRELARSND
-A KUBE-XLB-2IRACUALRELARSND -s 10.42.0.0/16 -m comment --comment "Redirect pods trying to reach external loadbalancer VIP to clusterIP" -j KUBE-SVC-2IRACUALRELARSND
COMMIT
`;
    const ext = `*nat
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/webapp" -m tcp --dport 30080 -j KUBE-EXT-2IRACUALRELARSND
-A KUBE-EXT-2IRACUALRELARSND -s 10.43.0.0/16 -m comment --comment "pod traffic for default/webapp external destinations" -j KUBE-SVC-2IRACUALRELARSND
COMMIT
`;
    expect(clusterCidrs(buildRuleset(xlb)).map((c) => c.text)).toEqual(['10.42.0.0/16']);
    expect(clusterCidrs(buildRuleset(ext)).map((c) => c.text)).toEqual(['10.43.0.0/16']);
  });
});

/** A large-cluster (>1000 endpoints) dump: no comment on SVC→SEP and SEP rules (kube-proxy.md §3.7). */
function largeClusterDump(withServiceComments: boolean): string {
  const sep1 = endpointChainName('kube-system/kube-dns:dns', 'udp', '10.244.0.5:53');
  const sep2 = endpointChainName('kube-system/kube-dns:dns', 'udp', '10.244.1.7:53');
  const comment = withServiceComments ? ' -m comment --comment "kube-system/kube-dns:dns cluster IP"' : '';
  const lines = [
    '*nat',
    `-A KUBE-SERVICES -d 10.96.0.10/32 -p udp${comment} -m udp --dport 53 -j KUBE-SVC-TCOU7JCQXEZGVUNU`,
    `-A KUBE-SVC-TCOU7JCQXEZGVUNU ! -s 10.244.0.0/16 -d 10.96.0.10/32 -p udp${comment} -m udp --dport 53 -j KUBE-MARK-MASQ`,
    `-A KUBE-SVC-TCOU7JCQXEZGVUNU -m statistic --mode random --probability 0.50000000000 -j ${sep1}`,
    `-A KUBE-SVC-TCOU7JCQXEZGVUNU -j ${sep2}`,
    `-A ${sep1} -s 10.244.0.5/32 -j KUBE-MARK-MASQ`,
    `-A ${sep1} -p udp -m udp -j DNAT --to-destination 10.244.0.5:53`,
    `-A ${sep2} -s 10.244.1.7/32 -j KUBE-MARK-MASQ`,
    `-A ${sep2} -p udp -m udp -j DNAT --to-destination 10.244.1.7:53`,
    // a stale chain no Service hashes to
    '-A KUBE-SERVICES -d 10.96.9.9/32 -p tcp -m tcp --dport 80 -j KUBE-SVC-AAAAAAAAAAAAAAAA',
    '-A KUBE-SVC-AAAAAAAAAAAAAAAA -j KUBE-SEP-BBBBBBBBBBBBBBBB',
    '-A KUBE-SEP-BBBBBBBBBBBBBBBB -p tcp -m tcp -j DNAT --to-destination 10.244.3.3:80',
    'COMMIT',
    '',
  ];
  return lines.join('\n');
}

describe('large cluster mode (no comments)', () => {
  const catalog = loadServiceList(SERVICES_JSON, 'svc.json');

  test('without comments or a Service list the service is unknown', () => {
    const index = buildServiceIndex(buildRuleset(largeClusterDump(false)));
    const sp = index.getServiceByChain('KUBE-SVC-TCOU7JCQXEZGVUNU');
    expect(sp?.name).toBeUndefined();
    expect(sp?.commentsMissing).toBe(true);
    expect(sp?.clusterIP?.address).toBe('10.96.0.10');
    expect(sp?.endpoints.map((e) => e.text)).toEqual(['10.244.0.5:53', '10.244.1.7:53']);
  });

  test('the Service list fills in traffic policies the rules do not show', () => {
    const index = buildServiceIndex(buildRuleset(largeClusterDump(false)), catalog);
    expect(index.getServiceByChain('KUBE-SVC-TCOU7JCQXEZGVUNU')?.internalTrafficPolicy).toBe('Cluster');
    expect(buildServiceIndex(buildRuleset(largeClusterDump(false))).getServiceByChain('KUBE-SVC-TCOU7JCQXEZGVUNU')?.internalTrafficPolicy).toBeUndefined();
  });

  test('the Service list names it by hash, SEPs too (even looked up first)', () => {
    const index = buildServiceIndex(buildRuleset(largeClusterDump(false)), catalog);
    const sep = endpointChainName('kube-system/kube-dns:dns', 'udp', '10.244.1.7:53');
    const viaSep = index.getServiceByChain(sep);
    expect(viaSep?.name).toBe('kube-system/kube-dns:dns');
    expect(viaSep?.nameSource).toBe('catalog');
    expect(viaSep?.catalog?.clusterIPs).toEqual(['10.96.0.10']);
    expect(index.getServiceByChain('KUBE-SVC-TCOU7JCQXEZGVUNU')).toBe(viaSep);
    expect(viaSep?.notInCatalog).toBe(false);
  });

  test('KUBE-SERVICES comments survive large cluster mode and name the service', () => {
    const index = buildServiceIndex(buildRuleset(largeClusterDump(true)));
    const sp = index.getServiceByChain('KUBE-SVC-TCOU7JCQXEZGVUNU');
    expect(sp).toMatchObject({ name: 'kube-system/kube-dns:dns', nameSource: 'comment', commentsMissing: true, protocol: 'udp' });
  });

  test('a chain no Service hashes to is flagged notInCatalog', () => {
    const index = buildServiceIndex(buildRuleset(largeClusterDump(false)), catalog);
    const stale = index.getServiceByChain('KUBE-SVC-AAAAAAAAAAAAAAAA');
    expect(stale?.name).toBeUndefined();
    expect(stale?.notInCatalog).toBe(true);
  });
});

describe('laziness', () => {
  test('building the index parses nothing; a lookup parses only the chains it needs', () => {
    const rs = buildRuleset(NODEPORT_WEBAPP_OLD + CLUSTERIP_NGINX.replace(/\*filter[\s\S]*$/, '').replace(/^\*nat/, '*nat'));
    const index = buildServiceIndex(rs);
    const parsed = () => [...rs.tables.values()].flatMap((t) => [...t.chains.values()].filter((c) => c.parsed).map((c) => `${t.name} ${c.name}`));
    expect(parsed()).toEqual([]);
    index.getServiceByChain('KUBE-SVC-2IRACUALRELARSND');
    const read = parsed();
    expect(read).toContain('nat KUBE-SVC-2IRACUALRELARSND');
    expect(read).toContain('nat KUBE-SEP-AO6KYGU752IZFEZ4');
    expect(read).not.toContain('nat KUBE-SVC-2CMXP7HKUVJN7L6M');
    expect(read).not.toContain('nat KUBE-SEP-HUXRPHBUO34UVPEF');
    expect(read).not.toContain('nat PREROUTING');
  });

  test('generation and clusterCidrs read the dispatch chains, not every chain', () => {
    const rs = buildRuleset(NODEPORT_WEBAPP_OLD);
    const index = buildServiceIndex(rs);
    expect(index.generation.id).toBe('iptables-1.21-or-older');
    expect(index.clusterCidrs.map((c) => c.text)).toEqual(['10.244.0.0/16']);
    const parsed = [...rs.tables.get('nat')!.chains.values()].filter((c) => c.parsed).map((c) => c.name);
    expect(parsed.filter((n) => n.startsWith('KUBE-SEP-'))).toEqual([]);
  });
});
