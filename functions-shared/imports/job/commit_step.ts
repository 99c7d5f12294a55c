/**
 * The commit step: the valid rows of a parsed job written to `leads` or
 * `activities` by the set-based SQL functions of the migration
 * (`passerelle.import_commit_leads` / `import_commit_activities`), one range
 * of `commitRows` row numbers per statement (default 20,000). Each statement
 * writes the range's leads, their history, the counts and the checkpoint in
 * one transaction (a leads job's `import_rows` are left as parsed: their
 * outcome follows from status and strategy); a cancel is honoured between
 * ranges.
 */
import type { Sql } from "../../deps.ts";
import type { Budget } from "../../engine/budget.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import type { ImportJob } from "./import_job.ts";
import { cancelJob } from "./job_outcome.ts";
import { writeErrorReport } from "./parse_step.ts";

/** What the commit step needs. */
export interface CommitDeps {
  sql: Sql;
  store: ObjectStore;
  /** Row numbers per statement; default 20,000. */
  commitRows?: number;
  /** Test hook: runs after each range committed (throw to simulate a crash there). */
  afterRange?: (nextRow: number) => void | Promise<void>;
  now?: () => number;
}

/** What one commit call did. */
export interface CommitOutcome {
  rows: number;
  /** The job is completed or cancelled. */
  finished: boolean;
}

/** Advances the commit of `job` within `budget`; completes it after its last range. */
export async function commitStep(d: CommitDeps, job: ImportJob, budget: Budget): Promise<CommitOutcome> {
  const parse = job.payload!.parse!;
  const first = parse.dataRow;
  const last = parse.lastRow ?? 0;
  const size = d.commitRows ?? 20_000;
  const now = d.now ?? (() => performance.now());
  const t0 = now();
  let from = job.checkpoint.commitRow ?? first;
  let rows = 0;
  const fn = job.kind === "leads" ? "import_commit_leads" : "import_commit_activities";
  while (from <= last) {
    const to = Math.min(last, from + size - 1);
    const [{ r }] = await d.sql<{ r: { inserted: number; updated: number; skipped: number } }[]>`
      select passerelle.${d.sql(fn)}(${job.id}, ${from}, ${to}) as r`;
    rows += r.inserted + r.updated + r.skipped;
    from = to + 1;
    const rate = (to - (job.checkpoint.commitRow ?? first) + 1) / Math.max(0.001, (now() - t0) / 1000);
    const [j] = await d.sql<{ cancel_requested: boolean }[]>`
      update public.import_jobs set
             progress = ${Math.min(99.99, 50 + (50 * (to - first + 1)) / Math.max(1, last - first + 1))},
             rows_per_s = ${Math.round(rate)}, eta_s = ${Math.round((last - to) / Math.max(1, rate))}
       where id = ${job.id} returning cancel_requested`;
    await d.afterRange?.(from);
    if (j?.cancel_requested) {
      await cancelJob(d.sql, job);
      return { rows, finished: true };
    }
    if (from <= last && !budget.allows({ wallMs: 5_000, cpuMs: 50 })) return { rows, finished: false };
  }
  const [unlinked] = await d.sql<{ n: number }[]>`
    select count(*)::int as n from public.import_rows
     where job_id = ${job.id} and status = 'invalid' and errors -> 0 -> 'params' ->> 'reason' = 'not_found'`;
  const report = unlinked.n > 0 ? await writeErrorReport(d, job, parse.headers) : job.error_report_path;
  await d.sql`
    update public.import_jobs set status = 'completed', step = 'done', progress = 100, eta_s = 0,
           error_report_path = ${report}, leased_until = null, finished_at = now(), updated_at = now()
     where id = ${job.id} and status = 'committing'`;
  return { rows, finished: true };
}
