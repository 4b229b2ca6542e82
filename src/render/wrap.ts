/** SGR escape sequences (chalk emits only these): they take no columns on screen. */
const SGR = /\u001b\[[0-9;]*m/g;

/** Columns a string takes on screen, ignoring colour escapes (every character here is one column wide). */
export function visibleLength(text: string): number {
  return [...text.replace(SGR, '')].length;
}

/**
 * Word-wraps `text` after `lead` (an indent or label, possibly coloured) so no line exceeds `width`;
 * continuation lines start with `hangingIndent`. A word longer than a line stays whole on its own line
 * (an address or chain name must never be split). Undefined width means one line: piped output is
 * left for the pager or grep.
 */
export function wrapText(lead: string, text: string, width: number | undefined, hangingIndent: string): string[] {
  if (width === undefined || visibleLength(lead) + visibleLength(text) <= width) return [`${lead}${text}`];
  const lines: string[] = [];
  let line = lead;
  let lineLength = visibleLength(lead);
  let empty = true;
  for (const word of text.split(' ').filter((part) => part !== '')) {
    const wordLength = visibleLength(word);
    if (!empty && lineLength + 1 + wordLength > width) {
      lines.push(line);
      line = hangingIndent + word;
      lineLength = hangingIndent.length + wordLength;
    } else {
      line += empty ? word : ` ${word}`;
      lineLength += empty ? wordLength : 1 + wordLength;
    }
    empty = false;
  }
  lines.push(line);
  return lines;
}
