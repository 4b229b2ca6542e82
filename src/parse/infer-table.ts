import { BUILTIN_CHAINS } from '../model/ruleset.js';
import type { TableName } from '../model/rule.js';

/**
 * Which table a chain lives in, for excerpts that lost their `*table` headers (`iptables-save | grep …`).
 * The knowledge is data: one entry per well-known chain name or prefix, each citing the reference that says
 * where kube-proxy or Calico felix creates it. Code that applies it is below the registry.
 */

/** One well-known chain name or prefix and the tables it exists in. */
export interface ChainTableEntry {
  /** Exact chain name, or a prefix when `prefix` is true. */
  name: string;
  prefix: boolean;
  /** Tables the chain can be in; the first is the default when nothing in a rule decides. */
  tables: readonly TableName[];
  /** Human words for the assumption line: "kube-proxy service chain". */
  description: string;
  /**
   * For chains in several tables: which table a rule belongs to from its target alone. Keys are target names or
   * chain-name prefixes ending in `-`.
   */
  targetTables?: Readonly<Record<string, TableName>>;
}

const KUBE_SERVICES_TARGETS: Readonly<Record<string, TableName>> = {
  // kube-proxy.md §3.3/§4: nat KUBE-SERVICES jumps to per-service chains and, last, to KUBE-NODEPORTS.
  'KUBE-SVC-': 'nat', 'KUBE-SVL-': 'nat', 'KUBE-EXT-': 'nat', 'KUBE-FW-': 'nat', 'KUBE-XLB-': 'nat',
  'KUBE-MARK-MASQ': 'nat', 'KUBE-NODEPORTS': 'nat',
  // kube-proxy.md §5: IPVS-mode nat KUBE-SERVICES jumps to KUBE-NODE-PORT / KUBE-LOAD-BALANCER.
  'KUBE-NODE-PORT': 'nat', 'KUBE-LOAD-BALANCER': 'nat',
  // kube-proxy.md §3.4: filter KUBE-SERVICES holds "has no endpoints" REJECTs and "has no local endpoints" DROPs.
  REJECT: 'filter', DROP: 'filter', ACCEPT: 'filter',
};

