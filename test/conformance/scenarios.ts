/**
 * The conformance corpus: every packet-flow case of kube-proxy's own iptables-mode unit tests
 * (kubernetes/kubernetes `pkg/proxy/iptables/proxier_test.go`, `runPacketFlowTests` / `packetFlowTest`),
 * with the service setup each test builds. Transcribed as facts (addresses, ports, policies, expected
 * endpoints, masquerade); the rules themselves are rebuilt by `kube-proxy-model.ts`.
 *
 * kube-proxy's conventions, which the test maps onto knetdbg's (see kube-proxy-packet-flows.test.ts):
 * - `output` is the comma-separated list of DNAT destinations reachable through statistic branches, in
 *   rule order, or `DROP`/`REJECT`/`ACCEPT` for a filter-table verdict, or `""` when no kube-proxy rule
 *   decides (the packet passes untranslated).
 * - `masq` is "some rule jumped to KUBE-MARK-MASQ" on the way.
 * - The tracer runs nat PREROUTING for every source (also node-local ones), then the filter chains
 *   KUBE-SERVICES, KUBE-EXTERNAL-SERVICES, KUBE-NODEPORTS, KUBE-PROXY-FIREWALL; rules matching marks,
 *   conntrack state or `recent` never match; LOCAL = 127.0.0.1, ::1 and the node IPs below.
 * Test constants (proxier_test.go "Conventions for tests using NewFakeProxier"): pods 10.0.0.0/8,
 * services 172.30.0.0/16, node 192.168.0.2 (+ 192.168.1.2 and 192.168.99.11 on the same interface),
 * external client 203.0.113.2, a client outside the LB source range 203.0.113.130.
 */
import type { ModelProxyConfig, ModelServicePort } from './kube-proxy-model.js';

/** One `packetFlowTest`. */
export interface Flow {
  name: string;
  src: string;
  protocol?: 'tcp' | 'udp' | 'sctp';
  dst: string;
  port: number;
  /** kube-proxy's expected `output`, verbatim. */
  output: string;
  masq: boolean;
}

/** One kube-proxy sync state: the rules of one fixture file and the flows traced over them. */
export interface Scenario {
  /** Fixture base name in test/fixtures/conformance/ (`<fixture>.rules`). */
  fixture: string;
  /** The kube-proxy test (and sub-case) it comes from. */
  source: string;
  config: ModelProxyConfig;
  ports: ModelServicePort[];
  /** The node's addresses, passed to `traceQuery` as `nodeIps` (kube-proxy's `testNodeIPs` of this family). */
  nodeIps: string[];
  flows: Flow[];
}

const NODE = '192.168.0.2';
const NODE_ALT = '192.168.1.2';
const NODE_EXT_IP = '192.168.99.11';
const NODE6 = '2001:db8::1';
const NODE6_ALT = '2001:db8:1::2';
const EXTERNAL = '203.0.113.2';
const BLOCKED = '203.0.113.130';
const POD = '10.0.0.2';
const INTERFACE_ADDRESSES = ['127.0.0.1', '::1', NODE, NODE_ALT, NODE_EXT_IP, NODE6, NODE6_ALT];
const NODE_IPS_V4 = [NODE, NODE_ALT, NODE_EXT_IP];
const NODE_IPS_V6 = [NODE6, NODE6_ALT];

/** `NewFakeProxier`: cluster-CIDR detector 10.0.0.0/8, localhost NodePorts on, all addresses. */
const V4: ModelProxyConfig = {
  family: 4,
  clusterCidr: '10.0.0.0/8',
  localhostNodePorts: true,
  interfaceAddresses: INTERFACE_ADDRESSES,
  nodeIp: NODE,
};
const V6: ModelProxyConfig = { ...V4, family: 6, clusterCidr: 'fd00:10::/64' };

function svc(
  ns: string,
  name: string,
  portName: string,
  clusterIp: string,
  port: number,
  endpoints: ModelServicePort['endpoints'],
  extra: Partial<ModelServicePort> = {},
): ModelServicePort {
  return { namespace: ns, name, portName, protocol: 'tcp', clusterIp, port, endpoints, ...extra };
}

const ep = (ip: string, port = 80, more: Partial<ModelServicePort['endpoints'][number]> = {}) => ({ ip, port, ...more });

// --- TestOverallIPTablesRules (the services) + TestTracePacket (the flows over the same setup) ---------

