/**
 * A node in a box for the collect tests: the kernel harness's lab (harness.ts: a node namespace, pod
 * namespaces wired like Calico, listeners) plus what a real node carries besides rules — ipsets of the
 * types kube-proxy and Calico use, a legacy-backend "ghost" rule next to the nf_tables rules, and conntrack
 * entries made by real connections between the lab's namespaces. Also: a snapshot of the node's state
 * (rules, sets, conntrack) to prove collection changed nothing, and scratch namespaces for load tests.
 * Every namespace name starts with the harness prefix, so cleanupStale() removes leftovers of dead runs.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lab, NETNS_PREFIX, run, runIn, type LabSpec } from './harness.js';

/** Repository root (for bin/dev.js and samples/). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The CLI as a user runs it from a checkout. */
export const DEV = join(ROOT, 'bin', 'dev.js');

/** The box: samples/clusterip-nginx.rules, the nginx endpoint pod and a client pod (as in trace-agreement). */
export const BOX_SPEC: LabSpec = {
  nodeIp: '172.18.0.2',
  externalIp: '172.18.0.100',
  pods: [
    { name: 'nginx', ip: '10.244.2.2', tcp: [80] },
    { name: 'client', ip: '10.244.1.3' },
  ],
};
/** The ClusterIP of default/nginx in that sample. */
export const CLUSTER_IP = '10.96.34.82';

/**
 * ipsets created in the node, one per type kube-proxy (pkg/proxy/ipvs/ipset.go) and Calico (felix ipsets)
 * use, with member options: comment, timeout, nomatch. `ipset create/add` (ipset(8)), one command each.
 */
export const BOX_SETS: { create: string[]; add: string[][] }[] = [
  {
    create: ['KNETDBG-CLUSTER-IP', 'hash:ip,port', 'comment'],
    add: [
      ['KNETDBG-CLUSTER-IP', `${CLUSTER_IP},tcp:80`, 'comment', 'default/nginx:http'],
      ['KNETDBG-CLUSTER-IP', '10.96.0.10,udp:53', 'comment', 'kube-system/kube-dns:dns'],
    ],
  },
  { create: ['KNETDBG-POD-NETS', 'hash:net'], add: [['KNETDBG-POD-NETS', '10.244.0.0/16'], ['KNETDBG-POD-NETS', '10.244.9.0/24', 'nomatch']] },
  { create: ['KNETDBG-NODE-PORTS', 'bitmap:port', 'range', '30000-32767'], add: [['KNETDBG-NODE-PORTS', '30080']] },
  { create: ['KNETDBG-LOOPBACK', 'hash:ip,port,ip'], add: [['KNETDBG-LOOPBACK', '10.244.2.2,tcp:80,10.244.2.2']] },
  { create: ['KNETDBG-LB-SRC', 'hash:ip,port,net'], add: [['KNETDBG-LB-SRC', '10.96.34.82,tcp:80,192.168.0.0/16']] },
  { create: ['KNETDBG-TIMED', 'hash:ip', 'timeout', '3600'], add: [['KNETDBG-TIMED', '10.244.1.3', 'timeout', '3000']] },
  { create: ['KNETDBG-ALL', 'list:set'], add: [['KNETDBG-ALL', 'KNETDBG-CLUSTER-IP'], ['KNETDBG-ALL', 'KNETDBG-POD-NETS']] },
];

/** A rule loaded through the legacy backend only: invisible to iptables-nft-save. */
export const GHOST_RULE = ['-A', 'INPUT', '-s', '192.0.2.66/32', '-j', 'DROP'];

/** Builds the box, loads rules and sets, and makes one pod → ClusterIP connection. */
export async function buildNodeBox(options: { ghostRule?: boolean } = {}): Promise<Lab> {
  const lab = await Lab.create(BOX_SPEC);
  try {
    await lab.loadRules(readFileSync(join(ROOT, 'samples', 'clusterip-nginx.rules'), 'utf8'));
    for (const set of BOX_SETS) {
      await runIn(lab.node, 'ipset', ['create', ...set.create]);
      for (const add of set.add) await runIn(lab.node, 'ipset', ['add', ...add]);
    }
    if (options.ghostRule) await runIn(lab.node, 'iptables-legacy', GHOST_RULE);
    const [result] = await lab.connect({ kind: 'pod', name: 'client' }, CLUSTER_IP, 80, { timeoutMs: 3000 });
    if (result?.outcome !== 'answered') throw new Error(`pod → ClusterIP connection failed: ${JSON.stringify(result)}`);
    return lab;
  } catch (error) {
    await lab.destroy();
    throw error;
  }
}

