/**
 * A Calico node in a box, on top of the kernel harness (harness.ts): the same lab of network namespaces,
 * with each pod's host-side veth renamed to the name Calico's CNI plugin gives it ("cali" +
 * sha1("<namespace>.<pod>")[:11], calico.md §2.4), so the rules' dispatch chains (`-o cali95aa86cbb2a -g
 * cali-tw-…`) meet real interfaces; the sample's Calico ipsets created with `ipset restore` (ipset(8)) before
 * the rules that use them are loaded; and a node snapshot (ip route, ip addr, ipset list, read back from the
 * kernel and parsed by knetdbg's own parsers) for `traceQuery` and `explainPolicy`.
 */
import { calicoInterfaceName } from '../../src/interpret/calico/interface-names.js';
import type { IpSet } from '../../src/model/ipset.js';
import type { Pod } from '../../src/model/pod.js';
import type { NodeSnapshot } from '../../src/model/snapshot.js';
import { parseIpAddr } from '../../src/parse/ip-addr.js';
import { parseIpRoute } from '../../src/parse/ip-route.js';
import { parseIpsetList } from '../../src/parse/ipset.js';
import { Lab, runIn, type LabSpec } from './harness.js';

/** A pod of a Calico sample: its Kubernetes identity, address and listening ports. */
export interface CalicoPodSpec {
  namespace: string;
  name: string;
  ip: string;
  tcp?: number[];
}

/** The node: its address, an external client (and extra client addresses), the pods. */
export interface CalicoLabSpec {
  nodeIp: string;
  externalIp: string;
  externalExtraIps?: string[];
  pods: CalicoPodSpec[];
}

/** The lab's name for a pod (the harness keys pods by one name; the listener answers with it). */
export function labPodName(pod: Pick<CalicoPodSpec, 'namespace' | 'name'>): string {
  return `${pod.namespace}/${pod.name}`;
}

/**
 * `ipset restore` input recreating the sets as listed: one `create` with the listed type and family, one `add`
 * per member (ipset(8) "RESTORE"). Only what the sample sets carry (hash:net / hash:ip members, nomatch).
 */
export function formatIpsetRestore(sets: readonly IpSet[]): string {
  const lines: string[] = [];
  for (const set of sets) {
    lines.push(`create ${set.name} ${set.type} family ${set.family ?? 'inet'}`);
    for (const m of set.members) lines.push(`add ${set.name} ${m.elements.join(',')}${m.nomatch ? ' nomatch' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The lab, the pods as knetdbg models them, and the Calico interface of each. */
export interface CalicoLab {
  lab: Lab;
  pods: Pod[];
  /** Pod IP → host interface. */
  interfaceOf: Map<string, string>;
}

/**
 * Builds the lab: namespaces and listeners by the harness, then every host-side veth renamed to its Calico
 * name (a link must be down to be renamed, which removes its routes, so the /32 route is added again), the
 * ipsets restored, and the rules loaded. Tears everything down if any step fails.
 */
export async function createCalicoLab(spec: CalicoLabSpec, rules: string, sets: readonly IpSet[]): Promise<CalicoLab> {
  const labSpec: LabSpec = {
    nodeIp: spec.nodeIp,
    externalIp: spec.externalIp,
    ...(spec.externalExtraIps ? { externalExtraIps: spec.externalExtraIps } : {}),
    pods: spec.pods.map((p) => ({ name: labPodName(p), ip: p.ip, ...(p.tcp ? { tcp: p.tcp } : {}) })),
  };
  const lab = await Lab.create(labSpec);
  try {
    const interfaceOf = new Map<string, string>();
    for (const pod of spec.pods) {
      const route = await runIn(lab.node, 'ip', ['-o', 'route', 'get', pod.ip]);
      const current = /\bdev (\S+)/.exec(route.stdout)?.[1];
      if (!current) throw new Error(`no route to ${pod.ip} in the node: ${route.stdout}`);
      const wanted = calicoInterfaceName(pod.namespace, pod.name);
      await runIn(lab.node, 'ip', ['link', 'set', current, 'down']);
      await runIn(lab.node, 'ip', ['link', 'set', current, 'name', wanted]);
      await runIn(lab.node, 'ip', ['link', 'set', wanted, 'up']);
      await runIn(lab.node, 'ip', ['route', 'replace', `${pod.ip}/32`, 'dev', wanted]);
      interfaceOf.set(pod.ip, wanted);
    }
    await runIn(lab.node, 'ipset', ['restore'], { input: formatIpsetRestore(sets) });
    await lab.loadRules(rules);
    const pods: Pod[] = spec.pods.map((p) => ({ namespace: p.namespace, name: p.name, ips: [p.ip], foundBy: 'given', hostInterface: interfaceOf.get(p.ip)! }));
    return { lab, pods, interfaceOf };
  } catch (e) {
    await lab.destroy();
    throw e;
  }
}

/**
 * What the node looks like to `knetdbg collect`, read from the kernel: `ip route show table all`, `ip addr`
 * and `ipset list` in the node namespace, parsed by knetdbg's parsers, plus the pods.
 */
export async function readNodeSnapshot(lab: Lab, pods: Pod[]): Promise<NodeSnapshot> {
  const routes = await runIn(lab.node, 'ip', ['route', 'show', 'table', 'all']);
  const addrs = await runIn(lab.node, 'ip', ['addr']);
  const sets = await runIn(lab.node, 'ipset', ['list']);
  return {
    origin: `netns ${lab.node}`,
    iptables: [],
    ipsets: parseIpsetList(sets.stdout, 'ipset list').sets,
    conntrack: [],
    interfaces: parseIpAddr(addrs.stdout, 'ip addr').interfaces,
    routes: parseIpRoute(routes.stdout, 'ip route show table all').routes,
    sysctls: {},
    pods,
    missing: [],
    diagnostics: [],
  };
}

/** nft rule handle → (table, chain, 1-based position), as `Lab.ruleHandles()` returns it. */
type HandleMap = Map<string, Map<number, { table: string; chain: string; rule: number }>>;

/**
 * The handle map with the harness's TRACE rules taken out of the numbering. `Lab.startTrace` inserts them at
 * the top of raw PREROUTING/OUTPUT; felix also has rules there (`-j cali-PREROUTING`), whose kernel positions
 * are therefore one per TRACE rule higher than in the dump.
 */
export function renumberWithoutTraceRules(handles: HandleMap, traceHandles: Set<number>): HandleMap {
  const out: HandleMap = new Map();
  for (const [table, map] of handles) {
    const skipped = [...map].filter(([h]) => table === 'raw' && traceHandles.has(h)).map(([, p]) => p);
    const renumbered = new Map<number, { table: string; chain: string; rule: number }>();
    for (const [h, p] of map) {
      const before = skipped.filter((s) => s.chain === p.chain && s.rule < p.rule).length;
      renumbered.set(h, { ...p, rule: p.rule - before });
    }
    out.set(table, renumbered);
  }
  return out;
}
