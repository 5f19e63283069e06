/**
 * The contract between `npm run bench` (bench/run.ts) and each `bench/<name>.bench.ts`:
 *
 *   export async function run(): Promise<BenchSection>   // or BenchSection[] for several tables
 *
 * Benchmarks are not tests: they measure and report, they do not assert. Report medians and p99 and,
 * where two things are compared, their ratio measured in the same run.
 */
export type BenchCell = string | number;

export interface BenchSection {
  /** Table heading, e.g. "imaging: decode + preprocess latency". */
  title: string;
  /** One object per table row; columns are the union of the keys, in first-seen order. */
  rows: Array<Record<string, BenchCell>>;
  /** Free-text remarks printed under the table: what was measured, on what input, caveats. */
  notes?: string[];
}

export type BenchRun = () => Promise<BenchSection | BenchSection[]>;

export interface BenchMachine {
  hostname: string;
  platform: string;
  arch: string;
  cpus: number;
  cpuModel: string;
  totalMemoryGiB: number;
  node: string;
  date: string;
}

/** One benchmark file's outcome in bench/results/*.json. */
export interface BenchResult {
  name: string;
  file: string;
  status: 'ok' | 'failed';
  durationMs: number;
  sections: BenchSection[];
  error?: string;
}

export interface BenchReport {
  machine: BenchMachine;
  filters: string[];
  durationMs: number;
  results: BenchResult[];
}
