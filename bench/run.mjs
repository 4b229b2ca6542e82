#!/usr/bin/env node
// knetdbg benchmark (issue 2, "Done when"): on a 10,000-service × 10-endpoint kube-proxy dump,
// `knetdbg trace` must answer at least 8× faster than `iptables-nft-restore --test` parses the same
// file, measured side by side in one run, and peak under 300 MB. See bench/README.md.
//
//   node bench/run.mjs [--services 10000] [--endpoints 10] [--seed 1] [--dump FILE] [--runs 3]
//                      [--warmup 1] [--min-ratio 8] [--max-rss-mb 300] [--restore-only] [--json]
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { defaultDumpPath } from './generate-kube-proxy.mjs';
import { measureCommand } from './lib/measure.mjs';
import { createScratchNetns, explainNetnsUnavailable } from './lib/netns.mjs';
import { checkTraceOutcomes, findClusterIpTargets } from './lib/scan-dump.mjs';

const execFileAsync = promisify(execFile);
const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const REPO_DIR = resolve(BENCH_DIR, '..');
const CLI = join(REPO_DIR, 'bin', 'run.js');
const TRACE_COMMAND = join(REPO_DIR, 'dist', 'commands', 'trace.js');

const USAGE = `usage: node bench/run.mjs [options]      (npm run bench -- [options])
  --services N      service ports in the generated dump (default 10000)
  --endpoints E     endpoints per service port (default 10)
  --seed S          generator seed (default 1)
  --dump FILE       use this dump instead of bench/out/kube-proxy-<N>x<E>-seed<S>.rules
                    (generated there when missing)
  --runs N          measured runs of each command, median reported (default 3)
  --warmup N        unmeasured runs first (default 1)
  --min-ratio R     required restore/trace ratio (default 8)
  --max-rss-mb M    required peak RSS bound for trace, in MB of 10^6 bytes (default 300)
  --restore-only    only time iptables-nft-restore --test (no built CLI needed)
  --json            print the figures as one JSON object on stdout`;

function parseArgs(argv) {
  const o = { services: 10000, endpoints: 10, seed: 1, dump: undefined, runs: 3, warmup: 1, minRatio: 8, maxRssMb: 300, restoreOnly: false, json: false, help: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    const number = (integer) => {
      const text = value();
      const n = Number(text);
      if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(`${arg} expects a ${integer ? 'non-negative integer' : 'number'}, got '${text}'`);
      return n;
    };
    if (arg === '--services') o.services = number(true);
    else if (arg === '--endpoints') o.endpoints = number(true);
    else if (arg === '--seed') o.seed = number(true);
    else if (arg === '--dump') o.dump = resolve(value());
    else if (arg === '--runs') o.runs = number(true);
    else if (arg === '--warmup') o.warmup = number(true);
    else if (arg === '--min-ratio') o.minRatio = number(false);
    else if (arg === '--max-rss-mb') o.maxRssMb = number(false);
    else if (arg === '--restore-only') o.restoreOnly = true;
    else if (arg === '--json') o.json = true;
    else if (arg === '-h' || arg === '--help') o.help = true;
    else throw new Error(`unknown argument '${arg}'`);
  }
  if (o.runs < 1) throw new Error('--runs must be at least 1');
  if (o.services < 1 || o.endpoints < 1) throw new Error('--services and --endpoints must be at least 1');
  return o;
}

/** Progress goes to stderr so `--json` stdout carries only the result (STYLE.md §12). */
function progress(text) {
  process.stderr.write(`${text}\n`);
}

function median(values) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const kibToMb = (kib) => (kib * 1024) / 1e6;

/** Why the compiled CLI cannot run, with the fix; undefined when it can. */
function explainCliUnavailable() {
  if (!existsSync(CLI) || !existsSync(join(REPO_DIR, 'dist'))) {
    return `the compiled CLI is missing (${relative(REPO_DIR, CLI)} and dist/ are needed).\n` +
      '  build it first:  npm ci && npm run build\n' +
      '  or time only the restore side:  npm run bench -- --restore-only';
  }
  if (!existsSync(TRACE_COMMAND)) {
    return `dist/ has no trace command (${relative(REPO_DIR, TRACE_COMMAND)} missing): rebuild with npm run build once src/commands/trace.ts exists`;
  }
  return undefined;
}

