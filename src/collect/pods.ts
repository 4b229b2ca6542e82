/**
 * Live pod discovery on a node: which pod sandboxes exist, their IPs and the host side of their veth.
 * Read-only throughout: `crictl pods`/`inspectp` (queries), `nsenter … ip -o link|addr` (listings inside
 * the pod's network namespace), and reading files under the node's root. Every method is recorded as a
 * {@link SourceRecord} and none stops the others; what they print is kept as {@link CapturedText}s from
 * which {@link parsePodSources} rebuilds the same pod list offline.
 *
 * Order: (1) crictl; (2) the node's `ip -o link`, the CNI result cache and /var/log/pods, which need no
 * runtime; (3) for every pod namespace that can be entered (a sandbox pid from crictl, or the `netns` path
 * from the CNI cache, resolved to a pid through /proc), its links and addresses. Merging: pods-merge.ts.
 *
 * `root` is where the node's filesystem is: `/` live, `/host` under `kubectl debug node/… --profile=sysadmin`.
 * Commands run as the Runner runs them; pids are looked up in this process's /proc, which is the node's
 * when the debug pod shares the host PID namespace (kubectl debug node does).
 */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from '../model/pod.js';
import type { CapturedText, SourceRecord } from '../model/snapshot.js';
import type { Diagnostic } from '../model/source.js';
import { CNI_RESULTS_DIR, parseCniCacheFile } from '../parse/cni-cache.js';
import { parseCrictlInspectp, parseCrictlPods } from '../parse/crictl.js';
import {
  buildPodList,
  CNI_CACHE_PREFIX,
  CRICTL_INSPECTP_PREFIX,
  CRICTL_PODS_ID,
  HOST_LINKS_ID,
  POD_LOG_DIRS_ID,
  POD_NETNS_PREFIX,
} from './pods-merge.js';
import { formatPodNetnsCapture, listNetnsCommand, type NetnsEntry } from './pods-netns.js';
import type { RunResult, Runner } from './runner.js';

export { buildPodList, parsePodLogDirs, parsePodSources } from './pods-merge.js';
export { calicoInterfaceName } from '../model/pod.js';

/** Where the kubelet keeps pod logs, one directory per pod (kubelet `kuberuntime` `podLogsRootDirectory`). */
export const POD_LOGS_DIR = 'var/log/pods';

/** Options of {@link discoverPods}. */
export interface DiscoverPodsOptions {
  /** The node's filesystem root: `/` (default) or `/host` under kubectl debug. */
  root?: string;
  /** Per-command timeout. */
  timeoutMs?: number;
  /** Commands run at once (crictl inspectp, nsenter); default 8. */
  concurrency?: number;
}

/** What {@link discoverPods} found, and how. */
export interface DiscoveredPods {
  pods: Pod[];
  /** One per command or file-system read, in the order they ran. */
  records: SourceRecord[];
  /** Raw outputs for the dump; `parsePodSources(texts)` gives `pods` again. */
  texts: CapturedText[];
  /** Conflicts between sources, leftovers, unreadable outputs. */
  diagnostics: Diagnostic[];
}

/** Cache files are small JSON documents; anything larger is not one. */
const MAX_CACHE_FILE_BYTES = 1 << 20;

/**
 * Finds the pods on this node. Never throws for a missing tool, a failed command or an unreadable
 * directory: each is recorded and the remaining methods still run.
 */
