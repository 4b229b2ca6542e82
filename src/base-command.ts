import { readFile } from 'node:fs/promises';
import { Command } from '@oclif/core';

/** Exit code for usage errors, as oclif uses for its own parse errors (toolchain.md §3). */
export const USAGE_EXIT = 2;
/** Exit code when the analysis could not run (bad input, unreadable file). */
export const FAILURE_EXIT = 1;

/**
 * What every knetdbg command shares: the exit-code convention under --json, and reading an input file
 * (`-` is stdin) with a one-line error, never a stack trace. Lives outside src/commands because oclif
 * loads every file there as a command.
 */
export abstract class KnetdbgCommand extends Command {
  /**
   * oclif's --json error path sets the exit code from `err.exitCode`, which its own CLIError does not
   * have (it keeps `oclif.exit`): without this, a usage error under --json would exit 1 instead of 2.
   */
  override async catch(error: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    if (process.exitCode === undefined && error.oclif?.exit !== undefined) process.exitCode = error.oclif.exit;
    return super.catch(error);
  }

  /** Reads a file named by a flag (`-` is stdin); an unreadable file is a one-line error, exit 1. */
  protected async readInput(path: string, flag: string): Promise<{ text: string; file: string }> {
    try {
      if (path === '-') return { text: await readStdin(), file: '<stdin>' };
      // Read whole, then decode once: a streamed utf8 read leaves a cons-string that costs ~20 ms to flatten
      // on first use at 49 MB (measured).
      return { text: (await readFile(path)).toString('utf8'), file: path };
    } catch (error) {
      return this.error(`cannot read ${flag} ${path}: ${describeFsError(error)}`, { exit: FAILURE_EXIT });
    }
  }
}

/** Reads all of stdin as UTF-8. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** `no such file or directory` rather than `ENOENT: no such file or directory, open '…'`. */
export function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory (pass the file inside it)';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
