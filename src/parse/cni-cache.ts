/**
 * The CNI result cache (`/var/lib/cni/results/<network>-<containerId>-<ifName>`) → which pod got which IP
 * and host interface, without asking the container runtime.
 *
 * Format relied on (containernetworking/cni `libcni/api.go`, `cachedInfo` and `getCacheFilePath`): libcni
 * writes one compact JSON file per attachment on ADD and deletes it on DEL:
 * `{"kind": "cniCacheV1", "containerId", "config": "<base64 of the network config>", "ifName",
 * "networkName", "netns"?, "cniArgs"?: [["K8S_POD_NAMESPACE", …], ["K8S_POD_NAME", …],
 * ["K8S_POD_INFRA_CONTAINER_ID", …], ["K8S_POD_UID", …], ["IgnoreUnknown", "1"]], "capabilityArgs"?,
 * "result"?: <the CNI Result>}`. The file name uses the network *list* name: `k8s-pod-network` (Calico),
 * `cbr0` (flannel), and the containerId is the pod sandbox id. Before `cniCacheV1` (libcni < 0.8) the
 * file held the bare Result; then the ids come from the file name and the pod's name is unknown.
 *
 * The Result (CNI SPEC.md "Success", versions 0.3.x–1.x): `interfaces: [{name, mac?, sandbox?}]` and
 * `ips: [{address: "10.244.1.6/24", gateway?, interface?: <index into interfaces>, version?}]`.
 * Interfaces with `sandbox` are inside the pod; those without are on the host. Calico returns only its host
 * veth (`[{"name": "cali…"}]`, projectcalico/calico#10351); the bridge plugin (flannel's delegate) returns
 * `[bridge, host veth, container eth0]` in that order (plugins `bridge.go`), ptp `[host veth, eth0]`. So the
 * host side of the pod's veth is the last interface without a sandbox.
 */
import type { Diagnostic, SourceRef } from '../model/source.js';
import { lineAt, ProblemLog, type LineParseOptions } from './line-input.js';

/** libcni's cache kind (`CNICacheV1` in `libcni/api.go`). */
export const CNI_CACHE_KIND = 'cniCacheV1';

/** Where libcni keeps cached results, below the node's root (`CacheDir` + `results`). */
export const CNI_RESULTS_DIR = 'var/lib/cni/results';

/** One interface of a cached CNI result. */
export interface CniInterface {
  name: string;
  mac?: string;
  /** Netns path: present when the interface is inside the pod. */
  sandbox?: string;
}

/** One cached CNI attachment. */
export interface CniCacheEntry {
  /** The cache file's base name (`k8s-pod-network-<id>-eth0`). */
  fileName: string;
  /** `containerId`: the pod sandbox id. */
  containerId: string;
  networkName?: string;
  ifName?: string;
  /** `netns`: the pod's network namespace path as the runtime gave it (`/var/run/netns/cni-…`). */
  netnsPath?: string;
  podNamespace?: string;
  podName?: string;
  podUid?: string;
  cniVersion?: string;
  /** Pod addresses as written (`10.244.1.6/24`), those of interfaces inside the pod or of no interface. */
  addresses: string[];
  /** The same without prefix lengths. */
  ips: string[];
  interfaces: CniInterface[];
  /** Host side of the pod's veth: the last interface without `sandbox`. */
  hostInterface?: string;
  /** True for a pre-`cniCacheV1` file (a bare Result; ids from the file name). */
  legacy: boolean;
  source: SourceRef;
}

/** Result of {@link parseCniCacheFile}. */
export interface ParsedCniCacheFile {
  entry?: CniCacheEntry;
  diagnostics: Diagnostic[];
}

/** `<network>-<64 hex container id>-<ifName>` (libcni `getCacheFilePath`); network names may contain `-`. */
const FILE_NAME = /^(.+)-([0-9a-f]{64})-([^-]+)$/;

/**
 * Parses one cache file. `fileName` is its base name (the ids of legacy files come from it), `file` the name
 * diagnostics point at (defaults to `fileName`).
 */