/** The node state collection must leave untouched, each normalised only where the kernel itself moves on. */
export interface NodeState {
  /** iptables-save of both backends and families, without counters or the dated header/footer comments. */
  rules: string;
  /** `ipset save`, member timeouts (which count down) replaced by `timeout T`. */
  sets: string;
  /** `conntrack -L` of both families, sorted, timeouts removed. */
  conntrack: string;
  /** `nft list ruleset` without counters. */
  nft: string;
  /** The sysctls knetdbg reads. */
  sysctl: string;
}

/** Reads {@link NodeState} from a namespace. */
export async function readNodeState(ns: string): Promise<NodeState> {
  const uncomment = (t: string): string => t.split('\n').filter((l) => !l.startsWith('#')).join('\n');
  const rules: string[] = [];
  for (const tool of ['iptables-nft-save', 'ip6tables-nft-save', 'iptables-legacy-save', 'ip6tables-legacy-save']) {
    rules.push(`== ${tool}\n${uncomment((await runIn(ns, tool, [])).stdout)}`);
  }
  const sets = (await runIn(ns, 'ipset', ['save'])).stdout.replace(/ timeout \d+/g, ' timeout T');
  const ct: string[] = [];
  for (const family of ['ipv4', 'ipv6']) {
    const out = (await runIn(ns, 'conntrack', ['-L', '-f', family], { allowFail: true })).stdout;
    // `tcp      6 117 TIME_WAIT src=…`: the third field is the timeout, which ticks.
    ct.push(...out.split('\n').filter(Boolean).map((l) => l.replace(/^(\S+\s+\d+\s+)\d+/, '$1T')));
  }
  const nft = (await runIn(ns, 'nft', ['list', 'ruleset'])).stdout.replace(/counter packets \d+ bytes \d+/g, 'counter');
  const sysctl = (await runIn(ns, 'sysctl', ['net.ipv4.ip_forward', 'net.ipv4.conf.all.rp_filter', 'net.ipv4.conf.all.route_localnet'])).stdout;
  return { rules: rules.join('\n'), sets, conntrack: ct.sort().join('\n'), nft, sysctl };
}

/** A bare namespace for load tests (no links); removed by the returned function, which never throws. */
export async function createScratchNetns(): Promise<{ ns: string; remove: () => Promise<void> }> {
  const ns = `${NETNS_PREFIX}${process.pid}-${randomBytes(3).toString('hex')}-scratch`;
  await run('ip', ['netns', 'add', ns]);
  return {
    ns,
    remove: async () => {
      await run('ip', ['netns', 'del', ns], { allowFail: true });
    },
  };
}

/**
 * `conntrack -R` input creating `count` assured TCP entries (conntrack(8) 1.4.7: `-R, --load-file` reads one
 * command per line; about 150k entries/s here, against ~300/s for one `conntrack -I` process per entry).
 * Addresses are documentation/test ranges inside the scratch namespace only; no packet is sent.
 */
export function renderConntrackLoadFile(count: number): string {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const a = Math.floor(i / 60000);
    const port = 1024 + (i % 60000);
    lines.push(`-I -s 10.${100 + (a % 100)}.${(i >> 8) & 255}.${(i & 255) || 1} -d 10.96.0.${1 + (a % 250)} -p tcp --sport ${port} --dport 443 --state ESTABLISHED -t 3600 -u ASSURED`);
  }
  return `${lines.join('\n')}\n`;
}

/** The Kubernetes identity given to a box pod in a fake node root (see {@link writeNodeRoot}). */
export interface BoxPodIdentity {
  /** The lab pod (BOX_SPEC.pods[].name). */
  labName: string;
  namespace: string;
  name: string;
  uid: string;
  /** Pod sandbox id (64 hex digits), the CNI cache's containerId. */
  sandboxId: string;
}

