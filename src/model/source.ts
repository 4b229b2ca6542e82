/** Where a parsed thing came from: every rule, chain and error can point the user back to its line. */
export interface SourceRef {
  /** File name as the user gave it (or a label such as `<stdin>` / `<assumed>`). */
  file: string;
  /** 1-based line number in `file`; 0 for things knetdbg synthesised (see `Rule.assumed`). */
  line: number;
}

/** A value that iptables lets the user negate with `!` (iptables(8) "PARAMETERS"). Absent means "not given". */
export interface Negatable<T> {
  negated: boolean;
  value: T;
}

/** A problem found in the input. Never thrown at the user as a stack trace: rendered as file:line: message. */
export interface Diagnostic {
  severity: 'error' | 'warning' | 'info';
  source: SourceRef;
  message: string;
  /** The offending text, verbatim, when there is one. */
  text?: string;
}

/** Thrown by parsers for input that cannot be analysed at all (e.g. an `iptables -L` listing). */
export class InputError extends Error {
  constructor(
    readonly source: SourceRef,
    message: string,
    readonly hint?: string,
  ) {
    super(`${source.file}${source.line ? `:${source.line}` : ''}: ${message}`);
    this.name = 'InputError';
  }
}
