import type { NodeSnapshot } from '../model/snapshot.js';
import { InputError } from '../model/source.js';
import { getIptablesBackend, pickIptables } from './iptables-backends.js';
import { loadSnapshot, type LoadSnapshotOptions } from './load-snapshot.js';

/** What a trace reads: the iptables text to walk and, when there is more, the node snapshot around it. */
export interface LoadedTraceInput {
  /** The rules: bytes when read from a file (indexed without decoding), text otherwise. */
  text: string | Uint8Array;
  file: string;
  /** Present when the input holds more than rules (addresses, routes, ipsets, pods, conntrack, sysctls). */
  snapshot?: NodeSnapshot;
  /** Said in the output: which capture was traced when there were several (both backends). */
  notes: string[];
}

export interface TraceInputOptions {
  family: 4 | 6;
  protocol: string;
  destination: string;
  onProgress?: (message: string) => void;
  /** Reads standard input (for `--from -`). */
  readStdin?: () => Promise<string>;
  /** Live collection only (no `from`): the node's filesystem root, `/` by default (live.ts `root`). */
  root?: string;
}

/**
 * Loads what `trace` needs from each `--from` (a dump folder or tarball, a calicoctl diags bundle, or single
 * files whose kinds are detected by content: an iptables-save plus an `ipset list`, say), merged into one
 * snapshot; without `--from`, collects this node live (read-only). Conntrack is streamed and only the entries
 * of the traced flow are kept (a node can track 200k connections).
 */
export async function loadTraceInput(froms: readonly string[], options: TraceInputOptions): Promise<LoadedTraceInput> {
  const loadOptions: LoadSnapshotOptions = {
    conntrackFilter: (e) => e.protocol === options.protocol && e.original.dst === options.destination,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.root === undefined ? {} : { root: options.root }),
  };
  if (froms.length === 1 && froms[0] === '-') {
    if (!options.readStdin) throw new InputError({ file: '<stdin>', line: 0 }, 'standard input is not available');
    return { text: await options.readStdin(), file: '<stdin>', notes: [] };
  }
  const snapshots = froms.length === 0 ? [await loadSnapshot(undefined, loadOptions)] : await Promise.all(froms.map((f) => loadSnapshot(f, loadOptions)));
  const snapshot = mergeSnapshots(snapshots);
  const choice = pickIptables(snapshot, options.family);
  if (!choice.capture) {
    const what = options.family === 6 ? 'ip6tables-save' : 'iptables-save';
    // Say why when the source itself failed (live: not installed, not root).
    const why = snapshot.missing.find((m) => m.id === what)?.why;
    throw new InputError(
      { file: froms.join(', ') || '<live>', line: 0 },
      `no ${what} rules for IPv${options.family} in the input${why ? ` (${why})` : ''}`,
      `capture \`${what} -c\` on the node (or run \`knetdbg collect\`) and pass it with --from`,
    );
  }
  const notes: string[] = [];
  // Worth saying only when another backend's capture was left aside (iptables-save and iptables-nft-save
  // of the same nf_tables rules are one ruleset).
  const chosenBackend = getIptablesBackend(choice.capture);
  const otherBackends = choice.others.filter((o) => getIptablesBackend(o) !== chosenBackend);
  if (choice.reason && otherBackends.length > 0) {
    notes.push(`traced ${choice.capture.file}: ${choice.reason}; also present: ${otherBackends.map((o) => o.file).join(', ')}`);
  }
  const rich =
    snapshot.ipsets.length + snapshot.interfaces.length + snapshot.routes.length + snapshot.pods.length + snapshot.conntrack.length > 0 ||
    Object.keys(snapshot.sysctls).length > 0;
  return { text: choice.capture.bytes ?? choice.capture.text, file: choice.capture.file, ...(rich ? { snapshot } : {}), notes };
}

/** One snapshot from several inputs: lists concatenated, sysctls merged; `missing` keeps only what none had. */
export function mergeSnapshots(list: NodeSnapshot[]): NodeSnapshot {
  if (list.length === 1) return list[0]!;
  const merged: NodeSnapshot = {
    origin: list.map((s) => s.origin).join(' + '),
    iptables: list.flatMap((s) => s.iptables),
    ipsets: list.flatMap((s) => s.ipsets),
    conntrack: list.flatMap((s) => s.conntrack),
    interfaces: list.flatMap((s) => s.interfaces),
    routes: list.flatMap((s) => s.routes),
    sysctls: Object.assign({}, ...list.map((s) => s.sysctls)),
    pods: list.flatMap((s) => s.pods),
    missing: [],
    diagnostics: list.flatMap((s) => s.diagnostics),
    texts: list.flatMap((s) => s.texts ?? []),
  };
  const meta = list.find((s) => s.meta)?.meta;
  if (meta) merged.meta = meta;
  // A single rules file says "no ipset list"; a second file that is the ipset list answers it.
  const had = (id: string): boolean => list.some((s) => !s.missing.some((m) => m.id === id));
  const seen = new Set<string>();
  for (const s of list) {
    for (const m of s.missing) {
      if (seen.has(m.id) || had(m.id)) continue;
      seen.add(m.id);
      merged.missing.push(m);
    }
  }
  return merged;
}