const OVERALL: Scenario = {
  fixture: 'overall',
  source: 'TestOverallIPTablesRules services, TestTracePacket flows',
  config: V4,
  nodeIps: NODE_IPS_V4,
  ports: [
    svc('ns1', 'svc1', 'p80', '172.30.0.41', 80, [ep('10.180.0.1')]),
    svc('ns2', 'svc2', 'p80', '172.30.0.42', 80, [ep('10.180.0.2')], {
      nodePort: 3001,
      loadBalancerIps: ['1.2.3.4'],
      externalIps: ['192.168.99.22'],
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 30000,
    }),
    svc('ns3', 'svc3', 'p80', '172.30.0.43', 80, [ep('10.180.0.3')], { nodePort: 3003 }),
    svc('ns4', 'svc4', 'p80', '172.30.0.44', 80, [ep('10.180.0.4'), ep('10.180.0.5', 80, { local: true })], {
      externalIps: ['192.168.99.33'],
    }),
    svc('ns5', 'svc5', 'p80', '172.30.0.45', 80, [ep('10.180.0.3')], {
      nodePort: 3002,
      loadBalancerIps: ['5.6.7.8'],
      loadBalancerSourceRanges: ['203.0.113.0/25'],
      externalTrafficPolicy: 'Cluster',
      healthCheckNodePort: 30000,
      affinitySeconds: 10800,
    }),
    svc('ns6', 'svc6', 'p80', '172.30.0.46', 80, []),
  ],
  flows: [
    { name: 'no match', src: '10.0.0.2', dst: '10.0.0.3', port: 80, output: '', masq: false },
    { name: 'single endpoint', src: '10.0.0.2', dst: '172.30.0.41', port: 80, output: '10.180.0.1:80', masq: false },
    { name: 'multiple endpoints', src: '10.0.0.2', dst: '172.30.0.44', port: 80, output: '10.180.0.4:80, 10.180.0.5:80', masq: false },
    { name: 'LOCAL, KUBE-MARK-MASQ', src: NODE, dst: '192.168.99.22', port: 80, output: '10.180.0.2:80', masq: true },
    { name: 'DROP', src: EXTERNAL, dst: '192.168.99.22', port: 80, output: 'DROP', masq: false },
    { name: 'ACCEPT (NodePortHealthCheck)', src: NODE, dst: NODE, port: 30000, output: 'ACCEPT', masq: false },
    { name: 'REJECT', src: '10.0.0.2', dst: '172.30.0.46', port: 80, output: 'REJECT', masq: false },
  ],
};

// --- TestNoEndpointsReject ------------------------------------------------------------------------------

const NO_ENDPOINTS: Scenario = {
  fixture: 'no-endpoints-reject',
  source: 'TestNoEndpointsReject',
  config: V4,
  nodeIps: NODE_IPS_V4,
  ports: [
    svc('ns1', 'svc1', 'p80', '172.30.0.41', 80, [], {
      nodePort: 3001,
      externalIps: ['192.168.99.11'],
      loadBalancerIps: ['1.2.3.4'],
    }),
  ],
  flows: [
    { name: 'pod to cluster IP with no endpoints', src: POD, dst: '172.30.0.41', port: 80, output: 'REJECT', masq: false },
    { name: 'external to external IP with no endpoints', src: EXTERNAL, dst: '192.168.99.11', port: 80, output: 'REJECT', masq: false },
    { name: 'pod to NodePort with no endpoints', src: POD, dst: NODE, port: 3001, output: 'REJECT', masq: false },
    { name: 'external to NodePort with no endpoints', src: EXTERNAL, dst: NODE, port: 3001, output: 'REJECT', masq: false },
    { name: 'pod to LoadBalancer IP with no endpoints', src: POD, dst: '1.2.3.4', port: 80, output: 'REJECT', masq: false },
    { name: 'external to LoadBalancer IP with no endpoints', src: EXTERNAL, dst: '1.2.3.4', port: 80, output: 'REJECT', masq: false },
  ],
};

// --- TestClusterIPGeneral -------------------------------------------------------------------------------

