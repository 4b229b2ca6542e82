/**
 * Calico's packet-mark bits per era, chosen from the rules themselves (calico.md §1).
 *
 * felix allocates its bits from `IptablesMarkMask` (default 0xffff0000 since ~3.1, 0xff000000 in Felix 2.x
 * and Calico 3.0): each single-bit request takes the lowest free bit of the mask, in the order accept,
 * pass, [drop], scratch0, scratch1, [WireGuard]; the endpoint mark takes the remaining high bits
 * (felix/markbits/mark_bits.go, felix/dataplane/driver.go). kube-proxy's 0x4000 (masquerade) and kubelet's
 * 0x8000 (drop) sit below Calico's mask (kube-proxy.md §2).
 */
import { formatMark } from '../../engine/matches/values.js';
import type { Rule } from '../../model/rule.js';
import type { Ruleset } from '../../model/ruleset.js';
import { MASQUERADE_MARK, DROP_MARK } from '../kube-proxy/chain-names.js';
import { classifyCalicoChain } from './chain-names.js';
import { getMarkTest, listMeaningfulComments } from './rule-facts.js';

/** The named mark regions knetdbg knows. */
export type MarkRole = 'accept' | 'pass' | 'drop' | 'scratch0' | 'scratch1' | 'wireguard' | 'endpoint' | 'kube-masquerade' | 'kube-drop';

/** Calico's bit assignment for one node. */
export interface MarkLayout {
  /** `legacy` (mask 0xff000000), `classic` (0xffff0000, v3.1+), `drop-bit` (deny sets a drop bit, seen on 3.32-era nodes), `custom`. */
  era: 'legacy' | 'classic' | 'drop-bit' | 'custom';
  /** felix's IptablesMarkMask. */
  mask: number;
  accept: number;
  pass: number;
  drop?: number;
  scratch0: number;
  scratch1: number;
  wireguard?: number;
  /** Block of bits holding per-endpoint marks (IPVS / host endpoint forwarding). */
  endpoint: number;
  /** How the layout was chosen. */
  source: 'rules' | 'default' | 'override';
  /** Rules (or reasons) the choice rests on: `line 88: cali-FORWARD clears 0xe0000`. */
  evidence: string[];
}

/** One named region of the mark. */
export interface MarkRegion {
  role: MarkRole;
  bits: number;
  /** Short noun: `accept mark`, `kube-proxy masquerade mark`. */
  label: string;
  meaning: string;
}

/** Felix 2.x / Calico 3.0 default: mask 0xff000000 (calico.md §1.2 "legacy"). */
export const LEGACY_LAYOUT: MarkLayout = {
  era: 'legacy', mask: 0xff000000, accept: 0x1000000, pass: 0x2000000, scratch0: 0x4000000, scratch1: 0x8000000, endpoint: 0xf0000000,
  source: 'default', evidence: [],
};
/** v3.1+ default mask 0xffff0000 as felix logs it (calico#4958: accept 0x10000, pass 0x20000 …). */
export const CLASSIC_LAYOUT: MarkLayout = {
  era: 'classic', mask: 0xffff0000, accept: 0x10000, pass: 0x20000, scratch0: 0x40000, scratch1: 0x80000, endpoint: 0xfff00000,
  source: 'default', evidence: [],
};
/** Drop-bit era (deny sets 0x40000 then DROP; cali-FORWARD clears 0x1a0000), calico.md §1.2 [I: first release]. */
export const DROP_BIT_LAYOUT: MarkLayout = {
  era: 'drop-bit', mask: 0xffff0000, accept: 0x10000, pass: 0x20000, drop: 0x40000, scratch0: 0x80000, scratch1: 0x100000, endpoint: 0xffe00000,
  source: 'default', evidence: [],
};

const MEANING: Record<MarkRole, string> = {
  accept: 'a Calico policy or profile allowed the packet',
  pass: 'a Calico policy said Pass: skip the rest of this tier',
  drop: 'a Calico policy denied the packet',
  scratch0: 'Calico scratch bit 0 (raw: packet came from a workload; policy match blocks)',
  scratch1: 'Calico scratch bit 1 (policy match blocks)',
  wireguard: 'Calico: arrived over WireGuard',
  endpoint: 'Calico endpoint mark (IPVS / host endpoint forwarding)',
  'kube-masquerade': 'kube-proxy: masquerade this connection (KUBE-MARK-MASQ)',
  'kube-drop': 'kubelet/kube-proxy: drop this packet (KUBE-MARK-DROP, dropped by KUBE-FIREWALL)',
};

