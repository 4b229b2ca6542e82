/**
 * What a pod's own network namespace says about it: the capture format written for each pod entered with
 * `nsenter … ip -o link` / `ip -o addr`, and how the host side of its veth is found from it.
 *
 * A veth's `ip link` name carries its peer's ifindex when the peer lives in another namespace:
 * `2: eth0@if7: <…> … link-netnsid 0` (iproute2 `ip/ipaddress.c` `print_linkinfo`: `@if%d` from
 * IFLA_LINK when IFLA_LINK_NETNSID is set). So the pod's `eth0@ifN` names interface N of the node, and the
 * node's interface N shows `cali…@ifM` with M = the pod's eth0 index. Interface indexes are per namespace
 * (every new namespace starts again at 1), so the match is only claimed when both directions agree.
 *
 * This module is pure (no I/O): pods.ts runs the commands, and offline analysis reads the same text back.
 */
import type { NetInterface } from '../model/network.js';
import type { Diagnostic } from '../model/source.js';
import { parseIpAddr } from '../parse/ip-addr.js';

/** First line of a pod-netns capture. */
export const POD_NETNS_MAGIC = '# knetdbg pod-netns';

/** The CRI's default pod interface name (kubelet/containerd `eth0`; CNI_IFNAME). */
export const POD_DEFAULT_IFNAME = 'eth0';

/** How the namespace was entered: by a process in it, or by its bind-mounted path. */
export type NetnsEntry = { pid: number; netnsPath?: string } | { pid?: undefined; netnsPath: string };

/** One command's output inside a capture. */
export interface NetnsSection {
  command: string[];
  exitCode: number | null;
  output: string;
}

/** Everything needed to write a capture. */
export interface PodNetnsCaptureInput {
  sandboxId: string;
  entry: NetnsEntry;
  /** The namespace path as the node names it (without a `/host` root), for the header. */
  netnsPath?: string;
  link: NetnsSection;
  addr: NetnsSection;
}

/** The facts read back from a capture. */
export interface PodNetns {
  sandboxId: string;
  pid?: number;
  netnsPath?: string;
  links: NetInterface[];
  /** The pod's interface: `eth0`, else the first interface whose peer is in another namespace. */
  podInterface?: NetInterface;
  /** Global-scope addresses of the pod interface (all non-loopback interfaces when none was chosen). */
  ips: string[];
  diagnostics: Diagnostic[];
}

const SECTION = /^# --- ip -o (link|addr) \(exit ([^)]*)\): (.*)$/;
const HEADER = /^# (sandbox-id|pid|netns): (.*)$/;

/** The argv that lists links or addresses inside the pod's namespace (read-only: `ip -o link|addr` show). */
export function listNetnsCommand(entry: NetnsEntry, what: 'link' | 'addr'): string[] {
  // nsenter(1): `-t PID -n` enters the network namespace of PID; `--net=FILE` enters the one bound at FILE.
  const enter = entry.pid !== undefined ? ['-t', String(entry.pid), '-n'] : [`--net=${entry.netnsPath}`];
  return ['nsenter', ...enter, 'ip', '-o', what];
}

/**
 * Writes the capture text: a header naming the sandbox and how its namespace was entered, then each
 * command's output verbatim after a `# --- ip -o link (exit 0): <argv>` line (`ip -o` lines never start
 * with `#`, so the sections cannot be confused with output).
 */
export function formatPodNetnsCapture(input: PodNetnsCaptureInput): string {
  const lines = [POD_NETNS_MAGIC, `# sandbox-id: ${input.sandboxId}`];
  if (input.entry.pid !== undefined) lines.push(`# pid: ${input.entry.pid}`);
  const netnsPath = input.netnsPath ?? input.entry.netnsPath;
  if (netnsPath !== undefined) lines.push(`# netns: ${netnsPath}`);
  let text = lines.join('\n') + '\n';
  for (const [what, section] of [['link', input.link], ['addr', input.addr]] as const) {
    text += `# --- ip -o ${what} (exit ${section.exitCode ?? 'none'}): ${section.command.join(' ')}\n`;
    text += section.output.endsWith('\n') || section.output === '' ? section.output : `${section.output}\n`;
  }
  return text;
}

/** Reads a capture written by {@link formatPodNetnsCapture}; `file` is named in diagnostics. */
export function parsePodNetnsCapture(text: string, file: string): PodNetns {
  const diagnostics: Diagnostic[] = [];
  const lines = text.split('\n');
  let sandboxId: string | undefined;
  let pid: number | undefined;
  let netnsPath: string | undefined;
  const sections: Record<'link' | 'addr', { start: number; lines: string[] } | undefined> = { link: undefined, addr: undefined };
  let current: { start: number; lines: string[] } | undefined;
  lines.forEach((line, i) => {
    const section = SECTION.exec(line);
    if (section) {
      current = { start: i + 1, lines: [] };
      sections[section[1] as 'link' | 'addr'] = current;
      return;
    }
    if (current) {
      current.lines.push(line);
      return;
    }
    const header = HEADER.exec(line);
    if (header?.[1] === 'sandbox-id') sandboxId = header[2]!.trim();
    else if (header?.[1] === 'pid' && /^\d+$/.test(header[2]!.trim())) pid = Number(header[2]!.trim());
    else if (header?.[1] === 'netns') netnsPath = header[2]!.trim();
  });
  if (!lines[0]?.startsWith(POD_NETNS_MAGIC) || sandboxId === undefined) {
    diagnostics.push({ severity: 'error', source: { file, line: 1 }, message: `not a knetdbg pod-netns capture (expected "${POD_NETNS_MAGIC}" and "# sandbox-id:")`, text: lines[0] });
  }
  // Padding with the lines before a section keeps ip-addr.ts's line numbers equal to the capture's.
  const read = (what: 'link' | 'addr'): NetInterface[] => {
    const s = sections[what];
    if (!s) return [];
    const parsed = parseIpAddr('\n'.repeat(s.start) + s.lines.join('\n'), file);
    diagnostics.push(...parsed.diagnostics);
    return parsed.interfaces;
  };
  const links = read('link');
  const addrs = read('addr');
  const podInterface = links.find((l) => l.name === POD_DEFAULT_IFNAME && l.linkIndex !== undefined) ??
    links.find((l) => l.linkIndex !== undefined && !l.flags.includes('LOOPBACK'));
  const ips: string[] = [];
  for (const iface of addrs) {
    if (podInterface ? iface.index !== podInterface.index : iface.name === 'lo') continue;
    for (const a of iface.addresses) if (a.scope === 'global' && !ips.includes(a.address)) ips.push(a.address);
  }
  const out: PodNetns = { sandboxId: sandboxId ?? '', links, ips, diagnostics };
  if (pid !== undefined) out.pid = pid;
  if (netnsPath !== undefined) out.netnsPath = netnsPath;
  if (podInterface) out.podInterface = podInterface;
  return out;
}

/**
 * The node-side interface paired with the pod's interface: node interface N (from the pod's `@ifN`) whose own
 * `@ifM` points back at the pod interface's index. Undefined when either side is missing or they disagree
 * (an index that merely exists on the node is not proof: indexes repeat across namespaces).
 */
export function findHostPeer(podInterface: NetInterface | undefined, hostLinks: ReadonlyMap<number, NetInterface>): NetInterface | undefined {
  if (podInterface?.linkIndex === undefined) return undefined;
  const host = hostLinks.get(podInterface.linkIndex);
  if (!host || host.linkIndex !== podInterface.index) return undefined;
  return host;
}
