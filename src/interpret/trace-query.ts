import { type Cidr, cidrContains, formatAddress, formatEndpoint, parseAddress, parseCidr } from '../model/address.js';
import type { Family } from '../model/rule.js';
import { InputError } from '../model/source.js';
import type { NodeContext } from '../engine/context.js';
import type { Packet } from '../engine/packet.js';
import type { TraceBranch, TraceProblem } from '../engine/result.js';
import { tracePacket } from '../engine/walk.js';
import { parseIptables } from '../parse/iptables-save.js';
import {
  assumeStandardChains,
  buildServiceIndex,
  clusterCidrs,
  describeBranch,
  describeStep,
  listFindings,
  loadServiceList,
} from './kube-proxy/index.js';
import type { Finding, PathStep, TraceOutcome, TraceReport } from './report.js';
import { listFlowEntries, type SnapshotView, viewSnapshot } from './node-context.js';
import type { NodeSnapshot } from '../model/snapshot.js';
import type { IpSet } from '../model/ipset.js';
import { calicoInterfaceName, type Pod } from '../model/pod.js';
import { formatConntrackEntry } from './conntrack-view.js';
import { type CalicoContext, describeCalicoStep, detectMarkLayout, listCalicoFindings } from './calico/index.js';
import type { Ruleset } from '../model/ruleset.js';

/** The rules to trace over, as text, with the file they came from (for line references). */
export interface TraceInput {
  /** iptables-save (or -S, or an excerpt) as text, or as the file's bytes (indexed without decoding). */
  text: string | Uint8Array;
  file: string;
  /** `kubectl get svc -A -o json`, to name services when rule comments are missing. */
  servicesJson?: { text: string; file: string };
  /** The node's addresses, routes, ipsets, pods and conntrack entries, when captured (src/collect). */
  snapshot?: NodeSnapshot;
}

/** What to trace: a new connection to `destination[:port]`. */
export interface TraceQueryOptions {
  destination: string;
  port?: number;
  protocol?: 'tcp' | 'udp' | 'sctp';
  /** Source address; default: a pod address of this cluster (said in the assumptions). */
  src?: string;
  /** The node's own addresses (LOCAL for addrtype, and the routing decision). */
  nodeIps?: string[];
  /** Interface the packet arrives on (PREROUTING); default: see `chooseInInterface`. */
  inInterface?: string;
}

/** The always-local ranges of the kernel's `local` table (netfilter.md §6 addrtype). */
const LOOPBACK: Record<Family, string> = { 4: '127.0.0.0/8', 6: '::1/128' };

/**
 * Traces a new connection through the rules: parse → (excerpt assumptions) → netfilter walk →
 * kube-proxy meaning. Returns the `--json` payload of `knetdbg trace`.
 */
