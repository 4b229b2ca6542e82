import type { Rule } from '../../model/rule.js';

/**
 * What a kube-proxy rule comment says. kube-proxy writes a fixed set of comment shapes around the service
 * port name `X` (pkg/proxy/iptables/proxier.go, kube-proxy.md §3–§4); this is their registry.
 */
export type KubeCommentKind =
  | 'cluster-ip'
  | 'external-ip'
  | 'load-balancer-ip'
  | 'endpoint'
  | 'no-endpoints'
  | 'no-local-endpoints'
  | 'balancing'
  | 'external-masquerade'
  | 'external-pod'
  | 'local-masquerade'
  | 'local-route'
  | 'xlb-pod-redirect'
  | 'firewall-other'
  | 'firewall-drop'
  | 'health-check'
  | 'plain'
  | 'static';

/** A parsed comment. `name` is the service port name as written (not validated beyond its shape). */
export interface KubeComment {
  kind: KubeCommentKind;
  text: string;
  name?: string;
  /** `ip:port` of `X -> ip:port` (1.24+ SVC→SEP comments). */
  endpoint?: string;
  /** N of `Balancing rule N for X` (≤1.23 XLB). */
  balancingIndex?: number;
}

/** Service-port-name shape inside a comment (see service-port-name.ts); kept loose on purpose. */
const N = '([a-z0-9][-a-z0-9.]*/[a-z0-9][-a-z0-9]*(?::[a-z0-9-]*)?)';

/** One entry per comment shape, most specific first. Source: kube-proxy.md §3.3–§3.5 and §4. */
const SHAPES: readonly { kind: KubeCommentKind; re: RegExp }[] = [
  { kind: 'no-local-endpoints', re: new RegExp(`^${N} has no local endpoints$`) },
  { kind: 'no-endpoints', re: new RegExp(`^${N} has no endpoints$`) },
  { kind: 'cluster-ip', re: new RegExp(`^${N} cluster IP$`) },
  { kind: 'external-ip', re: new RegExp(`^${N} external IP$`) },
  { kind: 'load-balancer-ip', re: new RegExp(`^${N} loadbalancer IP$`) },
  { kind: 'health-check', re: new RegExp(`^${N} health check node port$`) },
  { kind: 'endpoint', re: new RegExp(`^${N} -> (\\S+)$`) },
  { kind: 'balancing', re: new RegExp(`^Balancing rule (\\d+) for ${N}$`) },
  { kind: 'local-masquerade', re: new RegExp(`^masquerade LOCAL traffic for ${N} (?:external destinations|LB IP)$`) },
  { kind: 'local-route', re: new RegExp(`^route LOCAL traffic for ${N} (?:external destinations|LB IP to service chain)$`) },
  { kind: 'external-masquerade', re: new RegExp(`^masquerade traffic for ${N} external destinations$`) },
  { kind: 'external-pod', re: new RegExp(`^pod traffic for ${N} external destinations$`) },
  { kind: 'firewall-other', re: new RegExp(`^other traffic to ${N} will be dropped by KUBE-PROXY-FIREWALL$`) },
  { kind: 'firewall-drop', re: new RegExp(`^${N} traffic not accepted by KUBE-FW-\\S+$`) },
  { kind: 'xlb-pod-redirect', re: /^Redirect pods trying to reach external loadbalancer VIP to clusterIP$/ },
  { kind: 'static', re: /^(?:kubernetes |block incoming localnet|Kubernetes )/ },
  { kind: 'plain', re: new RegExp(`^${N}$`) },
];

/** The `-m comment --comment` text of a rule, without quotes; undefined when it has none. */
export function getRuleComment(rule: Rule): string | undefined {
  for (const match of rule.matches) {
    if (match.module !== 'comment') continue;
    const option = match.options.find((o) => o.name === 'comment');
    const text = option?.args.join(' ');
    if (text === undefined) continue;
    return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
  }
  return undefined;
}

/** Parses a kube-proxy comment; undefined for text kube-proxy does not write. */
export function parseKubeComment(text: string): KubeComment | undefined {
  for (const { kind, re } of SHAPES) {
    const m = re.exec(text);
    if (!m) continue;
    switch (kind) {
      case 'balancing':
        return { kind, text, name: m[2], balancingIndex: Number(m[1]) };
      case 'endpoint':
        return { kind, text, name: m[1], endpoint: m[2] };
      case 'xlb-pod-redirect':
      case 'static':
        return { kind, text };
      default:
        return { kind, text, name: m[1] };
    }
  }
  return undefined;
}

/** `parseKubeComment(getRuleComment(rule))`. */
export function getKubeComment(rule: Rule): KubeComment | undefined {
  const text = getRuleComment(rule);
  return text === undefined ? undefined : parseKubeComment(text);
}
