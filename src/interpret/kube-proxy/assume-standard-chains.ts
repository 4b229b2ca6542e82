import type { Rule, TableName } from '../../model/rule.js';
import { Chain, type Ruleset, type Table } from '../../model/ruleset.js';
import type { SourceRef } from '../../model/source.js';
import { parseRuleLine } from '../../parse/rule-line.js';
import {
  DROP_MARK,
  KUBE_EXTERNAL_SERVICES,
  KUBE_FIREWALL,
  KUBE_FORWARD,
  KUBE_MARK_DROP,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_POSTROUTING,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  MASQUERADE_MARK,
} from './chain-names.js';
import { getTargetChain } from './rule-facts.js';

/** Where synthesised rules say they come from (SourceRef doc: line 0 = synthesised). */
const ASSUMED: SourceRef = { file: '<assumed>', line: 0 };

const NEW = '-m conntrack --ctstate NEW';

/**
 * kube-proxy's jumps from the built-in chains, in the order iptables-save shows them (kube-proxy.md §3.1,
 * observed): `when` is the chain whose presence in the excerpt makes the jump relevant.
 */
const STANDARD_JUMPS: readonly { table: TableName; chain: string; when: string; spec: string }[] = [
  { table: 'nat', chain: 'PREROUTING', when: KUBE_SERVICES, spec: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'OUTPUT', when: KUBE_SERVICES, spec: '-m comment --comment "kubernetes service portals" -j KUBE-SERVICES' },
  { table: 'nat', chain: 'POSTROUTING', when: KUBE_POSTROUTING, spec: '-m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING' },
  { table: 'filter', chain: 'INPUT', when: KUBE_PROXY_FIREWALL, spec: `${NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL` },
  { table: 'filter', chain: 'INPUT', when: KUBE_NODEPORTS, spec: '-m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS' },
  { table: 'filter', chain: 'INPUT', when: KUBE_EXTERNAL_SERVICES, spec: `${NEW} -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES` },
  { table: 'filter', chain: 'INPUT', when: KUBE_FIREWALL, spec: '-j KUBE-FIREWALL' },
  { table: 'filter', chain: 'FORWARD', when: KUBE_PROXY_FIREWALL, spec: `${NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL` },
  { table: 'filter', chain: 'FORWARD', when: KUBE_FORWARD, spec: '-m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD' },
  { table: 'filter', chain: 'FORWARD', when: KUBE_SERVICES, spec: `${NEW} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES` },
  { table: 'filter', chain: 'FORWARD', when: KUBE_EXTERNAL_SERVICES, spec: `${NEW} -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES` },
  { table: 'filter', chain: 'OUTPUT', when: KUBE_PROXY_FIREWALL, spec: `${NEW} -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL` },
  { table: 'filter', chain: 'OUTPUT', when: KUBE_SERVICES, spec: `${NEW} -m comment --comment "kubernetes service portals" -j KUBE-SERVICES` },
  { table: 'filter', chain: 'OUTPUT', when: KUBE_FIREWALL, spec: '-j KUBE-FIREWALL' },
];

const MARK_MASQ_RULES = [`-j MARK --set-xmark 0x${MASQUERADE_MARK.toString(16)}/0x${MASQUERADE_MARK.toString(16)}`];
const MARK_DROP_RULES = [`-j MARK --set-xmark 0x${DROP_MARK.toString(16)}/0x${DROP_MARK.toString(16)}`];
/** Current KUBE-POSTROUTING (kube-proxy.md §3.2). */
const POSTROUTING_RULES = [
  '-m mark ! --mark 0x4000/0x4000 -j RETURN',
  '-j MARK --set-xmark 0x4000/0x0',
  '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
];
/** kubelet's mark-drop rule (kube-proxy.md §4 "kubelet-owned rules"). */
const FIREWALL_MARK_RULE = '-m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP';
const NODEPORTS_LAST_RULE =
  '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS';