const SVC2_EPS = (port: number) => [ep('10.180.0.1', port, { local: true }), ep('10.180.2.1', port)];
const CLUSTER_IP_GENERAL: Scenario = {
  fixture: 'cluster-ip-general',
  source: 'TestClusterIPGeneral',
  config: V4,
  nodeIps: NODE_IPS_V4,
  ports: [
    svc('ns1', 'svc1', 'http', '172.30.0.41', 80, [ep('10.180.0.1', 80, { local: true })]),
    svc('ns2', 'svc2', 'http', '172.30.0.42', 80, SVC2_EPS(80)),
    svc('ns2', 'svc2', 'https', '172.30.0.42', 443, SVC2_EPS(8443)),
    svc('ns2', 'svc2', 'dns-udp', '172.30.0.42', 53, SVC2_EPS(53), { protocol: 'udp' }),
    svc('ns2', 'svc2', 'dns-tcp', '172.30.0.42', 53, SVC2_EPS(5353)),
    svc('ns2', 'svc2', 'dns-sctp', '172.30.0.42', 53, SVC2_EPS(53), { protocol: 'sctp' }),
  ],
  flows: [
    { name: 'simple clusterIP', src: '10.180.0.2', dst: '172.30.0.41', port: 80, output: '10.180.0.1:80', masq: false },
    { name: 'hairpin to cluster IP', src: '10.180.0.1', dst: '172.30.0.41', port: 80, output: '10.180.0.1:80', masq: true },
    { name: 'clusterIP with multiple endpoints', src: '10.180.0.2', dst: '172.30.0.42', port: 80, output: '10.180.0.1:80, 10.180.2.1:80', masq: false },
    { name: 'clusterIP with TargetPort', src: '10.180.0.2', dst: '172.30.0.42', port: 443, output: '10.180.0.1:8443, 10.180.2.1:8443', masq: false },
    { name: 'clusterIP with TCP, UDP, and SCTP on same port (TCP)', src: '10.180.0.2', protocol: 'tcp', dst: '172.30.0.42', port: 53, output: '10.180.0.1:5353, 10.180.2.1:5353', masq: false },
    { name: 'clusterIP with TCP, UDP, and SCTP on same port (UDP)', src: '10.180.0.2', protocol: 'udp', dst: '172.30.0.42', port: 53, output: '10.180.0.1:53, 10.180.2.1:53', masq: false },
    { name: 'clusterIP with TCP, UDP, and SCTP on same port (SCTP)', src: '10.180.0.2', protocol: 'sctp', dst: '172.30.0.42', port: 53, output: '10.180.0.1:53, 10.180.2.1:53', masq: false },
    { name: 'TCP-only port does not match UDP traffic', src: '10.180.0.2', protocol: 'udp', dst: '172.30.0.42', port: 80, output: '', masq: false },
    { name: "svc1 does not accept svc2's ports", src: '10.180.0.2', dst: '172.30.0.41', port: 443, output: '', masq: false },
  ],
};

// --- TestLoadBalancer -----------------------------------------------------------------------------------

const LOAD_BALANCER: Scenario = {
  fixture: 'load-balancer',
  source: 'TestLoadBalancer',
  config: V4,
  nodeIps: NODE_IPS_V4,
  ports: [
    svc('ns1', 'svc1', 'p80', '172.30.0.41', 80, [ep('10.180.0.1')], {
      nodePort: 3001,
      loadBalancerIps: ['1.2.3.4', '5.6.7.8'],
      loadBalancerSourceRanges: ['192.168.0.0/24', '203.0.113.0/25'],
    }),
  ],
  flows: [
    { name: 'pod to cluster IP', src: POD, dst: '172.30.0.41', port: 80, output: '10.180.0.1:80', masq: false },
    { name: 'external to nodePort', src: EXTERNAL, dst: NODE, port: 3001, output: '10.180.0.1:80', masq: true },
    { name: 'nodePort bypasses LoadBalancerSourceRanges', src: BLOCKED, dst: NODE, port: 3001, output: '10.180.0.1:80', masq: true },
    { name: 'accepted external to LB1', src: EXTERNAL, dst: '1.2.3.4', port: 80, output: '10.180.0.1:80', masq: true },
    { name: 'accepted external to LB2', src: EXTERNAL, dst: '5.6.7.8', port: 80, output: '10.180.0.1:80', masq: true },
    { name: 'blocked external to LB1', src: BLOCKED, dst: '1.2.3.4', port: 80, output: 'DROP', masq: false },
    { name: 'blocked external to LB2', src: BLOCKED, dst: '5.6.7.8', port: 80, output: 'DROP', masq: false },
    { name: 'pod to LB1 (blocked by LoadBalancerSourceRanges)', src: POD, dst: '1.2.3.4', port: 80, output: 'DROP', masq: false },
    { name: 'pod to LB2 (blocked by LoadBalancerSourceRanges)', src: POD, dst: '5.6.7.8', port: 80, output: 'DROP', masq: false },
    { name: 'node to LB1 (allowed by LoadBalancerSourceRanges)', src: NODE, dst: '1.2.3.4', port: 80, output: '10.180.0.1:80', masq: true },
    { name: 'node to LB2 (allowed by LoadBalancerSourceRanges)', src: NODE, dst: '5.6.7.8', port: 80, output: '10.180.0.1:80', masq: true },
    { name: 'same node to LB1, SNATted to LB1 (implicitly allowed)', src: '1.2.3.4', dst: '1.2.3.4', port: 80, output: '10.180.0.1:80', masq: true },
    { name: 'same node to LB2, SNATted to LB2 (implicitly allowed)', src: '5.6.7.8', dst: '5.6.7.8', port: 80, output: '10.180.0.1:80', masq: true },
  ],
};

// --- TestNodePorts (seven flag combinations) ------------------------------------------------------------

