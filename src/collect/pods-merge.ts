/**
 * One pod list from every pod source captured on a node (pure: the same texts live or from a dump give the
 * same pods). Sources, ids of the {@link CapturedText}s that hold them, and what each is trusted for:
 *
 * | text id                  | source                                   | identity | IPs      | host interface |
 * |--------------------------|------------------------------------------|----------|----------|----------------|
 * | `crictl-pods`            | `crictl pods -o json`                    | 1st      |          |                |
 * | `crictl-inspectp-<id>`   | `crictl inspectp -o json <id>`           |          | 1st      | 2nd (cniResult)|
 * | `pod-netns-<id>`         | `nsenter … ip -o link` / `ip -o addr`    |          | 2nd      | 1st            |
 * | `pod-host-ip-link`       | the node's `ip -o link`                  |          |          | (checks all)   |
 * | `cni-cache-<file>`       | `/var/lib/cni/results/<file>`            | 2nd      | 3rd      | 4th            |
 * | `pod-log-dirs`           | names under `/var/log/pods`              | 3rd      |          |                |
 * | (computed)               | Calico's `cali` + sha1(ns.pod)[:11]      |          |          | 3rd            |
 *
 * IPs: the runtime's are what the kubelet reports as the pod's IPs, hence what Endpoints and kube-proxy
 * rules hold; the namespace's own addresses come next (the kernel's truth, but they may include extra
 * addresses), the CNI cache last (it can outlive its pod). Host interface: the veth pair seen from both
 * ends is proof; a name from any other source is only used when the node has that interface.
 *
 * When `crictl pods` was captured, it decides which pods exist: only READY sandboxes have a network, and
 * cache files or log directories of other sandboxes are leftovers. Without it, the CNI cache (which names
 * the pod in its K8S_POD_* args) and then /var/log/pods directory names stand in.
 */
import type { NetInterface } from '../model/network.js';
import { calicoInterfaceName, type Pod, type PodSource } from '../model/pod.js';
import type { CapturedText } from '../model/snapshot.js';
import type { Diagnostic, SourceRef } from '../model/source.js';
import { parseCniCacheFile, type CniCacheEntry } from '../parse/cni-cache.js';
import { parseCrictlInspectp, parseCrictlPods, type CrictlSandbox, type CrictlSandboxStatus } from '../parse/crictl.js';
import { parseIpAddr } from '../parse/ip-addr.js';
import { findHostPeer, parsePodNetnsCapture, POD_DEFAULT_IFNAME, type PodNetns } from './pods-netns.js';

/** Text id of `crictl pods -o json`. */
export const CRICTL_PODS_ID = 'crictl-pods';
/** Text id prefix of `crictl inspectp -o json <sandbox id>`. */
export const CRICTL_INSPECTP_PREFIX = 'crictl-inspectp-';
/** Text id prefix of a pod-netns capture (pods-netns.ts), one per sandbox id. */
export const POD_NETNS_PREFIX = 'pod-netns-';
/** Text id of the node's `ip -o link`, taken for matching pods to host interfaces. */
export const HOST_LINKS_ID = 'pod-host-ip-link';
/** Text id prefix of one CNI result cache file; the rest of the id is the file's base name. */
export const CNI_CACHE_PREFIX = 'cni-cache-';
/** Text id of the /var/log/pods directory names, one per line. */
export const POD_LOG_DIRS_ID = 'pod-log-dirs';
/** Other collectors' interface listings, used when {@link HOST_LINKS_ID} is absent (any ip-addr.ts form). */
const FALLBACK_HOST_LINK_IDS = ['ip-link', 'ip-addr'];


/** Result of {@link buildPodList}. */
export interface PodList {
  pods: Pod[];
  diagnostics: Diagnostic[];
}


/** The pods the captured texts describe (diagnostics dropped: see {@link buildPodList}). */
export function parsePodSources(texts: readonly CapturedText[]): Pod[] {
  return buildPodList(texts).pods;
}

/** One /var/log/pods directory: `<namespace>_<name>_<uid>` (kubelet `BuildPodLogsDirectory`). */
export interface PodLogDir {
  namespace: string;
  name: string;
  uid: string;
  source: SourceRef;
}

/**
 * Reads the directory names of /var/log/pods, one per line. Namespaces and pod names are DNS labels and
 * subdomains, which cannot hold `_`, so a name splits into exactly three parts.
 */
