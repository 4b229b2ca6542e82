import { readFile } from 'node:fs/promises';
import { Args, Command, Flags } from '@oclif/core';
import { buildDecodeMarkReport, MarkUsageError, type DecodeMarkReport } from '../interpret/calico/decode-report.js';
import { InputError } from '../model/source.js';
import { applyColorDecision, shouldColor } from '../render/color.js';
import { renderDecodeMark } from '../render/decode-mark.js';

/** Exit code for usage errors, as oclif uses for its own parse errors (toolchain.md §3). */
const USAGE_EXIT = 2;
/** Exit code when the analysis could not run (unreadable input). */
const FAILURE_EXIT = 1;

/** `knetdbg decode-mark`: what a packet mark means to Calico and kube-proxy. */
export default class DecodeMark extends Command {
  static override summary = 'Explain a packet mark (or value/mask) in Calico\'s and kube-proxy\'s bits.';

  static override description = [
    'Names every bit of <mark>: Calico\'s accept, pass, drop, scratch and endpoint marks, kube-proxy\'s 0x4000 (masquerade) and 0x8000 (drop), and bits nobody known uses. With value/mask it also says what `-j MARK --set-xmark value/mask` does and what `-m mark --mark value/mask` tests.',
    'Calico\'s bits depend on its version and IptablesMarkMask. With --from, the layout is read from the dump\'s own Calico rules (which bits "Return if policy accepted" and "Start of policies" use); --layout overrides it; otherwise the v3.1+ default is used.',
    'Exit status: 0 when the mark was explained; 1 when --from could not be read; 2 for usage errors.',
  ].join('\n\n');

  static override examples = [
    { description: 'What does the accept test of Calico\'s tw/fw chains check?', command: '<%= config.bin %> <%= command.id %> 0x10000/0x10000' },
    { description: 'A mark seen in conntrack, with the layout read from a dump.', command: '<%= config.bin %> <%= command.id %> 0x14000 --from samples/calico-frontend-backend-db.rules' },
    { description: 'A Calico 3.0 node (mask 0xff000000), as JSON.', command: '<%= config.bin %> <%= command.id %> 0x1000000 --layout 3.0 --json' },
  ];

  static override enableJsonFlag = true;

  static override args = {
    mark: Args.string({ description: 'Mark as value or value/mask, hex (0x10000) or decimal.', required: true }),
  };

  static override flags = {
    from: Flags.string({ char: 'f', summary: 'iptables-save dump to detect Calico\'s mark layout from (- for stdin).' }),
    layout: Flags.string({
      summary: 'Calico layout: a version (3.0, 3.16, 3.32), legacy|classic|drop-bit, a mask (0xffff0000) or bits (accept=0x10000,pass=0x20000,…).',
    }),
    color: Flags.option({
      options: ['auto', 'always', 'never'] as const,
      default: 'auto',
      summary: 'Colour the output: auto (a terminal, and NO_COLOR unset), always or never.',
    })(),
  };

  /** Decodes the mark; the returned report is exactly what `--json` prints. */
  async run(): Promise<DecodeMarkReport> {
    const { args, flags } = await this.parse(DecodeMark);
    const color = shouldColor({ mode: flags.color, json: this.jsonEnabled(), isTTY: process.stdout.isTTY === true, env: process.env });
    applyColorDecision(color);
    const rules = flags.from === undefined ? undefined : await this.readInput(flags.from);
    let report: DecodeMarkReport;
    try {
      report = buildDecodeMarkReport(args.mark, { rules, layout: flags.layout });
    } catch (error) {
      if (error instanceof MarkUsageError) this.error(error.message, { exit: USAGE_EXIT });
      if (error instanceof InputError) this.error(error.message, { exit: FAILURE_EXIT });
      throw error;
    }
    if (!this.jsonEnabled()) this.log(renderDecodeMark(report, { color, width: process.stdout.isTTY ? process.stdout.columns : undefined }));
    return report;
  }

  /** oclif's --json error path reads `err.exitCode`; carry the usage exit code over (as trace does). */
  override async catch(error: Error & { oclif?: { exit?: number } }): Promise<unknown> {
    if (process.exitCode === undefined && error.oclif?.exit !== undefined) process.exitCode = error.oclif.exit;
    return super.catch(error);
  }

  private async readInput(path: string): Promise<{ text: string; file: string }> {
    try {
      if (path === '-') {
        const chunks: Buffer[] = [];
        for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
        return { text: Buffer.concat(chunks).toString('utf8'), file: '<stdin>' };
      }
      return { text: await readFile(path, 'utf8'), file: path };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : String(error);
      return this.error(`cannot read --from ${path}: ${why}`, { exit: FAILURE_EXIT });
    }
  }
}
