// Picks benchmark targets out of an iptables-save dump and derives, independently of knetdbg, what
// `trace` must answer for them: the endpoints behind a ClusterIP and each one's share of new
// connections. It reads only the shapes kube-proxy writes (kube-proxy.md §3.3), nothing more, so the
// oracle stays small enough to check by eye.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** 2^31: libxt_statistic's probability scale (netfilter.md §6). */
const STATISTIC_SCALE = 0x80000000;

const CLUSTER_IP_RULE = /^-A KUBE-SERVICES -d (\d+\.\d+\.\d+\.\d+)\/32 -p (tcp|udp|sctp) -m comment --comment "([^"]*) cluster IP" -m \2 --dport (\d+) -j (KUBE-SVC-[A-Z2-7]{16})$/;
const BALANCING_RULE = /^-A (KUBE-SVC-[A-Z2-7]{16}) (.*)-j (KUBE-SEP-[A-Z2-7]{16})$/;
const PROBABILITY = /-m statistic --mode random --probability ([0-9.]+) /;
const DNAT_RULE = /^-A (KUBE-SEP-[A-Z2-7]{16}) .*-j DNAT --to-destination (\S+)$/;

/**
 * @typedef {object} ClusterIpTarget
 * @property {string} target `ip:port`
 * @property {string} protocol
 * @property {string} servicePortName from the rule comment
 * @property {number} rule 1-based index of its rule in nat KUBE-SERVICES
 * @property {number} line 1-based line of that rule in the dump
 * @property {number} rulesInChain rules in nat KUBE-SERVICES
 * @property {{ destination: string, probability: number }[]} expected one entry per endpoint
 */

/**
 * Reads the dump once and returns, for each requested position in nat KUBE-SERVICES (0.5 = middle,
 * 1 = end), the nearest earlier ClusterIP that is TCP, balances over exactly `endpoints` endpoints
 * with plain statistic rules (no session affinity), and the shares a correct trace must report.
 * @param {string} path
 * @param {{ endpoints: number, positions?: number[] }} options
 * @returns {Promise<{ targets: ClusterIpTarget[], lines: number }>}
 */
export async function findClusterIpTargets(path, { endpoints, positions = [0.5, 1] }) {
  let table;
  let lines = 0;
  let natServicesRules = 0;
  /** @type {{ target: string, protocol: string, servicePortName: string, rule: number, line: number, svc: string }[]} */
  const clusterIps = [];
  /** @type {Map<string, { sep: string, probability: number|undefined }[]|null>} null = not plain balancing */
  const balancing = new Map();
  /** @type {Map<string, string>} */
  const dnat = new Map();

  const reader = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of reader) {
    lines += 1;
    if (line.startsWith('*')) {
      table = line.slice(1);
      continue;
    }
    if (table !== 'nat' || !line.startsWith('-A KUBE-')) continue;
    if (line.startsWith('-A KUBE-SERVICES ')) {
      natServicesRules += 1;
      const m = CLUSTER_IP_RULE.exec(line);
      if (m !== null) {
        clusterIps.push({ target: `${m[1]}:${m[4]}`, protocol: m[2], servicePortName: m[3], rule: natServicesRules, line: lines, svc: m[5] });
      }
      continue;
    }
    if (line.startsWith('-A KUBE-SVC-')) {
      const chain = line.slice(3, 28);
      const m = BALANCING_RULE.exec(line);
      if (m === null) {
        // The "cluster IP" masquerade rule is expected; anything else makes the chain unusable.
        if (!line.includes('-j KUBE-MARK-MASQ')) balancing.set(chain, null);
        continue;
      }
      if (!balancing.has(chain)) balancing.set(chain, []);
      const list = balancing.get(chain);
      if (list === null) continue;
      if (m[2].includes('-m recent')) {
        balancing.set(chain, null);
        continue;
      }
      const p = PROBABILITY.exec(m[2] + ' ');
      list.push({ sep: m[3], probability: p === null ? undefined : Number(p[1]) });
      continue;
    }
    const m = DNAT_RULE.exec(line);
    if (m !== null) dnat.set(m[1], m[2]);
  }

  const usable = (candidate) => {
    if (candidate.protocol !== 'tcp') return false;
    const list = balancing.get(candidate.svc);
    if (list === undefined || list === null || list.length !== endpoints) return false;
    // Every rule but the last carries a statistic match; the last is unconditional.
    return list.every((entry, i) => (i < list.length - 1) === (entry.probability !== undefined) && dnat.has(entry.sep));
  };
  const targets = positions.map((fraction) => {
    let i = Math.min(clusterIps.length - 1, Math.round(fraction * (clusterIps.length - 1)));
    while (i >= 0 && !usable(clusterIps[i])) i -= 1;
    if (i < 0) throw new Error(`${path}: no TCP ClusterIP with ${endpoints} plain balancing rules at or before position ${fraction} of nat KUBE-SERVICES`);
    const { svc, ...found } = clusterIps[i];
    return { ...found, rulesInChain: natServicesRules, expected: computeShares(balancing.get(svc), dnat) };
  });
  return { targets, lines };
}

