// Scratch network namespaces for the benchmark: iptables-nft-restore --test only parses and
// validates, but running it in a namespace we create (and always delete) guarantees that nothing
// can touch the host's own rules (HELPERS-COMMON.md: traffic and state stay in our namespaces).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Prefix of every namespace the benchmark creates, so a leftover one is recognisable. */
export const NETNS_PREFIX = 'knetdbg-bench-';

/**
 * Creates `knetdbg-bench-<random>` and returns its name plus an idempotent remover that is also
 * run on SIGINT/SIGTERM and process exit, so an interrupted run leaves no namespace behind.
 * @returns {{ name: string, remove: () => void }}
 */
export function createScratchNetns() {
  const name = NETNS_PREFIX + randomBytes(4).toString('hex');
  execFileSync('ip', ['netns', 'add', name], { stdio: ['ignore', 'ignore', 'pipe'] });
  let removed = false;
  const onSignal = (signal) => {
    remove();
    process.kill(process.pid, signal);
  };
  const remove = () => {
    if (removed) return;
    removed = true;
    process.off('exit', remove);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      process.stderr.write(`warning: could not delete network namespace ${name}: ${error.message}\n`);
    }
  };
  process.on('exit', remove);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { name, remove };
}

/**
 * Why the restore measurement cannot run here, or undefined when it can: it needs root
 * (CAP_NET_ADMIN for `ip netns add` and the nf_tables netlink socket) and the two programs.
 * @returns {string|undefined}
 */
export function explainNetnsUnavailable() {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'iptables-nft-restore --test needs root (CAP_NET_ADMIN) and a scratch network namespace: run as root (sudo npm run bench)';
  }
  for (const [program, args, pkg] of [['ip', ['-V'], 'iproute2'], ['iptables-nft-restore', ['--version'], 'iptables']]) {
    try {
      execFileSync(program, args, { stdio: 'ignore' });
    } catch {
      return `${program} not found: install it (apt-get install -y ${pkg})`;
    }
  }
  return undefined;
}
