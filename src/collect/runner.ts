/**
 * Running programs on the node: the one place knetdbg does it (STYLE.md 1). Always an argument array,
 * never a shell string built from input, always with a timeout; read-only commands only.
 */
export interface RunResult {
  /** The exact argv that ran. */
  command: string[];
  /** null when the program could not be started (missing) or was killed (timeout). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Set when it did not run to completion: `not found`, `timed out after 20000 ms`, … */
  error?: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Where stdout goes instead of memory (large conntrack tables stream to a file). */
  stdoutFile?: string;
}

/** Runs one program. Implementations: execa (live), and fakes in unit tests of pure logic only. */
export type Runner = (command: string[], options?: RunOptions) => Promise<RunResult>;

/** Default per-command timeout: long enough for 200k conntrack entries, short enough for 3 a.m. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The live runner: execa with an argument array, a timeout, no shell, stdin closed. execa is imported
 * lazily (toolchain.md 1.5f: +70 ms of startup that offline analysis should not pay).
 */
export async function runProgram(command: string[], options: RunOptions = {}): Promise<RunResult> {
  const { execa } = await import('execa');
  const [file, ...args] = command;
  // stdoutFile: the child writes to the file descriptor itself. execa's `{ file }` target pipes the output
  // through this process AND buffers it into result.stdout (failing past maxBuffer, 100 MB), which is what a
  // 200k-entry conntrack dump must not do; an inherited fd never passes a byte through Node.
  const { openSync, closeSync } = await import('node:fs');
  const stdoutFd = options.stdoutFile ? openSync(options.stdoutFile, 'w') : undefined;
  const started = performance.now();
  let result;
  try {
    result = await execa(file!, args, {
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      reject: false,
      stdin: 'ignore',
      shell: false,
      stripFinalNewline: false,
      // execa passes a numeric fd straight to spawn(); its types list only 3–9 for arrays, hence the cast.
      ...(stdoutFd !== undefined ? { stdout: stdoutFd as unknown as 'inherit' } : {}),
    });
  } finally {
    if (stdoutFd !== undefined) closeSync(stdoutFd);
  }
  const durationMs = Math.round(performance.now() - started);
  const stdout = typeof result.stdout === 'string' ? result.stdout : '';
  const stderr = typeof result.stderr === 'string' ? result.stderr : '';
  let error: string | undefined;
  if (result.timedOut) error = `timed out after ${options.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`;
  else if ((result as { code?: string }).code === 'ENOENT') error = 'not found';
  else if (result.failed && result.exitCode === undefined) error = result.shortMessage ?? 'failed to start';
  return {
    command,
    exitCode: result.exitCode ?? null,
    stdout,
    stderr,
    durationMs,
    ...(error ? { error } : {}),
  };
}