/**
 * Share of new connections per endpoint for a statistic cascade: rule i is reached with
 * Π(1−q_j), j<i, and taken with q_i (netfilter.md §6). q is N/2^31 as the kernel stores it.
 */
function computeShares(list, dnat) {
  let remaining = 1;
  return list.map(({ sep, probability }) => {
    const q = probability === undefined ? 1 : Math.round(probability * STATISTIC_SCALE) / STATISTIC_SCALE;
    const share = remaining * q;
    remaining -= share;
    return { destination: dnat.get(sep), probability: share };
  });
}

/**
 * Compares a `trace --json` payload with the expected shares. Outcomes are grouped by destination,
 * since a trace may split one endpoint's branch (e.g. by a masquerade fork) without being wrong.
 * @param {unknown} payload parsed JSON from `knetdbg trace --json`
 * @param {{ destination: string, probability: number }[]} expected
 * @param {{ shareTolerance?: number, sumTolerance?: number }} [tolerances]
 * @returns {{ ok: boolean, problems: string[], outcomes: number, sum: number|undefined }}
 */
export function checkTraceOutcomes(payload, expected, { shareTolerance = 1e-9, sumTolerance = 1e-9 } = {}) {
  const problems = [];
  const outcomes = payload !== null && typeof payload === 'object' ? payload.outcomes : undefined;
  if (!Array.isArray(outcomes)) return { ok: false, problems: ['JSON has no outcomes[] array'], outcomes: 0, sum: undefined };
  const byDestination = new Map();
  let sum = 0;
  for (const [i, outcome] of outcomes.entries()) {
    if (typeof outcome?.probability !== 'number') {
      problems.push(`outcomes[${i}].probability is not a number`);
      continue;
    }
    sum += outcome.probability;
    if (outcome.verdict !== 'ACCEPT') problems.push(`outcomes[${i}] (${outcome.destination}) has verdict ${outcome.verdict}, expected ACCEPT`);
    byDestination.set(outcome.destination, (byDestination.get(outcome.destination) ?? 0) + outcome.probability);
  }
  if (Math.abs(sum - 1) > sumTolerance) problems.push(`probabilities sum to ${sum}, expected 1 ± ${sumTolerance}`);
  const uniform = 1 / expected.length;
  for (const { destination, probability } of expected) {
    const got = byDestination.get(destination);
    if (got === undefined) problems.push(`endpoint ${destination} missing from outcomes`);
    else if (Math.abs(got - probability) > shareTolerance) problems.push(`endpoint ${destination}: probability ${got}, expected ${probability} (≈ ${uniform})`);
    byDestination.delete(destination);
  }
  for (const destination of byDestination.keys()) problems.push(`unexpected destination ${destination} in outcomes`);
  return { ok: problems.length === 0, problems, outcomes: outcomes.length, sum };
}
