import { InputError, type Diagnostic, type SourceRef } from '../model/source.js';
import type { Counters, Family, Match, MatchOption, Rule, TableName } from '../model/rule.js';
import type { Target } from '../model/target.js';
import { buildTarget } from './target.js';
import { tokenizeRuleLine, type Token } from './tokenize.js';

export { tokenizeRuleLine, type Token, type TokenizeResult } from './tokenize.js';

/**
 * Module name given to options that cannot be placed in any real match (e.g. `--foo` before any `-m`, or an
 * option left without its argument). No netfilter match is called this, so the engine's match registry reports
 * the rule as "not understood" and forks, instead of reading the rule as broader than it is.
 */
export const MALFORMED_MODULE = 'malformed';

/**
 * Options that the protocol match `-p tcp|udp|sctp|dccp|icmp|ipv6-icmp` loads implicitly: iptables loads that
 * match when it meets one of its options without `-m` (iptables(8) "-p"; observed: `-p tcp --dport 80 -m comment
 * --comment x --sport 90` is saved as `-p tcp -m tcp --sport 90 --dport 80 -m comment --comment x`).
 */
const PROTOCOL_OPTIONS: ReadonlySet<string> = new Set([
  'sport', 'source-port', 'dport', 'destination-port', 'tcp-flags', 'syn', 'tcp-option', 'icmp-type', 'icmpv6-type',
  'chunk-types', 'dccp-types', 'dccp-option',
]);

/** `-p` value → the match module it loads implicitly (ip6tables-save prints `-p ipv6-icmp -m icmp6`). */
const PROTOCOL_MODULE: Readonly<Record<string, string>> = {
  tcp: 'tcp', '6': 'tcp',
  udp: 'udp', '17': 'udp',
  udplite: 'udplite', '136': 'udplite',
  sctp: 'sctp', '132': 'sctp',
  dccp: 'dccp', '33': 'dccp',
  icmp: 'icmp', '1': 'icmp',
  'ipv6-icmp': 'icmp6', icmpv6: 'icmp6', icmp6: 'icmp6', '58': 'icmp6',
};
const PROTOCOL_MODULES: ReadonlySet<string> = new Set(Object.values(PROTOCOL_MODULE));

/**
 * Options that always take exactly one argument, even one that looks like an option: xtables_save_string leaves
 * `-foo` bare because `-` is in its safe set, so `--comment -foo` is a valid saved rule (observed).
 */
const ONE_ARGUMENT_OPTIONS: ReadonlySet<string> = new Set(['comment', 'log-prefix', 'nflog-prefix', 'ulog-prefix', 'helper', 'name']);

/** Basic rule options (iptables(8) "PARAMETERS") → the Rule field they fill. */
const BASIC_OPTIONS: Readonly<Record<string, 'protocol' | 'sourceAddress' | 'destinationAddress' | 'inInterface' | 'outInterface'>> = {
  '-p': 'protocol', '--protocol': 'protocol',
  '-s': 'sourceAddress', '--source': 'sourceAddress', '--src': 'sourceAddress',
  '-d': 'destinationAddress', '--destination': 'destinationAddress', '--dst': 'destinationAddress',
  '-i': 'inInterface', '--in-interface': 'inInterface',
  '-o': 'outInterface', '--out-interface': 'outInterface',
};

/** Optional inputs of {@link parseRuleLine}. */
export interface RuleLineOptions {
  /** Address family, for family-dependent defaults (REJECT's ICMP type). Default 4. */
  family?: Family;
  /** Where to record problems; without it they are dropped (non-strict) or thrown (strict). */
  diagnostics?: Diagnostic[];
  /** Throw {@link InputError} on the first malformed part instead of recording a diagnostic. */
  strict?: boolean;
}

function isOptionLike(t: Token): boolean {
  if (t.quoted) return false;
  const s = t.text;
  if (s === '!') return true;
  if (s.length < 2 || s.charCodeAt(0) !== 45 /* - */) return false;
  const c = s.charCodeAt(1);
  return !(c >= 48 && c <= 57); // `-1` is a (negative) number, not an option
}

const COUNTER_PREFIX = /^\[(\d+):(\d+)\]\s*/;

/** Internal: one match block being built, with the spans of line text it was written in. */
interface Block {
  match: Match;
  spans: Array<[number, number]>;
}

/** Internal: the state of one parseRuleLine call (plain functions over it: no closures per rule). */
interface LineState {
  tokens: Token[];
  i: number;
  problems: string[];
  blocks: Block[];
  malformed: Block | undefined;
}

function addMalformed(st: LineState, tok: Token | undefined, why: string): void {
  st.problems.push(why);
  if (!st.malformed) {
    st.malformed = { match: { module: MALFORMED_MODULE, options: [], raw: '' }, spans: [] };
    st.blocks.push(st.malformed);
  }
  if (tok) st.malformed.spans.push([tok.start, tok.end]);
}

