/**
 * What a single pasted or collected file holds, judged by its content: support tickets carry `node.txt`,
 * `out.log` and `rules` files whatever they contain, and `knetdbg … --from FILE` must route each to the right
 * parser. Only the first {@link DETECT_PREFIX_CHARS} characters are read, so a 50 MB conntrack dump costs no
 * more than a 1 KB one. iptables formats are recognised by the iptables parser's own detector
 * ({@link detectIptablesFormat}); every other kind by a per-line classifier and a vote, so a stray shell prompt
 * or a note at the top does not change the answer.
 */
import { KUBECTL_PODS_WIDE_HEADER } from './kubectl-pods.js';
import { detectIptablesFormat, classifyIptablesLine, DETECT_PREFIX_CHARS } from './detect.js';

/** Kinds of input knetdbg can read from a single file. */
export type SourceKind =
  | 'kubectl-pods'
  | 'iptables-save'
  | 'ip6tables-save'
  | 'iptables-S'
  | 'iptables-L'
  | 'iptables-excerpt'
  | 'ipset-list'
  | 'ipset-save'
  | 'conntrack'
  | 'ip-addr'
  | 'ip-addr-json'
  | 'ip-route'
  | 'ip-route-json'
  | 'sysctl'
  | 'nft-ruleset'
  | 'unknown';

/** Kinds decided by the line vote (everything but the iptables formats and the JSON ones). */
type LineKind = 'ipset-list' | 'ipset-save' | 'conntrack' | 'ip-addr' | 'ip-route' | 'sysctl' | 'nft-ruleset';

/** At most this many non-blank lines vote. */
const MAX_VOTING_LINES = 400;

/**
 * Line signatures, tried in order; the first that matches gives the line's kind. Each cites the tool output it
 * recognises.
 */
