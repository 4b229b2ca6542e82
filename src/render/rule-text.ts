/** Stands in for the option groups left out of a shortened rule. */
const ELIDED = '…';

/**
 * Splits a rule into words the way iptables-save quotes them: a double-quoted argument (with `\"`
 * escapes, iptables-save's save_string) stays one word, so a comment is never cut in half.
 */
function splitWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && quoted && i + 1 < text.length) {
      current += ch + text[++i];
    } else if (ch === '"') {
      quoted = !quoted;
      current += ch;
    } else if (ch === ' ' && !quoted) {
      if (current !== '') words.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current !== '') words.push(current);
  return words;
}

/** Short options that start a new match in iptables(8) "PARAMETERS" (long options belong to the `-m` before them). */
const GROUP_STARTERS = new Set(['-m', '--match', '-s', '--source', '-d', '--destination', '-p', '--protocol', '-i', '--in-interface', '-o', '--out-interface', '-f', '--fragment']);
const TARGET_WORDS = new Set(['-j', '--jump', '-g', '--goto']);

/** A run of words that reads as one condition: `-m statistic --mode random --probability 0.5`, `! -s 10.0.0.0/8`. */
interface Group {
  words: string[];
  isComment: boolean;
}

function groupMatches(words: readonly string[]): Group[] {
  const groups: Group[] = [];
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    const startsNegated = word === '!' && GROUP_STARTERS.has(words[i + 1] ?? '');
    if (startsNegated || GROUP_STARTERS.has(word) || groups.length === 0) {
      groups.push({ words: [word], isComment: false });
    } else {
      groups[groups.length - 1].words.push(word);
    }
    const group = groups[groups.length - 1];
    if (word === 'comment' && group.words[group.words.length - 2] === '-m') group.isComment = true;
  }
  return groups;
}

function join(head: readonly string[], groups: readonly (Group | undefined)[], tail: readonly string[]): string {
  const middle: string[] = [];
  for (const group of groups) {
    if (group !== undefined) middle.push(...group.words);
    else if (middle[middle.length - 1] !== ELIDED) middle.push(ELIDED);
  }
  return [...head, ...middle, ...tail].join(' ');
}

/**
 * Shortens a rule's text to `width` characters without ever losing its target: whole match groups are
 * left out, each gap shown as `…`. The comment goes first (what it says is in the meaning line), then
 * groups from the one nearest the target backwards, so the addresses and protocol that open a
 * kube-proxy rule stay. The chain (`-A CHAIN`) and the target with its options (`-j DNAT
 * --to-destination …`; iptables-save prints the target last) always stay, even if the line then runs
 * over. Undefined width means no limit: piped output keeps the whole rule.
 */
export function shortenRuleText(text: string, width: number | undefined): string {
  if (width === undefined || text.length <= width) return text;
  const words = splitWords(text);
  const headLength = words[0] === '-A' || words[0] === '-I' ? 2 : 0;
  let targetAt = words.length;
  for (let i = words.length - 1; i >= headLength; i--) {
    if (TARGET_WORDS.has(words[i])) {
      targetAt = i;
      break;
    }
  }
  const head = words.slice(0, headLength);
  const tail = words.slice(targetAt);
  const groups: (Group | undefined)[] = groupMatches(words.slice(headLength, targetAt));
  const order = [
    ...groups.flatMap((group, index) => (group?.isComment ? [index] : [])),
    ...groups.map((_, index) => groups.length - 1 - index).filter((index) => !groups[index]?.isComment),
  ];
  let shortened = text;
  for (const index of order) {
    groups[index] = undefined;
    shortened = join(head, groups, tail);
    if (shortened.length <= width) return shortened;
  }
  if (tail.length === 0) return `${text.slice(0, Math.max(width - 1, 1)).trimEnd()}${ELIDED}`;
  return shortened;
}

/** Shortens free text (a table cell) to `width` characters with a trailing ellipsis. */
export function shortenText(text: string, width: number): string {
  if (text.length <= width) return text;
  return `${text.slice(0, Math.max(width - 1, 1)).trimEnd()}${ELIDED}`;
}