/** Reads the argument of a basic option, accepting the old `-s ! x` negation form. */
function takeValue(st: LineState, opt: Token): { value: string; negated: boolean; end: number } | undefined {
  const { tokens } = st;
  let negated = false;
  let t = tokens[st.i];
  if (t && !t.quoted && t.text === '!' && tokens[st.i + 1] && !isOptionLike(tokens[st.i + 1]!)) {
    negated = true;
    st.i++;
    t = tokens[st.i];
  }
  if (!t || isOptionLike(t)) {
    addMalformed(st, opt, `expected an argument after ${opt.text}`);
    return undefined;
  }
  st.i++;
  return { value: t.text, negated, end: t.end };
}

/** Reads `--name args…` whose name token was just consumed; its own `!` (before it) is given in `negated`. */
function takeOption(st: LineState, opt: Token, negated: boolean): { option: MatchOption; end: number } {
  const { tokens } = st;
  const name = opt.text.charCodeAt(1) === 45 ? opt.text.slice(2) : opt.text.slice(1);
  const args: string[] = [];
  let end = opt.end;
  // Old intrapositioned negation `--dport ! 80` (accepted with a warning by iptables < 1.8, rejected since).
  const t0 = tokens[st.i];
  if (t0 && !t0.quoted && t0.text === '!' && tokens[st.i + 1] && !isOptionLike(tokens[st.i + 1]!)) {
    negated = true;
    st.i++;
  }
  if (ONE_ARGUMENT_OPTIONS.has(name)) {
    const t = tokens[st.i];
    if (!t || (!t.quoted && t.text === '!')) {
      addMalformed(st, opt, `expected an argument after ${opt.text}`);
    } else {
      args.push(t.text);
      end = t.end;
      st.i++;
    }
  } else {
    while (st.i < tokens.length && !isOptionLike(tokens[st.i]!)) {
      args.push(tokens[st.i]!.text);
      end = tokens[st.i]!.end;
      st.i++;
    }
  }
  return { option: { name, negated, args }, end };
}

/**
 * Parses one `-A CHAIN …` line (optionally with a `[p:b]` prefix or `-c p b`) into a {@link Rule}.
 * Never throws unless `options.strict`: malformed parts are reported as "expected …" diagnostics and kept in a
 * {@link MALFORMED_MODULE} match or an `unknown` target, so the rule keeps its position in its chain.
 */
