import { formatAddress, parseAddress } from '../model/address.js';
import type { Chain } from '../model/ruleset.js';

/**
 * Cheap pre-screening of big chains from their raw lines, so a query parses only the rules that can
 * matter. kube-proxy's nat KUBE-SERVICES holds one rule per service port (10k+ on big clusters) and a
 * trace needs the few whose destination is the packet's.
 *
 * Soundness rests on iptables-save's canonical order (netfilter.md §10): `-s`, `-d`, `-i`, `-o`, `-p`
 * come before any `-m` match and before `-j`/`-g`. A plain `-d A/32` (or `/128`) found before the first
 * `-m`/`-j`/`-g` is the rule's destination; every other rule (no `-d`, a negated or wider one, a
 * non-canonical excerpt line) is kept as a candidate for every destination. Candidates are always a
 * superset of the rules that can match: callers still evaluate them in full.
 */
export interface DestinationIndex {
  /** 0-based rule indices per exact destination address (canonical text), ascending. */
  byAddress: Map<string, number[]>;
  /** Rules with no exact destination: candidates for any address, ascending. */
  rest: number[];
}

/** Chains smaller than this are simply walked rule by rule. */
export const PREFILTER_MIN_RULES = 64;

const indexes = new WeakMap<Chain, DestinationIndex>();

/** Builds (once per chain) the destination index of a chain's raw rules. */
export function getDestinationIndex(chain: Chain): DestinationIndex {
  let index = indexes.get(chain);
  if (index) return index;
  index = { byAddress: new Map(), rest: [] };
  const raw = chain.listRawRules();
  for (let i = 0; i < raw.length; i++) {
    const address = readExactDestination(raw[i]!.text);
    if (address === undefined) {
      index.rest.push(i);
      continue;
    }
    const list = index.byAddress.get(address);
    if (list) list.push(i);
    else index.byAddress.set(address, [i]);
  }
  indexes.set(chain, index);
  return index;
}

/**
 * 0-based indices of the rules of `chain` that may match a packet to `address`, in chain order; every
 * index when the chain is small.
 */
export function listDestinationCandidates(chain: Chain, address: string): number[] {
  if (chain.ruleCount < PREFILTER_MIN_RULES) return allIndices(chain.ruleCount);
  const index = getDestinationIndex(chain);
  const exact = index.byAddress.get(canonicalAddress(address)) ?? [];
  return mergeSorted(exact, index.rest);
}

/**
 * 0-based indices of the rules whose raw text contains `needle` (e.g. a chain name they jump to): a
 * superset of the rules that reference it.
 */
export function listRulesMentioning(chain: Chain, needle: string): number[] {
  const raw = chain.listRawRules();
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) if (raw[i]!.text.includes(needle)) out.push(i);
  return out;
}

function allIndices(n: number): number[] {
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

function mergeSorted(a: number[], b: number[]): number[] {
  const out: number[] = [];
  let i = 0, j = 0;
  while (i < a.length || j < b.length) {
    if (j >= b.length || (i < a.length && a[i]! < b[j]!)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

/** The destination of a canonical rule line when it is a single, non-negated host address. */
export function readExactDestination(text: string): string | undefined {
  // The canonical prefix ends at the first match module or target.
  let end = text.length;
  for (const marker of [' -m ', ' -j ', ' -g ']) {
    const at = text.indexOf(marker);
    if (at >= 0 && at < end) end = at;
  }
  const at = text.indexOf(' -d ');
  if (at < 0 || at >= end) return undefined;
  if (text.startsWith('!', at - 1) || text.startsWith('! ', at - 2)) return undefined;
  const start = at + 4;
  let stop = text.indexOf(' ', start);
  if (stop < 0 || stop > end) stop = end;
  const token = text.slice(start, stop);
  if (token.startsWith('!')) return undefined;
  const slash = token.indexOf('/');
  const host = slash < 0 ? token : token.slice(0, slash);
  const length = slash < 0 ? undefined : token.slice(slash + 1);
  if (host.includes(':')) {
    if (length !== undefined && length !== '128') return undefined;
    return canonicalAddress(host);
  }
  if (length !== undefined && length !== '32') return undefined;
  return host;
}

/** IPv6 text in one canonical form (RFC 5952), so `fd00:0::1` and `fd00::1` meet; IPv4 as is. */
function canonicalAddress(address: string): string {
  if (!address.includes(':')) return address;
  const parsed = parseAddress(address);
  return parsed ? formatAddress(parsed.family, parsed.value) : address;
}
