// Preloaded into a Node child (NODE_OPTIONS=--import=…) when GNU time is missing: at exit it writes
// the process's peak resident set size in KiB (process.resourceUsage().maxRSS, i.e. getrusage(2)
// ru_maxrss) and its user/system CPU seconds to $KNETDBG_BENCH_RSS_FILE. 'exit' also fires after
// process.exit(), so CLIs that exit explicitly are covered; a crash by signal leaves no figure,
// which measure.mjs reports as unknown.
import { writeFileSync } from 'node:fs';

const target = process.env.KNETDBG_BENCH_RSS_FILE;
if (target !== undefined && target !== '') {
  // Only the measured process reports; its own children must not overwrite the figure.
  delete process.env.KNETDBG_BENCH_RSS_FILE;
  process.on('exit', () => {
    const usage = process.resourceUsage();
    // Same layout as GNU time's "%M %U %S": KiB, user seconds, system seconds.
    writeFileSync(target, `${usage.maxRSS} ${usage.userCPUTime / 1e6} ${usage.systemCPUTime / 1e6}\n`);
  });
}
