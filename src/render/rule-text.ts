/** What stands between the kept head and tail of a shortened rule. */
const ELLIPSIS = ' … ';
/** Never keep fewer than this many characters of the head: `-A KUBE-SERVICES` must stay recognisable. */
const MIN_HEAD = 16;

/**
 * Where the rule's verdict starts: the last ` -j ` / ` -g ` (or long forms). iptables-save prints the
 * target after every match (iptables(8) prints matches, then `-j TARGET [options]`), so the last one is
 * the real target even when a quoted comment contains ` -j `.
 */
function findTargetStart(text: string): number | undefined {
  const found = [' -j ', ' -g ', ' --jump ', ' --goto '].map((word) => text.lastIndexOf(word));
  const best = Math.max(...found);
  return best < 0 ? undefined : best + 1;
}

/**
 * Shortens a rule's text to `width` characters by cutting matches out of its middle, never its target:
 * `-A KUBE-SVC-X -m comment … -j KUBE-SEP-Y`. When even the head plus target is wider, the target still
 * wins and the line runs over. Undefined width means no limit (piped output keeps the whole rule).
 */
export function shortenRuleText(text: string, width: number | undefined): string {
  if (width === undefined || text.length <= width) return text;
  const targetStart = findTargetStart(text);
  if (targetStart === undefined) return `${text.slice(0, Math.max(width - 1, MIN_HEAD)).trimEnd()}…`;
  const tail = text.slice(targetStart);
  const headRoom = Math.max(width - tail.length - ELLIPSIS.length, MIN_HEAD);
  if (headRoom >= targetStart) return text;
  // Cut at a word boundary so no option is shown half-written.
  const head = text.slice(0, headRoom + 1);
  const lastSpace = head.lastIndexOf(' ');
  const cut = lastSpace >= MIN_HEAD ? head.slice(0, lastSpace) : head.slice(0, headRoom);
  return `${cut.trimEnd()}${ELLIPSIS}${tail}`;
}

/** Shortens free text (a table cell) to `width` characters with a trailing ellipsis. */
export function shortenText(text: string, width: number): string {
  if (text.length <= width) return text;
  return `${text.slice(0, Math.max(width - 1, 1)).trimEnd()}…`;
}