/** A box pod as written into the fake root, with what the kernel says about it. */
export interface BoxPodOnRoot extends BoxPodIdentity {
  ip: string;
  /** The lab's network namespace of the pod. */
  netns: string;
  /** Host side of the pod's veth in the node namespace (`cali…`), read from the node's /32 route to the pod. */
  hostInterface: string;
}

/** Names the box pods as a kubelet would: default/nginx-… (the ClusterIP's endpoint) and default/client-…. */
export function makeBoxIdentities(): BoxPodIdentity[] {
  const uid = (): string => {
    const h = randomBytes(16).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  const sandbox = (): string => randomBytes(32).toString('hex');
  return [
    { labName: 'nginx', namespace: 'default', name: `nginx-7d9fc5b4f-${randomBytes(3).toString('hex').slice(0, 5)}`, uid: uid(), sandboxId: sandbox() },
    { labName: 'client', namespace: 'default', name: `client-6c8f7b5d9-${randomBytes(3).toString('hex').slice(0, 5)}`, uid: uid(), sandboxId: sandbox() },
  ];
}

/**
 * Writes a fake node filesystem root for the box under `root`, as `--root` reads it: one libcni cache file per
 * pod in `var/lib/cni/results/k8s-pod-network-<sandbox>-eth0` (containernetworking/cni libcni/api.go
 * `cachedInfo`, with Calico's result: only the host veth in `interfaces`, calico.md), the pod's network
 * namespace path `/var/run/netns/<netns>` made real by a symlink `root/var/run/netns/<netns>` → /run/netns
 * (where `ip netns` binds them, ip-netns(8)), and the kubelet's `var/log/pods/<ns>_<name>_<uid>` folders.
 */
export async function writeNodeRoot(lab: Lab, root: string, identities: BoxPodIdentity[]): Promise<BoxPodOnRoot[]> {
  const results = join(root, 'var/lib/cni/results');
  mkdirSync(results, { recursive: true });
  mkdirSync(join(root, 'var/run/netns'), { recursive: true });
  const out: BoxPodOnRoot[] = [];
  for (const id of identities) {
    const { ns, src: ip } = lab.sourceOf({ kind: 'pod', name: id.labName });
    // harness.ts routes each pod's /32 through its host veth: `10.244.2.2 dev caliXXXX scope link`.
    const route = (await runIn(lab.node, 'ip', ['-o', 'route', 'show', `${ip}/32`])).stdout;
    const dev = /\bdev (\S+)/.exec(route)?.[1];
    if (dev === undefined) throw new Error(`no route to ${ip} in ${lab.node}: ${route}`);
    const netnsPath = `/var/run/netns/${ns}`;
    symlinkSync(`/run/netns/${ns}`, join(root, netnsPath));
    const config = Buffer.from(JSON.stringify({ name: 'k8s-pod-network', cniVersion: '0.3.1', plugins: [{ type: 'calico' }, { type: 'portmap', snat: true }] })).toString('base64');
    const cached = {
      kind: 'cniCacheV1',
      containerId: id.sandboxId,
      config,
      ifName: 'eth0',
      networkName: 'k8s-pod-network',
      netns: netnsPath,
      cniArgs: [['K8S_POD_NAMESPACE', id.namespace], ['K8S_POD_NAME', id.name], ['K8S_POD_INFRA_CONTAINER_ID', id.sandboxId], ['K8S_POD_UID', id.uid], ['IgnoreUnknown', '1']],
      result: { cniVersion: '0.3.1', interfaces: [{ name: dev }], ips: [{ version: '4', address: `${ip}/32` }], dns: {} },
    };
    writeFileSync(join(results, `k8s-pod-network-${id.sandboxId}-eth0`), JSON.stringify(cached));
    mkdirSync(join(root, 'var/log/pods', `${id.namespace}_${id.name}_${id.uid}`), { recursive: true });
    out.push({ ...id, ip, netns: ns, hostInterface: dev });
  }
  return out;
}
