/**
 * kube-proxy rule dumps for the interpretation tests, rebuilt from the seed articles (/work/shared/seeds) and
 * kube-proxy.md. Chain hashes are the real ones from the seeds (they verify against hash.ts, see
 * hash.test.ts); rule shapes are iptables-save's canonical form (kube-proxy.md §3).
 */

/**
 * Adds the `:CHAIN - [0:0]` declarations iptables-save prints for every user chain of a table (netfilter.md
 * §10), including KUBE- chains that are only jumped to (kube-proxy creates them empty), so the fixtures read
 * as real dumps.
 */
function declared(dump: string): string {
  return dump.replace(/^\*(\w+)\n([\s\S]*?)^COMMIT$/gm, (_all, table: string, body: string) => {
    const have = new Set([...body.matchAll(/^:(\S+)/gm)].map((m) => m[1]));
    const appended = [...body.matchAll(/^-A (\S+)/gm)].map((m) => m[1]!);
    const targets = [...body.matchAll(/-j (KUBE-\S+)/g)].map((m) => m[1]!);
    const used = [...new Set([...appended, ...targets])].filter((c) => !have.has(c)).sort();
    const lines = body.split('\n');
    const lastDecl = lines.reduce((at, l, i) => (l.startsWith(':') ? i : at), -1);
    lines.splice(lastDecl + 1, 0, ...used.map((c) => `:${c} - [0:0]`));
    return `*${table}\n${lines.join('\n')}COMMIT`;
  });
}

const NAT_HEAD = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully`;

const NODEPORTS_LAST =
  '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS';

const MARK_DROP = '-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000';

const FILTER_KUBELET = `-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT`;

/** Seed 004: ClusterIP default/nginx 10.96.34.82:80 → 10.244.2.2:80 (kind, masquerade in KUBE-SVC). */
export const CLUSTERIP_NGINX = declared(`${NAT_HEAD}
${MARK_DROP}
-A KUBE-SEP-HUXRPHBUO34UVPEF -s 10.244.2.2/32 -m comment --comment "default/nginx" -j KUBE-MARK-MASQ
-A KUBE-SEP-HUXRPHBUO34UVPEF -p tcp -m comment --comment "default/nginx" -m tcp -j DNAT --to-destination 10.244.2.2:80
-A KUBE-SERVICES -d 10.96.34.82/32 -p tcp -m comment --comment "default/nginx cluster IP" -m tcp --dport 80 -j KUBE-SVC-2CMXP7HKUVJN7L6M
${NODEPORTS_LAST}
-A KUBE-SVC-2CMXP7HKUVJN7L6M ! -s 10.244.0.0/16 -d 10.96.34.82/32 -p tcp -m comment --comment "default/nginx cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-2CMXP7HKUVJN7L6M -m comment --comment "default/nginx" -j KUBE-SEP-HUXRPHBUO34UVPEF
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A OUTPUT -j KUBE-FIREWALL
${FILTER_KUBELET}
COMMIT
`);

/** Seed 000: NodePort default/webapp 31380, two endpoints, ≤1.21 shape (masquerade in KUBE-SERVICES/KUBE-NODEPORTS). */
export const NODEPORT_WEBAPP_OLD = declared(`${NAT_HEAD}
${MARK_DROP}
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/webapp" -m tcp --dport 31380 -j KUBE-MARK-MASQ
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/webapp" -m tcp --dport 31380 -j KUBE-SVC-2IRACUALRELARSND
-A KUBE-SEP-AO6KYGU752IZFEZ4 -s 10.244.120.102/32 -m comment --comment "default/webapp" -j KUBE-MARK-MASQ
-A KUBE-SEP-AO6KYGU752IZFEZ4 -p tcp -m comment --comment "default/webapp" -m tcp -j DNAT --to-destination 10.244.120.102:80
-A KUBE-SEP-PJFBSHHDX4VZAOXM -s 10.244.120.103/32 -m comment --comment "default/webapp" -j KUBE-MARK-MASQ
-A KUBE-SEP-PJFBSHHDX4VZAOXM -p tcp -m comment --comment "default/webapp" -m tcp -j DNAT --to-destination 10.244.120.103:80
-A KUBE-SERVICES ! -s 10.244.0.0/16 -d 10.103.46.104/32 -p tcp -m comment --comment "default/webapp cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.103.46.104/32 -p tcp -m comment --comment "default/webapp cluster IP" -m tcp --dport 80 -j KUBE-SVC-2IRACUALRELARSND
${NODEPORTS_LAST}
-A KUBE-SVC-2IRACUALRELARSND -m comment --comment "default/webapp" -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-AO6KYGU752IZFEZ4
-A KUBE-SVC-2IRACUALRELARSND -m comment --comment "default/webapp" -j KUBE-SEP-PJFBSHHDX4VZAOXM
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A OUTPUT -j KUBE-FIREWALL
${FILTER_KUBELET}
COMMIT
`);

const XLB_COMMON = `${NAT_HEAD}
${MARK_DROP}
-A KUBE-NODEPORTS -s 127.0.0.0/8 -p tcp -m comment --comment "default/webapp" -m tcp --dport 30080 -j KUBE-MARK-MASQ
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/webapp" -m tcp --dport 30080 -j KUBE-XLB-2IRACUALRELARSND
-A KUBE-SEP-5T4S2ILYSXWY3R2J -s 10.244.120.111/32 -m comment --comment "default/webapp" -j KUBE-MARK-MASQ
-A KUBE-SEP-5T4S2ILYSXWY3R2J -p tcp -m comment --comment "default/webapp" -m tcp -j DNAT --to-destination 10.244.120.111:80
-A KUBE-SERVICES -d 10.111.243.62/32 -p tcp -m comment --comment "default/webapp cluster IP" -m tcp --dport 80 -j KUBE-SVC-2IRACUALRELARSND
${NODEPORTS_LAST}
-A KUBE-SVC-2IRACUALRELARSND ! -s 10.244.0.0/16 -d 10.111.243.62/32 -p tcp -m comment --comment "default/webapp cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-2IRACUALRELARSND -m comment --comment "default/webapp" -j KUBE-SEP-5T4S2ILYSXWY3R2J
-A KUBE-XLB-2IRACUALRELARSND -s 10.244.0.0/16 -m comment --comment "Redirect pods trying to reach external loadbalancer VIP to clusterIP" -j KUBE-SVC-2IRACUALRELARSND
-A KUBE-XLB-2IRACUALRELARSND -m comment --comment "masquerade LOCAL traffic for default/webapp LB IP" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-XLB-2IRACUALRELARSND -m comment --comment "route LOCAL traffic for default/webapp LB IP to service chain" -m addrtype --src-type LOCAL -j KUBE-SVC-2IRACUALRELARSND`;

const FILTER_OLD = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A OUTPUT -j KUBE-FIREWALL
${FILTER_KUBELET}
COMMIT
`;