/** The registry. Exact names are looked up before prefixes; longer prefixes before shorter ones. */
export const CHAIN_TABLES: readonly ChainTableEntry[] = [
  // --- kube-proxy, iptables mode (kube-proxy.md §3, §4) ---
  // kube-proxy.md §3.3: per service port chains, all in nat.
  { name: 'KUBE-SVC-', prefix: true, tables: ['nat'], description: 'kube-proxy service chain' },
  { name: 'KUBE-SVL-', prefix: true, tables: ['nat'], description: 'kube-proxy local-endpoints service chain' },
  { name: 'KUBE-EXT-', prefix: true, tables: ['nat'], description: 'kube-proxy external-traffic chain' },
  { name: 'KUBE-FW-', prefix: true, tables: ['nat'], description: 'kube-proxy load-balancer source-range chain' },
  { name: 'KUBE-SEP-', prefix: true, tables: ['nat'], description: 'kube-proxy endpoint chain' },
  // kube-proxy.md §4: KUBE-XLB- was the eTP=Local chain until 1.24.
  { name: 'KUBE-XLB-', prefix: true, tables: ['nat'], description: 'kube-proxy (≤1.23) external-local chain' },
  // kube-proxy.md §3.2 and §4 (kubelet-owned before 1.27): mark and masquerade chains.
  { name: 'KUBE-MARK-MASQ', prefix: false, tables: ['nat'], description: 'kube-proxy masquerade-mark chain' },
  { name: 'KUBE-MARK-DROP', prefix: false, tables: ['nat'], description: 'kubelet drop-mark chain' },
  { name: 'KUBE-POSTROUTING', prefix: false, tables: ['nat'], description: 'kube-proxy postrouting chain' },
  // kube-proxy.md §3.1/§3.3: nat KUBE-SERVICES and filter KUBE-SERVICES both exist.
  {
    name: 'KUBE-SERVICES', prefix: false, tables: ['nat', 'filter'], description: 'kube-proxy services chain',
    targetTables: KUBE_SERVICES_TARGETS,
  },
  // kube-proxy.md §3.3: nat KUBE-NODEPORTS jumps to KUBE-EXT/KUBE-SVC; filter KUBE-NODEPORTS ACCEPTs health checks.
  {
    name: 'KUBE-NODEPORTS', prefix: false, tables: ['nat', 'filter'], description: 'kube-proxy node-ports chain',
    targetTables: { ...KUBE_SERVICES_TARGETS, 'KUBE-NODEPORTS': 'nat' },
  },
  // kube-proxy.md §3.1/§3.2/§3.5: filter-only chains.
  { name: 'KUBE-FORWARD', prefix: false, tables: ['filter'], description: 'kube-proxy forwarding chain' },
  { name: 'KUBE-FIREWALL', prefix: false, tables: ['filter'], description: 'kube-proxy/kubelet firewall chain' },
  { name: 'KUBE-PROXY-FIREWALL', prefix: false, tables: ['filter'], description: 'kube-proxy load-balancer firewall chain' },
  { name: 'KUBE-EXTERNAL-SERVICES', prefix: false, tables: ['filter'], description: 'kube-proxy external services chain' },
  // kube-proxy.md §3.1: empty canary chains kube-proxy creates in mangle, nat and filter.
  { name: 'KUBE-PROXY-CANARY', prefix: false, tables: ['mangle', 'nat', 'filter'], description: 'kube-proxy canary chain' },
  // kube-proxy.md §4 / netfilter.md §9: kubelet's canary and hint chains (mangle is where backend detection looks).
  { name: 'KUBE-KUBELET-CANARY', prefix: false, tables: ['mangle', 'nat', 'filter'], description: 'kubelet canary chain' },
  { name: 'KUBE-IPTABLES-HINT', prefix: false, tables: ['mangle'], description: 'kubelet backend hint chain' },
  // --- kube-proxy, IPVS mode (kube-proxy.md §5) ---
  {
    name: 'KUBE-NODE-PORT', prefix: false, tables: ['nat', 'filter'], description: 'kube-proxy IPVS node-port chain',
    targetTables: { 'KUBE-MARK-MASQ': 'nat', ACCEPT: 'filter', RETURN: 'nat' },
  },
  { name: 'KUBE-LOAD-BALANCER', prefix: false, tables: ['nat'], description: 'kube-proxy IPVS load-balancer chain' },
  { name: 'KUBE-SOURCE-RANGES-FIREWALL', prefix: false, tables: ['filter'], description: 'kube-proxy IPVS source-range firewall' },
  { name: 'KUBE-IPVS-FILTER', prefix: false, tables: ['filter'], description: 'kube-proxy IPVS access filter' },
  { name: 'KUBE-IPVS-OUT-FILTER', prefix: false, tables: ['filter'], description: 'kube-proxy IPVS output access filter' },

  // --- Calico felix (calico.md §2.1, felix/rules/rule_defs.go) ---
  { name: 'cali-fw-', prefix: true, tables: ['filter'], description: 'Calico from-workload chain' },
  { name: 'cali-tw-', prefix: true, tables: ['filter'], description: 'Calico to-workload chain' },
  { name: 'cali-pi-', prefix: true, tables: ['filter'], description: 'Calico inbound policy chain' },
  { name: 'cali-po-', prefix: true, tables: ['filter'], description: 'Calico outbound policy chain' },
  { name: 'cali-pri-', prefix: true, tables: ['filter'], description: 'Calico inbound profile chain' },
  { name: 'cali-pro-', prefix: true, tables: ['filter'], description: 'Calico outbound profile chain' },
  { name: 'cali-gi-', prefix: true, tables: ['filter'], description: 'Calico inbound policy-group chain' },
  { name: 'cali-go-', prefix: true, tables: ['filter'], description: 'Calico outbound policy-group chain' },
  { name: 'cali-from-wl-dispatch', prefix: true, tables: ['filter'], description: 'Calico from-workload dispatch chain' },
  { name: 'cali-to-wl-dispatch', prefix: true, tables: ['filter'], description: 'Calico to-workload dispatch chain' },
  { name: 'cali-thfw-', prefix: true, tables: ['filter'], description: 'Calico host-endpoint forward chain' },
  { name: 'cali-fhfw-', prefix: true, tables: ['filter'], description: 'Calico host-endpoint forward chain' },
  { name: 'cali-sm-', prefix: true, tables: ['filter'], description: 'Calico set-endpoint-mark chain' },
  { name: 'cali-FORWARD', prefix: false, tables: ['filter'], description: 'Calico top-level chain' },
  { name: 'cali-INPUT', prefix: false, tables: ['filter'], description: 'Calico top-level chain' },
  { name: 'cali-wl-to-host', prefix: false, tables: ['filter'], description: 'Calico workload-to-host chain' },
  { name: 'cali-cidr-block', prefix: false, tables: ['filter'], description: 'Calico CIDR block chain' },
  { name: 'cali-set-endpoint-mark', prefix: false, tables: ['filter'], description: 'Calico IPVS support chain' },
  { name: 'cali-from-endpoint-mark', prefix: false, tables: ['filter'], description: 'Calico IPVS support chain' },
  { name: 'cali-forward-endpoint-mark', prefix: false, tables: ['filter'], description: 'Calico IPVS support chain' },
  { name: 'cali-forward-check', prefix: false, tables: ['filter'], description: 'Calico IPVS support chain' },
  { name: 'cali-from-hep-forward', prefix: false, tables: ['filter'], description: 'Calico host-endpoint dispatch chain' },
  { name: 'cali-to-hep-forward', prefix: false, tables: ['filter'], description: 'Calico host-endpoint dispatch chain' },
  // calico.md §2.1: host-endpoint and failsafe chains exist in filter, raw and mangle; filter is the usual paste.
  { name: 'cali-th-', prefix: true, tables: ['filter', 'raw', 'mangle'], description: 'Calico to-host-endpoint chain' },
  { name: 'cali-fh-', prefix: true, tables: ['filter', 'raw', 'mangle'], description: 'Calico from-host-endpoint chain' },
  { name: 'cali-failsafe-', prefix: true, tables: ['filter', 'raw', 'mangle'], description: 'Calico failsafe chain' },
  { name: 'cali-from-host-endpoint', prefix: false, tables: ['filter', 'raw', 'mangle'], description: 'Calico host-endpoint dispatch chain' },
  { name: 'cali-to-host-endpoint', prefix: false, tables: ['filter', 'raw', 'mangle'], description: 'Calico host-endpoint dispatch chain' },
  // calico.md §2.1: cali-OUTPUT is the filter top-level chain; nat and raw have one too.
  {
    name: 'cali-OUTPUT', prefix: false, tables: ['filter', 'nat', 'raw'], description: 'Calico top-level chain',
    targetTables: { 'cali-fip-dnat': 'nat', 'cali-nat-': 'nat' },
  },
  // calico.md §2.1: cali-PREROUTING exists in raw, mangle and nat.
  {
    name: 'cali-PREROUTING', prefix: false, tables: ['raw', 'mangle', 'nat'], description: 'Calico top-level chain',
    targetTables: { 'cali-fip-dnat': 'nat', 'cali-nat-': 'nat', 'cali-rpf-skip': 'raw' },
  },
  {
    name: 'cali-POSTROUTING', prefix: false, tables: ['nat', 'mangle'], description: 'Calico top-level chain',
    targetTables: { 'cali-fip-snat': 'nat', 'cali-nat-': 'nat' },
  },
  // calico.md §2.1: NAT chains.
  { name: 'cali-nat-', prefix: true, tables: ['nat'], description: 'Calico NAT-outgoing chain' },
  { name: 'cali-fip-dnat', prefix: false, tables: ['nat'], description: 'Calico floating-IP DNAT chain' },
  { name: 'cali-fip-snat', prefix: false, tables: ['nat'], description: 'Calico floating-IP SNAT chain' },
  { name: 'cali-rpf-skip', prefix: false, tables: ['raw'], description: 'Calico rp-filter exception chain' },
  { name: 'cali-wireguard-incoming-mark', prefix: false, tables: ['mangle', 'raw'], description: 'Calico WireGuard chain' },
];

