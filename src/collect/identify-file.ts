/**
 * Which source a file of a bundle holds, when no meta.json says so: a plain folder of captures named by the
 * command that produced them (`iptables-save.txt`, `ipset_list`, `ip-route.txt`), a `calicoctl node diags`
 * bundle, or a single pasted file. The name gives a first guess; the content decides
 * ({@link detectSourceKind}), so `out.log` holding an iptables-save dump is read as one and `iptables.txt`
 * holding `iptables -L` is refused with a reason.
 *
 * `calicoctl node diags` (calico calicoctl/commands/node/diags.go) writes, under `diagnostics/`, the combined
 * stdout+stderr of: `date` → date, `hostname` → hostname, `netstat -a -n` (or `ss -a -n`) → netstat / ss,
 * `ip -4 route` → ipv4_route, `ip -6 route` → ipv6_route, `ip -4 addr` → ipv4_addr, `ip -6 addr` → ipv6_addr,
 * `iptables-save -c` → ipv4_tables, `ip6tables-save -c` → ipv6_tables, `ipset list` → ipsets (and the same in
 * the calico/node container → ipset_container), the calico-node journal, and `logs/`. It has no conntrack,
 * no sysctls and no nft ruleset (as of calico v3.2x); those are then reported missing.
 */
import type { SourceKind } from '../parse/detect-source.js';
import type { SourceParser } from './sources.js';

/** What a file is read as. */
export interface FileRole {
  /** Source id (the ids of sources.ts where one fits: `iptables-save`, `ipset-list`, `conntrack` …). */
  id: string;
  parser: SourceParser;
  family?: 4 | 6;
}

/** A guess from the file name. */
interface NameHint extends FileRole {
  pattern: RegExp;
}

/**
 * File-name guesses, most specific first (matched against the lower-cased base name). Separators vary by
 * who wrote the file (`ip-route.txt`, `ip_route`, `ipv4_route`), hence `[-_ .]?`.
 */
const NAME_HINTS: readonly NameHint[] = [
  // `cat /proc/net/xt_recent/NAME > xt_recent_NAME` (or knetdbg's xt-recent.txt): before `rules`, which a list
  // name may contain.
  { pattern: /^xt[-_ .]?recent/, id: 'xt-recent', parser: 'xt-recent' },
  { pattern: /ip6tables[-_ .]?legacy/, id: 'ip6tables-legacy-save', parser: 'iptables', family: 6 },
  { pattern: /ip6tables[-_ .]?nft/, id: 'ip6tables-nft-save', parser: 'iptables', family: 6 },
  { pattern: /ip6tables|ipv6[-_ .]?tables/, id: 'ip6tables-save', parser: 'iptables', family: 6 },
  { pattern: /iptables[-_ .]?legacy/, id: 'iptables-legacy-save', parser: 'iptables', family: 4 },
  { pattern: /iptables[-_ .]?nft/, id: 'iptables-nft-save', parser: 'iptables', family: 4 },
  { pattern: /iptables|ipv4[-_ .]?tables|ip4tables|rules/, id: 'iptables-save', parser: 'iptables', family: 4 },
  { pattern: /ipset/, id: 'ipset-list', parser: 'ipset' },
  { pattern: /conntrack[-_ .]?(?:6|v6|ipv6|inet6)|nf_conntrack6/, id: 'conntrack6', parser: 'conntrack', family: 6 },
  { pattern: /conntrack/, id: 'conntrack', parser: 'conntrack' },
  { pattern: /ip6?[-_ .]?(?:j[-_ .]?)?(?:d[-_ .]?)?addr|ipv[46][-_ .]?addr|ip[-_ .]a(?:\.|$)|interfaces/, id: 'ip-addr', parser: 'ip-addr' },
  { pattern: /ip6[-_ .]?route|ipv6[-_ .]?route|route6|route[-_ .]?(?:v6|ipv6|-6)/, id: 'ip6-route', parser: 'ip-route', family: 6 },
  { pattern: /route/, id: 'ip-route', parser: 'ip-route' },
  { pattern: /sysctl/, id: 'sysctl', parser: 'sysctl' },
  { pattern: /nft/, id: 'nft-ruleset', parser: 'text' },
  { pattern: /ip[-_ .]?rule/, id: 'ip-rule', parser: 'text' },
  { pattern: /uname/, id: 'uname', parser: 'text' },
  { pattern: /^hostname/, id: 'hostname', parser: 'text' },
];