/** Seed 000, node minikube-m02: eTP=Local NodePort 30080, XLB era (≤1.23), no local endpoint → KUBE-MARK-DROP. */
export const XLB_NO_LOCAL = declared(`${XLB_COMMON}
-A KUBE-XLB-2IRACUALRELARSND -m comment --comment "default/webapp has no local endpoints" -j KUBE-MARK-DROP
COMMIT
${FILTER_OLD}`);

/** Seed 000, node minikube: the same service with its endpoint on this node ("Balancing rule 0"). */
export const XLB_WITH_LOCAL = declared(`${XLB_COMMON}
-A KUBE-XLB-2IRACUALRELARSND -m comment --comment "Balancing rule 0 for default/webapp" -j KUBE-SEP-5T4S2ILYSXWY3R2J
COMMIT
${FILTER_OLD}`);

/** kube-proxy.md §4 1.24: KUBE-EXT/KUBE-SVL, "has no local endpoints" still in nat → KUBE-MARK-DROP. */
export const V124_NO_LOCAL = declared(`${NAT_HEAD}
${MARK_DROP}
-A KUBE-EXT-2IRACUALRELARSND -s 10.244.0.0/16 -m comment --comment "pod traffic for default/webapp external destinations" -j KUBE-SVC-2IRACUALRELARSND
-A KUBE-EXT-2IRACUALRELARSND -m comment --comment "masquerade LOCAL traffic for default/webapp external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-2IRACUALRELARSND -m comment --comment "route LOCAL traffic for default/webapp external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-2IRACUALRELARSND
-A KUBE-EXT-2IRACUALRELARSND -j KUBE-SVL-2IRACUALRELARSND
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/webapp" -m tcp --dport 30080 -j KUBE-EXT-2IRACUALRELARSND
-A KUBE-SEP-5T4S2ILYSXWY3R2J -s 10.244.120.111/32 -m comment --comment "default/webapp" -j KUBE-MARK-MASQ
-A KUBE-SEP-5T4S2ILYSXWY3R2J -p tcp -m comment --comment "default/webapp" -m tcp -j DNAT --to-destination 10.244.120.111:80
-A KUBE-SERVICES -d 10.111.243.62/32 -p tcp -m comment --comment "default/webapp cluster IP" -m tcp --dport 80 -j KUBE-SVC-2IRACUALRELARSND
${NODEPORTS_LAST}
-A KUBE-SVC-2IRACUALRELARSND ! -s 10.244.0.0/16 -d 10.111.243.62/32 -p tcp -m comment --comment "default/webapp cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-2IRACUALRELARSND -m comment --comment "default/webapp -> 10.244.120.111:80" -j KUBE-SEP-5T4S2ILYSXWY3R2J
-A KUBE-SVL-2IRACUALRELARSND -m comment --comment "default/webapp has no local endpoints" -j KUBE-MARK-DROP
COMMIT
${FILTER_OLD}`);

