/**
 * The `knetdbg decode-mark` result: a mark (or value/mask) explained under the Calico layout detected
 * from a dump, given as an override, or the v3.1+ default (calico.md §1), plus kube-proxy's bits.
 */
import { formatMark, parseValueMask } from '../../engine/matches/values.js';
import { parseIptables } from '../../parse/iptables-save.js';
import { InputError } from '../../model/source.js';
import { CLASSIC_LAYOUT, decodeMark, describeMarkOperation, describeMarkTest, detectMarkLayout, parseMarkLayout, type MarkLayout, type MarkRole } from './marks.js';

/** The `--json` payload of `knetdbg decode-mark`. Adding fields is non-breaking. */
export interface DecodeMarkReport {
  schemaVersion: 1;
  /** The argument as given. */
  input: string;
  /** Hex value and mask (mask absent when none was given). */
  value: string;
  mask?: string;
  layout: {
    era: MarkLayout['era'];
    /** `rules` (detected from --from), `override` (--layout) or `default`. */
    source: MarkLayout['source'];
    /** Where the layout came from: the dump's file, or the --layout text. */
    from?: string;
    mask: string;
    bits: Partial<Record<MarkRole, string>>;
    evidence: string[];
  };
  /** Named regions the value (and mask) touch. */
  regions: { role: MarkRole; label: string; bits: string; covered: string; set: string; meaning: string }[];
  /** Bits belonging to no known region, when any. */
  unknownBits?: string;
  /** One sentence: which bits are set/clear. */
  summary: string;
  /** Read as `MARK --set-xmark value/mask` (only with a mask). */
  asSetXmark?: string;
  /** Read as `-m mark --mark value/mask` (only with a mask). */
  asMatch?: string;
}

/** What decode-mark is given besides the value. */
export interface DecodeMarkOptions {
  /** An iptables-save dump to detect the layout from. */
  rules?: { text: string; file: string };
  /** A `--layout` override (version, era, mask or bits). */
  layout?: string;
}

/** Thrown for an argument that is not a mark or a layout that cannot be read (exit 2 in the command). */
export class MarkUsageError extends Error {}

/** Decodes `value[/mask]` under the chosen layout. */
export function buildDecodeMarkReport(input: string, options: DecodeMarkOptions = {}): DecodeMarkReport {
  const vm = parseValueMask(input.trim());
  if (!vm) throw new MarkUsageError(`"${input}" is not a mark: expected value[/mask] in hex or decimal, e.g. 0x10000/0x10000`);
  const hasMask = input.includes('/');
  let layout: MarkLayout;
  let from: string | undefined;
  if (options.layout !== undefined) {
    const parsed = parseMarkLayout(options.layout);
    if (!parsed) {
      throw new MarkUsageError(
        `--layout "${options.layout}" not understood: give a Calico version (3.0, 3.16, 3.32), legacy|classic|drop-bit, a mask (0xffff0000) or bits (accept=0x10000,pass=0x20000,…)`,
      );
    }
    layout = parsed;
    from = options.layout;
  } else if (options.rules) {
    const ruleset = parseIptables(options.rules.text, options.rules.file);
    if (ruleset.tables.size === 0) throw new InputError({ file: options.rules.file, line: 0 }, 'no iptables rules found');
    layout = detectMarkLayout(ruleset);
    from = options.rules.file;
  } else {
    layout = { ...CLASSIC_LAYOUT, evidence: ['no --from or --layout: the Calico v3.1+ default (IptablesMarkMask 0xffff0000)'] };
  }
  const decoded = decodeMark(vm.value, hasMask ? vm.mask : undefined, layout);
  const bits: Partial<Record<MarkRole, string>> = {};
  for (const role of ['accept', 'pass', 'drop', 'scratch0', 'scratch1', 'wireguard', 'endpoint'] as const) {
    const b = layout[role];
    if (b !== undefined) bits[role] = formatMark(b);
  }
  return {
    schemaVersion: 1,
    input,
    value: formatMark(vm.value),
    ...(hasMask ? { mask: formatMark(vm.mask) } : {}),
    layout: { era: layout.era, source: layout.source, ...(from !== undefined ? { from } : {}), mask: formatMark(layout.mask), bits, evidence: layout.evidence },
    regions: decoded.regions.map((r) => ({
      role: r.role, label: r.label, bits: formatMark(r.bits), covered: formatMark(r.covered), set: formatMark(r.set), meaning: r.meaning,
    })),
    ...(decoded.unknownBits ? { unknownBits: formatMark(decoded.unknownBits) } : {}),
    summary: decoded.sentence,
    ...(hasMask
      ? { asSetXmark: describeMarkOperation(vm.value, vm.mask, layout), asMatch: describeMarkTest(vm.value, vm.mask, false, layout) }
      : {}),
  };
}