interface NodePortCase {
  name: string;
  fixture: string;
  family: 4 | 6;
  localhostNodePorts: boolean;
  nodePortAddresses?: string[];
  allowAltNodeIp: boolean;
}
const NODE_PORT_CASES: NodePortCase[] = [
  { name: 'ipv4, localhost-nodeports enabled', fixture: 'nodeports-v4-localhost', family: 4, localhostNodePorts: true, allowAltNodeIp: true },
  { name: 'ipv4, localhost-nodeports disabled', fixture: 'nodeports-v4-no-localhost', family: 4, localhostNodePorts: false, allowAltNodeIp: true },
  {
    name: 'ipv4, localhost-nodeports disabled, localhost in nodeport-addresses',
    fixture: 'nodeports-v4-addresses-localhost',
    family: 4,
    localhostNodePorts: false,
    nodePortAddresses: ['192.168.0.0/24', '127.0.0.1/32'],
    allowAltNodeIp: false,
  },
  {
    name: 'ipv4, localhost-nodeports enabled, multiple nodeport-addresses',
    fixture: 'nodeports-v4-addresses-multiple',
    family: 4,
    // kube-proxy's case name says "enabled" but the case sets localhostNodePorts: false.
    localhostNodePorts: false,
    nodePortAddresses: ['192.168.0.0/24', '192.168.1.0/24', '2001:db8::/64'],
    allowAltNodeIp: true,
  },
  { name: 'ipv6, localhost-nodeports enabled', fixture: 'nodeports-v6-localhost', family: 6, localhostNodePorts: true, allowAltNodeIp: true },
  { name: 'ipv6, localhost-nodeports disabled', fixture: 'nodeports-v6-no-localhost', family: 6, localhostNodePorts: false, allowAltNodeIp: true },
  {
    name: 'ipv6, localhost-nodeports disabled, multiple nodeport-addresses',
    fixture: 'nodeports-v6-addresses-multiple',
    family: 6,
    localhostNodePorts: false,
    nodePortAddresses: ['192.168.0.0/24', '192.168.1.0/24', '2001:db8::/64'],
    allowAltNodeIp: false,
  },
];

function nodePortScenario(c: NodePortCase): Scenario {
  const v4 = c.family === 4;
  const svcIp = v4 ? '172.30.0.41' : 'fd00:172:30::41';
  const ep1 = v4 ? '10.180.0.1' : 'fd00:10:180::1';
  const ep2 = v4 ? '10.180.2.1' : 'fd00:10:180::2:1';
  const pod = v4 ? POD : 'fd00:10::2';
  const external = v4 ? EXTERNAL : '2600:5200::1';
  const node = v4 ? NODE : NODE6;
  const alt = v4 ? NODE_ALT : NODE6_ALT;
  const localhost = v4 ? '127.0.0.1' : '::1';
  const output = v4 ? `${ep1}:80, ${ep2}:80` : `[${ep1}]:80, [${ep2}]:80`;
  const localhostWorks = v4 && c.localhostNodePorts;
  return {
    fixture: c.fixture,
    source: `TestNodePorts "${c.name}"`,
    config: { ...(v4 ? V4 : V6), localhostNodePorts: c.localhostNodePorts, nodePortAddresses: c.nodePortAddresses },
    nodeIps: v4 ? NODE_IPS_V4 : NODE_IPS_V6,
    ports: [svc('ns1', 'svc1', 'p80', svcIp, 80, [ep(ep1), ep(ep2, 80, { local: true })], { nodePort: 3001 })],
    flows: [
      { name: 'pod to cluster IP', src: pod, dst: svcIp, port: 80, output, masq: false },
      { name: 'external to nodePort', src: external, dst: node, port: 3001, output, masq: true },
      { name: 'node to nodePort', src: node, dst: node, port: 3001, output, masq: true },
      localhostWorks
        ? { name: 'localhost to nodePort gets masqueraded', src: localhost, dst: localhost, port: 3001, output, masq: true }
        : { name: 'localhost to nodePort is ignored', src: localhost, dst: localhost, port: 3001, output: '', masq: false },
      c.allowAltNodeIp
        ? { name: 'external to nodePort on secondary IP', src: external, dst: alt, port: 3001, output, masq: true }
        : { name: 'secondary nodeIP ignores NodePorts', src: external, dst: alt, port: 3001, output: '', masq: false },
    ],
  };
}

// --- TestHealthCheckNodePort ----------------------------------------------------------------------------

const HC_CONFIG: ModelProxyConfig = { ...V4, nodePortAddresses: ['127.0.0.0/8'] };
const HEALTH_CHECK: Scenario[] = [
  {
    fixture: 'health-check-nodeport',
    source: 'TestHealthCheckNodePort (service present)',
    config: HC_CONFIG,
    nodeIps: NODE_IPS_V4,
    ports: [
      svc('ns1', 'svc1', 'p80', '172.30.0.42', 80, [], {
        nodePort: 3001,
        healthCheckNodePort: 30000,
        externalTrafficPolicy: 'Local',
      }),
    ],
    flows: [{ name: 'firewall accepts HealthCheckNodePort', src: '1.2.3.4', dst: NODE, port: 30000, output: 'ACCEPT', masq: false }],
  },
  {
    fixture: 'health-check-nodeport-deleted',
    source: 'TestHealthCheckNodePort (service deleted)',
    config: HC_CONFIG,
    nodeIps: NODE_IPS_V4,
    ports: [],
    flows: [{ name: 'HealthCheckNodePort no longer has any rule', src: '1.2.3.4', dst: NODE, port: 30000, output: '', masq: false }],
  },
];