export function traceQuery(input: TraceInput, query: TraceQueryOptions): TraceReport {
  const dst = parseAddress(query.destination);
  if (!dst) throw new InputError({ file: '<arguments>', line: 0 }, `"${query.destination}" is not an IPv4 or IPv6 address`);
  const family = dst.family;
  const protocol = query.protocol ?? 'tcp';
  const ruleset = parseIptables(input.text, input.file, { family });
  const assumptions: string[] = [];
  if (ruleset.format === 'excerpt') assumptions.push(...assumeStandardChains(ruleset));
  assumptions.push(...ruleset.assumptions.filter((a) => !assumptions.includes(a)));

  const catalog = input.servicesJson ? loadServiceList(input.servicesJson.text, input.servicesJson.file) : undefined;
  const index = buildServiceIndex(ruleset, catalog);

  const calicoRules = hasCalicoChains(ruleset);
  let snapshot = input.snapshot;
  if (snapshot && calicoRules) {
    const named = nameCalicoInterfaces(snapshot, ruleset);
    snapshot = named.snapshot;
    assumptions.push(...named.assumptions);
  }
  const view = snapshot ? viewSnapshot(snapshot, family, { podRoutesViaHostInterface: calicoRules }) : undefined;
  if (view) assumptions.push(...view.assumptions);
  const local: Cidr[] = view ? [...view.node.localAddresses] : [parseCidr(LOOPBACK[family])!];
  for (const ip of query.nodeIps ?? []) {
    const c = parseCidr(ip);
    if (!c) throw new InputError({ file: '<arguments>', line: 0 }, `--node-ip "${ip}" is not an IP address`);
    local.push(c);
  }
  // IPVS mode binds every service address to kube-ipvs0: they are LOCAL, and IPVS (not iptables) takes the
  // packet after filter INPUT (kube-proxy.md §5). The sets kube-proxy keeps say which addresses those are.
  const ipvs = index.generation.id === 'ipvs';
  const ipvsSets = view?.node.ipsets ?? new Map<string, IpSet>();
  const ipvsAddresses = ipvs ? listIpvsServiceAddresses(ipvsSets, family) : [];
  if (ipvs) {
    local.push(...ipvsAddresses.map((a) => parseCidr(a)!));
    assumptions.push(
      ipvsAddresses.length > 0
        ? `kube-proxy IPVS mode: ${ipvsAddresses.length === 1 ? 'the service address of its ipsets is' : `the ${ipvsAddresses.length} service addresses of its ipsets are`} bound to kube-ipvs0, hence local`
        : "kube-proxy IPVS mode, but its ipsets (KUBE-CLUSTER-IP …) were not given: service addresses cannot be told LOCAL (add the node's `ipset list`)",
    );
  }
  const destinationIsNodePort = view?.node.localAddressesComplete ? undefined : guessNodePortDestination(index, query, protocol);
  if (destinationIsNodePort) {
    local.push(parseCidr(query.destination)!);
    assumptions.push(destinationIsNodePort);
  }
  const nodeIpsGiven = (query.nodeIps?.length ?? 0) > 0;
  if (nodeIpsGiven && !view?.node.localAddressesComplete) {
    assumptions.push(
      `the node's local addresses are taken to be ${[...(query.nodeIps ?? []), LOOPBACK[family]].join(', ')} (--node-ip); others it may have (bridge, tunnel addresses) are not known`,
    );
  }
  const node: NodeContext = view
    ? { ...view.node, localAddresses: local, localAddressesComplete: view.node.localAddressesComplete || nodeIpsGiven }
    : { localAddresses: local, localAddressesComplete: nodeIpsGiven, ipsets: new Map() };

  // The service's endpoint addresses, looked up once and only when needed (default source, snapshot findings).
  let endpointCache: string[] | undefined;
  const listEndpoints = (): string[] => (endpointCache ??= index.endpointAddresses(query.destination, query.port, protocol));
  const podCidrs = clusterCidrs(ruleset);
  let source = query.src;
  let sourceAssumed = false;
  if (source === undefined) {
    const pod = pickSnapshotPod(snapshot, family, listEndpoints());
    source = pod ? pod.ips.find((ip) => parseAddress(ip)?.family === family)! : pickPodSource(podCidrs, family, listEndpoints());
    sourceAssumed = true;
    assumptions.push(
      pod
        ? `source ${source} assumed: pod ${pod.namespace}/${pod.name} on this node (pass --src to trace another client)`
        : `source ${source} assumed: a pod of this cluster (pass --src to trace another client)`,
    );
  } else if (!parseAddress(source)) {
    throw new InputError({ file: '<arguments>', line: 0 }, `--src "${source}" is not an IP address`);
  }
  const origin = local.some((c) => cidrContains(c, source!)) ? 'local' : 'remote';
  const inInterface = origin === 'local' ? '' : chooseInInterface(query, source, podCidrs, sourceAssumed, assumptions, view);
  if (origin === 'local') {
    assumptions.push(`${source} is a local address: the packet is sent by the node itself and starts on OUTPUT`);
  }
  assumptions.push('new connection: the first packet, mark 0 (NAT rules are consulted for the first packet only; existing entries are listed below when captured)');

  const packet: Packet = {
    family,
    protocol,
    src: source,
    dst: query.destination,
    dport: query.port,
    inInterface,
    outInterface: origin === 'local' ? undefined : '',
    mark: 0,
    ct: {
      state: new Set(['NEW']),
      status: new Set(),
      origSrc: source,
      origDst: query.destination,
      origDport: query.port,
      replySrc: query.destination,
      replyDst: source,
      mark: 0,
    },
  };
  const result = tracePacket(ruleset, packet, origin, node);
  for (const a of result.assumptions) if (!assumptions.includes(a)) assumptions.push(a);

  const calico: CalicoContext | undefined = calicoRules
    ? { layout: detectMarkLayout(ruleset), ipsets: node.ipsets, pods: snapshot?.pods ?? [], ruleset }
    : undefined;
  const outcomes = result.branches.map((b) => toOutcome(b, index, view, calico));
  if (ipvs) {
    for (const o of outcomes) {
      if (o.disposition !== 'local' || !ipvsAddresses.includes(query.destination)) continue;
      o.reason = `accepted into IPVS: ${formatEndpoint(query.destination, query.port)} is a virtual server on kube-ipvs0; IPVS picks the endpoint after filter INPUT (ipvsadm -Ln), which knetdbg does not model`;
    }
  }
  const findings: Finding[] = [
    ...ruleset.diagnostics.map((d) => ({
      severity: d.severity,
      code: 'input',
      message: `${d.source.file}:${d.source.line}: ${d.message}`,
      line: d.source.line,
    })),
    ...result.problems.map(problemFinding),
    ...listFindings(result, index, ruleset),
    ...(calico ? listCalicoFindings(result, calico) : []),
    ...(ipvs
      ? [
          {
            severity: 'warning' as const,
            code: 'ipvs-mode',
            message:
              'kube-proxy runs in IPVS mode: iptables only marks (KUBE-MARK-MASQ 0x4000) and filters; the endpoint is chosen by the IPVS virtual server (see `ipvsadm -Ln`), and the DNATed packet then leaves through OUTPUT and POSTROUTING (KUBE-POSTROUTING masquerades marked packets). knetdbg traces the iptables part only.',
          },
        ]
      : []),
    ...(snapshot ? listSnapshotFindings(snapshot, outcomes, query, protocol, listEndpoints()) : []),
  ];
  return {
    schemaVersion: 1,
    query: {
      destination: query.destination,
      port: query.port,
      protocol,
      source,
      sourceAssumed,
      startHook: origin === 'local' ? 'OUTPUT' : 'PREROUTING',
      ...(inInterface ? { inInterface } : {}),
      input: input.file,
    },
    outcomes,
    findings,
    assumptions,
  };
}