const CURRENT_NAT_COMMON = `${NAT_HEAD}
-A KUBE-EXT-2IRACUALRELARSND -s 10.244.0.0/16 -m comment --comment "pod traffic for default/webapp external destinations" -j KUBE-SVC-2IRACUALRELARSND
-A KUBE-EXT-2IRACUALRELARSND -m comment --comment "masquerade LOCAL traffic for default/webapp external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-2IRACUALRELARSND -m comment --comment "route LOCAL traffic for default/webapp external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-2IRACUALRELARSND`;

const CURRENT_NAT_TAIL = `-A KUBE-NODEPORTS -p tcp -m comment --comment "default/webapp" -m tcp --dport 30080 -j KUBE-EXT-2IRACUALRELARSND
-A KUBE-SEP-5T4S2ILYSXWY3R2J -s 10.244.120.111/32 -m comment --comment "default/webapp" -j KUBE-MARK-MASQ
-A KUBE-SEP-5T4S2ILYSXWY3R2J -p tcp -m comment --comment "default/webapp" -m tcp -j DNAT --to-destination 10.244.120.111:80
-A KUBE-SERVICES -d 10.111.243.62/32 -p tcp -m comment --comment "default/webapp cluster IP" -m tcp --dport 80 -j KUBE-SVC-2IRACUALRELARSND
-A KUBE-SERVICES -d 203.0.113.10/32 -p tcp -m comment --comment "default/webapp loadbalancer IP" -m tcp --dport 80 -j KUBE-EXT-2IRACUALRELARSND
${NODEPORTS_LAST}
-A KUBE-SVC-2IRACUALRELARSND ! -s 10.244.0.0/16 -d 10.111.243.62/32 -p tcp -m comment --comment "default/webapp cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SVC-2IRACUALRELARSND -m comment --comment "default/webapp -> 10.244.120.111:80" -j KUBE-SEP-5T4S2ILYSXWY3R2J`;

const CURRENT_FILTER_HEAD = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-NODEPORTS - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
:KUBE-SERVICES - [0:0]
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS
-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A INPUT -j KUBE-FIREWALL
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j KUBE-FIREWALL
-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/webapp health check node port" -m tcp --dport 32000 -j ACCEPT`;

/** Current (1.25+), eTP=Local LoadBalancer webapp, this node has no local endpoint: filter DROP, no KUBE-SVL jump. */
export const CURRENT_NO_LOCAL = declared(`${CURRENT_NAT_COMMON}
${CURRENT_NAT_TAIL}
COMMIT
${CURRENT_FILTER_HEAD}
-A KUBE-EXTERNAL-SERVICES -d 203.0.113.10/32 -p tcp -m comment --comment "default/webapp has no local endpoints" -m tcp --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/webapp has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30080 -j DROP
COMMIT
`);

