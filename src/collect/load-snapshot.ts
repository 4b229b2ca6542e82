/**
 * Everything knetdbg knows about a node, as one {@link NodeSnapshot}: from a knetdbg dump (folder or
 * `.tar.gz`, written by `knetdbg collect` or by its shell script), a `calicoctl node diags` bundle, a plain
 * folder of captures named by their command, a single file whose kind is detected by content — or, without
 * `from`, collected live on this node into a temporary dump and read back the same way, so live and offline
 * analyses cannot differ.
 *
 * Every file goes through the parsers of src/parse; iptables texts stay as {@link CapturedText} (the trace
 * parses them). Problems never throw (unless `strict`): parse errors are diagnostics naming file and line, a
 * source that is absent or failed goes to `snapshot.missing` with why, and a partial dump loads what it has.
 * Only an input that cannot be opened at all (no such path, a broken archive, a single file of unknown kind)
 * throws {@link InputError}.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ConntrackEntry } from '../model/conntrack.js';
import type { IpSet } from '../model/ipset.js';
import type { NetInterface, Route } from '../model/network.js';
import type { CapturedText, DumpMeta, NodeSnapshot, SourceRecord } from '../model/snapshot.js';
import { InputError, type Diagnostic } from '../model/source.js';
import { parseConntrackLines } from '../parse/conntrack.js';
import { detectSourceKind } from '../parse/detect-source.js';
import { DETECT_PREFIX_CHARS } from '../parse/detect.js';
import { parseIpAddr } from '../parse/ip-addr.js';
import { parseIpRoute } from '../parse/ip-route.js';
import { parseIpsetList } from '../parse/ipset.js';
import { parseKubectlPodsWide } from '../parse/kubectl-pods.js';
import type { Pod } from '../model/pod.js';
import { parseSysctl } from '../parse/sysctl.js';
import { openDumpInput, type DumpFile, type OpenedInput } from './dump-read.js';
import { writeDumpMeta } from './dump-write.js';
import { identifyFile, type FileRole } from './identify-file.js';
import { findBackendConflicts, getIptablesFamily, LEGACY_TABLES_WARNING } from './iptables-backends.js';
import { collectLive } from './live.js';
import { buildPodList } from './pods.js';
import type { Runner } from './runner.js';
import { getSource, META_FILE, SOURCES, type SourceParser } from './sources.js';
import { getListNameFromFileName, splitRecentLists } from './xt-recent.js';

/** Options of {@link loadSnapshot}. */
export interface LoadSnapshotOptions {
  /** Throw {@link InputError} at the first malformed line instead of recording a diagnostic (fixture tests). */
  strict?: boolean;
  /**
   * Keep only the conntrack entries this returns true for. A node can track 200k connections and a trace needs
   * those of one flow: filtering while streaming keeps memory flat.
   */
  conntrackFilter?: (entry: ConntrackEntry) => boolean;
  /** Live collection only: the runner (default execa) and progress lines. */
  run?: Runner;
  onProgress?: (message: string) => void;
  /** Live collection only: the node's filesystem root (live.ts `root`); default `/`. */
  root?: string;
}

/**
 * Loads a node snapshot from `from` (dump folder, `.tar.gz`/`.tgz`/`.tar`, calicoctl diags bundle, plain
 * folder, or one file), or collects it live when `from` is undefined.
 */
export async function loadSnapshot(from?: string, options: LoadSnapshotOptions = {}): Promise<NodeSnapshot> {
  if (from === undefined) return loadLive(options);
  const input = await openDumpInput(from);
  try {
    return await loadOpened(input, from, options);
  } finally {
    await input.close();
  }
}

