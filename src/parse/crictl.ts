/**
 * `crictl pods -o json` and `crictl inspectp -o json <id>` → pod sandboxes with their network facts.
 *
 * Shapes relied on (kubernetes-sigs/cri-tools `cmd/crictl/sandbox.go` and `util.go`, containerd CRI
 * `SandboxInfo` in `internal/cri/types/sandbox_info.go`, earlier `pkg/cri/server/sandbox_status.go`):
 * - `crictl pods -o json` prints the CRI `ListPodSandboxResponse` through protojson with default values
 *   emitted: `{"items": [{"id", "metadata": {"name", "uid", "namespace", "attempt"}, "state":
 *   "SANDBOX_READY" | "SANDBOX_NOTREADY", "createdAt": "<int64 ns as a string>", "labels", "annotations",
 *   "runtimeHandler"}]}`. A bare array of items and numeric states (READY = 0, NOTREADY = 1, the proto enum)
 *   are accepted too, for old crictl builds that marshalled `r.Items` directly.
 * - `crictl inspectp -o json` prints one object per id (an array when given several ids):
 *   `{"info": {...}, "status": {...}}`. `status` is the protojson `PodSandboxStatus`: `id`, `metadata`,
 *   `state`, `createdAt`, `network: {ip, additionalIps: [{ip}]}` (ip is "" for hostNetwork sandboxes and
 *   once the netns is closed), `linux.namespaces.options.network`: "POD" or "NODE" (NamespaceMode; old
 *   runtimes had `hostNetwork: true`). `info` is the runtime's verbose map: crictl parses every value that
 *   starts with `{` as JSON, and containerd puts its `SandboxInfo` under the key `info`: `pid` (0 once the
 *   sandbox task is gone), `processStatus`, `netNamespaceClosed`, `runtimeSpec.linux.namespaces[]` with
 *   `{type: "network", path: "/var/run/netns/cni-…"}`, and since containerd 1.4 `cniResult`: go-cni's
 *   `Result` marshalled without JSON tags, `{"Interfaces": {"<name>": {"IPConfigs": [{"IP", "Gateway"}],
 *   "Mac", "Sandbox"}}, "DNS", "Routes"}`, where the host-side veth is an interface with an empty Sandbox.
 *   containerd 1.0 printed the netns path as `info.netNamespace`; that is read too.
 */
import type { Diagnostic, SourceRef } from '../model/source.js';
import { lineAt, ProblemLog, type LineParseOptions } from './line-input.js';

/** CRI `PodSandboxState` names as protojson prints them (cri-api `api.proto`). */
export type SandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

/** One item of `crictl pods -o json`. */
export interface CrictlSandbox {
  /** Sandbox id (64 hex digits with containerd). */
  id: string;
  name: string;
  namespace: string;
  uid?: string;
  attempt?: number;
  /** As printed; anything but the two CRI states is kept verbatim. */
  state: SandboxState | string;
  /** `createdAt` as printed (nanoseconds since the epoch, a string in protojson). */
  createdAt?: string;
  /** Line of the item's `"id"` in the file. */
  source: SourceRef;
}

/** Result of {@link parseCrictlPods}. */
export interface ParsedCrictlPods {
  sandboxes: CrictlSandbox[];
  /** False when the text is not a `crictl pods -o json` document at all (empty, garbled, cut off). */
  readable: boolean;
  diagnostics: Diagnostic[];
}

/** One interface of containerd's `cniResult` (go-cni `Result.Interfaces`). */
export interface CniResultInterface {
  name: string;
  /** Netns path when the interface lives in the sandbox; absent for host-side interfaces. */
  sandbox?: string;
  mac?: string;
  ips: string[];
}

/** The network facts of one `crictl inspectp -o json` object. */
export interface CrictlSandboxStatus {
  id: string;
  name?: string;
  namespace?: string;
  uid?: string;
  state?: SandboxState | string;
  /** `status.network.ip` then every `additionalIps[].ip`, empty strings dropped. */
  ips: string[];
  /** True when the sandbox shares the node's network namespace (`options.network: "NODE"`). */
  hostNetwork?: boolean;
  /** `info.pid`, when the runtime gave a non-zero one. */
  pid?: number;
  /** `info.processStatus` (`running`, `created`, `stopped`, `deleted`). */
  processStatus?: string;
  /** `info.netNamespaceClosed`. */
  netNamespaceClosed?: boolean;
  /** The network namespace path from `info.runtimeSpec.linux.namespaces` (or old `info.netNamespace`). */
  netnsPath?: string;
  /** containerd's `info.cniResult` interfaces, when present. */
  cniInterfaces?: CniResultInterface[];
  /** Line of `status.id` in the file. */
  source: SourceRef;
}

