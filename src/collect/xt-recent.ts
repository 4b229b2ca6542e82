/**
 * The dump format of the xt_recent lists (`xt-recent.txt`): the kernel keeps one file per list under
 * /proc/net/xt_recent/<NAME> (iptables-extensions(8) "recent"), one line per address —
 * `src=10.244.1.3 ttl: 64 last_seen: 4295236891 oldest_pkt: 1 4295236891` (net/netfilter/xt_recent.c
 * `recent_seq_show`). The dump concatenates them, each list introduced by a line `# list <NAME>`, its lines
 * kept verbatim, so one file carries every list and a list with no address is still seen to exist.
 * kube-proxy's ClientIP session affinity names one list per endpoint (`-m recent --rcheck --name KUBE-SEP-…`),
 * which is how the trace knows whether a client is pinned (src/interpret/node-context.ts reads the texts
 * `xt-recent-<NAME>` this module produces).
 *
 * The same layout is written by live.ts and by the collect script (collect-node.sh `read_lists`); both walk
 * the directory in the order of an sh glob (see {@link orderLikeShellGlob}), so their dumps are identical.
 */
import type { CapturedText } from '../model/snapshot.js';
import type { Diagnostic } from '../model/source.js';

/** The header line that opens a list (the rest of the line is the list's name). */
export const LIST_HEADER = '# list ';

/** Text id prefix of one list in `snapshot.texts` (node-context.ts `readRecentLists`). */
export const RECENT_TEXT_PREFIX = 'xt-recent-';

/** One list: its name (the /proc file name) and the file's content. */
export interface RecentListText {
  name: string;
  /** The file's lines, each ending in a newline; '' for a list with no address. */
  text: string;
}

/** Writes lists in the dump format: `# list NAME` then the lines, for each list in the given order. */
export function renderRecentLists(lists: readonly RecentListText[]): string {
  return lists.map((l) => `${LIST_HEADER}${l.name}\n${withFinalNewline(l.text)}`).join('');
}

/**
 * Orders directory entries as `for f in DIR/* DIR/.[!.]* DIR/..?*` in sh does: names not starting with a dot,
 * then those starting with one dot, then with two, each group by bytes (dash and busybox ash sort glob results
 * with strcmp; collect-node.sh runs with LC_ALL=C). xt_recent accepts names like `.x` (only `.`, `..` and names
 * with `/` are refused), which a plain `*` would skip.
 */
export function orderLikeShellGlob(names: readonly string[]): string[] {
  const group = (n: string): number => (n.startsWith('..') ? 2 : n.startsWith('.') ? 1 : 0);
  const bytes = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
  return names.filter((n) => n !== '.' && n !== '..').sort((a, b) => group(a) - group(b) || bytes(a, b));
}

/** Result of {@link splitRecentLists}. */
export interface SplitRecentLists {
  /** One capture per list: id `xt-recent-<NAME>`, the file label, the list's lines. */
  texts: CapturedText[];
  diagnostics: Diagnostic[];
}

/**
 * Reads `xt-recent.txt` back into one {@link CapturedText} per list. A file without `# list` headers is the
 * content of a single /proc/net/xt_recent file copied into a plain folder: its list name is `fallbackName`
 * (from the file name, {@link getListNameFromFileName}); without one, its lines cannot be attributed and are
 * reported, as are lines before the first header.
 */
export function splitRecentLists(text: string, label: string, fallbackName?: string): SplitRecentLists {
  const texts: CapturedText[] = [];
  const diagnostics: Diagnostic[] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const hasHeader = lines.some((l) => l.startsWith(LIST_HEADER));
  let current: { name: string; lines: string[] } | undefined =
    !hasHeader && fallbackName !== undefined ? { name: fallbackName, lines: [] } : undefined;
  const flush = (): void => {
    if (current) texts.push({ id: `${RECENT_TEXT_PREFIX}${current.name}`, file: label, text: current.lines.map((l) => `${l}\n`).join('') });
  };
  let orphan: number | undefined;
  let orphans = 0;
  lines.forEach((line, i) => {
    if (line.startsWith(LIST_HEADER)) {
      flush();
      current = { name: line.slice(LIST_HEADER.length), lines: [] };
      return;
    }
    if (current) current.lines.push(line);
    else if (line.trim() !== '') {
      orphan ??= i + 1;
      orphans++;
    }
  });
  flush();
  if (orphan !== undefined) {
    diagnostics.push({
      severity: 'warning',
      source: { file: label, line: orphan },
      message: hasHeader
        ? `${orphans} line(s) before the first \`${LIST_HEADER}NAME\` line belong to no xt_recent list: ignored`
        : `${orphans} xt_recent line(s) without a list name: name the file after the list (xt_recent_<NAME>) or start it with \`${LIST_HEADER}NAME\``,
    });
  }
  return { texts, diagnostics };
}

/**
 * The list name a plain folder's file carries after `xt_recent` (`xt_recent_KUBE-SEP-ABC.txt`,
 * `xt-recent-KUBE-SEP-ABC`): undefined when nothing follows (`xt_recent.txt`). A trailing `.txt`/`.log` is
 * dropped; list names themselves may contain dots, so no other extension is.
 */
export function getListNameFromFileName(fileName: string): string | undefined {
  const base = (fileName.split('/').pop() ?? '').replace(/\.(?:txt|log)$/i, '');
  const name = /^xt[-_ .]?recent(?:[-_ .](.*))?$/i.exec(base)?.[1];
  return name === undefined || name === '' ? undefined : name;
}

function withFinalNewline(text: string): string {
  return text === '' || text.endsWith('\n') ? text : `${text}\n`;
}