/**
 * Targets that the kernel accepts in one table only (netfilter.md §4 "Kernel-enforced placement"; xt_REJECT,
 * xt_nat, xt_CT, xt_TPROXY `.table`). A rule with one of these targets is in that table, whatever its chain.
 */
export const TARGET_TABLES: Readonly<Record<string, TableName>> = {
  DNAT: 'nat', SNAT: 'nat', MASQUERADE: 'nat', REDIRECT: 'nat', NETMAP: 'nat',
  REJECT: 'filter',
  CT: 'raw', NOTRACK: 'raw',
  TPROXY: 'mangle',
};

/**
 * Table a built-in chain name most likely means in a pasted excerpt when its rules say nothing more: iptables'
 * default table (filter) where the chain exists there, nat for PREROUTING/POSTROUTING (the kube-proxy/Calico pastes).
 */
export const BUILTIN_DEFAULT_TABLE: Readonly<Record<string, TableName>> = {
  PREROUTING: 'nat', POSTROUTING: 'nat', INPUT: 'filter', FORWARD: 'filter', OUTPUT: 'filter',
};

const EXACT = new Map<string, ChainTableEntry>();
const PREFIXES: ChainTableEntry[] = [];
for (const e of CHAIN_TABLES) {
  if (e.prefix) PREFIXES.push(e);
  else EXACT.set(e.name, e);
}
PREFIXES.sort((a, b) => b.name.length - a.name.length);