/** Result of {@link parseCrictlInspectp}. */
export interface ParsedCrictlInspectp {
  statuses: CrictlSandboxStatus[];
  diagnostics: Diagnostic[];
}

/** Numeric `PodSandboxState` values (cri-api `api.proto`: SANDBOX_READY = 0, SANDBOX_NOTREADY = 1). */
const STATE_BY_NUMBER: Record<number, SandboxState> = { 0: 'SANDBOX_READY', 1: 'SANDBOX_NOTREADY' };

/** Parses `crictl pods -o json`. Tolerant unless `strict`: a malformed item is reported and skipped. */
export function parseCrictlPods(text: string, file: string, options: LineParseOptions = {}): ParsedCrictlPods {
  const log = new ProblemLog(file, options.strict === true);
  const doc = readJson(text, log, 'crictl pods -o json');
  if (doc === undefined) return { sandboxes: [], readable: false, diagnostics: log.diagnostics };
  const items = Array.isArray(doc) ? doc : isObject(doc) ? doc['items'] : undefined;
  if (!Array.isArray(items)) {
    log.error(1, 'expected `{"items": [...]}` (crictl pods -o json)', text.slice(0, 80));
    return { sandboxes: [], readable: false, diagnostics: log.diagnostics };
  }
  const sandboxes: CrictlSandbox[] = [];
  let searchFrom = 0;
  items.forEach((item, i) => {
    const id = isObject(item) ? str(item['id']) : undefined;
    const meta = isObject(item) && isObject(item['metadata']) ? item['metadata'] : undefined;
    const name = meta ? str(meta['name']) : undefined;
    const namespace = meta ? str(meta['namespace']) : undefined;
    const at = id === undefined ? -1 : findIdKey(text, id, searchFrom);
    if (at >= 0) searchFrom = at + 1;
    const line = at >= 0 ? lineAt(text, at) : 1;
    if (!isObject(item) || id === undefined || name === undefined || namespace === undefined) {
      log.error(line, `sandbox ${i + 1}: expected an object with "id" and "metadata": {"name", "namespace"}`, JSON.stringify(item).slice(0, 120));
      return;
    }
    const sandbox: CrictlSandbox = { id, name, namespace, state: readState(item['state']) ?? 'unknown', source: log.at(line) };
    const uid = str(meta!['uid']);
    if (uid !== undefined) sandbox.uid = uid;
    if (typeof meta!['attempt'] === 'number') sandbox.attempt = meta!['attempt'];
    const createdAt = item['createdAt'] ?? item['created_at'];
    if (typeof createdAt === 'string' || typeof createdAt === 'number') sandbox.createdAt = String(createdAt);
    sandboxes.push(sandbox);
  });
  return { sandboxes, readable: true, diagnostics: log.diagnostics };
}

/**
 * Parses `crictl inspectp -o json <id…>` (one object, or an array of them for several ids). A status
 * without verbose `info` (a runtime that gives none, or `crictl inspectp -q`) still yields its ids and IPs.
 */
export function parseCrictlInspectp(text: string, file: string, options: LineParseOptions = {}): ParsedCrictlInspectp {
  const log = new ProblemLog(file, options.strict === true);
  const doc = readJson(text, log, 'crictl inspectp -o json');
  if (doc === undefined) return { statuses: [], diagnostics: log.diagnostics };
  const objects = Array.isArray(doc) ? doc : [doc];
  const statuses: CrictlSandboxStatus[] = [];
  let searchFrom = 0;
  objects.forEach((obj, i) => {
    const status = isObject(obj) && isObject(obj['status']) ? obj['status'] : undefined;
    const id = status ? str(status['id']) : undefined;
    const at = id === undefined ? -1 : findIdKey(text, id, searchFrom);
    if (at >= 0) searchFrom = at + 1;
    const line = at >= 0 ? lineAt(text, at) : 1;
    if (!status || id === undefined) {
      log.error(line, `object ${i + 1}: expected {"status": {"id": …}} (crictl inspectp -o json)`, JSON.stringify(obj).slice(0, 120));
      return;
    }
    statuses.push(readStatus(id, status, isObject(obj) ? obj['info'] : undefined, log.at(line)));
  });
  return { statuses, diagnostics: log.diagnostics };
}

