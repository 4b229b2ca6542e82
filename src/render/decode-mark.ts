import type { DecodeMarkReport } from '../interpret/calico/decode-report.js';
import { makeChalk } from './color.js';
import { renderKubectlTable } from './table.js';
import { wrapText } from './wrap.js';

/** How to render: colour decided by the caller (color.ts); the terminal's width, if any. */
export interface RenderDecodeMarkOptions {
  color: boolean;
  width?: number;
}

/**
 * Renders a decoded mark for a human: the mark and the layout it was read with (and why), a
 * kubectl-style table of the named bits it touches, unknown bits, and how the pair reads as a
 * `MARK --set-xmark` target and as a `-m mark --mark` match.
 */
export function renderDecodeMark(report: DecodeMarkReport, options: RenderDecodeMarkOptions): string {
  const c = makeChalk(options.color);
  const mark = report.mask !== undefined ? `${report.value}/${report.mask}` : report.value;
  const source = report.layout.source === 'rules' ? `detected from ${report.layout.from}` : report.layout.source === 'override' ? `--layout ${report.layout.from}` : 'default';
  const bits = Object.entries(report.layout.bits).map(([role, b]) => `${role} ${b}`).join(', ');
  const blocks: string[] = [
    [
      c.bold(`Mark ${mark}: ${report.summary}`),
      ...wrapText('  layout   ', `Calico ${report.layout.era} (IptablesMarkMask ${report.layout.mask}), ${source}`, options.width, '           '),
      ...wrapText('  bits     ', bits, options.width, '           '),
      ...report.layout.evidence.flatMap((e) => wrapText('  because  ', e, options.width, '           ')),
    ].join('\n'),
  ];
  if (report.regions.length > 0) {
    const headers = report.mask !== undefined ? ['bits', 'name', 'in value', 'meaning'] : ['bits', 'name', 'meaning'];
    const rows = report.regions.map((r) => {
      const name = r.role.startsWith('kube') ? c.cyan(r.label) : c.green(r.label);
      const state = r.set !== '0x0' ? c.bold(r.role === 'endpoint' ? r.set : 'set') : 'clear';
      return report.mask !== undefined ? [r.covered, name, state, r.meaning] : [r.role === 'endpoint' ? r.set : r.bits, name, r.meaning];
    });
    blocks.push(renderKubectlTable(headers, rows));
  }
  if (report.unknownBits) blocks.push(c.yellow(`Unknown bits ${report.unknownBits}: neither Calico's layout nor kube-proxy's 0x4000/0x8000 (another program's mark?)`));
  if (report.asSetXmark !== undefined && report.asMatch !== undefined) {
    blocks.push([
      ...wrapText(`  as MARK --set-xmark ${mark}: `, report.asSetXmark, options.width, '    '),
      ...wrapText(`  as -m mark --mark ${mark}: `, report.asMatch, options.width, '    '),
    ].join('\n'));
  }
  return blocks.join('\n\n');
}