/** The registry entry for a chain name, or a synthetic one for built-in chains; undefined for unknown chains. */
export function getChainTableEntry(chain: string): ChainTableEntry | undefined {
  const exact = EXACT.get(chain);
  if (exact) return exact;
  for (const e of PREFIXES) if (chain.startsWith(e.name)) return e;
  const fallback = BUILTIN_DEFAULT_TABLE[chain];
  if (fallback) {
    const tables = (Object.keys(BUILTIN_CHAINS) as TableName[]).filter((t) => BUILTIN_CHAINS[t].includes(chain));
    tables.sort((a, b) => (a === fallback ? -1 : b === fallback ? 1 : 0));
    return { name: chain, prefix: false, tables, description: 'built-in chain' };
  }
  return undefined;
}

/** Looks a target up in an entry's `targetTables` (exact name first, then prefixes ending in `-`). */
export function lookupTargetTable(map: Readonly<Record<string, TableName>> | undefined, target: string): TableName | undefined {
  if (!map) return undefined;
  const exact = map[target];
  if (exact) return exact;
  for (const key of Object.keys(map)) if (key.endsWith('-') && target.startsWith(key)) return map[key];
  return undefined;
}

/** What the excerpt inference knows about one rule. */
export interface RuleFacts {
  chain: string;
  /** Name after -j/-g, if any. */
  target?: string;
  /** The rule has `--ctstate NEW` (kube-proxy's filter jumps do, its nat jumps do not; kube-proxy.md §3.1). */
  ctstateNew: boolean;
}

/** A table decision with the words that justify it. */
export interface TableDecision {
  table: TableName;
  reason: string;
}

/**
 * Decides the table of one excerpt rule. `chainTable` gives the table already decided for other chains (for
 * jumps into chains of the excerpt); `previous` is the decision for the previous rule of the same chain.
 */
export function inferRuleTable(
  facts: RuleFacts,
  chainTable: (chain: string) => TableName | undefined,
  previous: TableDecision | undefined,
): TableDecision | undefined {
  const entry = getChainTableEntry(facts.chain);
  const candidates = entry?.tables;
  const allowed = (t: TableName | undefined): t is TableName => t !== undefined && (!candidates || candidates.includes(t));
  if (entry && entry.tables.length === 1) return { table: entry.tables[0]!, reason: entry.description };
  const target = facts.target;
  if (target) {
    const byTarget = TARGET_TABLES[target];
    if (allowed(byTarget)) return { table: byTarget, reason: `-j ${target} is only valid in ${byTarget}` };
    const byEntry = lookupTargetTable(entry?.targetTables, target);
    if (allowed(byEntry)) return { table: byEntry, reason: `${entry!.description} rule jumping to ${target}` };
    const targetEntry = getChainTableEntry(target);
    if (targetEntry && targetEntry.tables.length > 1 && candidates) {
      const common = targetEntry.tables.filter((t) => candidates.includes(t));
      if (common.length > 1 && common.includes('nat') && common.includes('filter')) {
        // kube-proxy.md §3.1: the filter jumps into KUBE-SERVICES & co carry `--ctstate NEW`, the nat ones do not.
        const t: TableName = facts.ctstateNew ? 'filter' : 'nat';
        return { table: t, reason: `jump to ${target} ${facts.ctstateNew ? 'with' : 'without'} --ctstate NEW, as kube-proxy writes it in ${t}` };
      }
      if (common.length >= 1) return { table: common[0]!, reason: `jump to ${targetEntry.description} ${target}` };
    }
    const jumped = targetEntry?.tables.length === 1 ? targetEntry.tables[0] : chainTable(target);
    if (allowed(jumped)) return { table: jumped, reason: `it jumps to ${target}, which is in ${jumped}` };
  }
  if (previous && allowed(previous.table)) return { table: previous.table, reason: `same table as the rule before it (${previous.reason})` };
  if (entry) return { table: entry.tables[0]!, reason: `${entry.description}; ${entry.tables[0]} is where it usually is` };
  return undefined;
}
