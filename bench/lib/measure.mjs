#!/usr/bin/env node
// Runs one command and reports its wall time and peak RSS as one JSON line on stdout.
//
//   node bench/lib/measure.mjs [--stdin FILE] [--stdout FILE] -- COMMAND [ARGS...]
//
// It is a separate process so bench/run.mjs can start it *inside* the scratch network namespace
// (`ip netns exec NS node measure.mjs -- iptables-nft-restore --test`): the clock then covers only
// the measured program, not `ip netns exec`, exactly as it covers only `node bin/run.js trace`.
//
// Wall time: process.hrtime around spawn → 'exit', so process start-up is included.
// Peak RSS, in order of preference:
//  1. GNU time (`/usr/bin/time -f %M`): the kernel's ru_maxrss from wait4(2) for the child, in KiB,
//     which also covers descendants it waited for. Exact, and works for any program.
//  2. Node children only: a preload (`--import report-max-rss.mjs` through NODE_OPTIONS) writes
//     process.resourceUsage().maxRSS (getrusage(2) RUSAGE_SELF) when the child exits.
// Polling /proc/<pid>/status VmHWM is not used: the last poll can miss the final peak, and the
// file disappears at exit.
// CPU time (user + system, from the same rusage) is reported too: on a loaded machine it moves far
// less than wall time, which helps to tell contention from a real regression.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** GNU time; `apt-get install -y time` provides it. */
export const GNU_TIME = '/usr/bin/time';

/**
 * @typedef {object} Measurement
 * @property {number} wallMs
 * @property {number|undefined} maxRssKb undefined when no method applied
 * @property {number|undefined} cpuMs user + system CPU time of the command (same source as maxRssKb)
 * @property {'gnu-time'|'node-preload'|undefined} rssMethod
 * @property {number|null} exitCode
 * @property {string|null} signal
 * @property {string} stderr last 4 KiB of the command's stderr
 */

/**
 * Runs `command` once and measures it.
 * @param {string[]} command
 * @param {{ stdin?: string, stdout?: string, useGnuTime?: boolean }} [io] file paths (stdout defaults
 *   to /dev/null); useGnuTime=false forces the Node preload method (tests, machines without GNU time)
 * @returns {Promise<Measurement>}
 */
export async function measureCommand(command, { stdin, stdout, useGnuTime = true } = {}) {
  const scratch = mkdtempSync(join(tmpdir(), 'knetdbg-measure-'));
  const rssFile = join(scratch, 'rss');
  const env = { ...process.env };
  let argv = command;
  let rssMethod;
  if (useGnuTime && existsSync(GNU_TIME)) {
    argv = [GNU_TIME, '-f', '%M %U %S', '-o', rssFile, ...command];
    rssMethod = 'gnu-time';
  } else if (/(^|\/)node$/.test(command[0])) {
    const hook = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'report-max-rss.mjs')).href;
    env.NODE_OPTIONS = `${env.NODE_OPTIONS ?? ''} --import=${hook}`.trim();
    env.KNETDBG_BENCH_RSS_FILE = rssFile;
    rssMethod = 'node-preload';
  }
  const stdinFd = stdin !== undefined ? openSync(stdin, 'r') : 'ignore';
  const stdoutFd = openSync(stdout ?? '/dev/null', 'w');
  let stderr = '';
  try {
    const started = process.hrtime.bigint();
    const child = spawn(argv[0], argv.slice(1), { stdio: [stdinFd, stdoutFd, 'pipe'], env });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      stderr = (stderr + text).slice(-4096);
    });
    const { code, signal, ended } = await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (exitCode, exitSignal) => resolve({ code: exitCode, signal: exitSignal, ended: process.hrtime.bigint() }));
    });
    await new Promise((resolve) => (child.stderr.readableEnded ? resolve() : child.stderr.once('close', resolve)));
    const { maxRssKb, cpuMs } = readRusage(rssFile, rssMethod);
    return {
      wallMs: Number(ended - started) / 1e6,
      maxRssKb,
      cpuMs,
      rssMethod: maxRssKb === undefined ? undefined : rssMethod,
      exitCode: code,
      signal,
      stderr,
    };
  } finally {
    if (typeof stdinFd === 'number') closeSync(stdinFd);
    closeSync(stdoutFd);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * Reads "maxRssKiB userSeconds systemSeconds" (both methods write that format). GNU time puts
 * "Command exited with non-zero status N" on an earlier line, so only the last line counts.
 */
function readRusage(file, method) {
  if (method === undefined || !existsSync(file)) return { maxRssKb: undefined, cpuMs: undefined };
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const [rss, user, system] = lines[lines.length - 1].split(/\s+/).map(Number);
  return {
    maxRssKb: Number.isFinite(rss) && rss > 0 ? rss : undefined,
    cpuMs: Number.isFinite(user) && Number.isFinite(system) ? (user + system) * 1000 : undefined,
  };
}

async function main(argv) {
  const io = {};
  let i = 0;
  for (; i < argv.length && argv[i] !== '--'; i += 1) {
    if (argv[i] === '--stdin') io.stdin = argv[++i];
    else if (argv[i] === '--stdout') io.stdout = argv[++i];
    else {
      process.stderr.write(`measure: unknown argument '${argv[i]}'\n`);
      return 2;
    }
  }
  const command = argv.slice(i + 1);
  if (command.length === 0) {
    process.stderr.write('usage: node bench/lib/measure.mjs [--stdin FILE] [--stdout FILE] -- COMMAND [ARGS...]\n');
    return 2;
  }
  const result = await measureCommand(command, io);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main(process.argv.slice(2));
}