function toOutcome(
  b: TraceBranch,
  index: ReturnType<typeof buildServiceIndex>,
  view: SnapshotView | undefined,
  calico: CalicoContext | undefined,
): TraceOutcome {
  const named = describeBranch(b, index);
  const pod = view?.getPodByIp(b.packet.dst);
  if (pod) {
    // `default/nginx-7d9f… (10.244.2.2, cali…)`: the pod behind the endpoint, from the node's pod list.
    named.endpoint = `${pod.namespace}/${pod.name} (${b.packet.dst}${pod.hostInterface ? `, ${pod.hostInterface}` : ''})`;
  }
  const path: PathStep[] = b.path.map((s) => ({
    hook: s.hook,
    table: s.table,
    chain: s.chain,
    rule: s.rule ?? 0,
    line: s.line,
    text: s.text,
    ...(s.effect ? { effect: s.effect } : {}),
    ...(() => {
      const meaning = describeStep(s, index, { source: b.packet.ct.origSrc }) ?? (calico ? describeCalicoStep(s, calico) : undefined);
      return meaning ? { meaning } : {};
    })(),
    ...(s.ruleRef?.assumed ? { assumed: s.ruleRef.assumed } : {}),
  }));
  return {
    probability: b.probability,
    verdict: b.verdict,
    destination: formatEndpoint(b.packet.dst, b.packet.dport),
    masquerade: b.masquerade,
    disposition: b.disposition,
    reason: b.reason,
    ...(named.service ? { service: named.service } : {}),
    ...(named.endpoint ? { endpoint: named.endpoint } : {}),
    conditions: b.conditions,
    given: b.given,
    hooks: b.hooks,
    path,
  };
}

/**
 * The interface a remote packet arrives on, for `-i` matches. --in-iface wins. A client outside the pod
 * network comes in through the node's uplink; its name is not in the rules, so `eth0` is assumed and said.
 * A pod's host-side interface (veth/cali…) cannot be told from the rules alone: it stays unknown and `-i`
 * matches fork (a node snapshot with routes resolves it).
 */
function chooseInInterface(
  query: TraceQueryOptions,
  source: string,
  podCidrs: Cidr[],
  sourceAssumed: boolean,
  assumptions: string[],
  view: SnapshotView | undefined,
): string | undefined {
  if (query.inInterface !== undefined) {
    assumptions.push(`${source} arrives on ${query.inInterface} (--in-iface) and starts on PREROUTING`);
    return query.inInterface;
  }
  const arrival = view?.arrivalInterface(source);
  if (arrival !== undefined) {
    const pod = view?.getPodByIp(source);
    assumptions.push(
      `${source}${pod ? ` (${pod.namespace}/${pod.name})` : ''} arrives on ${arrival}: the interface the node routes ${source} through (reverse path), and starts on PREROUTING`,
    );
    return arrival;
  }
  const isPod = sourceAssumed || podCidrs.some((c) => cidrContains(c, source));
  if (isPod) {
    assumptions.push(
      `${source} is a pod address: the packet starts on PREROUTING; the pod's host interface is unknown, so rules matching -i fork (pass --in-iface)`,
    );
    return undefined;
  }
  assumptions.push(
    `${source} is outside the pod network: it arrives on the node's uplink, assumed to be eth0, and starts on PREROUTING (pass --in-iface to name it)`,
  );
  return 'eth0';
}