function synthesise(table: TableName, chain: string, spec: string, why: string): Rule {
  const rule = parseRuleLine(`-A ${chain} ${spec}`, table, 0, ASSUMED, { family: 4 });
  return { ...rule, assumed: why };
}

function renumber(rules: readonly Rule[]): Rule[] {
  return rules.map((r, i) => (r.index === i + 1 ? r : { ...r, index: i + 1 }));
}

class Assumer {
  readonly lines: string[] = [];
  constructor(private readonly ruleset: Ruleset) {}

  table(name: TableName, create: boolean): Table | undefined {
    let t = this.ruleset.tables.get(name);
    if (!t && create) {
      t = { name, chains: new Map(), source: ASSUMED };
      this.ruleset.tables.set(name, t);
    }
    return t;
  }

  has(table: TableName, chain: string): boolean {
    return this.ruleset.tables.get(table)?.chains.has(chain) ?? false;
  }

  /** True when any rule of `table` jumps or goes to `chain` (excerpts are small: every chain is read). */
  referenced(table: TableName, chain: string): boolean {
    for (const c of this.ruleset.tables.get(table)?.chains.values() ?? []) {
      if (c.listRules().some((r) => getTargetChain(r) === chain)) return true;
    }
    return false;
  }

  /**
   * Puts `rules` at the top (`top`) or bottom of `chain`, creating it (and its table) when absent. A
   * declared chain is left alone: the excerpt showed all of it.
   */
  add(table: TableName, chain: string, rules: Rule[], top: boolean): boolean {
    const t = this.table(table, true)!;
    const existing = t.chains.get(chain);
    if (existing?.declared) return false;
    const builtin = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'].includes(chain);
    const loadRules = (): Rule[] => {
      const old = existing?.listRules() ?? [];
      const placed = rules.map((r) => ({ ...r, table, chain }));
      return renumber(top ? [...placed, ...old] : [...old, ...placed]);
    };
    const replacement = new Chain(
      table,
      chain,
      existing?.policy ?? (builtin ? 'ACCEPT' : undefined),
      existing?.source ?? ASSUMED,
      (existing?.ruleCount ?? 0) + rules.length,
      loadRules,
      existing?.counters,
      false,
    );
    t.chains.set(chain, replacement);
    return true;
  }

  say(line: string): void {
    if (!this.lines.includes(line)) this.lines.push(line);
  }
}

/**
 * For excerpts (`ruleset.format === 'excerpt'`): adds kube-proxy's standard jump rules from the built-in
 * chains (kube-proxy.md §3.1) and the static chains kube-proxy/kubelet always create (§3.2, §4) where the
 * excerpt references them but does not show them. Every synthesised rule carries `assumed` and the source
 * `<assumed>:0`. Returns one line per inference (also appended to `ruleset.assumptions`). Full dumps are
 * left untouched.
 */