export function parsePodLogDirs(text: string, file: string): { dirs: PodLogDir[]; diagnostics: Diagnostic[] } {
  const dirs: PodLogDir[] = [];
  const diagnostics: Diagnostic[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim().replace(/\/$/, '');
    if (line === '') return;
    const parts = line.split('_');
    if (parts.length !== 3 || parts.some((p) => p === '')) {
      diagnostics.push({ severity: 'info', source: { file, line: i + 1 }, message: 'not a <namespace>_<name>_<uid> pod log directory', text: line });
      return;
    }
    dirs.push({ namespace: parts[0]!, name: parts[1]!, uid: parts[2]!, source: { file, line: i + 1 } });
  });
  return { dirs, diagnostics };
}

/** Everything known about one pod while merging. */
interface Candidate {
  namespace: string;
  name: string;
  uid?: string;
  sandboxId?: string;
  identityFrom: PodSource;
  source: SourceRef;
  status?: CrictlSandboxStatus;
  netns?: PodNetns;
  cache?: CniCacheEntry;
}

/** Builds the pod list from captured texts, with a diagnostic for every conflict and leftover. */
export function buildPodList(texts: readonly CapturedText[]): PodList {
  const diagnostics: Diagnostic[] = [];
  const sources = readSources(texts, diagnostics);
  const hostLinks = sources.hostLinks;
  const hostByName = hostLinks ? new Map([...hostLinks.values()].map((l) => [l.name, l])) : undefined;

  const candidates = sources.sandboxes ? fromCrictl(sources, diagnostics) : fromFallbacks(sources, diagnostics);
  const pods = candidates.map((c) => toPod(c, hostLinks, hostByName, diagnostics));
  pods.sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name) || (a.sandboxId ?? '').localeCompare(b.sandboxId ?? ''));
  return { pods, diagnostics };
}

interface Sources {
  /** undefined when `crictl pods` was not captured or could not be read. */
  sandboxes?: CrictlSandbox[];
  statuses: Map<string, CrictlSandboxStatus>;
  netns: Map<string, PodNetns>;
  /** By containerId; entries for the CRI's `eth0` first. */
  cache: Map<string, CniCacheEntry[]>;
  logDirs: PodLogDir[];
  hostLinks?: Map<number, NetInterface>;
}

function readSources(texts: readonly CapturedText[], diagnostics: Diagnostic[]): Sources {
  const sources: Sources = { statuses: new Map(), netns: new Map(), cache: new Map(), logDirs: [] };
  let fallbackLinks: CapturedText | undefined;
  let hostLinksText: CapturedText | undefined;
  for (const t of texts) {
    if (t.id === CRICTL_PODS_ID) {
      const parsed = parseCrictlPods(t.text, t.file);
      diagnostics.push(...parsed.diagnostics);
      if (parsed.readable) sources.sandboxes = parsed.sandboxes;
    } else if (t.id.startsWith(CRICTL_INSPECTP_PREFIX)) {
      const parsed = parseCrictlInspectp(t.text, t.file);
      diagnostics.push(...parsed.diagnostics);
      for (const s of parsed.statuses) sources.statuses.set(s.id, s);
    } else if (t.id.startsWith(POD_NETNS_PREFIX)) {
      const parsed = parsePodNetnsCapture(t.text, t.file);
      diagnostics.push(...parsed.diagnostics);
      if (parsed.sandboxId) sources.netns.set(parsed.sandboxId, parsed);
    } else if (t.id.startsWith(CNI_CACHE_PREFIX)) {
      const parsed = parseCniCacheFile(t.text, t.id.slice(CNI_CACHE_PREFIX.length), { file: t.file });
      diagnostics.push(...parsed.diagnostics);
      if (parsed.entry) {
        const list = sources.cache.get(parsed.entry.containerId) ?? [];
        list.push(parsed.entry);
        list.sort((a, b) => Number(b.ifName === 'eth0') - Number(a.ifName === 'eth0') || a.fileName.localeCompare(b.fileName));
        sources.cache.set(parsed.entry.containerId, list);
      }
    } else if (t.id === POD_LOG_DIRS_ID) {
      const parsed = parsePodLogDirs(t.text, t.file);
      diagnostics.push(...parsed.diagnostics);
      sources.logDirs.push(...parsed.dirs);
    } else if (t.id === HOST_LINKS_ID) hostLinksText = t;
    else if (FALLBACK_HOST_LINK_IDS.includes(t.id) && !fallbackLinks) fallbackLinks = t;
  }
  const linksText = hostLinksText ?? fallbackLinks;
  if (linksText) {
    const parsed = parseIpAddr(linksText.text, linksText.file);
    diagnostics.push(...parsed.diagnostics);
    sources.hostLinks = new Map(parsed.interfaces.map((l) => [l.index, l]));
  }
  return sources;
}

