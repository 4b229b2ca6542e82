import { Flags } from '@oclif/core';
import { FAILURE_EXIT, KnetdbgCommand, USAGE_EXIT } from '../base-command.js';
import type { CollectSummary } from '../collect/summary.js';

/** `knetdbg collect`: capture this node's rules, sets, conntrack, addresses and routes into a dump. */
export default class Collect extends KnetdbgCommand {
  static override summary = "Capture this node's network state into a dump for offline analysis.";

  static override description = [
    'Runs read-only commands on this node (iptables-save -c and ip6tables-save -c for both backends, ipset list, conntrack -L, ip -j addr/route, ip rule, nft list ruleset, /proc/sys values) and writes each output to its own file, plus meta.json with the hostname, kernel, tool versions and, per source, the exact command, exit status, duration and stderr.',
    'A missing tool or a failing command is recorded and the rest is still captured. Nothing on the node is changed. Needs root for the netfilter tools.',
    'Analyse the dump anywhere with `knetdbg trace … --from <dump>`. On a node without Node.js, `--script` prints a POSIX sh script that writes the same dump with standard tools.',
  ].join('\n\n');

  static override examples = [
    { description: 'Capture into a tarball.', command: '<%= config.bin %> <%= command.id %> -o node-dump.tar.gz' },
    { description: 'Capture into a folder.', command: '<%= config.bin %> <%= command.id %> -o node-dump/' },
    {
      description: 'Capture a node without Node.js (binary-safe: no -t).',
      command:
        '<%= config.bin %> <%= command.id %> --script > collect.sh && kubectl debug node/NODE --profile=sysadmin -i --image=busybox -- chroot /host sh -s - < collect.sh > node-dump.tar.gz',
    },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    output: Flags.string({
      char: 'o',
      summary: 'Where to write: NAME.tar.gz (or .tgz) for an archive, anything else for a folder (new or empty).',
    }),
    script: Flags.boolean({
      summary: 'Print a POSIX sh script that writes the same dump without Node.js, and exit.',
      default: false,
    }),
    root: Flags.string({
      summary: "The node's filesystem root, where the CNI result cache and /var/log/pods are read: /host in a `kubectl debug node --profile=sysadmin` pod.",
      description:
        'Commands still run as they are found on PATH and /proc is this process\'s (kubectl debug node shares the host PID and network namespaces). With --script: the root the script uses when it is given no second argument and no KNETDBG_ROOT.',
      default: '/',
    }),
  };

  /** Collects (or prints the script); the returned summary is exactly what `--json` prints. */
  async run(): Promise<CollectSummary | { script: string }> {
    const { flags } = await this.parse(Collect);
    // Imported here, not at the top: oclif imports every command file at startup (see trace.ts).
    const [{ collectDump }, { checkNodeRoot, describeRecord }, { renderCollectScript }, { summarizeCollection }] = await Promise.all([
      import('../collect/dump-write.js'),
      import('../collect/live.js'),
      import('../collect/script.js'),
      import('../collect/summary.js'),
    ]);
    if (flags.script) {
      const script = renderCollectScript({ root: flags.root });
      if (!this.jsonEnabled()) process.stdout.write(script);
      return { script };
    }
    const badRoot = await checkNodeRoot(flags.root);
    if (badRoot !== undefined) this.error(`invalid --root: ${badRoot}`, { exit: USAGE_EXIT });
    let summary: CollectSummary;
    try {
      const result = await collectDump({
        ...(flags.output !== undefined ? { output: flags.output } : {}),
        root: flags.root,
        onProgress: (line) => this.logToStderr(`  ${line}`),
      });
      summary = summarizeCollection(result);
    } catch (error) {
      return this.error(`cannot write the dump: ${(error as Error).message}`, { exit: FAILURE_EXIT });
    }
    if (!this.jsonEnabled()) {
      for (const s of summary.sources) if (s.status !== 'ok' && s.importance === 'core') this.warn(describeRecord(s));
      this.log(summary.output);
    }
    return summary;
  }
}
