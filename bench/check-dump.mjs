#!/usr/bin/env node
// Validates a generated dump against the real iptables, inside a scratch network namespace:
//
//   node bench/check-dump.mjs FILE                # --test, then a real restore, must both exit 0
//   node bench/check-dump.mjs FILE --test-only    # only iptables-nft-restore --test < FILE
//   node bench/check-dump.mjs FILE --roundtrip    # also iptables-nft-save it back and compare
//
// The real restore matters: iptables-nft-restore 1.8.9 --test checks syntax and extension options
// but sends the kernel only an empty batch (strace). So it accepted a `-j` to a chain that does not
// exist ("Chain 'KUBE-NOPE' does not exist" on a real restore) and a DNAT in filter INPUT
// ("RULE_APPEND failed (Invalid argument)"). Restoring inside the scratch namespace leaves the host as is.
//
// --roundtrip proves the generator prints rules byte for byte as iptables-nft-save does (option
// order, /32, quoting, statistic rounding, chain order); only '#' comment lines, which carry the
// date, are ignored. Keep it to a few thousand services: iptables-nft-save 1.8.9 took 4 minutes and
// then crashed (SIGSEGV) on the full 10,000 × 10 ruleset here, while restore and --test were fine.
import { spawnSync } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { createScratchNetns, explainNetnsUnavailable } from './lib/netns.mjs';

/**
 * Runs `iptables-nft-restore [--test]` on `file` in namespace `netns`.
 * @returns {{ ok: boolean, stderr: string }}
 */
function restore(netns, file, test) {
  const fd = openSync(file, 'r');
  try {
    const args = ['netns', 'exec', netns, 'iptables-nft-restore', ...(test ? ['--test'] : [])];
    const result = spawnSync('ip', args, { stdio: [fd, 'ignore', 'pipe'], encoding: 'utf8' });
    return { ok: result.status === 0, stderr: `${result.stderr ?? ''}${result.error?.message ?? ''}` };
  } finally {
    closeSync(fd);
  }
}

/** Lines that are not `#` comments: the part of a save that does not depend on when it ran. */
function significantLines(text) {
  return text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
}

function main(argv) {
  const file = argv.find((a) => !a.startsWith('--'));
  const roundtrip = argv.includes('--roundtrip');
  const testOnly = argv.includes('--test-only');
  if (file === undefined || (roundtrip && testOnly) || argv.some((a) => a.startsWith('--') && a !== '--roundtrip' && a !== '--test-only')) {
    process.stderr.write('usage: node bench/check-dump.mjs FILE [--test-only | --roundtrip]\n');
    return 2;
  }
  const problem = explainNetnsUnavailable();
  if (problem !== undefined) {
    process.stderr.write(`check-dump: ${problem}\n`);
    return 1;
  }
  const netns = createScratchNetns();
  try {
    const tested = restore(netns.name, file, true);
    if (!tested.ok) {
      process.stderr.write(`FAIL iptables-nft-restore --test rejected ${file}:\n${tested.stderr}`);
      return 1;
    }
    process.stdout.write(`ok   iptables-nft-restore --test accepts ${file}\n`);
    if (testOnly) return 0;

    const restored = restore(netns.name, file, false);
    if (!restored.ok) {
      process.stderr.write(`FAIL iptables-nft-restore failed on ${file}:\n${restored.stderr}`);
      return 1;
    }
    process.stdout.write(`ok   iptables-nft-restore loads ${file} into scratch namespace ${netns.name}\n`);
    if (!roundtrip) return 0;

    const saved = spawnSync('ip', ['netns', 'exec', netns.name, 'iptables-nft-save'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (saved.status !== 0) {
      process.stderr.write(`FAIL iptables-nft-save exited ${saved.status ?? saved.signal}: ${saved.stderr}\n`);
      return 1;
    }
    const want = significantLines(readFileSync(file, 'utf8'));
    const got = significantLines(saved.stdout);
    const length = Math.max(want.length, got.length);
    for (let i = 0; i < length; i += 1) {
      if (want[i] !== got[i]) {
        process.stderr.write(`FAIL round trip differs at significant line ${i + 1}:\n  generated: ${want[i]}\n  saved:     ${got[i]}\n`);
        return 1;
      }
    }
    process.stdout.write(`ok   iptables-nft-save reprints all ${want.length} rule and chain lines byte for byte\n`);
    return 0;
  } finally {
    netns.remove();
  }
}

process.exitCode = main(process.argv.slice(2));