/** The parser each content kind needs; undefined for kinds knetdbg cannot use. */
const PARSER_OF_KIND: Partial<Record<SourceKind, { id: string; parser: SourceParser; family?: 4 | 6 }>> = {
  'iptables-save': { id: 'iptables-save', parser: 'iptables', family: 4 },
  'ip6tables-save': { id: 'ip6tables-save', parser: 'iptables', family: 6 },
  'iptables-S': { id: 'iptables-save', parser: 'iptables' },
  'iptables-excerpt': { id: 'iptables-save', parser: 'iptables' },
  'ipset-list': { id: 'ipset-list', parser: 'ipset' },
  'ipset-save': { id: 'ipset-list', parser: 'ipset' },
  conntrack: { id: 'conntrack', parser: 'conntrack' },
  'ip-addr': { id: 'ip-addr', parser: 'ip-addr' },
  'ip-addr-json': { id: 'ip-addr', parser: 'ip-addr' },
  'ip-route': { id: 'ip-route', parser: 'ip-route' },
  'ip-route-json': { id: 'ip-route', parser: 'ip-route' },
  sysctl: { id: 'sysctl', parser: 'sysctl' },
  'nft-ruleset': { id: 'nft-ruleset', parser: 'text' },
  'kubectl-pods': { id: 'kubectl-pods', parser: 'pod-list' },
};

/** The name guess for a file, or undefined. */
export function guessRoleByName(fileName: string): FileRole | undefined {
  const base = fileName.toLowerCase().split('/').pop() ?? '';
  const hint = NAME_HINTS.find((h) => h.pattern.test(base));
  if (!hint) return undefined;
  const { pattern: _pattern, ...role } = hint;
  return role;
}

/** Outcome of {@link identifyFile}. */
export type Identification =
  | { role: FileRole; note?: string }
  | { role?: undefined; why: string; severity: 'info' | 'error' };

/**
 * Decides what a file holds from its name and detected content kind. Content wins over the name (with a
 * note); a name-only guess is kept for text sources (uname, hostname, ip rule) that have no detector.
 */
export function identifyFile(fileName: string, kind: SourceKind): Identification {
  const byName = guessRoleByName(fileName);
  if (kind === 'iptables-L') {
    return {
      why: 'holds an `iptables -L` listing, which drops interfaces, negations and match details: capture `iptables-save` instead',
      severity: 'error',
    };
  }
  const byContent = PARSER_OF_KIND[kind];
  if (!byContent) {
    // Kinds without a content detector are taken by name: kept texts, and xt_recent lists (`src=… ttl: …`).
    if (byName?.parser === 'text' || byName?.parser === 'xt-recent') return { role: byName };
    return byName
      ? { why: `named like ${byName.id} output, but its content is not recognised`, severity: 'error' }
      : { why: 'content not recognised (not a capture knetdbg reads)', severity: 'info' };
  }
  const familiesAgree = byContent.family === undefined || byName?.family === undefined || byContent.family === byName.family;
  if (byName && byName.parser === byContent.parser && familiesAgree) {
    // The name refines the content: backend and family (`iptables-legacy-save`, `ipv6_route`).
    const family = byContent.family ?? byName.family;
    return { role: family === undefined ? { id: byName.id, parser: byName.parser } : { id: byName.id, parser: byName.parser, family } };
  }
  const role: FileRole = byContent.family === undefined ? { id: byContent.id, parser: byContent.parser } : { ...byContent };
  return byName ? { role, note: `named like ${byName.id} output but holds ${kind}; read as ${kind}` } : { role };
}