/** Current (1.25+), eTP=Local, endpoint 10.244.120.111 on this node: KUBE-EXT → KUBE-SVL. */
export const CURRENT_WITH_LOCAL = declared(`${CURRENT_NAT_COMMON}
-A KUBE-EXT-2IRACUALRELARSND -j KUBE-SVL-2IRACUALRELARSND
${CURRENT_NAT_TAIL}
-A KUBE-SVL-2IRACUALRELARSND -m comment --comment "default/webapp -> 10.244.120.111:80" -j KUBE-SEP-5T4S2ILYSXWY3R2J
COMMIT
${CURRENT_FILTER_HEAD}
COMMIT
`);

/**
 * Seed 001 (≤1.18): three endpoints of `default/my-nginx-nodeport:` (trailing-colon name, unnamed port),
 * no comments on SVC→SEP and SEP rules; endpoint addresses are made up (the seed does not list them all).
 */
export const THREE_ENDPOINTS_OLD = declared(`${NAT_HEAD}
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/my-nginx-nodeport:" -m tcp --dport 30915 -j KUBE-MARK-MASQ
-A KUBE-NODEPORTS -p tcp -m comment --comment "default/my-nginx-nodeport:" -m tcp --dport 30915 -j KUBE-SVC-6JXEEPSEELXY3JZG
-A KUBE-SEP-6HM47TA5RTJFOZFJ -s 192.167.1.138/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-6HM47TA5RTJFOZFJ -p tcp -m tcp -j DNAT --to-destination 192.167.1.138:80
-A KUBE-SEP-AHRDCNDYGFSFVA64 -s 192.167.2.17/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-AHRDCNDYGFSFVA64 -p tcp -m tcp -j DNAT --to-destination 192.167.2.17:80
-A KUBE-SEP-BK523K4AX5Y34OZL -s 192.167.3.9/32 -j KUBE-MARK-MASQ
-A KUBE-SEP-BK523K4AX5Y34OZL -p tcp -m tcp -j DNAT --to-destination 192.167.3.9:80
-A KUBE-SERVICES ! -s 192.167.0.0/16 -d 10.97.229.148/32 -p tcp -m comment --comment "default/my-nginx-nodeport: cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.97.229.148/32 -p tcp -m comment --comment "default/my-nginx-nodeport: cluster IP" -m tcp --dport 80 -j KUBE-SVC-6JXEEPSEELXY3JZG
${NODEPORTS_LAST}
-A KUBE-SVC-6JXEEPSEELXY3JZG -m statistic --mode random --probability 0.33332999982 -j KUBE-SEP-6HM47TA5RTJFOZFJ
-A KUBE-SVC-6JXEEPSEELXY3JZG -m statistic --mode random --probability 0.50000000000 -j KUBE-SEP-AHRDCNDYGFSFVA64
-A KUBE-SVC-6JXEEPSEELXY3JZG -j KUBE-SEP-BK523K4AX5Y34OZL
COMMIT
`);

/** kube-proxy.md §3.4: a service without endpoints has only filter REJECT rules. */
export const NO_ENDPOINTS = declared(`${NAT_HEAD}
${NODEPORTS_LAST}
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A KUBE-SERVICES -d 10.96.5.5/32 -p tcp -m comment --comment "default/broken:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "default/broken:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 30555 -j REJECT --reject-with icmp-port-unreachable
COMMIT
`);

/** `kubectl get svc -A -o json` for kube-dns and nginx (names the large-cluster dump). */
export const SERVICES_JSON = JSON.stringify(
  {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kube-dns', namespace: 'kube-system' },
        spec: {
          type: 'ClusterIP',
          clusterIP: '10.96.0.10',
          clusterIPs: ['10.96.0.10'],
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
            { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
            { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
          ],
          internalTrafficPolicy: 'Cluster',
        },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'webapp', namespace: 'default' },
        spec: {
          type: 'LoadBalancer',
          clusterIP: '10.111.243.62',
          ports: [{ port: 80, protocol: 'TCP', targetPort: 80, nodePort: 30080 }],
          externalTrafficPolicy: 'Local',
          internalTrafficPolicy: 'Cluster',
        },
        status: { loadBalancer: { ingress: [{ ip: '203.0.113.10' }] } },
      },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'headless', namespace: 'default' },
        spec: { clusterIP: 'None', ports: [{ name: 'http', port: 80 }] },
      },
    ],
  },
  null,
  2,
);