const LABEL: Record<MarkRole, string> = {
  accept: 'accept mark',
  pass: 'pass mark',
  drop: 'drop mark',
  scratch0: 'scratch0 bit',
  scratch1: 'scratch1 bit',
  wireguard: 'WireGuard mark',
  endpoint: 'endpoint mark',
  'kube-masquerade': 'kube-proxy masquerade mark',
  'kube-drop': 'kube-proxy drop mark',
};

/** The regions of a layout, Calico's then kube-proxy's, lowest bit first within each. */
export function listMarkRegions(layout: MarkLayout): MarkRegion[] {
  const roles: [MarkRole, number | undefined][] = [
    ['accept', layout.accept], ['pass', layout.pass], ['drop', layout.drop], ['scratch0', layout.scratch0], ['scratch1', layout.scratch1],
    ['wireguard', layout.wireguard], ['endpoint', layout.endpoint], ['kube-masquerade', MASQUERADE_MARK], ['kube-drop', DROP_MARK],
  ];
  return roles
    .filter((r): r is [MarkRole, number] => r[1] !== undefined && r[1] !== 0)
    .map(([role, bits]) => ({ role, bits, label: LABEL[role], meaning: MEANING[role] }));
}

function lowestBit(n: number): number {
  return (n & -n) >>> 0;
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n >>> 0; x; x &= x - 1) c++;
  return c;
}

/**
 * The layout felix allocates from a mask (mark_bits.go: single bits from the bottom, then the endpoint
 * block from what is left): 0xffff0000 → accept 0x10000 … endpoint 0xfff00000.
 */
export function allocateMarkLayout(mask: number, options: { drop?: boolean; wireguard?: boolean } = {}): MarkLayout {
  let free = mask >>> 0;
  const take = (): number => {
    const b = lowestBit(free);
    free = (free & ~b) >>> 0;
    return b;
  };
  const accept = take();
  const pass = take();
  const drop = options.drop ? take() : undefined;
  const scratch0 = take();
  const scratch1 = take();
  const wireguard = options.wireguard ? take() : undefined;
  const era = mask >>> 0 === 0xff000000 && !options.drop ? 'legacy' : mask >>> 0 === 0xffff0000 ? (options.drop ? 'drop-bit' : 'classic') : 'custom';
  return {
    era, mask: mask >>> 0, accept, pass, ...(drop ? { drop } : {}), scratch0, scratch1, ...(wireguard ? { wireguard } : {}),
    endpoint: free, source: 'override', evidence: [],
  };
}

function where(rule: Rule): string {
  return `line ${rule.source.line}: ${rule.table} ${rule.chain}`;
}

/**
 * Chooses the layout from the rules (calico.md §1.2–§1.4): the accept bit from "Return if policy/profile
 * accepted" / "Policy explicitly accepted packet." tests, the pass bit from "Start of policies/tier" clears
 * and "Drop if no policies passed packet" tests, the scratch bits from cali-FORWARD's first clear (all bits
 * but accept) and raw cali-PREROUTING's `-i cali+` set, a drop bit from policy rules that set a bit and DROP
 * on it, WireGuard from cali-wireguard-incoming-mark, the endpoint block from `! --mark 0x0/<block>`.
 * Without Calico mark rules, the v3.1+ default is returned with `source: 'default'`.
 */