async function loadLive(options: LoadSnapshotOptions): Promise<NodeSnapshot> {
  const dir = await mkdtemp(join(tmpdir(), 'knetdbg-live-'));
  try {
    const { meta } = await collectLive({
      dir,
      ...(options.run ? { run: options.run } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.root === undefined ? {} : { root: options.root }),
    });
    await writeDumpMeta(dir, meta);
    // Labels name `<live>/conntrack.txt`, not the temporary folder that is gone after this call.
    const input = await openDumpInput(dir, { displayAs: '<live>' });
    return await loadOpened(input, 'live', options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A file and how it will be read. */
interface Planned {
  file: DumpFile;
  role: FileRole;
  /** meta.json record of the source, for a knetdbg dump. */
  record?: SourceRecord;
  fallbackFor?: string;
}

/** Accumulates the snapshot while files are read. */
class SnapshotBuilder {
  readonly snapshot: NodeSnapshot;
  private readonly interfaceByKey = new Map<string, NetInterface>();
  private readonly routeKeys = new Set<string>();
  private readonly setByName = new Map<string, IpSet>();
  /** Source ids that gave usable data (for fallbacks and `missing`). */
  readonly produced = new Set<string>();
  /** Pod captures (pods.ts), read together at the end. */
  readonly podTexts: CapturedText[] = [];
  /** Pods from a user's pod list (`kubectl get pods -o wide`), merged into the captured ones. */
  readonly listedPods: Pod[] = [];
  /** The node's `ip addr` texts: pods.ts matches pods' veth peers against them. */
  readonly ipAddrTexts: CapturedText[] = [];

  constructor(origin: string, meta: DumpMeta | undefined) {
    this.snapshot = { origin, iptables: [], ipsets: [], conntrack: [], interfaces: [], routes: [], sysctls: {}, pods: [], missing: [], diagnostics: [] };
    if (meta) this.snapshot.meta = meta;
  }

  addInterfaces(list: NetInterface[]): void {
    for (const iface of list) {
      // `ip -4 addr` and `ip -6 addr` (calico bundles) list the same interfaces with different addresses: merge.
      const key = `${iface.index}/${iface.name}`;
      const known = this.interfaceByKey.get(key);
      if (!known) {
        this.interfaceByKey.set(key, iface);
        this.snapshot.interfaces.push(iface);
        continue;
      }
      for (const a of iface.addresses) {
        if (!known.addresses.some((b) => b.family === a.family && b.address === a.address && b.prefixLength === a.prefixLength)) known.addresses.push(a);
      }
    }
  }

  addRoutes(list: Route[]): void {
    for (const r of list) {
      const key = [r.family, r.table, r.type, r.destination, r.gateway ?? '', r.device ?? '', r.metric ?? '', r.preferredSource ?? ''].join('|');
      if (this.routeKeys.has(key)) continue;
      this.routeKeys.add(key);
      this.snapshot.routes.push(r);
    }
  }

  addSets(list: IpSet[], label: string): void {
    for (const set of list) {
      const known = this.setByName.get(set.name);
      if (known) {
        // `ipset list` taken in the host and in the calico/node container (calico's ipset_container) agree.
        if (known.members.length !== set.members.length) {
          this.snapshot.diagnostics.push({
            severity: 'warning',
            source: set.source ?? { file: label, line: 0 },
            message: `set ${set.name} appears twice with different members (${known.members.length} vs ${set.members.length}); keeping the first`,
          });
        }
        continue;
      }
      this.setByName.set(set.name, set);
      this.snapshot.ipsets.push(set);
    }
  }

  addText(list: 'iptables' | 'texts', capture: CapturedText): void {
    if (list === 'iptables') this.snapshot.iptables.push(capture);
    else (this.snapshot.texts ??= []).push(capture);
  }

  missing(id: string, why: string): void {
    if (!this.snapshot.missing.some((m) => m.id === id)) this.snapshot.missing.push({ id, why });
  }
}

async function loadOpened(input: OpenedInput, origin: string, options: LoadSnapshotOptions): Promise<NodeSnapshot> {
  const builder = new SnapshotBuilder(origin, input.meta);
  builder.snapshot.diagnostics.push(...input.diagnostics);
  const plan = await planFiles(input, builder.snapshot.diagnostics);

  // Primary sources first; a fallback (text form of a JSON source) only when its primary gave nothing.
  for (const item of plan.filter((p) => p.fallbackFor === undefined)) await readPlanned(item, builder, options);
  for (const item of plan.filter((p) => p.fallbackFor !== undefined)) {
    if (!builder.produced.has(item.fallbackFor!)) {
      await readPlanned(item, builder, options);
      if (builder.produced.has(item.role.id)) builder.produced.add(item.fallbackFor!);
    }
  }

  if (input.meta) reportMissingFromMeta(input, plan, builder);
  else reportMissingCategories(input, builder);
  readPods(builder);

  builder.snapshot.diagnostics.push(...findBackendConflicts(builder.snapshot.iptables));
  return builder.snapshot;
}

/** Pod captures of pods.ts, named `<text id>.json|.txt` (crictl-pods.json, pod-netns-<sandbox>.txt, …). */
const POD_CAPTURE = /^((?:crictl-pods|crictl-inspectp-[^/]*|pod-netns-[^/]*|pod-host-ip-link|cni-cache-[^/]*|pod-log-dirs))\.(?:json|txt)$/;

/** The pods.ts text id of a dump file, or undefined when the file is not a pod capture. */
export function getPodCaptureId(rel: string): string | undefined {
  return POD_CAPTURE.exec(rel.split('/').pop() ?? '')?.[1];
}

/**
 * Builds the pod list from the pod captures (pods.ts `buildPodList`, the same code live discovery uses), with
 * the node's own `ip addr` capture as the host link list when pods.ts took none.
 */
function readPods(builder: SnapshotBuilder): void {
  const s = builder.snapshot;
  // Listed pods fill in what captures lack; a captured pod (with its host interface) wins.
  const known = new Set<string>();
  const addListed = (): void => {
    for (const p of s.pods) known.add(`${p.namespace}/${p.name}`);
    for (const p of builder.listedPods) if (!known.has(`${p.namespace}/${p.name}`)) s.pods.push(p);
  };
  if (builder.podTexts.length === 0 && builder.listedPods.length > 0) {
    addListed();
    return;
  }
  if (builder.podTexts.length === 0) {
    builder.missing('pods', 'no pod captures (crictl, pod network namespaces, CNI cache, /var/log/pods): endpoints are shown by IP only');
    return;
  }
  const { pods, diagnostics } = buildPodList([...builder.podTexts, ...builder.ipAddrTexts]);
  s.pods.push(...pods);
  s.diagnostics.push(...diagnostics);
  addListed();
  if (pods.length === 0) builder.missing('pods', 'the pod captures name no pod with a network');
}

/** Decides how each file is read: by meta.json for knetdbg dumps, by name and content otherwise. */
async function planFiles(input: OpenedInput, diagnostics: Diagnostic[]): Promise<Planned[]> {
  const plan: Planned[] = [];
  const claimed = new Set<string>();
  if (input.meta) {
    for (const record of input.meta.sources) {
      if (record.file === undefined) continue;
      const file = input.files.find((f) => f.rel === record.file);
      const spec = getSource(record.id);
      if (!file || !spec) continue;
      claimed.add(file.rel);
      const role: FileRole = spec.family === undefined ? { id: spec.id, parser: spec.parser } : { id: spec.id, parser: spec.parser, family: spec.family };
      plan.push({ file, role, record, ...(spec.fallbackFor ? { fallbackFor: spec.fallbackFor } : {}) });
    }
  }
  for (const file of input.files) {
    if (claimed.has(file.rel) || (input.meta && file.rel === META_FILE)) continue;
    const podId = getPodCaptureId(file.rel);
    if (podId !== undefined) {
      plan.push({ file, role: { id: podId, parser: 'pods' } });
      continue;
    }
    if (file.size === 0) continue;
    const kind = detectSourceKind(await readPrefix(file.path));
    const found = identifyFile(file.rel, kind);
    if (found.role === undefined) {
      // A single file the user pointed at must be understood; in a folder, unknown files are just noted.
      if (input.kind === 'file') {
        throw new InputError(
          { file: file.label, line: 0 },
          `cannot tell what this file holds: ${found.why}`,
          'knetdbg reads iptables-save, ipset list/save, conntrack -L, ip addr, ip route, sysctl and nft list ruleset output',
        );
      }
      diagnostics.push({ severity: found.severity === 'error' ? 'warning' : 'info', source: { file: file.label, line: 0 }, message: `skipped: ${found.why}` });
      continue;
    }
    if (found.note) diagnostics.push({ severity: 'info', source: { file: file.label, line: 0 }, message: found.note });
    plan.push({ file, role: found.role });
  }
  return plan;
}

async function readPlanned(item: Planned, builder: SnapshotBuilder, options: LoadSnapshotOptions): Promise<void> {
  const { file, role } = item;
  const snapshot = builder.snapshot;
  const strict = options.strict === true;
  const parser: SourceParser = role.parser;
  if (parser === 'conntrack') {
    await readConntrack(item, builder, options);
    return;
  }
  // One synchronous read: the async read of a 49 MB dump waits on the thread pool in 512 KiB steps (~40 ms
  // idle, measured).
  const buffer = readFileSync(file.path);
  if (parser === 'iptables') {
    const core = getSource(role.id)?.importance === 'core';
    if (!core && buffer.toString('utf8').trim() === '') return;
    // Rules stay bytes: the trace's index reads them without decoding 49 MB (~20 ms, measured).
    builder.addText('iptables', capturedBytes(role.id, file.label, buffer));
    builder.produced.add(role.id);
    // iptables-nft-save prints the warning (to stderr) before its first table; the dump is not searched whole.
    const warned =
      buffer.toString('utf8', 0, Math.min(buffer.length, 4096)).includes(LEGACY_TABLES_WARNING) ||
      item.record?.stderr.includes(LEGACY_TABLES_WARNING);
    if (warned) {
      snapshot.diagnostics.push({
        severity: 'info',
        source: { file: file.label, line: 0 },
        message: 'iptables warned that legacy tables are present; see the iptables-legacy-save capture',
      });
    }
    return;
  }
  const text = buffer.toString('utf8');
  switch (parser) {
    case 'ipset': {
      const parsed = parseIpsetList(text, file.label, { strict });
      builder.addSets(parsed.sets, file.label);
      snapshot.diagnostics.push(...parsed.diagnostics);
      builder.produced.add(role.id);
      return;
    }
    case 'ip-addr': {
      if (builder.ipAddrTexts.length === 0) builder.ipAddrTexts.push({ id: 'ip-addr', file: file.label, text });
      const parsed = parseIpAddr(text, file.label, { strict });
      builder.addInterfaces(parsed.interfaces);
      snapshot.diagnostics.push(...parsed.diagnostics);
      if (parsed.interfaces.length > 0) builder.produced.add(role.id);
      return;
    }
    case 'ip-route': {
      const parsed = parseIpRoute(text, file.label, { strict, ...(role.family ? { family: role.family } : {}) });
      builder.addRoutes(parsed.routes);
      snapshot.diagnostics.push(...parsed.diagnostics);
      if (parsed.routes.length > 0 || text.trim() === '') builder.produced.add(role.id);
      return;
    }
    case 'sysctl': {
      const diagnostics: Diagnostic[] = [];
      Object.assign(snapshot.sysctls, parseSysctl(text, file.label, { strict, diagnostics }));
      snapshot.diagnostics.push(...diagnostics);
      builder.produced.add(role.id);
      return;
    }
    case 'text':
      builder.addText('texts', { id: role.id, file: file.label, text });
      builder.produced.add(role.id);
      return;
    case 'xt-recent': {
      // One text per list (`xt-recent-<NAME>`), which node-context.ts reads for `-m recent --rcheck`. A plain
      // folder's `xt_recent_<NAME>` file may hold one list's lines without a header: the name is the file's.
      const fallback = item.record === undefined ? getListNameFromFileName(file.rel) : undefined;
      const split = splitRecentLists(text, file.label, fallback);
      for (const t of split.texts) builder.addText('texts', t);
      snapshot.diagnostics.push(...split.diagnostics);
      builder.produced.add(role.id);
      return;
    }
    case 'pods':
      builder.podTexts.push({ id: role.id, file: file.label, text });
      return;
    case 'pod-list': {
      // A pod list the user adds (`kubectl get pods -o wide`): names and IPs, no host interfaces.
      const pods = parseKubectlPodsWide(text, file.label) ?? [];
      builder.listedPods.push(...pods);
      builder.produced.add('pods');
      return;
    }
  }
}

/** Streams a conntrack capture line by line; checks the count conntrack printed on stderr (meta.json). */
async function readConntrack(item: Planned, builder: SnapshotBuilder, options: LoadSnapshotOptions): Promise<void> {
  const { file } = item;
  const keep = options.conntrackFilter;
  const lines = createInterface({ input: createReadStream(file.path, { encoding: 'utf8' }), crlfDelay: Infinity });
  const result = await parseConntrackLines(
    lines,
    file.label,
    (entry) => {
      if (!keep || keep(entry)) builder.snapshot.conntrack.push(entry);
    },
    { strict: options.strict === true },
  );
  builder.snapshot.diagnostics.push(...result.diagnostics);
  builder.produced.add(item.role.id);
  const shown = /(\d+) flow entries have been shown/.exec(item.record?.stderr ?? '');
  if (shown && Number(shown[1]) !== result.entryCount) {
    builder.snapshot.diagnostics.push({
      severity: 'warning',
      source: { file: file.label, line: 0 },
      message: `conntrack reported ${shown[1]} entries when captured, the file holds ${result.entryCount}: the capture is incomplete`,
    });
  }
}

/** knetdbg dumps: every core source whose command failed, or whose file is absent, is missing with why. */
function reportMissingFromMeta(input: OpenedInput, plan: Planned[], builder: SnapshotBuilder): void {
  const meta = input.meta!;
  for (const spec of SOURCES) {
    if (spec.importance !== 'core') continue;
    if (builder.produced.has(spec.id)) continue;
    const record = meta.sources.find((r) => r.id === spec.id);
    const planned = plan.some((p) => p.role.id === spec.id);
    let why: string;
    if (!record) why = 'not captured (this dump was written without it)';
    else if (record.file !== undefined && !input.files.some((f) => f.rel === record.file)) why = `${record.file} is listed in meta.json but absent from the dump`;
    else if (record.error !== undefined) why = `\`${record.command.join(' ')}\` failed: ${record.error}`;
    else if (planned) why = 'its file held nothing usable';
    else why = 'no output was captured';
    builder.missing(spec.id, why);
  }
}

/** Bundles without meta.json: what kinds of data no file provided. */
function reportMissingCategories(input: OpenedInput, builder: SnapshotBuilder): void {
  const s = builder.snapshot;
  const where = input.kind === 'file' ? `the single file ${input.from} holds only one source` : `no file in ${input.from} holds it`;
  const families = new Set(s.iptables.map(getIptablesFamily));
  const checks: { id: string; what: string; present: boolean }[] = [
    { id: 'iptables-save', what: 'IPv4 iptables rules', present: families.has(4) },
    { id: 'ip6tables-save', what: 'IPv6 iptables rules', present: families.has(6) },
    { id: 'ipset-list', what: 'ipsets', present: builder.produced.has('ipset-list') },
    { id: 'conntrack', what: 'conntrack entries', present: builder.produced.has('conntrack') || builder.produced.has('conntrack6') },
    { id: 'ip-addr', what: 'interface addresses', present: s.interfaces.length > 0 },
    { id: 'ip-route', what: 'routes', present: s.routes.length > 0 },
    { id: 'sysctl', what: 'sysctl values', present: Object.keys(s.sysctls).length > 0 },
  ];
  for (const c of checks) if (!c.present) builder.missing(c.id, `${c.what}: ${where}`);
}

/** The first {@link DETECT_PREFIX_CHARS} characters of a file, for content detection. */
async function readPrefix(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const buf = Buffer.alloc(DETECT_PREFIX_CHARS);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return buf.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** A capture that holds bytes and decodes its `text` only when something asks for it (once). */
function capturedBytes(id: string, file: string, bytes: Buffer): CapturedText {
  let text: string | undefined;
  return {
    id,
    file,
    bytes,
    get text(): string {
      text ??= bytes.toString('utf8');
      return text;
    },
  };
}