export function assumeStandardChains(ruleset: Ruleset): string[] {
  if (ruleset.format !== 'excerpt') return [];
  const a = new Assumer(ruleset);

  const natKube = [...(ruleset.tables.get('nat')?.chains.keys() ?? [])].some((n) => n.startsWith('KUBE-'));
  if (natKube) {
    if (a.has('nat', KUBE_NODEPORTS) && a.has('nat', KUBE_SERVICES) && !a.referenced('nat', KUBE_NODEPORTS)) {
      const why = 'kube-proxy ends nat KUBE-SERVICES with the NodePort dispatch rule (kube-proxy.md §3.2)';
      if (a.add('nat', KUBE_SERVICES, [synthesise('nat', KUBE_SERVICES, NODEPORTS_LAST_RULE, why)], false)) {
        a.say('assumed the last rule of nat KUBE-SERVICES: -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS (not in the excerpt; kube-proxy always writes it)');
      }
    }
    if (!a.has('nat', KUBE_MARK_MASQ) && a.referenced('nat', KUBE_MARK_MASQ)) {
      const why = 'KUBE-MARK-MASQ is referenced but not shown; its only rule sets the masquerade mark (kube-proxy.md §3.2)';
      a.add('nat', KUBE_MARK_MASQ, MARK_MASQ_RULES.map((s) => synthesise('nat', KUBE_MARK_MASQ, s, why)), false);
      a.say('assumed nat KUBE-MARK-MASQ: -j MARK --set-xmark 0x4000/0x4000 (referenced, not in the excerpt)');
    }
    if (!a.has('nat', KUBE_POSTROUTING) && a.has('nat', KUBE_MARK_MASQ)) {
      const why = "kube-proxy's KUBE-POSTROUTING masquerades packets carrying 0x4000 (kube-proxy.md §3.2, current shape)";
      a.add('nat', KUBE_POSTROUTING, POSTROUTING_RULES.map((s) => synthesise('nat', KUBE_POSTROUTING, s, why)), false);
      a.say('assumed nat KUBE-POSTROUTING in its current shape: RETURN without mark 0x4000, clear the mark, MASQUERADE --random-fully (not in the excerpt)');
    }
    if (!a.has('nat', KUBE_MARK_DROP) && a.referenced('nat', KUBE_MARK_DROP)) {
      const why = "kubelet's KUBE-MARK-DROP sets the drop mark 0x8000 (kube-proxy.md §4 kubelet-owned rules)";
      a.add('nat', KUBE_MARK_DROP, MARK_DROP_RULES.map((s) => synthesise('nat', KUBE_MARK_DROP, s, why)), false);
      a.say('assumed nat KUBE-MARK-DROP: -j MARK --set-xmark 0x8000/0x8000 (referenced, not in the excerpt)');
    }
  }
  if (a.has('nat', KUBE_MARK_DROP)) {
    const firewall = ruleset.tables.get('filter')?.chains.get(KUBE_FIREWALL);
    const hasMarkRule = firewall?.listRules().some((r) => r.target?.kind === 'DROP' && r.matches.some((m) => m.module === 'mark')) ?? false;
    if (!hasMarkRule) {
      const why = "kubelet's KUBE-FIREWALL drops packets marked 0x8000 by KUBE-MARK-DROP (kube-proxy.md §4, kubelet ≤1.26)";
      if (a.add('filter', KUBE_FIREWALL, [synthesise('filter', KUBE_FIREWALL, FIREWALL_MARK_RULE, why)], true)) {
        a.say("assumed kubelet's filter KUBE-FIREWALL rule: -m mark --mark 0x8000/0x8000 -j DROP (KUBE-MARK-DROP is used, the drop rule is not in the excerpt)");
      }
    }
  }

  // Jumps from built-in chains, per built-in chain in iptables-save order.
  const perChain = new Map<string, typeof STANDARD_JUMPS[number][]>();
  for (const jump of STANDARD_JUMPS) {
    const key = `${jump.table} ${jump.chain}`;
    if (!a.has(jump.table, jump.when)) continue;
    const builtin = ruleset.tables.get(jump.table)?.chains.get(jump.chain);
    if (builtin?.declared) continue;
    if (builtin?.listRules().some((r) => getTargetChain(r) === jump.when)) continue;
    perChain.set(key, [...(perChain.get(key) ?? []), jump]);
  }
  for (const jumps of perChain.values()) {
    const { table, chain } = jumps[0]!;
    const why = `kube-proxy inserts this jump at the top of ${table} ${chain} (kube-proxy.md §3.1); the excerpt does not show ${table} ${chain}`;
    const rules = jumps.map((j) => synthesise(table, chain, j.spec, why));
    if (a.add(table, chain, rules, true)) {
      for (const j of jumps) a.say(`assumed ${table} ${chain} → ${j.when}: ${j.spec} (kube-proxy's standard jump; not in the excerpt)`);
    }
  }

  for (const line of a.lines) if (!ruleset.assumptions.includes(line)) ruleset.assumptions.push(line);
  return a.lines;
}
