import { isIP, isIPv6 } from 'node:net';
import { Args, Flags } from '@oclif/core';
import { FAILURE_EXIT, KnetdbgCommand, USAGE_EXIT, readStdin } from '../base-command.js';
import { InputError } from '../model/source.js';
import type { TraceReport } from '../interpret/report.js';
import { applyColorDecision, shouldColor } from '../render/color.js';

/** The destination argument split into address and port. */
export interface Destination {
  address: string;
  port?: number;
}


/**
 * Splits `ip`, `ip:port`, `[ipv6]:port`, `[ipv6]` or a bare IPv6 address. IPv6 with a port must be
 * bracketed (RFC 3986 §3.2.2), because `fd00::1:80` is itself a valid address. Undefined when the text
 * is none of those.
 */
export function parseDestination(text: string): Destination | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed !== null) {
    if (!isIPv6(bracketed[1])) return undefined;
    return withPort(bracketed[1], bracketed[2]);
  }
  if (isIP(text) !== 0) return { address: text };
  const hostPort = /^([^:]+):(\d+)$/.exec(text);
  if (hostPort !== null && isIP(hostPort[1]) === 4) return withPort(hostPort[1], hostPort[2]);
  return undefined;
}

function withPort(address: string, port: string | undefined): Destination | undefined {
  if (port === undefined) return { address };
  const value = Number(port);
  if (!Number.isInteger(value) || value < 1 || value > 65_535) return undefined;
  return { address, port: value };
}

/** `knetdbg trace`: what netfilter does to a new connection to an address, from the node's real rules. */
export default class Trace extends KnetdbgCommand {
  static override summary = 'Trace a new connection through the node\'s iptables rules.';

  // One line per paragraph: oclif wraps help text to the terminal itself.
  static override description = [
    "Walks a new connection to <destination> through netfilter in the kernel's order (PREROUTING, routing, INPUT or FORWARD, POSTROUTING; OUTPUT first for a LOCAL source) and prints every rule it matches, which endpoint each kube-proxy load-balancing branch lands on and with what probability, whether it is masqueraded, and where and why it is dropped or rejected.",
    'Rules and node state come from --from: a dump written by `knetdbg collect` (folder or .tar.gz), a `calicoctl node diags` bundle, or single files whose kind is detected by content: an iptables-save or ip6tables-save dump, an `iptables -S` listing or an excerpt of one, `ipset list`, `ip addr`, `ip route`, `conntrack -L` (repeat --from to combine them; - reads rules from stdin). Without --from, knetdbg collects this node live (iptables-save, ipset list, conntrack -L, ip addr/route, pods), which needs root; it only reads.',
    'Exit status: 0 when the analysis ran, whatever the verdict (a dropped packet is an answer); 1 when it could not run (unreadable or unusable input); 2 for usage errors.',
  ].join('\n\n');

  static override examples = [
    {
      description: 'Which pod does the ClusterIP service default/nginx send a pod\'s new connection to?',
      command: '<%= config.bin %> <%= command.id %> 10.96.34.82:80 --src 10.244.1.3 --from samples/clusterip-nginx.rules',
    },
    {
      description: 'A three-endpoint service: each branch with its share of new connections (1/3 each), as JSON.',
      command: '<%= config.bin %> <%= command.id %> 10.105.120.204:30050 --src 172.17.0.9 --from samples/three-endpoints.rules --json',
    },
    {
      description: 'An external client on a NodePort with externalTrafficPolicy=Local, on a node without the pod: where is it dropped?',
      command:
        '<%= config.bin %> <%= command.id %> 192.168.49.3:30080 --src 192.168.49.100 --node-ip 192.168.49.3 --from samples/etp-local-no-endpoint.rules',
    },
    {
      description: 'Trace against the rules live on this node (runs iptables-save, read-only; needs root).',
      command: '<%= config.bin %> <%= command.id %> 10.96.0.10:53 --proto udp --node-ip 192.168.1.10',
    },
  ];

  static override enableJsonFlag = true;

  static override args = {
    destination: Args.string({
      description: 'Address to trace: ip, ip:port, [ipv6]:port or a bare IPv6 address.',
      required: true,
    }),
  };

