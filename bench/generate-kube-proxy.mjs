#!/usr/bin/env node
// Generates a current-generation (1.27+) kube-proxy iptables-mode node dump, byte for byte as
// `iptables-nft-save` v1.8.9 prints it, for the knetdbg benchmark (bench/README.md).
//
//   node bench/generate-kube-proxy.mjs --services 10000 --endpoints 10 [--seed 1] [-o file]
//   node bench/generate-kube-proxy.mjs ... --list-targets [--json]
//
// Rule shapes follow shared/reference/kube-proxy.md §3 (kubernetes pkg/proxy/iptables/proxier.go);
// printing follows netfilter.md §10 (canonical option order, /32, quoting) and §6 (statistic rounding).
import { mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  formatKubeProxyProbability,
  formatSavedProbability,
  getEndpointChainName,
  getServiceChainName,
} from './lib/kube-proxy-names.mjs';

/** Cluster-wide constants of the generated node (kubeadm defaults). */
export const CLUSTER = {
  /** kubeadm's default service CIDR. */
  serviceCidrBase: ipToInt('10.96.0.0'),
  serviceCidrSize: 1 << 20,
  /** Flannel's default pod CIDR; also kube-proxy's `--cluster-cidr` local-traffic detector. */
  clusterCidr: '10.244.0.0/16',
  /** This node's pod CIDR: endpoints in it are local (KUBE-SVL). */
  localNodeIndex: 7,
  /** RFC 2544 benchmarking range, so generated LoadBalancer IPs never collide with real ones. */
  loadBalancerBase: ipToInt('198.18.0.0'),
  /** kube-apiserver's default `--service-node-port-range`. */
  nodePortMin: 30000,
  nodePortMax: 32767,
  /** kube-dns ClusterIP in kubeadm clusters. */
  dnsIp: '10.96.0.10',
};

/** Fixed timestamp so the same seed gives the same bytes. */
const SAVE_DATE = 'Mon Jan  6 10:00:00 2025';
const SAVE_HEADER_TOOL = 'iptables-nft-save v1.8.9 (nf_tables)';

const NAMESPACE_WORDS = [
  'payments', 'checkout', 'catalog', 'stock', 'shipping', 'billing', 'identity', 'analytics',
  'search', 'recs', 'notify', 'ledger', 'monitoring', 'platform', 'shop', 'orders', 'pricing',
  'messaging', 'media', 'reports', 'risk', 'loyalty', 'partners', 'support',
];
const SERVICE_WORDS = [
  'api', 'gateway', 'worker', 'web', 'backend', 'cache', 'indexer', 'cron', 'jobs', 'auth',
  'session', 'events', 'exporter', 'proxy', 'router', 'store', 'query', 'writer', 'reader',
  'broker', 'sync', 'adapter', 'db', 'ui',
];
/** [portName, protocol, port, targetPort]; '' = unnamed port, servicePortName `ns/name`. */
const PORT_SHAPES = [
  ['http', 'tcp', 80, 8080],
  ['http', 'tcp', 80, 8080],
  ['', 'tcp', 80, 80],
  ['https', 'tcp', 443, 8443],
  ['grpc', 'tcp', 9090, 9090],
  ['web', 'tcp', 8080, 8080],
  ['', 'tcp', 5432, 5432],
  ['redis', 'tcp', 6379, 6379],
];
const SECOND_PORT_SHAPES = [
  ['metrics', 'tcp', 9100, 9100],
  ['grpc', 'tcp', 9090, 9090],
  ['admin', 'tcp', 8081, 8081],
];
const UDP_PORT_SHAPES = [
  ['syslog', 'udp', 514, 5514],
  ['statsd', 'udp', 8125, 8125],
  ['', 'udp', 4789, 4789],
];

/**
 * Deterministic 32-bit PRNG (mulberry32): the same seed must give the same dump on every machine,
 * which Math.random cannot.
 * @param {number} seed
 * @returns {() => number} uniform in [0, 1)
 */