export async function discoverPods(run: Runner, options: DiscoverPodsOptions = {}): Promise<DiscoveredPods> {
  const root = options.root ?? '/';
  const runOptions = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  const limit = options.concurrency ?? 8;
  const records: SourceRecord[] = [];
  const texts: CapturedText[] = [];

  const runRecorded = async (id: string, file: string, command: string[]): Promise<RunResult> => {
    const result = await runSafely(run, command, runOptions);
    records.push(toRecord(id, file, result));
    return result;
  };

  // (1) The container runtime.
  const podsFile = `${CRICTL_PODS_ID}.json`;
  const listed = await runRecorded(CRICTL_PODS_ID, podsFile, ['crictl', 'pods', '-o', 'json']);
  let readyIds: string[] = [];
  let crictlListed = false;
  if (listed.exitCode === 0) {
    texts.push({ id: CRICTL_PODS_ID, file: podsFile, text: listed.stdout });
    const parsed = parseCrictlPods(listed.stdout, podsFile);
    crictlListed = parsed.readable;
    readyIds = parsed.sandboxes.filter((s) => s.state === 'SANDBOX_READY').map((s) => s.id);
  }
  const inspected = new Map<string, { pid?: number; netnsPath?: string; skip: boolean }>();
  await forEachLimited(readyIds, limit, async (id) => {
    const textId = `${CRICTL_INSPECTP_PREFIX}${id}`;
    const file = `${textId}.json`;
    const result = await runRecorded(textId, file, ['crictl', 'inspectp', '-o', 'json', id]);
    if (result.exitCode !== 0) return;
    texts.push({ id: textId, file, text: result.stdout });
    const status = parseCrictlInspectp(result.stdout, file).statuses[0];
    if (!status) return;
    // A hostNetwork sandbox's pid is in the node's namespace; a closed netns has nothing left to list.
    const skip = status.hostNetwork === true || status.netNamespaceClosed === true;
    const entry: { pid?: number; netnsPath?: string; skip: boolean } = { skip };
    if (status.pid !== undefined) entry.pid = status.pid;
    if (status.netnsPath !== undefined) entry.netnsPath = status.netnsPath;
    inspected.set(id, entry);
  });

  // (2) The node's links, and the sources that need no runtime.
  const linksFile = `${HOST_LINKS_ID}.txt`;
  const links = await runRecorded(HOST_LINKS_ID, linksFile, ['ip', '-o', 'link']);
  if (links.exitCode === 0) texts.push({ id: HOST_LINKS_ID, file: linksFile, text: links.stdout });

  const cacheDir = join(root, CNI_RESULTS_DIR);
  const cache = await readCniCache(cacheDir);
  records.push(cache.record);
  texts.push(...cache.texts);

  const logs = await readLogDirs(join(root, POD_LOGS_DIR));
  records.push(logs.record);
  if (logs.text !== undefined) texts.push({ id: POD_LOG_DIRS_ID, file: `${POD_LOG_DIRS_ID}.txt`, text: logs.text });

  // (3) Pod network namespaces: crictl's sandboxes, else those the CNI cache points at.
  // Each target: how to enter, and the namespace path as the node names it (for the capture's header).
  const targets = new Map<string, { entry: NetnsEntry; netnsPath?: string }>();
  for (const [id, s] of inspected) {
    if (s.skip) continue;
    if (s.pid !== undefined) targets.set(id, { entry: { pid: s.pid }, ...(s.netnsPath === undefined ? {} : { netnsPath: s.netnsPath }) });
    else if (s.netnsPath !== undefined) targets.set(id, { entry: { netnsPath: join(root, s.netnsPath) }, netnsPath: s.netnsPath });
  }
  const ready = new Set(readyIds);
  const byId = new Map<string, string>();
  for (const t of cache.texts) {
    const entry = parseCniCacheFile(t.text, t.id.slice(CNI_CACHE_PREFIX.length)).entry;
    if (!entry?.netnsPath || targets.has(entry.containerId) || inspected.has(entry.containerId)) continue;
    // With crictl, a sandbox that is not READY has no network worth listing (and its netns may be gone).
    if (crictlListed && !ready.has(entry.containerId)) continue;
    byId.set(entry.containerId, entry.netnsPath);
  }
  if (byId.size > 0) {
    const resolved = await resolveNetnsPids([...byId.values()].map((p) => join(root, p)));
    records.push(resolved.record);
    for (const [id, netnsPath] of byId) {
      const path = join(root, netnsPath);
      const pid = resolved.pids.get(path);
      if (pid !== undefined) targets.set(id, { entry: { pid }, netnsPath });
      else if (resolved.existing.has(path)) targets.set(id, { entry: { netnsPath: path }, netnsPath });
    }
  }
  await forEachLimited([...targets], limit, async ([id, { entry, netnsPath }]) => {
    const textId = `${POD_NETNS_PREFIX}${id}`;
    const file = `${textId}.txt`;
    const linkCommand = listNetnsCommand(entry, 'link');
    const addrCommand = listNetnsCommand(entry, 'addr');
    const link = await runRecorded(`${textId}-ip-link`, file, linkCommand);
    const addr = await runRecorded(`${textId}-ip-addr`, file, addrCommand);
    if (link.exitCode !== 0 && addr.exitCode !== 0) return;
    const text = formatPodNetnsCapture({
      sandboxId: id,
      entry,
      ...(netnsPath === undefined ? {} : { netnsPath }),
      link: { command: linkCommand, exitCode: link.exitCode, output: link.exitCode === 0 ? link.stdout : '' },
      addr: { command: addrCommand, exitCode: addr.exitCode, output: addr.exitCode === 0 ? addr.stdout : '' },
    });
    texts.push({ id: textId, file, text });
  });

  texts.sort((a, b) => a.id.localeCompare(b.id));
  const { pods, diagnostics } = buildPodList(texts);
  return { pods, records, texts, diagnostics };
}