// --- TestExternalTrafficPolicyLocal / Cluster -----------------------------------------------------------

function trafficPolicyService(policy: 'Local' | 'Cluster'): ModelServicePort {
  return svc('ns1', 'svc1', 'p80', '172.30.0.41', 80, [ep('10.180.0.1'), ep('10.180.2.1', 80, { local: true })], {
    nodePort: 3001,
    externalIps: ['192.168.99.11'],
    loadBalancerIps: ['1.2.3.4'],
    externalTrafficPolicy: policy,
    healthCheckNodePort: policy === 'Local' ? 30000 : undefined,
  });
}
const BOTH = '10.180.0.1:80, 10.180.2.1:80';
const ETP_LOCAL: Scenario = {
  fixture: 'etp-local',
  source: 'TestExternalTrafficPolicyLocal',
  config: V4,
  nodeIps: NODE_IPS_V4,
  ports: [trafficPolicyService('Local')],
  flows: [
    { name: 'pod to cluster IP hits both endpoints, unmasqueraded', src: POD, dst: '172.30.0.41', port: 80, output: BOTH, masq: false },
    { name: 'pod to external IP hits both endpoints, unmasqueraded', src: POD, dst: '192.168.99.11', port: 80, output: BOTH, masq: false },
    { name: 'external to external IP hits only local endpoint, unmasqueraded', src: EXTERNAL, dst: '192.168.99.11', port: 80, output: '10.180.2.1:80', masq: false },
    { name: 'pod to LB IP hits only both endpoints, unmasqueraded', src: POD, dst: '1.2.3.4', port: 80, output: BOTH, masq: false },
    { name: 'external to LB IP hits only local endpoint, unmasqueraded', src: EXTERNAL, dst: '1.2.3.4', port: 80, output: '10.180.2.1:80', masq: false },
    { name: 'pod to NodePort hits both endpoints, unmasqueraded', src: POD, dst: NODE, port: 3001, output: BOTH, masq: false },
    { name: 'external to NodePort hits only local endpoint, unmasqueraded', src: EXTERNAL, dst: NODE, port: 3001, output: '10.180.2.1:80', masq: false },
  ],
};
const ETP_CLUSTER: Scenario = {
  fixture: 'etp-cluster',
  source: 'TestExternalTrafficPolicyCluster',
  config: V4,
  nodeIps: NODE_IPS_V4,
  ports: [trafficPolicyService('Cluster')],
  flows: [
    { name: 'pod to cluster IP hits both endpoints, unmasqueraded', src: POD, dst: '172.30.0.41', port: 80, output: BOTH, masq: false },
    { name: 'pod to external IP hits both endpoints, masqueraded', src: POD, dst: '192.168.99.11', port: 80, output: BOTH, masq: true },
    { name: 'external to external IP hits both endpoints, masqueraded', src: EXTERNAL, dst: '192.168.99.11', port: 80, output: BOTH, masq: true },
    { name: 'pod to LB IP hits both endpoints, masqueraded', src: POD, dst: '1.2.3.4', port: 80, output: BOTH, masq: true },
    { name: 'external to LB IP hits both endpoints, masqueraded', src: EXTERNAL, dst: '1.2.3.4', port: 80, output: BOTH, masq: true },
    { name: 'pod to NodePort hits both endpoints, masqueraded', src: POD, dst: NODE, port: 3001, output: BOTH, masq: true },
    { name: 'external to NodePort hits both endpoints, masqueraded', src: EXTERNAL, dst: NODE, port: 3001, output: BOTH, masq: true },
  ],
};

// --- TestInternalTrafficPolicy --------------------------------------------------------------------------

