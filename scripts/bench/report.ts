/**
 * One figure of a benchmark: measured beside a baseline run in the same
 * process (timings on a shared machine compare as ratios), with the target
 * the issue sets. `deno task bench --json` prints one such object a line.
 */
export interface BenchRow {
  bench: string;
  figure: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  target?: string;
}

export type Report = (row: BenchRow) => void;

export interface BenchOptions {
  /** Smaller inputs, for a quick look (and the test that runs every bench once). */
  quick?: boolean;
  /**
   * A real Odoo to measure the sync and the archive against (`--odoo-url`, `--odoo-db`, `--odoo-login`,
   * `--odoo-password` or `--odoo-api-key`, `--odoo-transport jsonrpc|json2`), instead of the simulator;
   * it is only read.
   */
  odoo?: { url: string; db: string; login: string; secret: string; transport?: "jsonrpc" | "json2" };
  /** The migration bench's scale: `small` (default) or `full`. */
  scale?: string;
  /** The size of the main input, where a bench has one (`--rows N`: the imports' file; `--rows 200000,1000000`: each). */
  rows?: number[];
  /** The main figures only (`--lean`: the imports bench skips the floor's per-index ablation and the XLSX). */
  lean?: boolean;
}

export type Bench = (report: Report, opts: BenchOptions) => Promise<void>;

/** Rounds for display: 3 significant digits. */
export function round(n: number): number {
  if (!Number.isFinite(n) || n === 0) return n;
  const d = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(n))));
  return Number(n.toFixed(Math.min(d, 6)));
}

/** Formats rows as an aligned table for people. */
export function table(rows: BenchRow[]): string {
  const header = ["bench", "figure", "value", "unit", "baseline", "ratio", "target"];
  const cells = rows.map((r) => [
    r.bench,
    r.figure,
    String(round(r.value)),
    r.unit,
    r.baseline === undefined ? "" : String(round(r.baseline)),
    r.ratio === undefined ? "" : `${round(r.ratio)}x`,
    r.target ?? "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c.map((x, i) => (i >= 2 && i <= 5 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...cells.map(line)].join("\n");
}

/** What each call of a function cost, as the function answered it. */
export interface CallCost {
  cpuMs: number;
  peakMemoryMb: number;
  /** Peak resident size of the process during the call, in MB, when the call reports it. */
  peakRssMb?: number;
  /** Wall time of the call, in s (as answered). */
  elapsedS?: number;
  /** What the call did (a job's parse or commit, the archive), for the costliest call of each step. */
  step?: string;
  /** When the driver sent it and had its answer, in ms from the drive's start (see `driveChain`). */
  startMs?: number;
  endMs?: number;
  /** What fired it: `chain` (a continuation pg_net delivers), `cron`, `start`. */
  trigger?: string;
}

/** A call's budget: what the bench's calls were given. */
export interface CallBudget {
  wallMs: number;
  cpuMs: number;
}

/**
 * The costliest call of each step, wall and CPU, beside the budget (issue
 * #12: every call within it), and the calls a job cost beside the bound
 * ceil(its work / one call's budget) + 2, its work being the wall and CPU
 * time its calls spent, in budgets.
 */
export function reportStepCosts(report: Report, bench: string, calls: CallCost[], budget: CallBudget): void {
  const steps = [...new Set(calls.map((c) => c.step ?? "call"))];
  for (const step of steps) {
    const these = calls.filter((c) => (c.step ?? "call") === step);
    const wall = Math.max(...these.map((c) => (c.elapsedS ?? 0) * 1000));
    const cpu = Math.max(...these.map((c) => c.cpuMs));
    report({
      bench,
      figure: `costliest call, ${step}: wall (${these.length} calls)`,
      value: wall,
      unit: "ms",
      baseline: budget.wallMs,
      ratio: wall / budget.wallMs,
      target: `<= ${budget.wallMs} (budget)`,
    });
    report({
      bench,
      figure: `costliest call, ${step}: CPU`,
      value: cpu,
      unit: "ms",
      baseline: budget.cpuMs,
      ratio: cpu / budget.cpuMs,
      target: `<= ${budget.cpuMs} (budget)`,
    });
  }
}

/** Calls a job cost beside the bound ceil(work / one call's budget) + 2. */
export function reportCallsPerJob(
  report: Report,
  bench: string,
  what: string,
  calls: CallCost[],
  budget: CallBudget,
): void {
  const wallS = calls.reduce((n, c) => n + (c.elapsedS ?? 0), 0);
  const cpuMs = calls.reduce((n, c) => n + c.cpuMs, 0);
  const bound = Math.ceil(Math.max(wallS * 1000 / budget.wallMs, cpuMs / budget.cpuMs)) + 2;
  report({
    bench,
    figure: `calls per job, ${what} (chained as pg_net delivers them)`,
    value: calls.length,
    unit: "calls",
    baseline: bound,
    ratio: calls.length / bound,
    target: `<= ${bound} = ceil(work / budget) + 2`,
  });
}

/** Reports the costliest call's CPU time and memory against Supabase's per-call limits. */
export function reportCallCosts(report: Report, bench: string, calls: CallCost[]): void {
  report({
    bench,
    figure: `max CPU time per call (${calls.length} calls)`,
    value: Math.max(...calls.map((c) => c.cpuMs)),
    unit: "ms",
    target: "< 1500",
  });
  report({
    bench,
    figure: "max peak memory per call (V8 heap + external)",
    value: Math.max(...calls.map((c) => c.peakMemoryMb)),
    unit: "MB",
    target: "< 256",
  });
}