function problemFinding(p: TraceProblem): Finding {
  const severity = p.code === 'jump-loop' ? 'error' : 'warning';
  return { severity, code: p.code, message: p.message, ...(p.line ? { line: p.line } : {}) };
}

/**
 * Without --node-ip, a destination that is no service address but whose port is a NodePort is almost
 * certainly one of the node's own addresses (the user is tracing a NodePort). Returns the assumption to
 * state, or undefined.
 */
function guessNodePortDestination(
  index: ReturnType<typeof buildServiceIndex>,
  query: TraceQueryOptions,
  protocol: string,
): string | undefined {
  if ((query.nodeIps?.length ?? 0) > 0 || query.port === undefined) return undefined;
  if (index.isServiceAddress(query.destination)) return undefined;
  if (!index.isNodePort(query.port, protocol)) return undefined;
  return `${query.destination} assumed to be an address of this node: it is not a service IP and ${protocol}/${query.port} is a NodePort (pass --node-ip to be explicit)`;
}

/**
 * A pod address for the default source: inside the cluster CIDR found in the masquerade rules, not one
 * of the service's endpoints (that would be hairpin traffic). Without a CIDR, kube-proxy's documented
 * default cluster CIDR for kubeadm/flannel is used.
 */
function pickPodSource(cidrs: Cidr[], family: Family, endpoints: string[]): string {
  const cidr = cidrs.find((c) => c.family === family) ?? parseCidr(family === 4 ? '10.244.0.0/16' : 'fd00:10:244::/64')!;
  const bits = family === 4 ? 32 : 128;
  const hostBits = bits - cidr.prefixLength;
  const taken = new Set(endpoints);
  // Prefer a high host number: endpoints are usually allocated from the bottom of node ranges.
  const top = hostBits >= 8 ? (1n << BigInt(Math.min(hostBits, 16))) - 2n : (1n << BigInt(hostBits)) - 2n;
  for (let h = top; h > 0n; h--) {
    const candidate = formatAddress(family, cidr.network + h);
    if (!taken.has(candidate)) return candidate;
  }
  return formatAddress(family, cidr.network + 1n);
}