  static override flags = {
    proto: Flags.option({
      char: 'p',
      options: ['tcp', 'udp', 'sctp'] as const,
      default: 'tcp',
      summary: 'Transport protocol of the connection.',
    })(),
    src: Flags.string({
      summary: 'Source address. Default: a pod of this cluster (stated in the output).',
    }),
    'node-ip': Flags.string({
      summary: 'An address of this node (LOCAL for addrtype matches). Repeat or separate with commas.',
      multiple: true,
      // Non-greedy so `--node-ip 10.0.0.1 10.96.0.10:53` leaves the destination alone.
      multipleNonGreedy: true,
      delimiter: ',',
    }),
    'in-iface': Flags.string({
      summary: 'Interface the packet arrives on (for -i matches). Default: eth0 for a client outside the pod network, unknown for a pod.',
    }),
    from: Flags.string({
      char: 'f',
      summary:
        'What to trace against: a knetdbg dump (folder or .tar.gz), a calicoctl diags bundle, or files detected by content (iptables-save, ipset list, ip route …; repeatable; - for stdin). Default: this node, live.',
      multiple: true,
    }),
    root: Flags.string({
      summary: "Live only: the node's filesystem root, where pods are looked up (CNI cache, /var/log/pods): /host in a `kubectl debug node --profile=sysadmin` pod. Default: /.",
      exclusive: ['from'],
    }),
    services: Flags.string({
      summary: 'Output of `kubectl get svc -A -o json`, to name services when rules carry no comments.',
    }),
    color: Flags.option({
      options: ['auto', 'always', 'never'] as const,
      default: 'auto',
      summary: 'Colour the output: auto (a terminal, and NO_COLOR unset), always or never.',
    })(),
  };

  /** Runs the trace; the returned report is exactly what `--json` prints. */
  async run(): Promise<TraceReport> {
    const { args, flags } = await this.parse(Trace);
    const destination = parseDestination(args.destination);
    if (destination === undefined) {
      this.error(
        `invalid destination "${args.destination}": expected ip, ip:port, [ipv6]:port or a bare IPv6 address`,
        { exit: USAGE_EXIT },
      );
    }
    if (flags.src !== undefined && isIP(flags.src) === 0) {
      this.error(`invalid --src "${flags.src}": expected an IP address`, { exit: USAGE_EXIT });
    }
    const badNodeIp = flags['node-ip']?.find((ip) => isIP(ip) === 0);
    if (badNodeIp !== undefined) this.error(`invalid --node-ip "${badNodeIp}": expected an IP address`, { exit: USAGE_EXIT });
    const color = shouldColor({
      mode: flags.color,
      json: this.jsonEnabled(),
      isTTY: process.stdout.isTTY === true,
      env: process.env,
    });
    applyColorDecision(color);

    if (flags.root !== undefined) {
      const { checkNodeRoot } = await import('../collect/live.js');
      const badRoot = await checkNodeRoot(flags.root);
      if (badRoot !== undefined) this.error(`invalid --root: ${badRoot}`, { exit: USAGE_EXIT });
    }

    const services = flags.services === undefined ? undefined : await this.readInput(flags.services, '--services');

    let report: TraceReport;
    try {
      const { loadTraceInput } = await import('../collect/trace-input.js');
      const input = await loadTraceInput(flags.from ?? [], {
        family: isIPv6(destination.address) ? 6 : 4,
        protocol: flags.proto,
        destination: destination.address,
        readStdin,
        ...(flags.root === undefined ? {} : { root: flags.root }),
        ...(process.stderr.isTTY ? { onProgress: (m: string) => this.logToStderr(m) } : {}),
      });
      report = (await loadTraceQuery())(
        { text: input.text, file: input.file, servicesJson: services, ...(input.snapshot ? { snapshot: input.snapshot } : {}) },
        {
          destination: destination.address,
          port: destination.port,
          protocol: flags.proto,
          src: flags.src,
          nodeIps: flags['node-ip'],
          ...(flags['in-iface'] === undefined ? {} : { inInterface: flags['in-iface'] }),
        },
      );
      report.assumptions.unshift(...input.notes);
    } catch (error) {
      if (error instanceof InputError) {
        this.error(error.message, { exit: FAILURE_EXIT, suggestions: error.hint === undefined ? undefined : [error.hint] });
      }
      throw error;
    }

    if (!this.jsonEnabled()) {
      const { renderTrace } = await import('../render/trace.js');
      this.log(renderTrace(report, { color, width: process.stdout.isTTY ? process.stdout.columns : undefined }));
    }
    return report;
  }


}



/**
 * The analysis is imported when the command runs, not when oclif loads the command list: without a
 * manifest oclif imports every command file at startup, so command files stay light (measured: the trace
 * tree is ~35 ms of a 150 ms start).
 */
async function loadTraceQuery(): Promise<typeof import('../interpret/trace-query.js').traceQuery> {
  return (await import('../interpret/trace-query.js')).traceQuery;
}