const LINE_SIGNATURES: readonly { kind: LineKind; pattern: RegExp }[] = [
  // ipset list (ipset(8) "list"): the block fields.
  { kind: 'ipset-list', pattern: /^(?:Name: \S|Type: (?:hash|bitmap|list):|Revision: \d|Header: |Size in memory: \d|References: \d|Number of entries: \d|Members:$)/ },
  // ipset save: `create NAME TYPE …` / `add NAME MEMBER …`.
  { kind: 'ipset-save', pattern: /^(?:create \S+ (?:hash|bitmap|list):\S+|add \S+ \S+)/ },
  // conntrack -L / -o extended / summary on stderr.
  { kind: 'conntrack', pattern: /^(?:ipv[46]\s+\d+\s+)?[a-z][a-z0-9-]*\s+\d+\s+(?:\d+\s+)?(?:[A-Z_]+\s+)?src=\S+\s+dst=|^conntrack v[\d.]+ \(conntrack-tools\)/ },
  // nft list ruleset: `table FAMILY NAME {`, and the warning nft prints for iptables-nft tables.
  { kind: 'nft-ruleset', pattern: /^(?:table (?:ip|ip6|inet|arp|bridge|netdev) \S+ \{|# Warning: table \S+ \S+ is managed by iptables-nft)/ },
  // ip addr / ip link: `N: name[@peer]: <FLAGS>`, `ip -o addr` lines, and the indented lines of an interface.
  { kind: 'ip-addr', pattern: /^(?:\d+:\s+[^\s:]+:\s+<[A-Z0-9_,-]*>|\d+:\s+\S+\s+inet6?\s+[0-9a-fA-F.:]+\/\d+|\s+(?:link\/\S+|inet6? [0-9a-fA-F.:]+\/\d+|valid_lft ))/ },
  // ip route: `[TYPE] PREFIX|default` then a route attribute, or a multipath `nexthop` line.
  {
    kind: 'ip-route',
    pattern:
      /^(?:(?:unicast|local|broadcast|anycast|multicast|blackhole|unreachable|prohibit|throw)\s+)?(?:default|[0-9a-fA-F.:]+(?:\/\d+)?)\s+(?:via|dev|proto|table|metric|scope|src|onlink)\s|^(?:blackhole|unreachable|prohibit|throw)\s+[0-9a-fA-F.:]+(?:\/\d+)?\s*$|^\s+nexthop\s/,
  },
  // sysctl -a: a dotted key (net.ipv4.ip_forward, net.ipv4.conf.flannel/1.rp_filter) `=` a value.
  { kind: 'sysctl', pattern: /^(?:net|kernel|vm|fs|user|dev|abi|debug|crypto|sunrpc)\.[\w./-]+\s*=/ },
];

/** Priority among line kinds when the vote ties (a more specific signature first). */
const TIE_ORDER: readonly LineKind[] = ['ipset-list', 'ipset-save', 'conntrack', 'nft-ruleset', 'ip-addr', 'ip-route', 'sysctl'];

/** IPv6 addresses in rule options: the input is ip6tables-save even without its header (netfilter.md §10). */
const IPV6_RULE_HINT = /(?:^|\s)(?:-[sd]|--to-destination|--to-source)\s+(?:!\s+)?\[?[0-9a-fA-F]*:[0-9a-fA-F]*:|-p\s+(?:ipv6-icmp|icmpv6)\b/m;

/** Classifies one line for the vote; undefined for lines no signature recognises. */
export function classifySourceLine(line: string): LineKind | undefined {
  for (const { kind, pattern } of LINE_SIGNATURES) if (pattern.test(line)) return kind;
  return undefined;
}

/**
 * Detects what `text` holds from its first {@link DETECT_PREFIX_CHARS} characters. iptables-save output with an
 * `ip6tables-save` header or IPv6 rule addresses is `ip6tables-save`; `ip -j` JSON is told apart by its keys
 * (`ifindex` for addresses and links, `dst` for routes).
 */
export function detectSourceKind(text: string): SourceKind {
  let prefix = text.length > DETECT_PREFIX_CHARS ? text.slice(0, DETECT_PREFIX_CHARS) : text;
  if (prefix.length < text.length) {
    const cut = prefix.lastIndexOf('\n');
    if (cut > 0) prefix = prefix.slice(0, cut);
  }

  // `ip -j`: a JSON array of objects. (An iptables-save -c excerpt also starts with `[`, but `[N:N]`.)
  const json = /^\s*\[\s*(?:\{|\])/.exec(prefix);
  if (json) {
    if (/"ifindex"\s*:/.test(prefix)) return 'ip-addr-json';
    if (/"dst"\s*:/.test(prefix)) return 'ip-route-json';
    return 'unknown';
  }

  if (KUBECTL_PODS_WIDE_HEADER.test(prefix)) return 'kubectl-pods';

  const iptables = detectIptablesFormat(prefix);
  if (iptables === 'iptables-save') {
    if (/^# Generated by ip6tables/m.test(prefix) || IPV6_RULE_HINT.test(prefix)) return 'ip6tables-save';
    return 'iptables-save';
  }
  if (iptables === 'iptables-S' || iptables === 'iptables-L') return iptables;

  const votes = new Map<LineKind, number>();
  let iptablesLines = 0;
  let seen = 0;
  let pos = 0;
  while (pos < prefix.length && seen < MAX_VOTING_LINES) {
    let end = prefix.indexOf('\n', pos);
    if (end < 0) end = prefix.length;
    const line = prefix.slice(pos, end).replace(/\r$/, '');
    pos = end + 1;
    if (line.trim() === '') continue;
    seen++;
    const kind = classifySourceLine(line);
    if (kind) votes.set(kind, (votes.get(kind) ?? 0) + 1);
    else {
      const ipt = classifyIptablesLine(line.trim());
      if (ipt === 'rule' || ipt === 'chain' || ipt === 'new-chain' || ipt === 'policy' || ipt === 'table') iptablesLines++;
    }
  }

  let best: LineKind | undefined;
  let bestVotes = 0;
  for (const kind of TIE_ORDER) {
    const v = votes.get(kind) ?? 0;
    if (v > bestVotes) {
      best = kind;
      bestVotes = v;
    }
  }
  if (iptables === 'excerpt' && iptablesLines >= bestVotes) return 'iptables-excerpt';
  return best ?? 'unknown';
}