/** The runtime knows the pods: one candidate per READY sandbox. */
function fromCrictl(sources: Sources, diagnostics: Diagnostic[]): Candidate[] {
  const ready = sources.sandboxes!.filter((s) => s.state === 'SANDBOX_READY');
  const readyIds = new Set(ready.map((s) => s.id));
  for (const [containerId, entries] of sources.cache) {
    if (!readyIds.has(containerId)) {
      const e = entries[0]!;
      diagnostics.push({
        severity: 'info',
        source: e.source,
        message: `CNI cache entry for sandbox ${containerId.slice(0, 13)}${e.podName ? ` (${e.podNamespace}/${e.podName})` : ''} ignored: crictl lists no ready sandbox with that id (a leftover of a deleted or stopped pod)`,
      });
    }
  }
  return ready.map((s) => {
    const c: Candidate = { namespace: s.namespace, name: s.name, sandboxId: s.id, identityFrom: 'crictl', source: s.source };
    if (s.uid !== undefined) c.uid = s.uid;
    const status = sources.statuses.get(s.id);
    const netns = sources.netns.get(s.id);
    const cache = sources.cache.get(s.id)?.[0];
    if (status) c.status = status;
    if (netns) c.netns = netns;
    if (cache) c.cache = cache;
    return c;
  });
}

/** No runtime: pods named by the CNI cache, then by /var/log/pods. */
function fromFallbacks(sources: Sources, diagnostics: Diagnostic[]): Candidate[] {
  const byName = new Map<string, Candidate[]>();
  for (const [containerId, entries] of sources.cache) {
    const e = entries[0]!;
    if (!e.podNamespace || !e.podName) {
      diagnostics.push({ severity: 'info', source: e.source, message: `CNI cache entry for ${containerId.slice(0, 13)} names no pod (no K8S_POD_NAMESPACE/K8S_POD_NAME args): not attributed` });
      continue;
    }
    const c: Candidate = { namespace: e.podNamespace, name: e.podName, sandboxId: containerId, identityFrom: 'cni-cache', source: e.source, cache: e };
    if (e.podUid !== undefined) c.uid = e.podUid;
    const netns = sources.netns.get(containerId);
    if (netns) c.netns = netns;
    const key = `${c.namespace}/${c.name}`;
    byName.set(key, [...(byName.get(key) ?? []), c]);
  }
  const candidates: Candidate[] = [];
  for (const [key, list] of byName) {
    // Several cached sandboxes for one pod: libcni removes the file on CNI DEL, so extra ones are leftovers of
    // sandboxes that were never torn down. The one whose namespace could be entered is the live one.
    const live = list.filter((c) => c.netns && c.netns.links.length > 0);
    const chosen = live[0] ?? list[0]!;
    if (list.length > 1) {
      diagnostics.push({
        severity: 'warning',
        source: chosen.source,
        message: `${list.length} CNI cache entries name pod ${key} (sandboxes ${list.map((c) => c.sandboxId!.slice(0, 13)).join(', ')}); using ${chosen.sandboxId!.slice(0, 13)}${live.length === 1 ? ', the one whose network namespace exists' : ''}`,
      });
    }
    candidates.push(chosen);
  }
  const named = new Set(candidates.map((c) => `${c.namespace}/${c.name}`));
  for (const dir of sources.logDirs) {
    const key = `${dir.namespace}/${dir.name}`;
    const known = candidates.find((c) => `${c.namespace}/${c.name}` === key);
    if (known) {
      if (known.uid === undefined) known.uid = dir.uid;
      continue;
    }
    if (named.has(key)) continue;
    named.add(key);
    candidates.push({ namespace: dir.namespace, name: dir.name, uid: dir.uid, identityFrom: 'pod-log-dir', source: dir.source });
  }
  return candidates;
}

