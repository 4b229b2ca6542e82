/**
 * Splitting one iptables-save rule line into arguments, the way `iptables-restore` does.
 *
 * iptables-save quotes a string argument with libxtables `xtables_save_string`: bare when it is non-empty and every
 * character is in `[A-Za-z0-9_-]`, otherwise wrapped in `"…"` with `"`, `\` and `'` backslash-escaped
 * (netfilter.md §10, observed with iptables 1.8.9: `--comment "a \"b\" c\\d \'e\'"`). iptables-restore splits on
 * blanks outside quotes and drops the backslash of an escape inside quotes (iptables `xshared.c`
 * `add_param_to_argv`), so `""` is an argument of its own: the empty string.
 */

/** One argument of a rule line, with where it sits in the line so callers can quote the original text. */
export interface Token {
  /** The argument after unquoting and unescaping. */
  text: string;
  /** True when any part was written in quotes: such a token is never an option or a `!`, whatever it starts with. */
  quoted: boolean;
  /** Offset of the token's first character in the tokenized string. */
  start: number;
  /** Offset just after the token's last character (its closing quote included). */
  end: number;
}

/** Result of {@link tokenizeRuleLine}. `error` is set when the line is malformed (an unbalanced quote). */
export interface TokenizeResult {
  tokens: Token[];
  /** "expected …" message for a malformed line; the tokens are then a best effort (the open quote runs to the end). */
  error?: string;
}

const SPACE = 32;
const TAB = 9;
const QUOTE = 34;
const BACKSLASH = 92;
const CR = 13;

/**
 * Splits `line` into arguments with iptables-restore's quoting rules. Never throws: an unbalanced quote is
 * reported in `error` and the quoted text runs to the end of the line.
 */
export function tokenizeRuleLine(line: string): TokenizeResult {
  const tokens: Token[] = [];
  const n = line.length;
  let i = 0;
  let error: string | undefined;
  while (i < n) {
    let c = line.charCodeAt(i);
    if (c === SPACE || c === TAB || c === CR) {
      i++;
      continue;
    }
    const start = i;
    // Fast path: a bare token is a slice of the line (most tokens of a kube-proxy dump).
    let simple = true;
    while (i < n) {
      c = line.charCodeAt(i);
      if (c === SPACE || c === TAB || c === CR) break;
      if (c === QUOTE) {
        simple = false;
        break;
      }
      i++;
    }
    if (simple) {
      tokens.push({ text: line.slice(start, i), quoted: false, start, end: i });
      continue;
    }
    let text = line.slice(start, i);
    let inQuote = false;
    while (i < n) {
      c = line.charCodeAt(i);
      if (inQuote) {
        if (c === BACKSLASH && i + 1 < n) {
          text += line[i + 1];
          i += 2;
          continue;
        }
        if (c === QUOTE) {
          inQuote = false;
          i++;
          continue;
        }
        text += line[i];
        i++;
        continue;
      }
      if (c === SPACE || c === TAB || c === CR) break;
      if (c === QUOTE) {
        inQuote = true;
        i++;
        continue;
      }
      text += line[i];
      i++;
    }
    if (inQuote) error = `expected a closing quote (") for the argument starting at column ${start + 1}`;
    tokens.push({ text, quoted: true, start, end: i });
  }
  return error === undefined ? { tokens } : { tokens, error };
}