async function ensureDump(options) {
  const path = options.dump ?? defaultDumpPath(options);
  if (existsSync(path)) return path;
  if (options.dump !== undefined && options.dump !== defaultDumpPath(options)) {
    progress(`${path} does not exist; generating it with --services ${options.services} --endpoints ${options.endpoints} --seed ${options.seed}`);
  }
  const generator = join(BENCH_DIR, 'generate-kube-proxy.mjs');
  const args = [generator, '--services', String(options.services), '--endpoints', String(options.endpoints), '--seed', String(options.seed), '-o', path];
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`generator failed (exit ${result.status})`);
  return path;
}

function countLines(path) {
  const bytes = readFileSync(path);
  let lines = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines += 1;
  return { lines, bytes: bytes.length };
}

/** Times one `iptables-nft-restore --test < dump`, the clock started inside the namespace. */
async function measureRestore(netns, dump) {
  const measure = join(BENCH_DIR, 'lib', 'measure.mjs');
  const { stdout } = await execFileAsync('ip', ['netns', 'exec', netns, process.execPath, measure, '--stdin', dump, '--', 'iptables-nft-restore', '--test'], { maxBuffer: 1 << 20 });
  const result = JSON.parse(stdout.trim().split('\n').pop());
  if (result.exitCode !== 0) {
    throw new Error(`iptables-nft-restore --test rejected ${dump} (exit ${result.exitCode}): ${result.stderr.trim()}`);
  }
  return result;
}

