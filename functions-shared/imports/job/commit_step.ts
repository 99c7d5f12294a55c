/**
 * The commit step: the valid rows of a parsed job written to `leads` or
 * `activities` by the set-based SQL functions of the migrations
 * (`passerelle.import_commit_leads` / `import_commit_activities`), one range
 * of `commitRows` row numbers per statement (default 20,000). Each statement
 * writes its range's leads, their history and the counts in one transaction
 * (a leads job's `import_rows` are left as parsed: their outcome follows
 * from status and strategy); a cancel is honoured between ranges.
 *
 * A leads job commits `parallel` ranges at once (default 2), each statement
 * on its own connection, so that PostgreSQL works on as many cores while the
 * function waits. Its ranges are cut on one grid, fixed by the first commit
 * call (`checkpoint.commitSize`), and every committed range is recorded with
 * it (`passerelle.import_commits`, the commit's checkpoint): a later call
 * does the ranges not recorded, and a range is never committed twice. Activities (whose rows
 * can turn invalid at commit) go one range after the other.
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
  /** Row numbers per statement; default 20,000 (a job keeps the size of its first commit call). */
  commitRows?: number;
  /** Ranges of a leads job committed at once; default 2. */
  parallel?: number;
  /** Test hook: runs after each range committed (throw to simulate a crash there). */
  afterRange?: (nextRow: number) => void | Promise<void>;
  now?: () => number;
  /** Bench hook: names each moment of the commit's end as it passes. */
  trace?: (what: string) => void;
}

/** What one commit call did. */
export interface CommitOutcome {
  rows: number;
  /** The job is completed or cancelled. */
  finished: boolean;
}

type RangeResult = { inserted: number; updated: number; skipped: number };

/**
 * CPU kept for the end of a commit (its error report, written once, when the
 * last range has landed): a call that committed ranges and has less left
 * leaves the end to the next call, which finds no range left. (`deno task
 * bench imports`: the call that committed a million-row job's last ranges
 * and wrote its report of 11,658 duplicates took 1.7 s of CPU.)
 */
const END_COMMIT_CPU_MS = 500;

/** Advances the commit of `job` within `budget`; completes it after its last range. */
export async function commitStep(d: CommitDeps, job: ImportJob, budget: Budget): Promise<CommitOutcome> {
  const parse = job.payload!.parse!;
  const first = parse.dataRow;
  const last = parse.lastRow ?? 0;
  const leads = job.kind === "leads";
  const now = d.now ?? (() => performance.now());
  const t0 = now();
  const size = job.checkpoint.commitSize ?? d.commitRows ?? 20_000;
  if (job.checkpoint.commitSize === undefined) {
    await d.sql`update public.import_jobs set checkpoint = checkpoint || ${d.sql.json({ commitSize: size })}
                 where id = ${job.id}`;
  }
  const start = job.checkpoint.commitRow ?? first;
  const done = new Set<number>();
  if (leads) {
    const recorded = await d.sql<{ from_row: number }[]>`
      select from_row from passerelle.import_commits where job_id = ${job.id} and from_row >= ${start}`;
    for (const r of recorded) done.add(r.from_row);
  }
  const todo: [number, number][] = [];
  for (let from = start; from <= last; from += size) {
    if (!done.has(from)) todo.push([from, Math.min(last, from + size - 1)]);
  }
  let doneRows = start - first + [...done].reduce((n, from) => n + Math.min(size, last - from + 1), 0);
  const fn = leads ? "import_commit_leads" : "import_commit_activities";
  let rows = 0;
  let ranges = 0;
  let cancel = false;

  /** Commits one range, then says how far the job is and whether it was cancelled meanwhile. */
  const commit = async ([from, to]: [number, number]) => {
    const [{ r }] = await d.sql<{ r: RangeResult }[]>`
      select passerelle.${d.sql(fn)}(${job.id}, ${from}, ${to}) as r`;
    rows += r.inserted + r.updated + r.skipped;
    ranges++;
    doneRows += to - from + 1;
    const total = Math.max(1, last - first + 1);
    const rate = rows / Math.max(0.001, (now() - t0) / 1000);
    const [j] = await d.sql<{ cancel_requested: boolean }[]>`
      update public.import_jobs set
             progress = ${Math.min(99.99, 50 + (50 * doneRows) / total)},
             rows_per_s = ${Math.round(rate)}, eta_s = ${Math.round((total - doneRows) / Math.max(1, rate))}
       where id = ${job.id} returning cancel_requested`;
    await d.afterRange?.(to + 1);
    if (j?.cancel_requested) cancel = true;
  };

  // Up to `parallel` ranges in flight. The first range of a call always
  // starts; no other once the job is cancelled, a range failed, or the
  // budget is short.
  let started = 0;
  let failed = false;
  const more = () =>
    todo.length > 0 && !cancel && !failed && (started++ === 0 || budget.allows({ wallMs: 5_000, cpuMs: 50 }));
  const lane = async () => {
    try {
      while (more()) await commit(todo.shift()!);
    } catch (e) {
      failed = true;
      throw e;
    }
  };
  const width = leads ? Math.max(1, d.parallel ?? 2) : 1;
  const settled = await Promise.allSettled(Array.from({ length: width }, lane));
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure) throw failure.reason;
  if (cancel) {
    await cancelJob(d.sql, job);
    return { rows, finished: true };
  }
  if (todo.length) return { rows, finished: false };
  if (ranges > 0 && !budget.allows({ wallMs: 5_000, cpuMs: END_COMMIT_CPU_MS })) {
    return { rows, finished: false };
  }
  let again: boolean;
  if (leads) {
    // Written again at the end: the commit may have found duplicates the parse could not (leads
    // created since), and the report says what became of each duplicate.
    const [j] = await d.sql<{ n: number }[]>`
      select invalid_rows + warned_rows + duplicate_rows as n from public.import_jobs where id = ${job.id}`;
    again = (j?.n ?? 0) > 0;
  } else {
    const [unlinked] = await d.sql<{ n: number }[]>`
      select count(*)::int as n from public.import_rows
       where job_id = ${job.id} and status = 'invalid' and errors -> 0 -> 'params' ->> 'reason' in ('not_found', 'ambiguous')`;
    again = unlinked.n > 0;
  }
  const report = again ? await writeErrorReport(d, job, parse.headers) : job.error_report_path;
  if (again) d.trace?.("error report written");
  await d.sql`
    update public.import_jobs set status = 'completed', step = 'done', progress = 100, eta_s = 0,
           checkpoint = checkpoint || ${d.sql.json({ commitRow: last + 1 })},
           error_report_path = ${report}, leased_until = null, finished_at = now(), updated_at = now()
     where id = ${job.id} and status = 'committing'`;
  return { rows, finished: true };
}