function itpScenario(fixture: string, name: string, policy: 'Cluster' | 'Local', eps: Array<[string, boolean]>, output: string): Scenario {
  return {
    fixture,
    source: `TestInternalTrafficPolicy "${name}"`,
    config: V4,
    nodeIps: NODE_IPS_V4,
    ports: [
      svc('ns1', 'svc1', '', '172.30.1.1', 80, eps.map(([ip, local]) => ep(ip, 80, { local })), { internalTrafficPolicy: policy }),
    ],
    flows: [{ name: output === 'DROP' ? 'no endpoints' : 'pod to ClusterIP', src: POD, dst: '172.30.1.1', port: 80, output, masq: false }],
  };
}
const ITP: Scenario[] = [
  itpScenario('itp-cluster', 'internalTrafficPolicy is cluster', 'Cluster', [['10.0.1.1', true], ['10.0.1.2', false], ['10.0.1.3', false]], '10.0.1.1:80, 10.0.1.2:80, 10.0.1.3:80'),
  itpScenario('itp-local-one', 'internalTrafficPolicy is local and there is one local endpoint', 'Local', [['10.0.1.1', true], ['10.0.1.2', false], ['10.0.1.3', false]], '10.0.1.1:80'),
  itpScenario('itp-local-multiple', 'internalTrafficPolicy is local and there are multiple local endpoints', 'Local', [['10.0.1.1', true], ['10.0.1.2', true], ['10.0.1.3', false]], '10.0.1.1:80, 10.0.1.2:80'),
  itpScenario('itp-local-none', 'internalTrafficPolicy is local and there are no local endpoints', 'Local', [['10.0.1.1', false], ['10.0.1.2', false], ['10.0.1.3', false]], 'DROP'),
  {
    ...itpScenario('itp-endpoints-deleted', 'endpoints deleted', 'Local', [], 'REJECT'),
    flows: [{ name: 'endpoints deleted', src: POD, dst: '172.30.1.1', port: 80, output: 'REJECT', masq: false }],
  },
];

// --- TestTerminatingEndpointsTrafficPolicyLocal / Cluster ----------------------------------------------

type Cond = 'ready' | 'serving-terminating' | 'not-serving';
const condition = (c: Cond) =>
  c === 'ready'
    ? { ready: true, serving: true, terminating: false }
    : c === 'serving-terminating'
      ? { ready: false, serving: true, terminating: true }
      : { ready: false, serving: false, terminating: true };

function terminatingScenario(
  policy: 'Local' | 'Cluster',
  fixture: string,
  name: string,
  eps: Array<[string, Cond, boolean]>,
  podOutput: string,
  externalOutput: string,
  externalMasq: boolean,
): Scenario {
  return {
    fixture,
    source: `TestTerminatingEndpointsTrafficPolicy${policy} "${name}"`,
    config: V4,
    nodeIps: NODE_IPS_V4,
    ports: [
      svc('ns1', 'svc1', '', '172.30.1.1', 80, eps.map(([ip, c, local]) => ep(ip, 80, { ...condition(c), local })), {
        loadBalancerIps: ['1.2.3.4'],
        externalTrafficPolicy: policy,
        healthCheckNodePort: 30000,
      }),
    ],
    flows: [
      { name: name === 'endpoints deleted' ? 'pod to clusterIP after endpoints deleted' : 'pod to clusterIP', src: POD, dst: '172.30.1.1', port: 80, output: podOutput, masq: false },
      { name: name === 'endpoints deleted' ? 'external to LB after endpoints deleted' : 'external to LB', src: EXTERNAL, dst: '1.2.3.4', port: 80, output: externalOutput, masq: externalMasq },
    ],
  };
}
const TERMINATING: Scenario[] = [
  terminatingScenario('Local', 'terminating-local-ready', 'ready endpoints exist',
    [['10.0.1.1', 'ready', true], ['10.0.1.2', 'ready', true], ['10.0.1.3', 'serving-terminating', true], ['10.0.1.4', 'not-serving', true], ['10.0.1.5', 'ready', false]],
    '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80', '10.0.1.1:80, 10.0.1.2:80', false),
  terminatingScenario('Local', 'terminating-local-only-terminating', 'only terminating endpoints exist',
    [['10.0.1.2', 'serving-terminating', true], ['10.0.1.3', 'serving-terminating', true], ['10.0.1.4', 'not-serving', true], ['10.0.1.5', 'ready', false]],
    '10.0.1.5:80', '10.0.1.2:80, 10.0.1.3:80', false),
  terminatingScenario('Local', 'terminating-local-remote', 'terminating endpoints on remote node',
    [['10.0.1.5', 'serving-terminating', false]], '10.0.1.5:80', 'DROP', false),
  terminatingScenario('Local', 'terminating-local-none-usable', 'no usable endpoints on any node',
    [['10.0.1.5', 'not-serving', true], ['10.0.1.5', 'not-serving', false]], 'REJECT', 'REJECT', false),
  terminatingScenario('Local', 'terminating-local-deleted', 'endpoints deleted', [], 'REJECT', 'REJECT', false),
  terminatingScenario('Cluster', 'terminating-cluster-ready', 'ready endpoints exist',
    [['10.0.1.1', 'ready', true], ['10.0.1.2', 'ready', true], ['10.0.1.3', 'serving-terminating', false], ['10.0.1.4', 'not-serving', false], ['10.0.1.5', 'ready', false]],
    '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80', '10.0.1.1:80, 10.0.1.2:80, 10.0.1.5:80', true),
  terminatingScenario('Cluster', 'terminating-cluster-only-terminating', 'only terminating endpoints exist',
    [['10.0.1.2', 'serving-terminating', true], ['10.0.1.3', 'serving-terminating', true], ['10.0.1.4', 'not-serving', false], ['10.0.1.5', 'serving-terminating', false]],
    '10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80', '10.0.1.2:80, 10.0.1.3:80, 10.0.1.5:80', true),
  terminatingScenario('Cluster', 'terminating-cluster-remote', 'terminating endpoints on remote node',
    [['10.0.1.5', 'serving-terminating', false]], '10.0.1.5:80', '10.0.1.5:80', true),
  terminatingScenario('Cluster', 'terminating-cluster-none-usable', 'no usable endpoints on any node',
    [['10.0.1.5', 'not-serving', true], ['10.0.1.5', 'not-serving', false]], 'REJECT', 'REJECT', false),
  terminatingScenario('Cluster', 'terminating-cluster-deleted', 'endpoints deleted', [], 'REJECT', 'REJECT', false),
];