/** A pod of the snapshot to use as the default source: on this node, not an endpoint of the service. */
function pickSnapshotPod(snapshot: NodeSnapshot | undefined, family: Family, endpoints: string[]): Pod | undefined {
  if (!snapshot) return undefined;
  const taken = new Set(endpoints);
  return [...snapshot.pods]
    .sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`))
    .find((p) => p.ips.some((ip) => parseAddress(ip)?.family === family && !taken.has(ip)));
}

/**
 * What the node's captured state adds: existing conntrack entries of the traced flow (an established
 * connection or UDP flow pinned to an endpoint that is gone keeps going there until it expires), sysctls
 * that change the path, both iptables backends holding rules, sources that were not captured.
 */
function listSnapshotFindings(
  snapshot: NodeSnapshot,
  outcomes: TraceOutcome[],
  query: TraceQueryOptions,
  protocol: string,
  endpoints: string[],
): Finding[] {
  const findings: Finding[] = [];
  const flows = listFlowEntries(snapshot.conntrack, protocol, query.destination, query.port);
  if (flows.length > 0) {
    const current = new Set([...endpoints, ...outcomes.map((o) => o.destination.replace(/^\[?([^\]]+?)\]?:\d+$/, '$1'))]);
    const stale = flows.filter((e) => e.reply.src !== e.original.dst && !current.has(e.reply.src));
    findings.push({
      severity: 'info',
      code: 'conntrack-entries',
      message: `${flows.length} existing conntrack entr${flows.length === 1 ? 'y' : 'ies'} for ${protocol} ${query.destination}${query.port ? `:${query.port}` : ''}; their packets skip the nat rules and keep their endpoint: ${flows.slice(0, 5).map(formatConntrackEntry).join('; ')}${flows.length > 5 ? ` (+${flows.length - 5} more)` : ''}`,
    });
    for (const e of stale.slice(0, 10)) {
      findings.push({
        severity: 'warning',
        code: 'conntrack-stale-endpoint',
        message: `conntrack entry pinned to ${e.reply.src}${e.reply.sport ? `:${e.reply.sport}` : ''}, which is not an endpoint in the current rules: ${protocol === 'udp' ? 'this UDP flow keeps going to a pod that no longer serves it until the entry expires' : 'this connection stays on the old endpoint until it closes or expires'} (${e.timeout ?? '?'} s left; clear it with conntrack -D)${e.source ? ` [${e.source.file}:${e.source.line}]` : ''}`,
        ...(e.source ? { line: e.source.line } : {}),
      });
    }
  }
  if (snapshot.sysctls['net.ipv4.ip_forward'] === '0' && outcomes.some((o) => o.disposition === 'forwarded')) {
    findings.push({
      severity: 'error',
      code: 'ip-forward-disabled',
      message: 'net.ipv4.ip_forward = 0 on this node: forwarded packets (to pods on other interfaces) are dropped by the kernel before FORWARD',
    });
  }
  if (snapshot.missing.length > 0) {
    findings.push({
      severity: 'info',
      code: 'source-missing',
      message: `not in the input: ${snapshot.missing.map((m) => m.id).join(', ')} (${snapshot.missing[0]!.why}${snapshot.missing.length > 1 ? ', …' : ''})`,
    });
  }
  for (const d of snapshot.diagnostics) {
    findings.push({ severity: d.severity, code: 'snapshot', message: `${d.source.file}${d.source.line ? `:${d.source.line}` : ''}: ${d.message}`, ...(d.source.line ? { line: d.source.line } : {}) });
  }
  return findings;
}

/** Felix's top-level chains (calico.md §2): their presence means Calico rendered these rules. */
function hasCalicoChains(ruleset: Ruleset): boolean {
  const topLevel = ['cali-FORWARD', 'cali-PREROUTING', 'cali-INPUT', 'cali-OUTPUT'];
  for (const table of ruleset.tables.values()) if (topLevel.some((c) => table.chains.has(c))) return true;
  // Excerpts (`iptables-save | grep cali`) may lack the top-level chains; they are small, so look at every name.
  if (ruleset.format !== 'excerpt') return false;
  for (const table of ruleset.tables.values()) for (const name of table.chains.keys()) if (name.startsWith('cali-')) return true;
  return false;
}

/**
 * Pods listed without their host interface (a `kubectl get pods -o wide`) get Calico's: "cali" + sha1 of
 * "<namespace>.<pod>" (calico.md 2.4), when the rules hold that workload's chain, i.e. it is on this node.
 * Returns a copy of the snapshot with those interfaces; the caller's is left as it was.
 */
function nameCalicoInterfaces(snapshot: NodeSnapshot, ruleset: Ruleset): { snapshot: NodeSnapshot; assumptions: string[] } {
  const filter = ruleset.tables.get('filter')?.chains;
  const named: string[] = [];
  const pods = snapshot.pods.map((pod) => {
    if (pod.hostInterface) return pod;
    const iface = calicoInterfaceName(pod.namespace, pod.name);
    if (!filter?.has(`cali-tw-${iface}`)) return pod;
    named.push(`${pod.namespace}/${pod.name}: ${iface}`);
    return { ...pod, hostInterface: iface };
  });
  if (named.length === 0) return { snapshot, assumptions: [] };
  return {
    snapshot: { ...snapshot, pods },
    assumptions: [`pod interfaces from Calico's naming (cali + sha1 of namespace.pod), found in the rules: ${named.join(', ')}`],
  };
}

/**
 * The service addresses kube-proxy's IPVS mode lists in its ipsets (kube-proxy.md §5: KUBE-CLUSTER-IP,
 * KUBE-EXTERNAL-IP, KUBE-LOAD-BALANCER, `KUBE-6-…` for IPv6; members `ip,proto:port`): all bound to kube-ipvs0.
 */
function listIpvsServiceAddresses(sets: Map<string, IpSet>, family: Family): string[] {
  const names = ['KUBE-CLUSTER-IP', 'KUBE-EXTERNAL-IP', 'KUBE-LOAD-BALANCER'].map((n) => (family === 6 ? n.replace('KUBE-', 'KUBE-6-') : n));
  const out = new Set<string>();
  for (const name of names) {
    for (const m of sets.get(name)?.members ?? []) {
      const ip = m.elements[0];
      if (ip && parseAddress(ip)?.family === family) out.add(ip);
    }
  }
  return [...out];
}
