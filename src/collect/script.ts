/**
 * `knetdbg collect --script`: the POSIX sh collector for nodes without Node.js. The machinery (timing, JSON
 * escaping, meta.json, tar+gzip) is the template collect-node.sh next to this file; the list of sources is
 * generated here from sources.ts, so the script captures exactly what `knetdbg collect` does, under the same
 * file names and ids.
 */
import { readFileSync } from 'node:fs';
import { KNETDBG_TOOL } from './live.js';
import { DEFAULT_TIMEOUT_MS } from './runner.js';
import { listProcDirCommand, listProcSysCommand, SOURCES, VERSION_PROBES, type SourceSpec } from './sources.js';

/** The template's name; it sits next to this module (src/collect/, or dist/collect/ once copied there). */
export const SCRIPT_TEMPLATE = 'collect-node.sh';

/**
 * Where the template is looked for: next to this module, then in src/collect/ when running from dist/
 * (tsc does not copy .sh files; the package must ship src/collect/collect-node.sh or copy it to dist).
 */
const TEMPLATE_LOCATIONS = [`./${SCRIPT_TEMPLATE}`, `../../src/collect/${SCRIPT_TEMPLATE}`];

/** Reads the template. */
export function readScriptTemplate(): string {
  for (const location of TEMPLATE_LOCATIONS) {
    try {
      return readFileSync(new URL(location, import.meta.url), 'utf8');
    } catch {
      // try the next location
    }
  }
  throw new Error(`the collect script template ${SCRIPT_TEMPLATE} is missing from this installation`);
}

/** Single-quotes a word for sh (`'` becomes `'\''`). */
export function quoteShellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The shell line that captures one source. */
export function renderSourceLine(source: SourceSpec): string {
  if (source.kind === 'proc-sys') {
    const command = JSON.stringify(listProcSysCommand(source));
    return ['read_sysctl', source.id, source.file, command, ...source.keys].map(quoteShellWord).join(' ');
  }
  if (source.kind === 'proc-dir') {
    const command = JSON.stringify(listProcDirCommand(source));
    return ['read_lists', source.id, source.file, command, source.dir, source.absentMeans].map(quoteShellWord).join(' ');
  }
  const seconds = Math.ceil((source.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000);
  const command = JSON.stringify(source.command);
  return ['run_source', source.id, source.file, String(seconds), command, ...source.command].map(quoteShellWord).join(' ');
}

/** Options of {@link renderCollectScript}. */
export interface CollectScriptOptions {
  /**
   * The node root the script reads files under when neither its second argument nor $KNETDBG_ROOT names one
   * (`/` by default; `/host` for a `kubectl debug node` pod run without chroot).
   */
  root?: string;
}

/** The complete script. */
export function renderCollectScript(options: CollectScriptOptions = {}): string {
  const template = readScriptTemplate();
  const sources = SOURCES.map((s) => `# ${s.why}\n${renderSourceLine(s)}`).join('\n');
  const versions = VERSION_PROBES.map((p) => ['version', p.tool, ...p.command].map(quoteShellWord).join(' ')).join('\n');
  return template
    .replace('# @@SOURCES@@', sources)
    .replace('# @@VERSIONS@@', versions)
    .replace(/@@VERSION@@/g, KNETDBG_TOOL.version)
    .replace(/@@ROOT@@/g, quoteShellWord(options.root ?? '/'));
}