export function parseCniCacheFile(text: string, fileName: string, options: LineParseOptions & { file?: string } = {}): ParsedCniCacheFile {
  const log = new ProblemLog(options.file ?? fileName, options.strict === true);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message);
    log.error(pos ? lineAt(text, Number(pos[1])) : 1, `invalid JSON in CNI cache file: ${message}`, text.slice(0, 80));
    return { diagnostics: log.diagnostics };
  }
  if (!isObject(doc)) {
    log.error(1, 'expected a JSON object (libcni cachedInfo or a CNI result)', text.slice(0, 80));
    return { diagnostics: log.diagnostics };
  }
  const named = FILE_NAME.exec(fileName);
  const legacy = doc['kind'] === undefined && (doc['interfaces'] !== undefined || doc['ips'] !== undefined || doc['cniVersion'] !== undefined);
  if (!legacy && doc['kind'] !== CNI_CACHE_KIND) {
    log.error(1, `unknown CNI cache kind ${JSON.stringify(doc['kind'])} (expected "${CNI_CACHE_KIND}")`, text.slice(0, 80));
    return { diagnostics: log.diagnostics };
  }
  const containerId = legacy ? named?.[2] : str(doc['containerId']);
  if (!containerId) {
    log.error(1, legacy ? 'legacy CNI cache file name is not <network>-<container id>-<ifName>' : 'CNI cache entry has no containerId', fileName);
    return { diagnostics: log.diagnostics };
  }
  const entry: CniCacheEntry = { fileName, containerId, addresses: [], ips: [], interfaces: [], legacy, source: log.at(1) };
  const networkName = legacy ? named?.[1] : str(doc['networkName']);
  const ifName = legacy ? named?.[3] : str(doc['ifName']);
  const netns = str(doc['netns']);
  if (networkName) entry.networkName = networkName;
  if (ifName) entry.ifName = ifName;
  if (netns) entry.netnsPath = netns;
  readCniArgs(doc['cniArgs'], entry, log);

  const result = legacy ? doc : doc['result'];
  if (isObject(result)) readResult(result, entry, log);
  else if (result !== undefined) log.warning(1, 'CNI cache "result" is not an object');
  return { entry, diagnostics: log.diagnostics };
}

/** `cniArgs` as `[[key, value], …]` (RuntimeConf.Args); the K8S_POD_* keys come from the CRI runtime. */
function readCniArgs(value: unknown, entry: CniCacheEntry, log: ProblemLog): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    log.warning(1, 'CNI cache "cniArgs" is not an array of [key, value] pairs');
    return;
  }
  for (const pair of value) {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') continue;
    const [key, v] = pair as [string, string];
    if (v === '') continue;
    if (key === 'K8S_POD_NAMESPACE') entry.podNamespace = v;
    else if (key === 'K8S_POD_NAME') entry.podName = v;
    else if (key === 'K8S_POD_UID') entry.podUid = v;
  }
}

function readResult(result: Record<string, unknown>, entry: CniCacheEntry, log: ProblemLog): void {
  const version = str(result['cniVersion']);
  if (version) entry.cniVersion = version;
  const interfaces = result['interfaces'];
  if (Array.isArray(interfaces)) {
    for (const i of interfaces) {
      if (!isObject(i) || !str(i['name'])) continue;
      const iface: CniInterface = { name: i['name'] as string };
      const mac = str(i['mac']);
      const sandbox = str(i['sandbox']);
      if (mac) iface.mac = mac;
      if (sandbox) iface.sandbox = sandbox;
      entry.interfaces.push(iface);
    }
  }
  const host = entry.interfaces.filter((i) => i.sandbox === undefined).pop();
  if (host) entry.hostInterface = host.name;

  const ips = result['ips'];
  if (Array.isArray(ips)) {
    for (const ipConfig of ips) {
      const address = isObject(ipConfig) ? str(ipConfig['address']) : undefined;
      if (!address) continue;
      // An address bound to a host-side interface (rare: a plugin that numbers its host veth) is not a pod IP.
      const index = isObject(ipConfig) ? ipConfig['interface'] : undefined;
      const iface = typeof index === 'number' ? entry.interfaces[index] : undefined;
      if (iface && iface.sandbox === undefined) continue;
      const ip = address.split('/')[0]!;
      if (!entry.ips.includes(ip)) {
        entry.addresses.push(address);
        entry.ips.push(ip);
      }
    }
  } else if (ips !== undefined) log.warning(1, 'CNI result "ips" is not an array');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
