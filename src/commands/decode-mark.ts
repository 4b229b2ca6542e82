import { Args, Flags } from '@oclif/core';
import { FAILURE_EXIT, KnetdbgCommand, USAGE_EXIT } from '../base-command.js';
import type { DecodeMarkReport } from '../interpret/calico/decode-report.js';
import { InputError } from '../model/source.js';
import { applyColorDecision, shouldColor } from '../render/color.js';


/** `knetdbg decode-mark`: what a packet mark means to Calico and kube-proxy. */
export default class DecodeMark extends KnetdbgCommand {
  static override summary = 'Explain a packet mark (or value/mask) in Calico\'s and kube-proxy\'s bits.';

  static override description = [
    'Names every bit of <mark>: Calico\'s accept, pass, drop, scratch and endpoint marks, kube-proxy\'s 0x4000 (masquerade) and 0x8000 (drop), and bits nobody known uses. With value/mask it also says what `-j MARK --set-xmark value/mask` does and what `-m mark --mark value/mask` tests.',
    'Calico\'s bits depend on its version and IptablesMarkMask. With --from, the layout is read from the dump\'s own Calico rules (which bits "Return if policy accepted" and "Start of policies" use); --layout overrides it; otherwise the v3.1+ default is used.',
    'Exit status: 0 when the mark was explained; 1 when --from could not be read; 2 for usage errors.',
  ].join('\n\n');

  static override examples = [
    { description: 'What does the accept test of Calico\'s tw/fw chains check?', command: '<%= config.bin %> <%= command.id %> 0x10000/0x10000' },
    { description: 'A mark seen in conntrack, with the layout read from a dump.', command: '<%= config.bin %> <%= command.id %> 0x14000 --from samples/calico-frontend-backend-db/iptables-save.rules' },
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
    const rules = flags.from === undefined ? undefined : await this.readInput(flags.from, '--from');
    let report: DecodeMarkReport;
    try {
      // Imported here, not at the top: oclif imports every command file at startup (see trace.ts).
      const { buildDecodeMarkReport } = await import('../interpret/calico/decode-report.js');
      report = buildDecodeMarkReport(args.mark, { rules, layout: flags.layout });
    } catch (error) {
      if (error instanceof (await import('../interpret/calico/decode-report.js')).MarkUsageError) this.error(error.message, { exit: USAGE_EXIT });
      if (error instanceof InputError) this.error(error.message, { exit: FAILURE_EXIT });
      throw error;
    }
    const { renderDecodeMark } = await import('../render/decode-mark.js');
    if (!this.jsonEnabled()) this.log(renderDecodeMark(report, { color, width: process.stdout.isTTY ? process.stdout.columns : undefined }));
    return report;
  }


}
