/**
 * Which Calico workloads a node's rules know, and which one (or which ones) a user means by `db`,
 * `default/db-8d66ff5f7-bp6kf`, `10.88.0.26` or `cali95aa86cbb2a`.
 *
 * The rules name interfaces, never pods: felix writes one `cali-tw-<iface>`/`cali-fw-<iface>` pair per local
 * workload and one dispatch rule per interface (calico.md §2.1, §2.5). Names come from the pod list (its
 * `hostInterface`, or Calico's interface-name hash of `<namespace>.<pod>`, §2.4); addresses from the pod
 * list or from `ip route` (felix's route `<podIP> dev caliXXXX scope link`, §2.4).
 */
import { cidrContains, parseAddress, parseCidr } from '../../model/address.js';
import type { Route } from '../../model/network.js';
import type { Pod } from '../../model/pod.js';
import type { Ruleset } from '../../model/ruleset.js';
import { listTargetChain } from '../../model/target.js';
import { classifyCalicoChain } from './chain-names.js';
import { calicoInterfaceName, matchPodByInterface } from './interface-names.js';

/** A local workload: one interface felix wrote chains or dispatch rules for. */
export interface Workload {
  /** Host-side interface (`cali95aa86cbb2a`). */
  interface: string;
  namespace?: string;
  name?: string;
  /** The pod's addresses, when the pod list or the routes tell them. */
  ips: string[];
  /** Where `namespace`/`name` came from: the pod list (`hostInterface` or Calico's name hash), or nowhere. */
  identity: 'pod-list' | 'calico-name' | 'unknown';
  /** Where `ips` came from. */
  ipsFrom?: 'pod-list' | 'routes' | 'given';
  /** Whether the rules hold `cali-tw-<iface>` / `cali-fw-<iface>` (a grep excerpt may hold only one). */
  hasIngressChain: boolean;
  hasEgressChain: boolean;
}

/** `default/db-8d66ff5f7-bp6kf (cali95aa86cbb2a)`, or the interface alone. */
export function formatWorkload(w: Pick<Workload, 'interface' | 'namespace' | 'name'>): string {
  return w.name !== undefined ? `${w.namespace ?? '?'}/${w.name} (${w.interface})` : w.interface;
}

/**
 * Every workload interface in the rules: suffixes of cali-tw-/cali-fw- chains and the chains dispatch rules
 * go to (an excerpt may hold the dispatch rule of a chain it cut), named and addressed from the pods and
 * routes when given. Sorted by interface for a stable order.
 */
export function listWorkloads(ruleset: Ruleset, pods: readonly Pod[] = [], routes: readonly Route[] = []): Workload[] {
  const filter = ruleset.tables.get('filter');
  const ingress = new Set<string>();
  const egress = new Set<string>();
  const all = new Set<string>();
  for (const chain of filter?.chains.values() ?? []) {
    const c = classifyCalicoChain(chain.name);
    if (c?.interface && c.kind === 'to-workload') {
      all.add(c.interface);
      if (chain.ruleCount > 0 || chain.declared) ingress.add(c.interface);
    }
    if (c?.interface && c.kind === 'from-workload') {
      all.add(c.interface);
      if (chain.ruleCount > 0 || chain.declared) egress.add(c.interface);
    }
    if (c?.kind === 'from-workload-dispatch' || c?.kind === 'to-workload-dispatch') {
      for (const rule of chain.listRules()) {
        const target = listTargetChain(rule.target);
        const tc = target ? classifyCalicoChain(target) : undefined;
        if (tc?.interface && (tc.kind === 'to-workload' || tc.kind === 'from-workload')) all.add(tc.interface);
      }
    }
  }
  return [...all].sort().map((iface) => {
    const pod = matchPodByInterface(iface, pods);
    const routed = routes
      .filter((r) => r.device === iface && r.type === 'unicast' && isHostRoute(r.destination))
      .map((r) => r.destination.replace(/\/(32|128)$/, ''));
    const ips = pod && pod.ips.length > 0 ? [...pod.ips] : routed;
    return {
      interface: iface,
      ...(pod ? { namespace: pod.namespace, name: pod.name } : {}),
      ips,
      identity: pod ? (pod.hostInterface === iface ? 'pod-list' : 'calico-name') : 'unknown',
      ...(ips.length > 0 ? { ipsFrom: pod && pod.ips.length > 0 ? 'pod-list' : 'routes' } : {}),
      hasIngressChain: ingress.has(iface),
      hasEgressChain: egress.has(iface),
    } satisfies Workload;
  });
}