// --- TestInternalExternalMasquerade (four proxier configurations) ---------------------------------------

const IEM_PORTS: ModelServicePort[] = [
  svc('ns1', 'svc1', 'p80', '172.30.0.41', 80, [ep('10.180.0.1', 80, { local: true }), ep('10.180.1.1')], {
    nodePort: 3001,
    healthCheckNodePort: 30001,
    loadBalancerIps: ['1.2.3.4'],
  }),
  svc('ns2', 'svc2', 'p80', '172.30.0.42', 80, [ep('10.180.0.2', 80, { local: true }), ep('10.180.1.2')], {
    nodePort: 3002,
    healthCheckNodePort: 30002,
    externalTrafficPolicy: 'Local',
    loadBalancerIps: ['5.6.7.8'],
  }),
  svc('ns3', 'svc3', 'p80', '172.30.0.43', 80, [ep('10.180.0.3', 80, { local: true }), ep('10.180.1.3')], {
    nodePort: 3003,
    healthCheckNodePort: 30003,
    internalTrafficPolicy: 'Local',
    loadBalancerIps: ['9.10.11.12'],
  }),
];
const S1 = '10.180.0.1:80, 10.180.1.1:80';
const S2 = '10.180.0.2:80, 10.180.1.2:80';
const S3 = '10.180.0.3:80, 10.180.1.3:80';
/** The base flows ("working localDetector, no masqueradeAll"). */
const IEM_FLOWS: Flow[] = [
  { name: 'pod to ClusterIP', src: POD, dst: '172.30.0.41', port: 80, output: S1, masq: false },
  { name: 'pod to NodePort', src: POD, dst: NODE, port: 3001, output: S1, masq: true },
  { name: 'pod to LB', src: POD, dst: '1.2.3.4', port: 80, output: S1, masq: true },
  { name: 'node to ClusterIP', src: NODE, dst: '172.30.0.41', port: 80, output: S1, masq: true },
  { name: 'node to NodePort', src: NODE, dst: NODE, port: 3001, output: S1, masq: true },
  { name: 'localhost to NodePort', src: '127.0.0.1', dst: '127.0.0.1', port: 3001, output: S1, masq: true },
  { name: 'node to LB', src: NODE, dst: '1.2.3.4', port: 80, output: S1, masq: true },
  { name: 'external to ClusterIP', src: EXTERNAL, dst: '172.30.0.41', port: 80, output: S1, masq: true },
  { name: 'external to NodePort', src: EXTERNAL, dst: NODE, port: 3001, output: S1, masq: true },
  { name: 'external to LB', src: EXTERNAL, dst: '1.2.3.4', port: 80, output: S1, masq: true },
  { name: 'pod to ClusterIP with eTP:Local', src: POD, dst: '172.30.0.42', port: 80, output: S2, masq: false },
  { name: 'pod to NodePort with eTP:Local', src: POD, dst: NODE, port: 3002, output: S2, masq: false },
  { name: 'pod to LB with eTP:Local', src: POD, dst: '5.6.7.8', port: 80, output: S2, masq: false },
  { name: 'node to ClusterIP with eTP:Local', src: NODE, dst: '172.30.0.42', port: 80, output: S2, masq: true },
  // kube-proxy's case targets port 3001 (svc1's NodePort), so it expects svc1's endpoints.
  { name: 'node to NodePort with eTP:Local', src: NODE, dst: NODE, port: 3001, output: S1, masq: true },
  { name: 'localhost to NodePort with eTP:Local', src: '127.0.0.1', dst: '127.0.0.1', port: 3002, output: S2, masq: true },
  { name: 'node to LB with eTP:Local', src: NODE, dst: '5.6.7.8', port: 80, output: S2, masq: true },
  { name: 'external to ClusterIP with eTP:Local', src: EXTERNAL, dst: '172.30.0.42', port: 80, output: S2, masq: true },
  { name: 'external to NodePort with eTP:Local', src: EXTERNAL, dst: NODE, port: 3002, output: '10.180.0.2:80', masq: false },
  { name: 'external to LB with eTP:Local', src: EXTERNAL, dst: '5.6.7.8', port: 80, output: '10.180.0.2:80', masq: false },
  { name: 'pod to ClusterIP with iTP:Local', src: POD, dst: '172.30.0.43', port: 80, output: '10.180.0.3:80', masq: false },
  { name: 'pod to NodePort with iTP:Local', src: POD, dst: NODE, port: 3003, output: S3, masq: true },
  { name: 'pod to LB with iTP:Local', src: POD, dst: '9.10.11.12', port: 80, output: S3, masq: true },
  { name: 'node to ClusterIP with iTP:Local', src: NODE, dst: '172.30.0.43', port: 80, output: '10.180.0.3:80', masq: true },
  { name: 'node to NodePort with iTP:Local', src: NODE, dst: NODE, port: 3003, output: S3, masq: true },
  { name: 'localhost to NodePort with iTP:Local', src: '127.0.0.1', dst: '127.0.0.1', port: 3003, output: S3, masq: true },
  { name: 'node to LB with iTP:Local', src: NODE, dst: '9.10.11.12', port: 80, output: S3, masq: true },
  { name: 'external to ClusterIP with iTP:Local', src: EXTERNAL, dst: '172.30.0.43', port: 80, output: '10.180.0.3:80', masq: true },
  { name: 'external to NodePort with iTP:Local', src: EXTERNAL, dst: NODE, port: 3003, output: S3, masq: true },
  { name: 'external to LB with iTP:Local', src: EXTERNAL, dst: '9.10.11.12', port: 80, output: S3, masq: true },
];