export function createRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function ipToInt(ip) {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function intToIp(value) {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

/**
 * @typedef {object} Endpoint
 * @property {string} ip
 * @property {number} port target port
 * @property {boolean} local on this node (pod CIDR of CLUSTER.localNodeIndex)
 *
 * @typedef {object} ServicePort
 * @property {string} namespace
 * @property {string} name
 * @property {string} portName '' when unnamed
 * @property {string} servicePortName kube-proxy's `ns/name:port` or `ns/name`
 * @property {'tcp'|'udp'} protocol
 * @property {string} clusterIp
 * @property {number} port
 * @property {Endpoint[]} endpoints sorted as kube-proxy orders them (by `ip:port` string)
 * @property {number|undefined} nodePort
 * @property {string|undefined} loadBalancerIp
 * @property {string[]|undefined} sourceRanges loadBalancerSourceRanges
 * @property {number|undefined} healthCheckNodePort LoadBalancer with eTP=Local only
 * @property {boolean} externalLocal externalTrafficPolicy=Local
 * @property {boolean} affinity sessionAffinity=ClientIP
 */

/**
 * Builds the cluster the dump describes: `services` service ports, each with `endpoints`
 * endpoints, except the few deliberately generated without any.
 * @param {{ services: number, endpoints: number, seed: number }} options
 * @returns {{ servicePorts: ServicePort[], natOrder: ServicePort[], options: object }}
 */
export function buildCluster({ services, endpoints, seed }) {
  const random = createRandom(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const usedServiceIps = new Set([ipToInt('10.96.0.1'), ipToInt(CLUSTER.dnsIp)]);
  const usedNodePorts = new Set();
  const maxNodePortServices = Math.min(Math.floor(services * 0.1), 2400);

  const newServiceIp = () => {
    for (;;) {
      const value = CLUSTER.serviceCidrBase + 2 + Math.floor(random() * (CLUSTER.serviceCidrSize - 3));
      if (!usedServiceIps.has(value)) {
        usedServiceIps.add(value);
        return intToIp(value);
      }
    }
  };
  const newNodePort = () => {
    for (;;) {
      const port = CLUSTER.nodePortMin + Math.floor(random() * (CLUSTER.nodePortMax - CLUSTER.nodePortMin + 1));
      if (!usedNodePorts.has(port)) {
        usedNodePorts.add(port);
        return port;
      }
    }
  };
  /** Pod IPs of one service's backing pods; `localCount` of them on this node. */
  const newPodIps = (count, localCount) => {
    const ips = new Set();
    while (ips.size < count) {
      const local = ips.size < localCount;
      let node = Math.floor(random() * 256);
      if (local) node = CLUSTER.localNodeIndex;
      else if (node === CLUSTER.localNodeIndex) continue;
      ips.add(`10.244.${node}.${2 + Math.floor(random() * 253)}`);
    }
    return [...ips];
  };

  /** @type {ServicePort[]} */
  const servicePorts = [];
  const addPorts = (namespace, name, clusterIp, shapes, podIps, traits) => {
    for (const [portName, protocol, port, targetPort] of shapes) {
      const servicePortName = portName === '' ? `${namespace}/${name}` : `${namespace}/${name}:${portName}`;
      const eps = podIps
        .map((ip) => ({ ip, port: targetPort, local: ip.startsWith(`10.244.${CLUSTER.localNodeIndex}.`) }))
        .sort((a, b) => compareStrings(`${a.ip}:${a.port}`, `${b.ip}:${b.port}`));
      servicePorts.push({
        namespace, name, portName, servicePortName, protocol, clusterIp, port, endpoints: eps,
        nodePort: traits.nodePort ? newNodePort() : undefined,
        loadBalancerIp: traits.loadBalancerIp,
        sourceRanges: traits.sourceRanges,
        healthCheckNodePort: undefined,
        externalLocal: traits.externalLocal ?? false,
        affinity: traits.affinity ?? false,
      });
    }
  };

  // kube-dns first: three ports on 10.96.0.10, the shape of every kubeadm cluster (kube-proxy.md §2 vector).
  const dnsPorts = [['dns', 'udp', 53, 53], ['dns-tcp', 'tcp', 53, 53], ['metrics', 'tcp', 9153, 9153]]
    .slice(0, Math.max(0, Math.min(3, services)));
  addPorts('kube-system', 'kube-dns', CLUSTER.dnsIp, dnsPorts, newPodIps(endpoints, 0), {});

  let nodePortServices = 0;
  let loadBalancers = 0;
  let serviceIndex = 0;
  // A few services with no endpoints at all (filter REJECT only) and a few with no local endpoint.
  const noEndpointEvery = 500;
  while (servicePorts.length < services) {
    serviceIndex += 1;
    const namespace = pick(NAMESPACE_WORDS);
    const name = `${pick(SERVICE_WORDS)}-${serviceIndex}`;
    const remaining = services - servicePorts.length;
    const roll = random();
    let shapes;
    if (roll < 0.02) shapes = [pick(UDP_PORT_SHAPES)];
    else if (roll < 0.17 && remaining >= 2) shapes = [pick(PORT_SHAPES), pick(SECOND_PORT_SHAPES)];
    else shapes = [pick(PORT_SHAPES)];
    if (shapes.length === 2 && shapes[0][2] === shapes[1][2]) shapes = [shapes[0]];

    const traits = {};
    if (nodePortServices < maxNodePortServices && random() < 0.1) {
      traits.nodePort = true;
      nodePortServices += shapes.length;
      const kind = random();
      if (kind < 0.3) {
        traits.loadBalancerIp = intToIp(CLUSTER.loadBalancerBase + 1 + loadBalancers);
        loadBalancers += 1;
        if (loadBalancers % 60 === 0) traits.sourceRanges = ['203.0.113.0/24', '198.51.100.0/24'];
      }
      traits.externalLocal = random() < 0.25;
    }
    traits.affinity = !traits.nodePort && random() < 0.005;

    const withoutEndpoints = serviceIndex % noEndpointEvery === 0;
    const localCount = traits.externalLocal ? serviceIndex % 3 : 0;
    const podIps = withoutEndpoints ? [] : newPodIps(endpoints, Math.min(localCount, endpoints));
    addPorts(namespace, name, newServiceIp(), shapes.slice(0, remaining), podIps, traits);
  }
  for (const sp of servicePorts) {
    if (sp.loadBalancerIp !== undefined && sp.externalLocal) sp.healthCheckNodePort = newNodePort();
  }

  // kube-proxy walks a Go map, so KUBE-SERVICES order is arbitrary; a seeded shuffle keeps it
  // arbitrary but reproducible. Ports of one Service stay together, as they come from one object.
  const groups = new Map();
  for (const sp of servicePorts) {
    const key = `${sp.namespace}/${sp.name}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(sp);
  }
  const order = [...groups.values()];
  for (let i = order.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return { servicePorts, natOrder: order.flat(), options: { services, endpoints, seed } };
}

/** Byte-wise comparison, the `strcmp` order iptables-nft-save sorts user chains by. */
function compareStrings(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Built-in chains per table in hook order, as iptables-nft-save lists them (netfilter.md §10). */
const BUILTIN_CHAINS = {
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

/** One iptables table being assembled: chains in insertion order, each with its rule bodies. */
class TableBuilder {
  constructor(name) {
    this.name = name;
    /** @type {Map<string, string[]>} */
    this.chains = new Map(BUILTIN_CHAINS[name].map((chain) => [chain, []]));
  }

  chain(name) {
    if (!this.chains.has(name)) this.chains.set(name, []);
    return this;
  }

  /** Appends a rule; `body` is everything after `-A CHAIN `. */
  rule(chain, body) {
    this.chain(chain);
    this.chains.get(chain).push(body);
  }

  /** Lines as iptables-nft-save prints them: built-ins, then user chains by strcmp. */
  *lines() {
    const builtins = BUILTIN_CHAINS[this.name];
    const userChains = [...this.chains.keys()].filter((c) => !builtins.includes(c)).sort(compareStrings);
    const ordered = [...builtins, ...userChains];
    yield `*${this.name}`;
    for (const chain of ordered) yield builtins.includes(chain) ? `:${chain} ACCEPT [0:0]` : `:${chain} - [0:0]`;
    for (const chain of ordered) for (const body of this.chains.get(chain)) yield `-A ${chain} ${body}`;
    yield 'COMMIT';
  }
}

/**
 * Quotes a comment the way libxtables `xtables_save_string` does (netfilter.md §10).
 * @param {string} text
 */
function quote(text) {
  if (/^[A-Za-z0-9_-]+$/.test(text)) return text;
  return `"${text.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

/**
 * Renders the dump, one table block after another in iptables-nft's table order
 * (mangle, filter, nat), as `iptables-nft-save` v1.8.9 would print it.
 * @param {{ servicePorts: ServicePort[], natOrder: ServicePort[] }} cluster
 * @param {{ comments?: boolean }} [options] comments=false writes large-cluster mode (kube-proxy.md §3.7)
 * @returns {Generator<string>}
 */
export function* renderDump(cluster, { comments = true } = {}) {
  const mangle = new TableBuilder('mangle');
  // kubelet's backend hint and canary (netfilter.md §9), kube-proxy's flush canary (kube-proxy.md §3.1).
  mangle.chain('KUBE-IPTABLES-HINT').chain('KUBE-KUBELET-CANARY').chain('KUBE-PROXY-CANARY');

  const filter = new TableBuilder('filter');
  const nat = new TableBuilder('nat');
  addStaticRules(filter, nat);

  const c = (text) => `-m comment --comment ${quote(text)} `;
  const sepComment = (text) => (comments ? c(text) : '');
  const clusterCidr = CLUSTER.clusterCidr;

  for (const sp of cluster.natOrder) {
    const X = sp.servicePortName;
    const p = sp.protocol;
    const svc = getServiceChainName('KUBE-SVC-', X, p);
    const svl = getServiceChainName('KUBE-SVL-', X, p);
    const ext = getServiceChainName('KUBE-EXT-', X, p);
    const fw = getServiceChainName('KUBE-FW-', X, p);
    const dport = `-m ${p} --dport`;

    if (sp.endpoints.length === 0) {
      // kube-proxy.md §3.4: no nat chains at all, REJECT in filter for every entry point.
      const reject = '-j REJECT --reject-with icmp-port-unreachable';
      filter.rule('KUBE-SERVICES', `-d ${sp.clusterIp}/32 -p ${p} ${c(`${X} has no endpoints`)}${dport} ${sp.port} ${reject}`);
      if (sp.loadBalancerIp !== undefined) {
        filter.rule('KUBE-EXTERNAL-SERVICES', `-d ${sp.loadBalancerIp}/32 -p ${p} ${c(`${X} has no endpoints`)}${dport} ${sp.port} ${reject}`);
      }
      if (sp.nodePort !== undefined) {
        filter.rule('KUBE-EXTERNAL-SERVICES', `-p ${p} ${c(`${X} has no endpoints`)}-m addrtype --dst-type LOCAL ${dport} ${sp.nodePort} ${reject}`);
      }
      continue;
    }

    const localEndpoints = sp.endpoints.filter((ep) => ep.local);
    const hasExternalEndpoints = !sp.externalLocal || localEndpoints.length > 0;

    nat.rule('KUBE-SERVICES', `-d ${sp.clusterIp}/32 -p ${p} ${c(`${X} cluster IP`)}${dport} ${sp.port} -j ${svc}`);
    if (sp.loadBalancerIp !== undefined) {
      const lbTarget = sp.sourceRanges !== undefined ? fw : ext;
      nat.rule('KUBE-SERVICES', `-d ${sp.loadBalancerIp}/32 -p ${p} ${c(`${X} loadbalancer IP`)}${dport} ${sp.port} -j ${lbTarget}`);
    }
    if (sp.nodePort !== undefined) {
      nat.rule('KUBE-NODEPORTS', `-p ${p} ${c(X)}${dport} ${sp.nodePort} -j ${ext}`);
    }
    if (sp.healthCheckNodePort !== undefined) {
      filter.rule('KUBE-NODEPORTS', `-p tcp ${c(`${X} health check node port`)}-m tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`);
    }
    if (!hasExternalEndpoints) {
      if (sp.loadBalancerIp !== undefined) {
        filter.rule('KUBE-EXTERNAL-SERVICES', `-d ${sp.loadBalancerIp}/32 -p ${p} ${c(`${X} has no local endpoints`)}${dport} ${sp.port} -j DROP`);
      }
      if (sp.nodePort !== undefined) {
        filter.rule('KUBE-EXTERNAL-SERVICES', `-p ${p} ${c(`${X} has no local endpoints`)}-m addrtype --dst-type LOCAL ${dport} ${sp.nodePort} -j DROP`);
      }
    }

    // KUBE-SVC: masquerade off-cluster sources, then balance (kube-proxy.md §3.3).
    nat.rule(svc, `! -s ${clusterCidr} -d ${sp.clusterIp}/32 -p ${p} ${c(`${X} cluster IP`)}${dport} ${sp.port} -j KUBE-MARK-MASQ`);
    writeBalancing(nat, svc, sp, sp.endpoints, sepComment);
    for (const ep of sp.endpoints) {
      const endpoint = `${ep.ip}:${ep.port}`;
      const sep = getEndpointChainName(X, p, endpoint);
      nat.rule(sep, `-s ${ep.ip}/32 ${sepComment(X)}-j KUBE-MARK-MASQ`);
      const recent = sp.affinity ? `-m recent --set --name ${sep} --mask 255.255.255.255 --rsource ` : '';
      nat.rule(sep, `-p ${p} ${sepComment(X)}${recent}-m ${p} -j DNAT --to-destination ${endpoint}`);
    }

    if (sp.nodePort !== undefined || sp.loadBalancerIp !== undefined) {
      nat.chain(ext);
      if (!sp.externalLocal) {
        nat.rule(ext, `${c(`masquerade traffic for ${X} external destinations`)}-j KUBE-MARK-MASQ`);
      } else {
        nat.rule(ext, `-s ${clusterCidr} ${c(`pod traffic for ${X} external destinations`)}-j ${svc}`);
        nat.rule(ext, `${c(`masquerade LOCAL traffic for ${X} external destinations`)}-m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
        nat.rule(ext, `${c(`route LOCAL traffic for ${X} external destinations`)}-m addrtype --src-type LOCAL -j ${svc}`);
      }
      if (hasExternalEndpoints) nat.rule(ext, `-j ${sp.externalLocal ? svl : svc}`);
      if (sp.externalLocal && localEndpoints.length > 0) {
        nat.chain(svl);
        writeBalancing(nat, svl, sp, localEndpoints, sepComment);
      }
    }
    if (sp.sourceRanges !== undefined && sp.loadBalancerIp !== undefined) {
      // kube-proxy.md §3.5.
      for (const range of sp.sourceRanges) nat.rule(fw, `-s ${range} ${c(`${X} loadbalancer IP`)}-j ${ext}`);
      nat.rule(fw, c(`other traffic to ${X} will be dropped by KUBE-PROXY-FIREWALL`).trimEnd());
      filter.rule('KUBE-PROXY-FIREWALL', `-d ${sp.loadBalancerIp}/32 -p ${p} ${c(`${X} traffic not accepted by ${fw}`)}${dport} ${sp.port} -j DROP`);
    }
  }
  nat.rule('KUBE-SERVICES', `${c('kubernetes service nodeports; NOTE: this must be the last rule in this chain')}-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`);

  for (const table of [mangle, filter, nat]) {
    yield `# Generated by ${SAVE_HEADER_TOOL} on ${SAVE_DATE}`;
    yield* table.lines();
    yield `# Completed on ${SAVE_DATE}`;
  }
}

/**
 * Session-affinity rules (kube-proxy.md §3.6), then the statistic cascade: rule i of n gets
 * 1/(n−i), the last none, so each endpoint receives 1/n of new connections.
 */
function writeBalancing(nat, chain, sp, endpoints, sepComment) {
  const X = sp.servicePortName;
  const p = sp.protocol;
  const seps = endpoints.map((ep) => [`${ep.ip}:${ep.port}`, getEndpointChainName(X, p, `${ep.ip}:${ep.port}`)]);
  if (sp.affinity) {
    for (const [endpoint, sep] of seps) {
      nat.rule(chain, `${sepComment(`${X} -> ${endpoint}`)}-m recent --rcheck --seconds 10800 --reap --name ${sep} --mask 255.255.255.255 --rsource -j ${sep}`);
    }
  }
  seps.forEach(([endpoint, sep], i) => {
    const statistic = i < seps.length - 1
      ? `-m statistic --mode random --probability ${formatSavedProbability(formatKubeProxyProbability(i, seps.length))} `
      : '';
    nat.rule(chain, `${sepComment(`${X} -> ${endpoint}`)}${statistic}-j ${sep}`);
  });
}

/** Jumps from built-in chains and kube-proxy's static chains (kube-proxy.md §3.1, §3.2). */
function addStaticRules(filter, nat) {
  const NEW = '-m conntrack --ctstate NEW';
  filter.rule('INPUT', `${NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`);
  filter.rule('INPUT', '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS');
  filter.rule('INPUT', `${NEW} -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`);
  filter.rule('INPUT', '-j KUBE-FIREWALL');
  filter.rule('FORWARD', `${NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`);
  filter.rule('FORWARD', '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD');
  filter.rule('FORWARD', `${NEW} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`);
  filter.rule('FORWARD', `${NEW} -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES`);
  filter.rule('OUTPUT', `${NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL`);
  filter.rule('OUTPUT', `${NEW} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES`);
  filter.rule('OUTPUT', '-j KUBE-FIREWALL');
  for (const chain of ['KUBE-EXTERNAL-SERVICES', 'KUBE-NODEPORTS', 'KUBE-PROXY-CANARY', 'KUBE-PROXY-FIREWALL', 'KUBE-SERVICES']) {
    filter.chain(chain);
  }
  filter.rule('KUBE-FIREWALL', '! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP');
  filter.rule('KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  filter.rule('KUBE-FORWARD', '-m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT');
  filter.rule('KUBE-FORWARD', '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');

  nat.rule('PREROUTING', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  nat.rule('OUTPUT', '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES');
  nat.rule('POSTROUTING', '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING');
  nat.chain('KUBE-NODEPORTS').chain('KUBE-PROXY-CANARY');
  nat.rule('KUBE-MARK-MASQ', '-j MARK --set-xmark 0x4000/0x4000');
  nat.rule('KUBE-POSTROUTING', '-m mark ! --mark 0x4000/0x4000 -j RETURN');
  nat.rule('KUBE-POSTROUTING', '-j MARK --set-xmark 0x4000/0x0');
  nat.rule('KUBE-POSTROUTING', '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
}

/**
 * Service ports a benchmark can trace: plain ClusterIP TCP ports with the full endpoint count
 * and no session affinity, taken at given fractions of KUBE-SERVICES (0.5 = middle, 1 = last).
 * @param {{ natOrder: ServicePort[], options: { endpoints: number } }} cluster
 * @param {number[]} positions fractions in [0, 1]
 * @returns {{ target: string, protocol: string, position: number, rulesInChain: number, servicePortName: string, endpoints: string[] }[]}
 */
export function listTargets(cluster, positions = [0.5, 1]) {
  const candidates = [];
  cluster.natOrder.forEach((sp) => {
    if (sp.endpoints.length > 0) candidates.push(sp);
  });
  const ruleIndex = new Map();
  let index = 0;
  for (const sp of candidates) {
    index += 1;
    ruleIndex.set(sp, index);
    if (sp.loadBalancerIp !== undefined) index += 1;
  }
  const usable = (sp) => sp.protocol === 'tcp' && !sp.affinity && sp.endpoints.length === cluster.options.endpoints;
  return positions.map((fraction) => {
    let i = Math.min(candidates.length - 1, Math.round(fraction * (candidates.length - 1)));
    while (i > 0 && !usable(candidates[i])) i -= 1;
    const sp = candidates[i];
    return {
      target: `${sp.clusterIp}:${sp.port}`,
      protocol: sp.protocol,
      position: fraction,
      rulesInChain: ruleIndex.get(sp),
      servicePortName: sp.servicePortName,
      endpoints: sp.endpoints.map((ep) => `${ep.ip}:${ep.port}`),
    };
  });
}

/**
 * Default output file for a parameter set, under bench/out/ (gitignored).
 * @param {{ services: number, endpoints: number, seed: number, comments?: boolean }} options
 */
export function defaultDumpPath({ services, endpoints, seed, comments = true }) {
  const here = dirname(fileURLToPath(import.meta.url));
  return join(here, 'out', `kube-proxy-${services}x${endpoints}-seed${seed}${comments ? '' : '-nocomments'}.rules`);
}

/**
 * Writes the dump to `path` in 1 MiB chunks and returns its line and byte counts.
 * @returns {{ lines: number, bytes: number }}
 */
export function writeDump(cluster, path, options) {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'w');
  let chunk = [];
  let chunkBytes = 0;
  let lines = 0;
  let bytes = 0;
  const flush = () => {
    writeSync(fd, chunk.join(''));
    chunk = [];
    chunkBytes = 0;
  };
  try {
    for (const line of renderDump(cluster, options)) {
      const text = line + '\n';
      chunk.push(text);
      chunkBytes += text.length;
      bytes += Buffer.byteLength(text);
      lines += 1;
      if (chunkBytes > 1 << 20) flush();
    }
    flush();
  } finally {
    closeSync(fd);
  }
  return { lines, bytes };
}

const USAGE = `usage: node bench/generate-kube-proxy.mjs [--services N] [--endpoints E] [--seed S] [-o FILE]
                                        [--no-comments] [--list-targets] [--json]
  --services N     service ports (each its own KUBE-SVC chain), default 10000
  --endpoints E    endpoints per service port, default 10
  --seed S         PRNG seed, default 1 (same seed, same bytes)
  -o FILE          output file, default bench/out/kube-proxy-<N>x<E>-seed<S>.rules; '-' for stdout
  --no-comments    omit SVC->SEP and SEP comments, as kube-proxy does above 1000 endpoints
  --list-targets   print traceable ClusterIP targets (middle and end of KUBE-SERVICES) and their endpoints
  --json           with --list-targets: print them as JSON`;

/**
 * Parses the command line shared by the generator and bench/run.mjs.
 * @param {string[]} argv
 */
export function parseGeneratorArgs(argv) {
  const options = { services: 10000, endpoints: 10, seed: 1, output: undefined, comments: true, listTargets: false, json: false, help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    const integer = () => {
      const text = value();
      if (!/^\d+$/.test(text)) throw new Error(`${arg} expects a non-negative integer, got '${text}'`);
      return Number(text);
    };
    if (arg === '--services') options.services = integer();
    else if (arg === '--endpoints') options.endpoints = integer();
    else if (arg === '--seed') options.seed = integer();
    else if (arg === '-o' || arg === '--output') options.output = value();
    else if (arg === '--no-comments') options.comments = false;
    else if (arg === '--list-targets') options.listTargets = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '-h' || arg === '--help') options.help = true;
    else throw new Error(`unknown argument '${arg}'`);
  }
  if (options.services < 1) throw new Error('--services must be at least 1');
  if (options.endpoints < 1) throw new Error('--endpoints must be at least 1');
  return options;
}

function main(argv) {
  let options;
  try {
    options = parseGeneratorArgs(argv);
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const cluster = buildCluster(options);
  if (options.listTargets) {
    const targets = listTargets(cluster);
    if (options.json) process.stdout.write(`${JSON.stringify(targets, null, 2)}\n`);
    else {
      for (const t of targets) {
        process.stdout.write(`${t.target}/${t.protocol}  ${t.servicePortName}  KUBE-SERVICES rule ${t.rulesInChain}  endpoints: ${t.endpoints.join(' ')}\n`);
      }
    }
    return 0;
  }
  if (options.output === '-') {
    for (const line of renderDump(cluster, options)) process.stdout.write(`${line}\n`);
    return 0;
  }
  const path = options.output ?? defaultDumpPath(options);
  const started = process.hrtime.bigint();
  const { lines, bytes } = writeDump(cluster, path, options);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stderr.write(`wrote ${path}: ${lines} lines, ${bytes} bytes (${(bytes / 1e6).toFixed(1)} MB) in ${ms.toFixed(0)} ms\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