/** Times one `node bin/run.js trace TARGET --from DUMP --json`, spawn included, and checks its answer. */
async function measureTrace(target, dump, scratch) {
  const out = join(scratch, 'trace.json');
  const command = [process.execPath, CLI, 'trace', target.target, '--from', dump, '--json'];
  const result = await measureCommand(command, { stdout: out });
  const text = readFileSync(out, 'utf8');
  if (result.exitCode !== 0 && text.trim() === '') {
    const hint = /command .*trace.* not found|not found: trace/i.test(result.stderr) ? ' (the trace command is not in this build)' : '';
    throw new Error(`knetdbg trace ${target.target} failed with exit ${result.exitCode ?? result.signal}${hint}: ${result.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
  let payload;
  try {
    payload = JSON.parse(text);
  } catch {
    throw new Error(`knetdbg trace ${target.target} --json did not print JSON (exit ${result.exitCode}): ${text.slice(0, 200)}`);
  }
  return { ...result, check: checkTraceOutcomes(payload, target.expected), command: command.slice(1).map((a) => relative(REPO_DIR, a) || a).join(' ') };
}

function machineNotes() {
  let iptables;
  try {
    iptables = spawnSync('iptables-nft-restore', ['--version'], { encoding: 'utf8' }).stdout.trim();
  } catch {
    iptables = undefined;
  }
  return {
    cpu: cpus()[0]?.model,
    cpus: cpus().length,
    memoryGb: Number((totalmem() / 1e9).toFixed(1)),
    loadAverage: loadavg().map((v) => Number(v.toFixed(2))),
    kernel: release(),
    node: process.version,
    iptables,
    rssMethod: existsSync('/usr/bin/time') ? 'GNU time %M (wait4 ru_maxrss)' : 'node preload (getrusage RUSAGE_SELF at exit)',
  };
}

async function main(argv) {
  let options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const cliProblem = options.restoreOnly ? undefined : explainCliUnavailable();
  if (cliProblem !== undefined && cliProblem.startsWith('the compiled CLI is missing')) {
    process.stderr.write(`bench: ${cliProblem}\n`);
    return 1;
  }
  const netnsProblem = explainNetnsUnavailable();
  if (netnsProblem !== undefined) {
    process.stderr.write(`bench: ${netnsProblem}\n`);
    return 1;
  }

  const dump = await ensureDump(options);
  const size = countLines(dump);
  const scanned = await findClusterIpTargets(dump, { endpoints: options.endpoints });
  const targets = scanned.targets;
  progress(`dump ${relative(process.cwd(), dump) || dump}: ${size.lines} lines, ${(size.bytes / 1e6).toFixed(1)} MB`);

  const report = {
    dump: { path: dump, lines: size.lines, bytes: size.bytes, services: options.services, endpoints: options.endpoints, seed: options.seed },
    runs: options.runs,
    warmup: options.warmup,
    machine: machineNotes(),
    restoreTest: { runsMs: [], medianMs: undefined, cpuRunsMs: [], cpuMedianMs: undefined, peakRssMb: undefined },
    traces: targets.map((t) => ({ target: t.target, servicePortName: t.servicePortName, rule: t.rule, rulesInChain: t.rulesInChain, line: t.line, runsMs: [], medianMs: undefined, cpuRunsMs: [], cpuMedianMs: undefined, peakRssMb: undefined, outcomes: undefined, command: undefined })),
    traceError: cliProblem,
    ratio: undefined,
    cpuRatio: undefined,
    peakRssMb: undefined,
    thresholds: { minRatio: options.minRatio, maxRssMb: options.maxRssMb },
    pass: false,
    failures: [],
  };

  const scratch = mkdtempSync(join(tmpdir(), 'knetdbg-bench-'));
  const netns = createScratchNetns();
  let traceAvailable = !options.restoreOnly && cliProblem === undefined;
  const restoreRss = [];
  const traceRss = targets.map(() => []);
  try {
    // Interleaved, so drift (thermal, noisy neighbours) hits both sides alike.
    for (let run = 0; run < options.warmup + options.runs; run += 1) {
      const measured = run >= options.warmup;
      const label = measured ? `run ${run - options.warmup + 1}/${options.runs}` : `warmup ${run + 1}/${options.warmup}`;
      const restore = await measureRestore(netns.name, dump);
      progress(`${label}: iptables-nft-restore --test ${(restore.wallMs / 1000).toFixed(3)} s`);
      // Peak RSS counts warmup runs too: memory does not warm up, and the bound is on the worst case.
      if (restore.maxRssKb !== undefined) restoreRss.push(restore.maxRssKb);
      if (measured) {
        report.restoreTest.runsMs.push(restore.wallMs);
        if (restore.cpuMs !== undefined) report.restoreTest.cpuRunsMs.push(restore.cpuMs);
      }
      if (!traceAvailable) continue;
      for (const [i, target] of targets.entries()) {
        let trace;
        try {
          trace = await measureTrace(target, dump, scratch);
        } catch (error) {
          report.traceError = error.message;
          traceAvailable = false;
          break;
        }
        progress(`${label}: trace ${target.target} ${(trace.wallMs / 1000).toFixed(3)} s, ${trace.maxRssKb === undefined ? '?' : kibToMb(trace.maxRssKb).toFixed(0)} MB, outcomes ${trace.check.ok ? 'ok' : 'WRONG'}`);
        const entry = report.traces[i];
        entry.command = trace.command;
        if (entry.outcomes === undefined || !trace.check.ok) entry.outcomes = trace.check;
        if (trace.maxRssKb !== undefined) traceRss[i].push(trace.maxRssKb);
        if (measured) {
          entry.runsMs.push(trace.wallMs);
          if (trace.cpuMs !== undefined) entry.cpuRunsMs.push(trace.cpuMs);
        }
      }
    }
  } finally {
    netns.remove();
    rmSync(scratch, { recursive: true, force: true });
  }

  report.restoreTest.medianMs = median(report.restoreTest.runsMs);
  report.restoreTest.cpuMedianMs = median(report.restoreTest.cpuRunsMs);
  if (restoreRss.length > 0) report.restoreTest.peakRssMb = kibToMb(Math.max(...restoreRss));
  const failures = report.failures;
  if (!traceAvailable || report.traceError !== undefined) {
    failures.push(options.restoreOnly ? 'trace not measured (--restore-only)' : `trace unavailable: ${report.traceError}`);
  } else {
    report.traces.forEach((entry, i) => {
      entry.medianMs = median(entry.runsMs);
      entry.cpuMedianMs = median(entry.cpuRunsMs);
      if (traceRss[i].length > 0) entry.peakRssMb = kibToMb(Math.max(...traceRss[i]));
      if (!entry.outcomes.ok) failures.push(`trace ${entry.target}: ${entry.outcomes.problems.slice(0, 5).join('; ')}`);
    });
    const slowest = Math.max(...report.traces.map((t) => t.medianMs));
    report.ratio = report.restoreTest.medianMs / slowest;
    const slowestCpu = Math.max(...report.traces.map((t) => t.cpuMedianMs ?? NaN));
    if (Number.isFinite(slowestCpu) && report.restoreTest.cpuMedianMs !== undefined) {
      report.cpuRatio = report.restoreTest.cpuMedianMs / slowestCpu;
    }
    const rss = report.traces.map((t) => t.peakRssMb).filter((v) => v !== undefined);
    report.peakRssMb = rss.length === report.traces.length ? Math.max(...rss) : undefined;
    if (report.ratio < options.minRatio) failures.push(`ratio ${report.ratio.toFixed(2)} < ${options.minRatio}`);
    if (report.peakRssMb === undefined) failures.push('peak RSS of trace could not be measured (install GNU time: apt-get install -y time)');
    else if (report.peakRssMb >= options.maxRssMb) failures.push(`peak RSS ${report.peakRssMb.toFixed(1)} MB ≥ ${options.maxRssMb} MB`);
  }
  report.pass = failures.length === 0;

  if (options.json) process.stdout.write(`${JSON.stringify(report, (_, v) => (v === undefined ? null : v), 2)}\n`);
  else process.stdout.write(renderReport(report));
  return report.pass ? 0 : 1;
}

function renderReport(report) {
  const s = (ms) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(3)} s`);
  const mb = (v) => (v === undefined ? '—' : `${v.toFixed(1)} MB`);
  const runs = (list) => list.map((v) => (v / 1000).toFixed(3)).join(' ');
  const rows = [['measurement', 'median wall', 'median CPU', 'peak RSS', 'wall per run']];
  const r = report.restoreTest;
  rows.push(['iptables-nft-restore --test (netns)', s(r.medianMs), s(r.cpuMedianMs), mb(r.peakRssMb), runs(r.runsMs)]);
  for (const t of report.traces) {
    rows.push([`trace ${t.target} (KUBE-SERVICES rule ${t.rule}/${t.rulesInChain})`, s(t.medianMs), s(t.cpuMedianMs), mb(t.peakRssMb), runs(t.runsMs)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const table = rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
  const m = report.machine;
  const lines = [
    `knetdbg bench: ${report.dump.services} services × ${report.dump.endpoints} endpoints (seed ${report.dump.seed}), ${report.dump.lines} lines, ${(report.dump.bytes / 1e6).toFixed(1)} MB`,
    `  ${report.dump.path}`,
    `  ${m.cpus} × ${m.cpu}, ${m.memoryGb} GB, Linux ${m.kernel}, Node ${m.node}, ${m.iptables}`,
    `  ${report.runs} measured run${report.runs === 1 ? '' : 's'} after ${report.warmup} warmup, interleaved; wall time includes process start; RSS and CPU by ${m.rssMethod}`,
    `  load average at start ${report.machine.loadAverage.join(' ')}`,
    '',
    table,
    '',
  ];
  for (const t of report.traces) {
    if (t.outcomes !== undefined) {
      lines.push(`outcomes ${t.target}: ${t.outcomes.ok ? `ok (${t.outcomes.outcomes} outcomes, sum ${t.outcomes.sum})` : `WRONG: ${t.outcomes.problems.slice(0, 3).join('; ')}`}`);
    }
  }
  lines.push(`ratio restore/slowest trace: ${report.ratio === undefined ? '—' : `${report.ratio.toFixed(2)}×`} (need ≥ ${report.thresholds.minRatio})`);
  lines.push(`  (CPU-time ratio, for reference: ${report.cpuRatio === undefined ? '—' : `${report.cpuRatio.toFixed(2)}×`})`);
  lines.push(`peak RSS of trace:           ${mb(report.peakRssMb)} (need < ${report.thresholds.maxRssMb} MB)`);
  for (const failure of report.failures) lines.push(`  - ${failure}`);
  lines.push(report.pass ? 'PASS' : 'FAIL');
  return `${lines.join('\n')}\n`;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench: ${error.message}\nFAIL\n`);
  process.exitCode = 1;
}