/** The Runner, with a throw turned into a recorded failure (a Runner should not throw, but one may). */
async function runSafely(run: Runner, command: string[], options: { timeoutMs?: number }): Promise<RunResult> {
  const started = performance.now();
  try {
    return await run(command, options);
  } catch (e) {
    return { command, exitCode: null, stdout: '', stderr: '', durationMs: Math.round(performance.now() - started), error: (e as Error).message };
  }
}

function toRecord(id: string, file: string, r: RunResult): SourceRecord {
  const record: SourceRecord = { id, command: r.command, exitCode: r.exitCode, durationMs: r.durationMs, stderr: r.stderr };
  if (r.exitCode === 0) record.file = file;
  if (r.error !== undefined) record.error = r.error;
  else if (r.exitCode !== 0) record.error = `exit code ${r.exitCode}`;
  return record;
}

/**
 * A record for an in-process read. Its `command` is the shell equivalent (`ls -1 DIR`), which is what the
 * POSIX collector script runs for the same source; `error` carries the errno when the read failed.
 */
function readRecord(id: string, command: string[], started: number, error?: string, stderr = ''): SourceRecord {
  const record: SourceRecord = { id, command, exitCode: error ? null : 0, durationMs: Math.round(performance.now() - started), stderr };
  if (error) record.error = error;
  return record;
}

/** Every regular file of the CNI results directory, as `cni-cache-<name>` texts. */
async function readCniCache(dir: string): Promise<{ record: SourceRecord; texts: CapturedText[] }> {
  const started = performance.now();
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile()).map((d) => d.name).sort();
  } catch (e) {
    return { record: readRecord('cni-cache', ['ls', '-1', dir], started, errorText(e)), texts: [] };
  }
  const texts: CapturedText[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const path = join(dir, name);
    try {
      if ((await stat(path)).size > MAX_CACHE_FILE_BYTES) {
        problems.push(`${path}: larger than ${MAX_CACHE_FILE_BYTES} bytes, skipped`);
        continue;
      }
      const id = `${CNI_CACHE_PREFIX}${name}`;
      texts.push({ id, file: `${id}.json`, text: await readFile(path, 'utf8') });
    } catch (e) {
      problems.push(`${path}: ${errorText(e)}`);
    }
  }
  return { record: readRecord('cni-cache', ['ls', '-1', dir], started, undefined, problems.join('\n')), texts };
}

/** Directory names under /var/log/pods, one per line. */
async function readLogDirs(dir: string): Promise<{ record: SourceRecord; text?: string }> {
  const started = performance.now();
  try {
    const names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    return { record: readRecord(POD_LOG_DIRS_ID, ['ls', '-1', dir], started), text: names.map((n) => `${n}\n`).join('') };
  } catch (e) {
    return { record: readRecord(POD_LOG_DIRS_ID, ['ls', '-1', dir], started, errorText(e)) };
  }
}

/**
 * Finds a process inside each network namespace file: a namespace's inode is what `readlink
 * /proc/PID/ns/net` prints as `net:[INODE]` and what stat(2) gives for its bind mount (namespaces(7)).
 * The lowest pid wins (the sandbox's pause process normally predates anything else in there).
 */
async function resolveNetnsPids(paths: string[]): Promise<{ record: SourceRecord; pids: Map<string, number>; existing: Set<string> }> {
  const started = performance.now();
  const inodeOf = new Map<string, number>();
  const problems: string[] = [];
  for (const p of paths) {
    try {
      inodeOf.set(p, (await stat(p)).ino);
    } catch (e) {
      problems.push(`${p}: ${errorText(e)}`);
    }
  }
  const wanted = new Set(inodeOf.values());
  const pidByInode = new Map<number, number>();
  let procError: string | undefined;
  if (wanted.size > 0) {
    try {
      const entries = (await readdir('/proc')).filter((n) => /^\d+$/.test(n)).map(Number).sort((a, b) => a - b);
      for (const pid of entries) {
        const link = await readlink(`/proc/${pid}/ns/net`).catch(() => undefined);
        const m = link ? /^net:\[(\d+)\]$/.exec(link) : null;
        if (!m) continue;
        const ino = Number(m[1]);
        if (wanted.has(ino) && !pidByInode.has(ino)) pidByInode.set(ino, pid);
      }
    } catch (e) {
      procError = errorText(e);
    }
  }
  const pids = new Map<string, number>();
  for (const [p, ino] of inodeOf) {
    const pid = pidByInode.get(ino);
    if (pid !== undefined) pids.set(p, pid);
    else problems.push(`${p}: no process found in this network namespace`);
  }
  const record = readRecord('pod-netns-pids', ['readlink', '/proc/*/ns/net'], started, procError, problems.join('\n'));
  return { record, pids, existing: new Set(inodeOf.keys()) };
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message}` : String(err.message ?? e);
}

/** Runs `fn` over `items`, at most `limit` at a time, in no particular completion order. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