export function detectMarkLayout(ruleset: Ruleset): MarkLayout {
  const evidence: string[] = [];
  let accept: number | undefined;
  let pass: number | undefined;
  let forwardClear: number | undefined;
  let rawScratch0: number | undefined;
  let drop: number | undefined;
  let wireguard: number | undefined;
  let endpoint: number | undefined;
  for (const table of ruleset.tables.values()) {
    for (const chain of table.chains.values()) {
      const isCalico = classifyCalicoChain(chain.name) !== undefined;
      if (!isCalico && chain.name !== 'FORWARD') continue;
      const rules = chain.listRules();
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i]!;
        const comments = listMeaningfulComments(rule);
        const test = getMarkTest(rule);
        const target = rule.target;
        if (accept === undefined && test && !test.negated && test.value === test.mask && popcount(test.mask) === 1
          && comments.some((c) => /^Return if (policy|profile) accepted$|^Policy explicitly accepted packet\.$|^Host endpoint policy accepted packet\.$/.test(c))) {
          accept = test.mask;
          evidence.push(`${where(rule)} "${comments[0]}" tests ${formatMark(test.mask)}: accept mark`);
        }
        if (pass === undefined && target?.kind === 'MARK' && target.value === 0 && popcount(target.mask) === 1
          && comments.some((c) => /^Start of (policies|tier )/.test(c))) {
          pass = target.mask;
          evidence.push(`${where(rule)} "${comments[0]}" clears ${formatMark(target.mask)}: pass mark`);
        }
        if (pass === undefined && test && test.value === 0 && popcount(test.mask) === 1 && comments.some((c) => /Drop if no policies passed packet$/.test(c))) {
          pass = test.mask;
          evidence.push(`${where(rule)} "${comments[0]}" tests ${formatMark(test.mask)} clear: pass mark`);
        }
        if (chain.name === 'cali-FORWARD' && table.name === 'filter' && forwardClear === undefined && i === 0 && target?.kind === 'MARK' && target.value === 0) {
          forwardClear = target.mask;
          evidence.push(`${where(rule)} clears ${formatMark(target.mask)}: every Calico bit but accept`);
        }
        if (chain.name === 'cali-PREROUTING' && table.name === 'raw' && rule.inInterface && !rule.inInterface.negated
          && target?.kind === 'MARK' && target.value === target.mask && popcount(target.mask) === 1) {
          rawScratch0 = target.mask;
          evidence.push(`${where(rule)} marks workload traffic with ${formatMark(target.mask)}: scratch0`);
        }
        if (chain.name === 'cali-wireguard-incoming-mark' && target?.kind === 'MARK' && target.value === target.mask && popcount(target.mask) === 1) {
          wireguard ??= target.mask;
        }
        if (test && test.negated && test.value === 0 && popcount(test.mask) > 4 && endpoint === undefined) {
          endpoint = test.mask;
          evidence.push(`${where(rule)} tests ${formatMark(test.mask)}: endpoint mark block`);
        }
        // Deny in the drop-bit era: `<match> -j MARK --set-xmark D/D` then `-m mark --mark D/D -j DROP`.
        const kind = classifyCalicoChain(chain.name)?.kind;
        if (drop === undefined && (kind === 'policy-inbound' || kind === 'policy-outbound') && test && !test.negated
          && test.value === test.mask && popcount(test.mask) === 1 && (target?.kind === 'DROP' || target?.kind === 'REJECT')) {
          drop = test.mask;
          evidence.push(`${where(rule)} drops on ${formatMark(test.mask)}: drop mark`);
        }
      }
    }
  }
  if (accept === undefined && pass === undefined && forwardClear === undefined) {
    return { ...CLASSIC_LAYOUT, evidence: ['no Calico mark rules found: assuming the v3.1+ default mask 0xffff0000'] };
  }
  accept ??= forwardClear !== undefined ? lowestBit(forwardClear) >>> 1 : lowestBit(pass!) >>> 1;
  pass ??= lowestBit(((forwardClear ?? 0) & ~accept) >>> 0) || (accept << 1) >>> 0;
  const scratch = forwardClear !== undefined ? (forwardClear & ~pass & ~accept) >>> 0 : undefined;
  let scratch0 = scratch !== undefined && scratch !== 0 ? lowestBit(scratch) : undefined;
  let scratch1 = scratch !== undefined && scratch0 !== undefined ? lowestBit((scratch & ~scratch0) >>> 0) : undefined;
  // A gap between pass and scratch0 is the drop bit (it is not cleared by cali-FORWARD, calico.md §1.2).
  if (drop === undefined && scratch0 !== undefined && scratch0 > (pass << 1) >>> 0) {
    drop = (pass << 1) >>> 0;
    evidence.push(`the bit ${formatMark(drop)} between pass and scratch0 is not cleared by cali-FORWARD: drop mark`);
  }
  scratch0 ??= rawScratch0 ?? ((drop ?? pass) << 1) >>> 0;
  scratch1 ??= (scratch0 << 1) >>> 0;
  const mask = accept >= 0x1000000 ? 0xff000000 : 0xffff0000;
  const singles = (accept | pass | (drop ?? 0) | scratch0 | scratch1 | (wireguard ?? 0)) >>> 0;
  endpoint ??= (mask & ~singles) >>> 0;
  const standard = [LEGACY_LAYOUT, CLASSIC_LAYOUT, DROP_BIT_LAYOUT].find(
    (l) => l.accept === accept && l.pass === pass && l.drop === drop && l.scratch0 === scratch0 && l.scratch1 === scratch1,
  );
  return {
    era: standard?.era ?? 'custom', mask, accept, pass, ...(drop !== undefined ? { drop } : {}), scratch0, scratch1,
    ...(wireguard !== undefined ? { wireguard } : {}), endpoint, source: 'rules', evidence,
  };
}