function readStatus(id: string, status: Record<string, unknown>, infoValue: unknown, source: SourceRef): CrictlSandboxStatus {
  const out: CrictlSandboxStatus = { id, ips: [], source };
  const meta = isObject(status['metadata']) ? status['metadata'] : undefined;
  if (meta) {
    const name = str(meta['name']);
    const namespace = str(meta['namespace']);
    const uid = str(meta['uid']);
    if (name !== undefined) out.name = name;
    if (namespace !== undefined) out.namespace = namespace;
    if (uid !== undefined) out.uid = uid;
  }
  const state = readState(status['state']);
  if (state !== undefined) out.state = state;

  const network = isObject(status['network']) ? status['network'] : undefined;
  if (network) {
    const ip = str(network['ip']);
    if (ip) out.ips.push(ip);
    const more = network['additionalIps'] ?? network['additional_ips'];
    if (Array.isArray(more)) for (const extra of more) {
      const extraIp = isObject(extra) ? str(extra['ip']) : undefined;
      if (extraIp && !out.ips.includes(extraIp)) out.ips.push(extraIp);
    }
  }

  const nsOptions = path(status, ['linux', 'namespaces', 'options']);
  if (isObject(nsOptions)) {
    // NamespaceMode NODE (= 2) is the hostNetwork case; containerd 1.0 printed `hostNetwork: true`.
    const mode = nsOptions['network'];
    if (mode === 'NODE' || mode === 2 || nsOptions['hostNetwork'] === true) out.hostNetwork = true;
    else if (mode !== undefined || nsOptions['hostNetwork'] === false) out.hostNetwork = false;
  }

  // The runtime's verbose map has the key "info" holding a JSON string; crictl decodes it into the object
  // printed as top-level `info` (cri-tools `outputStatusData`).
  const info = isObject(infoValue) ? infoValue : undefined;
  if (info) {
    const pid = info['pid'];
    if (typeof pid === 'number' && Number.isInteger(pid) && pid > 0) out.pid = pid;
    const processStatus = str(info['processStatus']);
    if (processStatus !== undefined) out.processStatus = processStatus;
    if (typeof info['netNamespaceClosed'] === 'boolean') out.netNamespaceClosed = info['netNamespaceClosed'];
    const netnsPath = readNetnsPath(info);
    if (netnsPath !== undefined) out.netnsPath = netnsPath;
    const cni = readCniResult(info['cniResult']);
    if (cni) out.cniInterfaces = cni;
  }
  return out;
}

/** `runtimeSpec.linux.namespaces[type=network].path` (OCI runtime-spec `config-linux.md`), or `netNamespace`. */
function readNetnsPath(info: Record<string, unknown>): string | undefined {
  const namespaces = path(info, ['runtimeSpec', 'linux', 'namespaces']);
  if (Array.isArray(namespaces)) {
    for (const ns of namespaces) {
      if (isObject(ns) && ns['type'] === 'network') {
        const p = str(ns['path']);
        if (p) return p;
      }
    }
  }
  const legacy = str(info['netNamespace']);
  return legacy ? legacy : undefined;
}

/** go-cni `Result` as containerd marshals it (exported Go field names, no JSON tags). */
function readCniResult(value: unknown): CniResultInterface[] | undefined {
  if (!isObject(value) || !isObject(value['Interfaces'])) return undefined;
  const out: CniResultInterface[] = [];
  for (const [name, config] of Object.entries(value['Interfaces'])) {
    const iface: CniResultInterface = { name, ips: [] };
    if (isObject(config)) {
      const sandbox = str(config['Sandbox']);
      const mac = str(config['Mac']);
      if (sandbox) iface.sandbox = sandbox;
      if (mac) iface.mac = mac;
      const ipConfigs = config['IPConfigs'];
      if (Array.isArray(ipConfigs)) for (const c of ipConfigs) {
        const ip = isObject(c) ? str(c['IP']) : undefined;
        if (ip) iface.ips.push(ip);
      }
    }
    out.push(iface);
  }
  return out;
}

/**
 * Offset of `"id": "<id>"` at or after `from`. The id alone is not enough: containerd repeats it before
 * `status` (the `io.kubernetes.cri.sandbox-id` annotation, `snapshotKey`).
 */
function findIdKey(text: string, id: string, from: number): number {
  const re = new RegExp(`"id"\\s*:\\s*"${id.replace(/[^0-9A-Za-z_-]/g, '\\$&')}"`, 'g');
  re.lastIndex = from;
  return re.exec(text)?.index ?? -1;
}

function readState(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return STATE_BY_NUMBER[value] ?? String(value);
  return undefined;
}

/** Parses a whole JSON document, reporting a syntax error at its line (a truncated capture, stray text). */
function readJson(text: string, log: ProblemLog, what: string): unknown {
  if (text.trim() === '') {
    log.error(1, `empty ${what} output`);
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    const pos = /position (\d+)/.exec(message);
    const line = pos ? lineAt(text, Number(pos[1])) : 1;
    log.error(line, `invalid JSON in ${what}: ${message}`);
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function path(value: unknown, keys: string[]): unknown {
  let v = value;
  for (const k of keys) {
    if (!isObject(v)) return undefined;
    v = v[k];
  }
  return v;
}