function toPod(c: Candidate, hostLinks: Map<number, NetInterface> | undefined, hostByName: Map<string, NetInterface> | undefined, diagnostics: Diagnostic[]): Pod {
  const pod: Pod = { namespace: c.namespace, name: c.name, ips: [], foundBy: c.identityFrom, identityFrom: c.identityFrom, source: c.source };
  if (c.uid !== undefined) pod.uid = c.uid;
  if (c.sandboxId !== undefined) pod.sandboxId = c.sandboxId;
  const label = `${c.namespace}/${c.name}`;
  const status = c.status;
  if (status?.hostNetwork) pod.hostNetwork = true;

  const pid = status?.pid ?? c.netns?.pid;
  const netnsPath = status?.netnsPath ?? c.netns?.netnsPath ?? c.cache?.netnsPath;
  if (pid !== undefined) pod.pid = pid;
  if (netnsPath !== undefined) pod.netnsPath = netnsPath;

  // IPs, most authoritative first (see the table at the top).
  // go-cni files IPs that name no interface (Calico's) under the default `eth0`, which then has no Sandbox.
  const cniSandboxIps = status?.cniInterfaces?.filter((i) => i.sandbox !== undefined || i.name === POD_DEFAULT_IFNAME).flatMap((i) => i.ips) ?? [];
  const netnsIps = pod.hostNetwork ? [] : c.netns?.ips ?? [];
  const ipSources: [PodSource, string[]][] = [
    ['crictl', status?.ips ?? []],
    ['crictl', cniSandboxIps],
    ['nsenter', netnsIps],
    ['cni-cache', c.cache?.ips ?? []],
  ];
  const chosen = ipSources.find(([, ips]) => ips.length > 0);
  if (chosen) {
    pod.ips = [...chosen[1]];
    pod.foundBy = chosen[0];
  }
  if (chosen && chosen[0] === 'crictl' && netnsIps.length > 0) {
    const missing = chosen[1].filter((ip) => !netnsIps.includes(ip));
    if (missing.length > 0) {
      diagnostics.push({
        severity: 'warning',
        source: c.source,
        message: `${label}: the runtime reports ${missing.join(', ')} but the pod's network namespace has ${netnsIps.join(', ')}`,
      });
    }
  }

  // Host interface: a veth pair seen from both ends first; names from elsewhere only if the node has them.
  if (!pod.hostNetwork) {
    const peer = hostLinks ? findHostPeer(c.netns?.podInterface, hostLinks) : undefined;
    const onHost = (name: string | undefined): boolean => name !== undefined && (hostByName === undefined || hostByName.has(name));
    const cniHost = pickCniHostInterface(status, hostByName);
    const cali = calicoInterfaceName(c.namespace, c.name);
    const hostSources: [PodSource, string | undefined][] = [
      ['nsenter', peer?.name],
      ['crictl', onHost(cniHost) ? cniHost : undefined],
      ['calico-name', hostByName?.has(cali) ? cali : undefined],
      ['cni-cache', onHost(c.cache?.hostInterface) ? c.cache?.hostInterface : undefined],
    ];
    const host = hostSources.find(([, name]) => name !== undefined);
    if (host) {
      pod.hostInterface = host[1]!;
      pod.hostInterfaceFrom = host[0];
    }
    if (c.cache?.hostInterface && hostByName && !hostByName.has(c.cache.hostInterface)) {
      diagnostics.push({ severity: 'info', source: c.cache.source, message: `${label}: the CNI cache names host interface ${c.cache.hostInterface}, which the node does not have` });
    }
  }
  return pod;
}

/**
 * The host veth from containerd's cniResult: an interface outside the sandbox other than the default `eth0`
 * (go-cni always creates that entry, Sandbox-less when the plugin did not list it). The bridge plugin also
 * lists its bridge there (`cni0`); of several, the one the node shows as a veth peer (`@ifN`) wins.
 */
function pickCniHostInterface(status: CrictlSandboxStatus | undefined, hostByName: Map<string, NetInterface> | undefined): string | undefined {
  const outside = status?.cniInterfaces?.filter((i) => i.sandbox === undefined && i.name !== 'lo' && i.name !== POD_DEFAULT_IFNAME) ?? [];
  if (outside.length <= 1) return outside[0]?.name;
  if (!hostByName) return undefined;
  const veths = outside.filter((i) => hostByName.get(i.name)?.linkIndex !== undefined);
  return veths.length === 1 ? veths[0]!.name : undefined;
}