/**
 * Parses a `--layout` override: a Calico version (`3.0`, `v3.16`, `3.32` …: ≤3.0 legacy, 3.1–3.31 classic,
 * ≥3.32 drop-bit, the last boundary approximate per calico.md §1.2), an era name (`legacy`, `classic`,
 * `drop-bit`), a mask (`0xffff0000`, felix's IptablesMarkMask), or explicit bits
 * (`accept=0x10000,pass=0x20000,drop=0x40000,scratch0=0x80000,scratch1=0x100000,endpoint=0xffe00000`).
 * Undefined when the text is none of those.
 */
export function parseMarkLayout(text: string): MarkLayout | undefined {
  const t = text.trim().toLowerCase();
  const named: Record<string, MarkLayout> = { legacy: LEGACY_LAYOUT, classic: CLASSIC_LAYOUT, 'drop-bit': DROP_BIT_LAYOUT };
  if (named[t]) return { ...named[t], source: 'override', evidence: [`--layout ${text}`] };
  const version = /^v?(\d+)\.(\d+)(?:\.\d+)?$/.exec(t);
  if (version) {
    const major = Number(version[1]);
    const minor = Number(version[2]);
    const base = major < 3 || (major === 3 && minor === 0) ? LEGACY_LAYOUT : major === 3 && minor < 32 ? CLASSIC_LAYOUT : DROP_BIT_LAYOUT;
    return { ...base, source: 'override', evidence: [`--layout ${text}: Calico ${major}.${minor} uses the ${base.era} layout`] };
  }
  if (/^0x[0-9a-f]{1,8}$/.test(t)) {
    const mask = Number(t);
    if (popcount(mask) < 5) return undefined;
    return { ...allocateMarkLayout(mask), evidence: [`--layout ${text}: bits allocated from mask ${formatMark(mask)} as felix does`] };
  }
  if (t.includes('=')) {
    const bits: Partial<Record<string, number>> = {};
    for (const part of t.split(',')) {
      const m = /^(accept|pass|drop|scratch0|scratch1|wireguard|endpoint|mask)=(0x[0-9a-f]{1,8}|\d+)$/.exec(part.trim());
      if (!m) return undefined;
      bits[m[1]!] = Number(m[2]) >>> 0;
    }
    const base = bits.mask !== undefined ? allocateMarkLayout(bits.mask, { drop: bits.drop !== undefined }) : CLASSIC_LAYOUT;
    const layout: MarkLayout = {
      ...base, era: 'custom', source: 'override', evidence: [`--layout ${text}`],
      ...Object.fromEntries(Object.entries(bits).filter(([k]) => k !== 'mask')),
    };
    if (bits.endpoint === undefined) {
      const singles = (layout.accept | layout.pass | (layout.drop ?? 0) | layout.scratch0 | layout.scratch1 | (layout.wireguard ?? 0)) >>> 0;
      layout.endpoint = (layout.mask & ~singles) >>> 0;
    }
    return layout;
  }
  return undefined;
}

/** One region touched by a mark value/mask. */
export interface DecodedRegion extends MarkRegion {
  /** Bits of the region inside the mask (all of them for a plain value). */
  covered: number;
  /** Bits of the region set in the value. */
  set: number;
}

/** What a mark (or a value/mask pair) means. */
export interface DecodedMark {
  value: number;
  mask: number;
  regions: DecodedRegion[];
  /** Bits in value|mask that belong to no known region. */
  unknownBits: number;
  sentence: string;
}

function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/**
 * Explains a mark: with no mask (or 0xffffffff) which named bits are set in the value; with a mask, which
 * named bits the pair covers and whether the value has them set (the form `-m mark --mark V/M` and
 * `MARK --set-xmark V/M` use).
 */
