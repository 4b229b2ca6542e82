import { stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { Args, Flags } from '@oclif/core';
import { FAILURE_EXIT, KnetdbgCommand, USAGE_EXIT } from '../base-command.js';
import type { PolicyExplanation } from '../interpret/calico/explain-policy.js';
import { InputError } from '../model/source.js';
import type { NodeSnapshot } from '../model/snapshot.js';
import { applyColorDecision, shouldColor } from '../render/color.js';


/** `knetdbg explain-policy`: who may reach a pod, and whom it may reach, from the node's Calico rules. */
export default class ExplainPolicy extends KnetdbgCommand {
  static override summary = 'Explain the Calico policy of a pod: who may reach it and whom it may reach.';

  static override description = [
    "Reads the pod's cali-tw-<iface> (ingress) and cali-fw-<iface> (egress) chains the way Calico evaluates them: tiers, the policies in each with their rules (action, protocol, ports, and who they match, with ipsets resolved to their members and members to pods), pass actions, the end-of-tier drop, and the profiles. Ends with a plain summary.",
    '<pod> is a pod name, a name prefix (db → db-8d66ff5f7-bp6kf), namespace/name, an IP or a cali interface. When several pods match, they are listed and the command exits 2.',
    '--from (repeatable) takes the node\'s files, each recognised by content: iptables-save (or a grep of it), ipset list, ip route, ip addr, crictl pods -o json or kubectl get pods -o wide; or a knetdbg dump folder or tarball. Pods are named from the pod list, or by Calico\'s interface-name hash.',
    '--peer answers "may this peer reach the pod, and may the pod reach it?" by walking a real connection through every table with the netfilter engine, and quotes the deciding rule.',
    'Exit status: 0 when the policy was explained; 1 when it could not be (unreadable input, pod not on this node); 2 for usage errors and when the pod is ambiguous.',
  ].join('\n\n');

  static override examples = [
    {
      description: 'Who may reach db, and why (a folder with iptables-save, ipset list and kubectl get pods -o wide).',
      command: '<%= config.bin %> <%= command.id %> db --from samples/calico-frontend-backend-db/',
    },
    {
      description: 'May frontend reach db? The engine walks the connection and quotes the rule that drops it.',
      command: '<%= config.bin %> <%= command.id %> db --peer frontend --from samples/calico-frontend-backend-db/',
    },
    {
      description: 'By interface, with tiers and a pass action, from separate files, as JSON.',
      command: '<%= config.bin %> <%= command.id %> calief4a6ea9f4b --from samples/calico-tiers/iptables-save.rules --from samples/calico-tiers/ipset-list.txt --json',
    },
  ];

  static override enableJsonFlag = true;

  static override args = {
    pod: Args.string({ description: 'Pod name, name prefix, namespace/name, IP or cali interface.', required: true }),
  };

  static override flags = {
    namespace: Flags.string({ char: 'n', summary: 'Namespace of the pod (narrows a name or prefix).' }),
    from: Flags.string({
      char: 'f',
      summary: 'A node file (iptables-save, ipset list, ip route, ip addr, pod list) or dump folder/tarball. Repeat for several.',
      multiple: true,
      required: true,
    }),
    ip: Flags.string({ summary: 'The pod\'s IP, when neither a pod list nor `ip route` among the inputs gives it (needed by --peer).' }),
    peer: Flags.string({ summary: 'A pod (name, prefix, IP) or address: may it reach the pod, and may the pod reach it?' }),
    port: Flags.integer({ summary: 'Destination port for --peer (default: any; rules on ports then show both outcomes).', min: 1, max: 65_535 }),
    proto: Flags.option({ options: ['tcp', 'udp', 'sctp'] as const, default: 'tcp', summary: 'Protocol for --peer.' })(),
    policy: Flags.string({
      summary: 'A policy as namespace/name (or a global name) to name hashed policy chains of Calico versions that write no comment. Repeatable.',
      multiple: true,
    }),
    layout: Flags.string({ summary: 'Calico mark layout override (a version, legacy|classic|drop-bit, a mask, or bits), as decode-mark.' }),
    color: Flags.option({
      options: ['auto', 'always', 'never'] as const,
      default: 'auto',
      summary: 'Colour the output: auto (a terminal, and NO_COLOR unset), always or never.',
    })(),
  };

  /** Explains the pod's policy; the returned report is exactly what `--json` prints. */
  async run(): Promise<PolicyExplanation> {
    const { args, flags } = await this.parse(ExplainPolicy);
    if (flags.port !== undefined && flags.peer === undefined) this.error('--port needs --peer', { exit: USAGE_EXIT });
    if (flags.ip !== undefined && isIP(flags.ip) === 0) this.error(`invalid --ip "${flags.ip}": expected an IP address`, { exit: USAGE_EXIT });
    const color = shouldColor({ mode: flags.color, json: this.jsonEnabled(), isTTY: process.stdout.isTTY === true, env: process.env });
    applyColorDecision(color);

    const { buildPolicyExplanation, PolicyUsageError } = await import('../interpret/calico/policy-report.js');
    let report: PolicyExplanation;
    try {
      const files: { file: string; text: string }[] = [];
      const snapshots: NodeSnapshot[] = [];
      for (const path of flags.from) {
        if (path !== '-' && (await isDumpPath(path))) {
          const { loadSnapshot } = await import('../collect/load-snapshot.js');
          snapshots.push(await loadSnapshot(path));
        } else {
          files.push(await this.readInput(path, '--from'));
        }
      }
      report = buildPolicyExplanation(files, snapshots, {
        pod: args.pod,
        ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
        ...(flags.ip !== undefined ? { podIp: flags.ip } : {}),
        ...(flags.peer !== undefined ? { peer: flags.peer, protocol: flags.proto } : {}),
        ...(flags.port !== undefined ? { port: flags.port } : {}),
        ...(flags.policy ? { policies: flags.policy } : {}),
        ...(flags.layout !== undefined ? { layout: flags.layout } : {}),
      });
    } catch (error) {
      if (error instanceof PolicyUsageError) this.error(error.message, { exit: USAGE_EXIT });
      if (error instanceof InputError) this.error(error.message, { exit: FAILURE_EXIT, suggestions: error.hint === undefined ? undefined : [error.hint] });
      throw error;
    }
    if (!this.jsonEnabled()) {
      const { renderExplainPolicy } = await import('../render/explain-policy.js');
      this.log(renderExplainPolicy(report, { color, width: process.stdout.isTTY ? process.stdout.columns : undefined }));
    }
    if (report.status === 'ambiguous') process.exitCode = USAGE_EXIT;
    else if (report.status === 'not-found') process.exitCode = FAILURE_EXIT;
    return report;
  }


}

/** A folder or an archive goes to the dump loader; a plain file is read here and recognised by content. */
async function isDumpPath(path: string): Promise<boolean> {
  if (/\.(tar\.gz|tgz|tar)$/.test(path)) return true;
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
