/**
 * `npm run bench [-- name…]`: runs every bench/<name>.bench.ts (or those whose name contains one of the
 * arguments) one after another, prints each section as a table and writes bench/results/latest.json
 * plus a timestamped copy. A benchmark that throws or times out is reported as failed and the others
 * still run; the exit code is 1 if any failed.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname, totalmem } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchCell, BenchMachine, BenchReport, BenchResult, BenchSection } from './types.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = join(BENCH_DIR, 'results');
const SUFFIX = '.bench.ts';

interface Options {
  filters: string[];
  timeoutS: number;
  list: boolean;
}

const USAGE = `usage: npm run bench [-- [--list] [--timeout-s N] [name …]]
  name         run only benchmarks whose file name contains it (bench/<name>.bench.ts)
  --list       print the benchmark names and exit
  --timeout-s  give up on a benchmark after N seconds (default 900; env BENCH_TIMEOUT_S)`;

function parseArgs(argv: string[]): Options {
  const options: Options = { filters: [], timeoutS: Number(process.env.BENCH_TIMEOUT_S ?? 900), list: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === '--list') {
      options.list = true;
    } else if (arg === '--timeout-s' || arg.startsWith('--timeout-s=')) {
      const value = arg.includes('=') ? arg.split('=')[1] : argv[++i];
      options.timeoutS = Number(value);
    } else if (arg.startsWith('-')) {
      console.error(`unknown option ${arg}\n${USAGE}`);
      process.exit(2);
    } else {
      options.filters.push(arg);
    }
  }
  if (!Number.isFinite(options.timeoutS) || options.timeoutS <= 0) {
    console.error(`--timeout-s must be a positive number\n${USAGE}`);
    process.exit(2);
  }
  return options;
}

export function discoverBenchmarks(dir: string = BENCH_DIR): Array<{ name: string; file: string }> {
  return readdirSync(dir)
    .filter((f) => f.endsWith(SUFFIX))
    .sort()
    .map((f) => ({ name: basename(f, SUFFIX), file: join(dir, f) }));
}

function machineInfo(): BenchMachine {
  const cpuList = cpus();
  return {
    hostname: hostname(),
    platform: process.platform,
    arch: process.arch,
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model.trim() ?? 'unknown',
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    date: new Date().toISOString(),
  };
}

export function formatCell(value: BenchCell): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** A section as an aligned text table: numbers right-aligned, text left-aligned. */
export function formatTable(section: BenchSection): string {
  const columns: string[] = [];
  for (const row of section.rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  const cells = section.rows.map((row) => columns.map((c) => (row[c] === undefined ? '' : formatCell(row[c]!))));
  const numeric = columns.map((c) => section.rows.every((row) => row[c] === undefined || typeof row[c] === 'number'));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) =>
    values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  const out = [`== ${section.title}`];
  if (columns.length > 0) {
    out.push(line(columns), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const row of cells) out.push(line(row));
  } else {
    out.push('(no rows)');
  }
  for (const note of section.notes ?? []) out.push(`  * ${note}`);
  return out.join('\n');
}

function asSections(value: unknown, name: string): BenchSection[] {
  const list = Array.isArray(value) ? value : [value];
  for (const s of list) {
    const ok =
      typeof s === 'object' && s !== null && typeof (s as BenchSection).title === 'string' && Array.isArray((s as BenchSection).rows);
    if (!ok) throw new Error(`${name}: run() must resolve to a BenchSection ({ title, rows, notes? }) or an array of them`);
  }
  return list as BenchSection[];
}

async function withTimeout<T>(promise: Promise<T>, seconds: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${name}: gave up after ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function runOne(bench: { name: string; file: string }, timeoutS: number): Promise<BenchResult> {
  const started = performance.now();
  const file = relative(process.cwd(), bench.file);
  try {
    const mod = (await import(pathToFileURL(bench.file).href)) as { run?: unknown };
    if (typeof mod.run !== 'function') throw new Error(`${file} does not export run()`);
    const value: unknown = await withTimeout(Promise.resolve((mod.run as () => unknown)()), timeoutS, bench.name);
    const sections = asSections(value, bench.name);
    return { name: bench.name, file, status: 'ok', durationMs: performance.now() - started, sections };
  } catch (err) {
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    return { name: bench.name, file, status: 'failed', durationMs: performance.now() - started, sections: [], error };
  }
}

function writeReport(report: BenchReport): string[] {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const stamped = join(RESULTS_DIR, `${report.machine.date.replace(/[:.]/g, '-')}.json`);
  const latest = join(RESULTS_DIR, 'latest.json');
  writeFileSync(stamped, json);
  writeFileSync(latest, json);
  return [latest, stamped];
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const all = discoverBenchmarks();
  if (options.list) {
    for (const b of all) console.log(b.name);
    return;
  }
  const selected =
    options.filters.length === 0 ? all : all.filter((b) => options.filters.some((f) => b.name.includes(f)));
  if (selected.length === 0) {
    console.error(
      `no benchmark matches ${options.filters.join(', ') || '(none found)'}; available: ${all.map((b) => b.name).join(', ') || 'none'}`,
    );
    process.exitCode = 2;
    return;
  }

  const machine = machineInfo();
  console.log(`${machine.cpus}× ${machine.cpuModel}, ${machine.totalMemoryGiB} GiB, Node ${machine.node}, ${machine.date}`);
  const started = performance.now();
  const results: BenchResult[] = [];
  for (const bench of selected) {
    console.log(`\n# ${bench.name} …`);
    const result = await runOne(bench, options.timeoutS);
    results.push(result);
    if (result.status === 'ok') {
      for (const section of result.sections) console.log(`${formatTable(section)}\n`);
      console.log(`(${bench.name}: ${(result.durationMs / 1000).toFixed(1)} s)`);
    } else {
      console.log(`== ${bench.name}: FAILED after ${(result.durationMs / 1000).toFixed(1)} s\n${result.error}`);
    }
  }

  const report: BenchReport = { machine, filters: options.filters, durationMs: performance.now() - started, results };
  const [latest, stamped] = writeReport(report);
  const failed = results.filter((r) => r.status === 'failed');
  console.log(
    `\n${results.length - failed.length}/${results.length} benchmarks ok` +
      (failed.length ? `; failed: ${failed.map((r) => r.name).join(', ')}` : '') +
      `\nwrote ${relative(process.cwd(), latest!)} and ${relative(process.cwd(), stamped!)}`,
  );
  if (failed.length > 0) process.exitCode = 1;
}

// Only when run as the entry point, so the formatting helpers can be imported without side effects.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    // Benchmarks may leave servers or worker pools open; the report is written, so end the process.
    () => process.exit(),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
