/**
 * One budgeted call's work on imports of one kind: claim a job with work to
 * do (`passerelle.claim_import_job`: FOR UPDATE SKIP LOCKED and a lease),
 * advance it (sniff, parse, commit) until the budget is spent, let go of it,
 * and take another while budget remains. The `serveBatch` step of both
 * import functions, fired by cron, by the chain, and in-process right after
 * a start.
 */
import type { Sql } from "../../deps.ts";
import type { Budget } from "../../engine/budget.ts";
import type { Step } from "../../engine/serve_batch.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import { commitStep } from "./commit_step.ts";
import { type EmailDeps, notifyJobEnd } from "./import_email.ts";
import type { Checkpoint, ImportJob, JobKind } from "./import_job.ts";
import { cancelJob, releaseJob } from "./job_outcome.ts";
import { advanceUndos } from "./manage_import.ts";
import { parseStep } from "./parse_step.ts";

/** What advancing imports needs. */
export interface AdvanceDeps {
  sql: Sql;
  store: ObjectStore;
  kind: JobKind;
  /** Lease of a claimed job, in seconds; default 120 (past a call's longest life). */
  leaseS?: number;
  flushRows?: number;
  commitRows?: number;
  /** Ranges of a leads job committed at once (see `commitStep`). */
  parallel?: number;
  /** Leads per undo range (see `undoImport`). */
  undoRangeLeads?: number;
  /** XLSX shared strings per transaction while staging them (see `parseStep`). */
  flushStrings?: number;
  /** The time claims compare leases with (tests move it past a dead call's lease). */
  clock?: () => Date;
  email?: Omit<EmailDeps, "sql">;
  /** Test hooks that simulate a crash (see `parseStep`, `commitStep`). */
  afterFlush?: (c: Checkpoint) => void | Promise<void>;
  afterRange?: (nextRow: number) => void | Promise<void>;
  /** Bench hook: names each moment of a job's end as it passes (`deno task bench imports`' timeline). */
  trace?: (what: string) => void;
  /** Called at checkpoints so that peak memory is seen. */
  sampleMemory?: () => void;
  /** Days the rows of an ended job are kept whole (`IMPORT_ROWS_KEEP_DAYS`); default 30. */
  keepRowsDays?: number;
  /** Rows a call's purge removes at most (`passerelle.purge_imports`); default 50,000. */
  purgeRows?: number;
}

/** What a call did. */
export interface AdvanceOutcome {
  rows: number;
  jobs: string[];
}

/** Advances jobs of `d.kind` (or only `jobId`) until `budget` is spent or none is left. */
export async function advanceImports(
  d: AdvanceDeps,
  budget: Budget,
  jobId?: string,
): Promise<AdvanceOutcome> {
  let rows = 0;
  const jobs: string[] = [];
  // The first job is always taken: a call always moves on by at least one flush or one commit range.
  // Another is taken only while the call has room for the costliest step it ran so far: a parse that
  // ended near the budget hands the commit's first range to the next call (taken at once, it took the
  // call to 1.63–1.81 s of CPU, past the 1.5 s a call keeps).
  let costliestCpuMs = 150;
  for (let first = true; first || budget.allows({ wallMs: 2_000, cpuMs: costliestCpuMs }); first = false) {
    const cpuBefore = budget.cpuMs();
    const at = d.clock?.() ?? null;
    const [job] = await d.sql<ImportJob[]>`
      select * from passerelle.claim_import_job(${d.kind}, ${`${d.leaseS ?? 120} seconds`}::interval,
                                                ${jobId ?? null}::uuid, ${at}::timestamptz)`;
    if (!job) break;
    jobs.push(job.id);
    if (job.cancel_requested) {
      await cancelJob(d.sql, job);
    } else if (job.status === "queued" || job.status === "parsing") {
      const r = await parseStep(
        { ...d, afterFlush: (c) => (d.sampleMemory?.(), d.afterFlush?.(c)) },
        job,
        budget,
      );
      rows += r.rows;
    } else if (job.status === "committing") {
      const r = await commitStep(
        { ...d, afterRange: (n) => (d.sampleMemory?.(), d.afterRange?.(n)) },
        job,
        budget,
      );
      rows += r.rows;
    }
    await releaseJob(d.sql, job.id);
    if (await notifyJobEnd({ sql: d.sql, ...d.email }, job.id)) d.trace?.("email sent or skipped");
    costliestCpuMs = Math.max(costliestCpuMs, budget.cpuMs() - cpuBefore);
  }
  // Undos a user call left unfinished (each range bounded, see `undoImport`).
  if (!jobId) jobs.push(...await advanceUndos(d, () => budget.allows({ wallMs: 5_000, cpuMs: 50 })));
  // Retention: the rows of jobs ended long enough ago compacted, a bounded share per call.
  if (!jobId && budget.allows({ wallMs: 5_000, cpuMs: 50 })) {
    await d.sql`select passerelle.purge_imports(${d.keepRowsDays ?? 30} * interval '1 day',
                                                ${d.purgeRows ?? 50_000}::int)`;
  }
  return { rows, jobs };
}

/** Jobs of `kind` with work left (an undo under way included). */
export async function activeJobs(sql: Sql, kind: JobKind): Promise<number> {
  const [{ n }] = await sql<{ n: number }[]>`
    select count(*)::int as n from public.import_jobs
     where kind = ${kind} and (status in ('queued', 'parsing', 'committing')
                               or (undone_at is null and payload -> 'undo' ->> 'state' = 'running'))`;
  return n;
}

/**
 * The `serveBatch` step: advance imports within the call's budget; more while
 * jobs remain. A call that claimed no job (all leased by other calls, or none
 * open) did nothing and says so: it does not chain, the lease holder's chain
 * or cron goes on (issue #12: 1,935 idle calls of 1,956). The first batch of a
 * job just started (`trigger: "start"`, `{jobId}`) advances that job only.
 */
export function importStep(d: Omit<AdvanceDeps, "sql" | "sampleMemory">): Step {
  return async (ctx) => {
    const jobId = ctx.trigger === "start" && typeof ctx.body.jobId === "string" ? ctx.body.jobId : undefined;
    const out = await advanceImports(
      { ...d, sql: ctx.sql, sampleMemory: ctx.sampleMemory },
      ctx.budget,
      jobId,
    );
    const remaining = await activeJobs(ctx.sql, d.kind);
    const worked = out.jobs.length > 0;
    return {
      migrated: out.rows,
      failed: 0,
      remaining,
      more: worked && remaining > 0,
      worked,
      errors: [],
      details: { jobs: out.jobs },
    };
  };
}