export function parseRuleLine(line: string, table: TableName, index: number, source: SourceRef, options: RuleLineOptions = {}): Rule {
  const family = options.family ?? 4;
  let text = line;
  let counters: Counters | undefined;
  // Leading blanks (indented pastes) are not part of the rule.
  let lead = 0;
  while (lead < text.length && (text.charCodeAt(lead) === 32 || text.charCodeAt(lead) === 9)) lead++;
  if (lead) text = text.slice(lead);
  if (text.charCodeAt(0) === 91 /* [ */) {
    const m = COUNTER_PREFIX.exec(text);
    if (m) {
      counters = { packets: Number(m[1]), bytes: Number(m[2]) };
      text = text.slice(m[0].length);
    }
  }
  text = text.trimEnd();

  const { tokens, error } = tokenizeRuleLine(text);
  const st: LineState = { tokens, i: 0, problems: error ? [error] : [], blocks: [], malformed: undefined };
  const { blocks, problems } = st;
  const rule: Rule = { table, chain: '', index, source, raw: text, matches: [] };
  let current: Block | undefined;
  let cutSpans: Array<[number, number]> | undefined;

  const first = tokens[0];
  if (!first || (first.text !== '-A' && first.text !== '--append') || first.quoted) {
    addMalformed(st, first, `expected the rule to start with -A CHAIN, found "${first?.text ?? ''}"`);
  } else {
    const chainTok = tokens[1];
    if (!chainTok || isOptionLike(chainTok)) {
      addMalformed(st, first, 'expected a chain name after -A');
      st.i = 1;
    } else {
      rule.chain = chainTok.text;
      st.i = 2;
    }
  }

  let negateNext = false;
  let negateToken: Token | undefined;
  /** The block the previous token was written to: consecutive options of one block share one span of raw text. */
  let lastBlock: Block | undefined;
  let target: Target | undefined;

  while (st.i < tokens.length) {
    const tok = tokens[st.i]!;
    st.i++;
    const previousBlock = lastBlock;
    lastBlock = undefined;
    if (!tok.quoted && tok.text === '!') {
      lastBlock = previousBlock;
      if (negateNext) addMalformed(st, tok, 'expected an option after "!", found another "!"');
      negateNext = true;
      negateToken = tok;
      continue;
    }
    const negated = negateNext;
    const spanStart = negated && negateToken ? negateToken.start : tok.start;
    negateNext = false;
    if (!isOptionLike(tok)) {
      addMalformed(st, tok, `expected an option, found "${tok.text}"`);
      continue;
    }
    const field = BASIC_OPTIONS[tok.text];
    if (field) {
      const v = takeValue(st, tok);
      if (v) rule[field] = { negated: negated !== v.negated, value: v.value };
      continue;
    }
    switch (tok.text) {
      case '-f':
      case '--fragment':
        rule.fragment = { negated, value: true };
        continue;
      case '-c':
      case '--set-counters': {
        const p = tokens[st.i];
        const b = tokens[st.i + 1];
        if (!p || !b || !/^\d+$/.test(p.text) || !/^\d+$/.test(b.text)) {
          addMalformed(st, tok, `expected two numbers (packets bytes) after ${tok.text}`);
          continue;
        }
        counters = { packets: Number(p.text), bytes: Number(b.text) };
        (cutSpans ??= []).push([tok.start, b.end]);
        st.i += 2;
        continue;
      }
      case '-m':
      case '--match': {
        const v = takeValue(st, tok);
        if (!v) continue;
        if (negated) addMalformed(st, tok, 'expected "!" after -m MODULE, before the option it negates');
        current = { match: { module: v.value, options: [], raw: '' }, spans: [[tok.start, v.end]] };
        blocks.push(current);
        lastBlock = current;
        continue;
      }
      case '-j':
      case '--jump':
      case '-g':
      case '--goto': {
        const isGoto = tok.text === '-g' || tok.text === '--goto';
        if (negated) addMalformed(st, negateToken, `expected an option after "!", found ${tok.text} (a target cannot be negated)`);
        const nameTok = tokens[st.i];
        if (!nameTok || isOptionLike(nameTok)) {
          addMalformed(st, tok, `expected a target or chain name after ${tok.text}`);
          target = { kind: 'unknown', name: '', options: [], raw: text.slice(tok.start) };
          continue;
        }
        st.i++;
        const targetOptions: MatchOption[] = [];
        let targetNegate = false;
        while (st.i < tokens.length) {
          const t = tokens[st.i]!;
          st.i++;
          if (!t.quoted && t.text === '!') {
            targetNegate = true;
            continue;
          }
          if (!isOptionLike(t)) {
            addMalformed(st, t, `expected a target option after -j ${nameTok.text}, found "${t.text}"`);
            continue;
          }
          if (t.text === '-c' || t.text === '--set-counters') {
            st.i--;
            break;
          }
          targetOptions.push(takeOption(st, t, targetNegate).option);
          targetNegate = false;
        }
        const built = buildTarget({
          name: nameTok.text,
          goto: isGoto,
          options: targetOptions,
          raw: text.slice(tok.start, tokens[st.i - 1]!.end),
          family,
        });
        for (const p of built.problems) problems.push(p);
        target = built.target;
        continue;
      }
      default:
        break;
    }
    if (tok.text.charCodeAt(1) === 45 /* -- */) {
      const { option, end } = takeOption(st, tok, negated);
      let block = current;
      if (PROTOCOL_OPTIONS.has(option.name) && !(current && PROTOCOL_MODULES.has(current.match.module))) {
        const module = rule.protocol ? PROTOCOL_MODULE[rule.protocol.value.toLowerCase()] : undefined;
        if (module) {
          block = blocks.find((b) => b.match.module === module);
          if (!block) {
            block = { match: { module, options: [], raw: '' }, spans: [] };
            blocks.push(block);
          }
        }
      }
      if (!block) {
        addMalformed(st, undefined, `expected -m MODULE before ${tok.text}`);
        block = st.malformed!;
      }
      block.match.options.push(option);
      const last = block.spans[block.spans.length - 1];
      if (last && block === previousBlock) last[1] = end;
      else block.spans.push([spanStart, end]);
      lastBlock = block;
      continue;
    }
    addMalformed(st, tok, `expected a known option, found "${tok.text}"`);
  }
  if (negateNext) addMalformed(st, negateToken, 'expected an option after "!"');

  for (const b of blocks) {
    const spans = b.spans;
    b.match.raw = spans.length === 1 ? text.slice(spans[0]![0], spans[0]![1]) : spans.map(([s, e]) => text.slice(s, e)).join(' ');
    rule.matches.push(b.match);
  }
  if (target) rule.target = target;
  if (counters) rule.counters = counters;
  if (cutSpans) {
    let raw = text;
    for (let k = cutSpans.length - 1; k >= 0; k--) {
      const [s, e] = cutSpans[k]!;
      raw = `${raw.slice(0, s).trimEnd()} ${raw.slice(e).trimStart()}`.trimEnd();
    }
    rule.raw = raw;
  }

  if (problems.length) {
    const message = problems.join('; ');
    if (options.strict) throw new InputError(source, message);
    options.diagnostics?.push({ severity: 'error', source, message, text: line });
  }
  return rule;
}