function isHostRoute(destination: string): boolean {
  const c = parseCidr(destination);
  return c !== undefined && c.prefixLength === (c.family === 4 ? 32 : 128);
}

/** The outcome of looking a workload up. */
export type WorkloadLookup =
  | { status: 'found'; workload: Workload; how: string }
  | { status: 'ambiguous'; candidates: Workload[]; how: string }
  | { status: 'not-found'; why: string; known: Workload[] };

/**
 * Finds the workload a user means: an interface name, an IP, `ns/name`, a full pod name, or a name prefix
 * (`db` → `db-8d66ff5f7-bp6kf`), narrowed by `namespace` when given. Without a pod list a full pod name with
 * its namespace still works (its Calico interface name is computed). Several matches are returned as
 * candidates for the user to choose from.
 */
export function findWorkload(query: string, namespace: string | undefined, workloads: readonly Workload[], pods: readonly Pod[] = []): WorkloadLookup {
  const byIface = workloads.find((w) => w.interface === query);
  if (byIface) return { status: 'found', workload: byIface, how: `interface ${query}` };
  if (parseAddress(query)) {
    const hits = workloads.filter((w) => w.ips.some((ip) => sameAddress(ip, query)));
    if (hits.length === 1) return { status: 'found', workload: hits[0]!, how: `address ${query}` };
    if (hits.length > 1) return { status: 'ambiguous', candidates: hits, how: `address ${query}` };
    const pod = pods.find((p) => p.ips.some((ip) => sameAddress(ip, query)));
    const anyIps = workloads.some((w) => w.ips.length > 0);
    return {
      status: 'not-found',
      why: pod
        ? `${query} is pod ${pod.namespace}/${pod.name}, but the rules hold no Calico chains for it (${pod.hostInterface ?? calicoInterfaceName(pod.namespace, pod.name)}): it runs on another node, or felix has not programmed it`
        : anyIps
          ? `no workload of this node has the address ${query}`
          : `cannot tell which interface has ${query}: give the node's routes (\`ip route\`) or a pod list, or name the pod by its interface`,
      known: [...workloads],
    };
  }
  let ns = namespace;
  let name = query;
  const slash = /^([^/]+)\/([^/]+)$/.exec(query);
  if (slash) {
    ns = slash[1];
    name = slash[2]!;
  }
  const named = workloads.filter((w) => w.name !== undefined && (ns === undefined || w.namespace === ns));
  const exact = named.filter((w) => w.name === name);
  if (exact.length === 1) return { status: 'found', workload: exact[0]!, how: `pod ${exact[0]!.namespace}/${name}` };
  if (exact.length > 1) return { status: 'ambiguous', candidates: exact, how: `pod name ${name}` };
  const prefixed = named.filter((w) => w.name!.startsWith(name));
  if (prefixed.length === 1) return { status: 'found', workload: prefixed[0]!, how: `name prefix ${name}` };
  if (prefixed.length > 1) return { status: 'ambiguous', candidates: prefixed, how: `name prefix ${name}` };
  // No pod list (or the pod is not in it): a full name with its namespace still gives the interface.
  for (const guessNs of ns !== undefined ? [ns] : []) {
    const iface = calicoInterfaceName(guessNs, name);
    const w = workloads.find((x) => x.interface === iface);
    if (w) return { status: 'found', workload: { ...w, namespace: guessNs, name, identity: 'calico-name' }, how: `Calico interface name of ${guessNs}/${name}` };
  }
  const pod = pods.find((p) => p.name.startsWith(name) && (ns === undefined || p.namespace === ns));
  return {
    status: 'not-found',
    why: pod
      ? `pod ${pod.namespace}/${pod.name} is in the pod list, but the rules hold no Calico chains for it: it runs on another node, or felix has not programmed it`
      : named.length === 0
        ? `no pod list was given, so pods are known by interface only${ns === undefined ? ' (a full pod name with -n <namespace> also works: its Calico interface name is computed)' : ` and no workload interface is cali+sha1("${ns}.${name}")`}`
        : `no pod${ns !== undefined ? ` in namespace ${ns}` : ''} is named ${name} or starts with it`,
    known: [...workloads],
  };
}

function sameAddress(a: string, b: string): boolean {
  const x = parseAddress(a);
  const y = parseAddress(b);
  return x !== undefined && y !== undefined && x.family === y.family && x.value === y.value;
}

/** The workload whose address is `ip` (for naming peers), if any. */
export function getWorkloadByIp(ip: string, workloads: readonly Workload[]): Workload | undefined {
  return workloads.find((w) => w.ips.some((x) => sameAddress(x, ip)));
}