export function decodeMark(value: number, mask: number | undefined, layout: MarkLayout): DecodedMark {
  const v = value >>> 0;
  const m = (mask ?? 0xffffffff) >>> 0;
  const full = m === 0xffffffff;
  const regions: DecodedRegion[] = [];
  let known = 0;
  for (const region of listMarkRegions(layout)) {
    known = (known | region.bits) >>> 0;
    const covered = full ? ((v & region.bits) >>> 0 ? region.bits : 0) : (m & region.bits) >>> 0;
    const set = (v & region.bits) >>> 0;
    if (covered === 0 && set === 0) continue;
    regions.push({ ...region, covered: full ? region.bits : covered, set });
  }
  const unknownBits = ((full ? v : (v | m) >>> 0) & ~known) >>> 0;
  let sentence: string;
  if (full) {
    const parts = regions.map((r) => (r.role === 'endpoint' ? `endpoint mark ${formatMark(r.set)}` : `${r.label} (${formatMark(r.bits)})`));
    if (unknownBits) parts.push(`unknown bits ${formatMark(unknownBits)}`);
    sentence = v === 0 ? 'no bits set' : `${joinWords(parts)} set`;
  } else {
    const set = regions.filter((r) => r.set !== 0).map((r) => r.label);
    const clear = regions.filter((r) => r.set === 0).map((r) => r.label);
    const parts: string[] = [];
    if (set.length) parts.push(`${joinWords(set)} set`);
    if (clear.length) parts.push(`${joinWords(clear)} clear`);
    if (unknownBits) parts.push(`unknown bits ${formatMark(unknownBits)}`);
    sentence = parts.length ? parts.join('; ') : 'no bits covered';
  }
  return { value: v, mask: m, regions, unknownBits, sentence };
}

/** A region's words for bits it holds: `accept mark (0x10000)`, `endpoint mark 0x300000`. */
function regionWords(layout: MarkLayout, bits: number): string[] {
  const out: string[] = [];
  let rest = bits >>> 0;
  for (const region of listMarkRegions(layout)) {
    const part = (rest & region.bits) >>> 0;
    if (!part) continue;
    rest = (rest & ~part) >>> 0;
    out.push(region.role === 'endpoint' && part !== region.bits ? `endpoint mark bits ${formatMark(part)}` : region.label);
  }
  if (rest) out.push(`unknown bits ${formatMark(rest)}`);
  return out;
}

/**
 * `MARK --set-xmark V/M` (mark = (mark & ~M) ^ V, xt_mark.c) in Calico's words: "sets accept mark (0x10000)",
 * "clears accept and pass marks (0x30000)", "sets endpoint mark 0x300000". Bits in V outside M are toggled
 * (kube-proxy's `--set-xmark 0x4000/0x0` clears its set masquerade mark that way).
 */
export function describeMarkOperation(value: number, mask: number, layout: MarkLayout): string {
  const v = value >>> 0;
  const m = mask >>> 0;
  const parts: string[] = [];
  const endpointWhole = (m & layout.endpoint) >>> 0 === layout.endpoint && layout.endpoint !== 0;
  const epValue = (v & layout.endpoint) >>> 0;
  const setBits = (v & m & ~(endpointWhole ? layout.endpoint : 0)) >>> 0;
  const clearBits = (m & ~v & ~(endpointWhole ? layout.endpoint : 0)) >>> 0;
  const toggled = (v & ~m) >>> 0;
  if (endpointWhole) parts.push(epValue ? `sets endpoint mark ${formatMark(epValue)}` : 'clears the endpoint mark');
  if (setBits) parts.push(`sets ${joinWords(regionWords(layout, setBits))} (${formatMark(setBits)})`);
  if (clearBits) {
    const words = regionWords(layout, clearBits);
    parts.push(`clears ${joinWords(words)} (${formatMark(clearBits)})`);
  }
  if (toggled) parts.push(`flips ${joinWords(regionWords(layout, toggled))} (${formatMark(toggled)}; cleared when it was set)`);
  return parts.length ? parts.join(', ') : 'leaves the mark unchanged';
}

/**
 * `-m mark [!] --mark V/M` ((mark & M) == V, xt_mark.c) in Calico's words: "if the accept mark is set",
 * "if the pass mark is clear", "if any endpoint mark is set", "if the accept or pass mark is set".
 */
export function describeMarkTest(value: number, mask: number, negated: boolean, layout: MarkLayout): string {
  const v = value >>> 0;
  const m = mask >>> 0;
  const words = regionWords(layout, m);
  const name = joinWords(words);
  if (popcount(m) === 1 || (words.length === 1 && (v === 0 || v === m))) {
    const set = v !== 0;
    const isSet = set !== negated;
    if (m === layout.endpoint && v === 0) return negated ? 'if an endpoint mark is set' : 'if no endpoint mark is set';
    return `if the ${name} is ${isSet ? 'set' : 'clear'}`;
  }
  if (v === 0) {
    const any = words.join(' or ');
    return negated ? `if the ${any} is set` : `if the ${joinWords(words)} are all clear`;
  }
  if (v === m) return negated ? `unless the ${joinWords(words)} are all set` : `if the ${joinWords(words)} are all set`;
  return `if mark & ${formatMark(m)} ${negated ? '!=' : '=='} ${formatMark(v)} (${decodeMark(v, m, layout).sentence})`;
}