type Override = { output?: string; masq?: boolean };
const NO_DETECTOR_OVERRIDES: Record<string, Override> = {
  'node to ClusterIP': { masq: false },
  'node to ClusterIP with eTP:Local': { masq: false },
  'node to ClusterIP with iTP:Local': { masq: false },
  'external to ClusterIP': { masq: false },
  'external to ClusterIP with eTP:Local': { masq: false },
  'external to ClusterIP with iTP:Local': { masq: false },
  'pod to NodePort with eTP:Local': { output: '10.180.0.2:80' },
  'pod to LB with eTP:Local': { output: '10.180.0.2:80' },
};
const MASQUERADE_ALL_OVERRIDES: Record<string, Override> = {
  'pod to ClusterIP': { masq: true },
  'pod to ClusterIP with eTP:Local': { masq: true },
  'pod to ClusterIP with iTP:Local': { masq: true },
};
const IEM_CASES: Array<{ name: string; fixture: string; masqueradeAll: boolean; detector: boolean; overrides: Record<string, Override> }> = [
  { name: 'base', fixture: 'masquerade-base', masqueradeAll: false, detector: true, overrides: {} },
  { name: 'no LocalTrafficDetector', fixture: 'masquerade-no-detector', masqueradeAll: false, detector: false, overrides: NO_DETECTOR_OVERRIDES },
  { name: 'masqueradeAll', fixture: 'masquerade-all', masqueradeAll: true, detector: true, overrides: MASQUERADE_ALL_OVERRIDES },
  {
    name: 'masqueradeAll, no LocalTrafficDetector',
    fixture: 'masquerade-all-no-detector',
    masqueradeAll: true,
    detector: false,
    overrides: {
      ...MASQUERADE_ALL_OVERRIDES,
      'pod to NodePort with eTP:Local': { output: '10.180.0.2:80' },
      'pod to LB with eTP:Local': { output: '10.180.0.2:80' },
    },
  },
];
const MASQUERADE: Scenario[] = IEM_CASES.map((c) => ({
  fixture: c.fixture,
  source: `TestInternalExternalMasquerade "${c.name}"`,
  config: { ...V4, masqueradeAll: c.masqueradeAll, clusterCidr: c.detector ? V4.clusterCidr : undefined },
  nodeIps: NODE_IPS_V4,
  ports: IEM_PORTS,
  flows: IEM_FLOWS.map((f) => ({ ...f, ...(c.overrides[f.name] ?? {}) })),
}));

/** Every scenario of the corpus, one fixture each. */
export const SCENARIOS: Scenario[] = [
  OVERALL,
  NO_ENDPOINTS,
  CLUSTER_IP_GENERAL,
  LOAD_BALANCER,
  ...NODE_PORT_CASES.map(nodePortScenario),
  ...HEALTH_CHECK,
  ETP_LOCAL,
  ETP_CLUSTER,
  ...ITP,
  ...TERMINATING,
  ...MASQUERADE,
];
