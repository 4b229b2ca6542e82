/**
 * The inputs of `knetdbg explain-policy`, assembled from whatever files the user has: each `--from` file is
 * recognised by its content (src/parse/detect-source.ts) and parsed by its own parser; a node dump or bundle
 * arrives already loaded as a {@link NodeSnapshot}. A pod list, which the node captures do not name by
 * content, is read from `crictl pods -o json` or `kubectl get pods [-A] -o wide`.
 */
import { parseKubectlPodsWide as parseKubectlPodsWideText } from '../../parse/kubectl-pods.js';
import type { IpSet } from '../../model/ipset.js';
import type { NetInterface, Route } from '../../model/network.js';
import type { Pod } from '../../model/pod.js';
import type { NodeSnapshot } from '../../model/snapshot.js';
import { InputError } from '../../model/source.js';
import { parseCrictlPods } from '../../parse/crictl.js';
import { detectSourceKind, type SourceKind } from '../../parse/detect-source.js';
import { parseIpAddr } from '../../parse/ip-addr.js';
import { parseIpRoute } from '../../parse/ip-route.js';
import { parseIpsetList } from '../../parse/ipset.js';

/** One file's text as read by the command. */
export interface InputFile {
  file: string;
  text: string;
}

/** Everything explain-policy reads, gathered from files and snapshots. */
export interface PolicyInput {
  /** The IPv4 iptables rules (one dump or excerpt). */
  rules?: InputFile;
  ipsets: IpSet[];
  ipsetsGiven: boolean;
  routes: Route[];
  interfaces: NetInterface[];
  pods: Pod[];
  /** What each file was taken for, and what was skipped (said to the user on stderr). */
  notes: string[];
}

/** Rule formats the iptables parser reads. */
const RULE_KINDS: ReadonlySet<SourceKind> = new Set(['iptables-save', 'iptables-S', 'iptables-excerpt']);

/**
 * Sorts files and snapshots into a {@link PolicyInput}. Throws {@link InputError} for a file whose kind cannot
 * be told, for two different rule dumps, and when no rules are found at all.
 */
export function assemblePolicyInput(files: readonly InputFile[], snapshots: readonly NodeSnapshot[] = [], defaultNamespace?: string): PolicyInput {
  const input: PolicyInput = { ipsets: [], ipsetsGiven: false, routes: [], interfaces: [], pods: [], notes: [] };
  const setRules = (f: InputFile): void => {
    if (input.rules && input.rules.text !== f.text) {
      throw new InputError({ file: f.file, line: 0 }, `a second iptables dump (the first is ${input.rules.file}): give one node's rules`);
    }
    input.rules = f;
  };
  for (const snap of snapshots) {
    const v4 = snap.iptables.find((t) => t.id === 'iptables-save') ?? snap.iptables.find((t) => !t.id.includes('6') && !t.id.includes('legacy'));
    if (v4) setRules({ file: v4.file, text: v4.text });
    input.ipsetsGiven ||= snap.ipsets.length > 0 || !snap.missing.some((m) => m.id === 'ipset-list');
    input.ipsets.push(...snap.ipsets);
    input.routes.push(...snap.routes);
    input.interfaces.push(...snap.interfaces);
    input.pods.push(...snap.pods);
    input.notes.push(`${snap.origin}: ${snap.iptables.length} rule dump(s), ${snap.ipsets.length} ipsets, ${snap.routes.length} routes, ${snap.pods.length} pods`);
  }
  for (const f of files) {
    const kind = detectSourceKind(f.text);
    if (RULE_KINDS.has(kind)) {
      setRules(f);
      input.notes.push(`${f.file}: iptables rules (${kind})`);
      continue;
    }
    switch (kind) {
      case 'ipset-list':
      case 'ipset-save': {
        input.ipsets.push(...parseIpsetList(f.text, f.file).sets);
        input.ipsetsGiven = true;
        input.notes.push(`${f.file}: ipsets`);
        continue;
      }
      case 'ip-route':
      case 'ip-route-json':
        input.routes.push(...parseIpRoute(f.text, f.file).routes);
        input.notes.push(`${f.file}: routes`);
        continue;
      case 'ip-addr':
      case 'ip-addr-json':
        input.interfaces.push(...parseIpAddr(f.text, f.file).interfaces);
        input.notes.push(`${f.file}: interfaces`);
        continue;
      case 'ip6tables-save':
        input.notes.push(`${f.file}: IPv6 rules, skipped (explain-policy reads the IPv4 rules)`);
        continue;
      case 'kubectl-pods':
      case 'unknown': {
        const pods = readPodList(f, defaultNamespace);
        if (pods) {
          input.pods.push(...pods);
          input.notes.push(`${f.file}: pod list (${pods.length} pods)`);
          continue;
        }
        throw new InputError(
          { file: f.file, line: 0 },
          'cannot tell what this file holds',
          'explain-policy reads iptables-save (or a grep of it), ipset list/save, ip route, ip addr, crictl pods -o json, kubectl get pods -o wide, or a knetdbg dump',
        );
      }
      default:
        input.notes.push(`${f.file}: ${kind} output, not used by explain-policy`);
    }
  }
  if (!input.rules) throw new InputError({ file: files[0]?.file ?? snapshots[0]?.origin ?? '<none>', line: 0 }, 'no iptables rules among the inputs', 'add the node\'s iptables-save output with --from');
  return input;
}

/** `crictl pods -o json` or `kubectl get pods [-A] -o wide`; undefined when the text is neither. */
export function readPodList(f: InputFile, defaultNamespace?: string): Pod[] | undefined {
  const trimmed = f.text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    const parsed = parseCrictlPods(f.text, f.file);
    if (!parsed.readable) return undefined;
    return parsed.sandboxes
      .filter((s) => s.state !== 'SANDBOX_NOTREADY')
      .map((s) => ({ namespace: s.namespace, name: s.name, ips: [], foundBy: 'crictl' as const, sandboxId: s.id, source: s.source }));
  }
  return parseKubectlPodsWide(f, defaultNamespace);
}

/** `kubectl get pods [-A] -o wide` (parsed in src/parse/kubectl-pods.ts). */
export function parseKubectlPodsWide(f: InputFile, defaultNamespace?: string): Pod[] | undefined {
  return parseKubectlPodsWideText(f.text, f.file, defaultNamespace);
}
