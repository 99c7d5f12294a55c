/**
 * What a user does with a job once started: read its status, cancel it,
 * retry it from its checkpoint, commit it after review, undo it, delete it.
 * A user acts on their own jobs while a member of the job's company, an
 * admin of the company on all its jobs; any other job answers `not_found`,
 * as if it did not exist, so ids cannot be probed (the same rule as RLS).
 */
import type { Sql } from "../../deps.ts";
import { apiError } from "./api_error.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import type { ImportJob, JobKind } from "./import_job.ts";
import { cancelText, UNDO_IF_PARTIAL } from "./job_outcome.ts";

/** Who acts. */
export type Actor = { kind: "service" } | { kind: "user"; userId: string };

/** What managing needs. */
export interface ManageDeps {
  sql: Sql;
  store: ObjectStore;
  kind: JobKind;
  /** Lifetime of the error report's signed URL; default 1 hour. */
  reportUrlS?: number;
  /** Wall time an undo call spends on ranges before it answers (the rest goes on later); default 40 s. */
  undoWallMs?: number;
  /** Leads per undo range (one statement, one transaction); default 5,000. */
  undoRangeLeads?: number;
  /** Monotonic clock in ms; default `performance.now`. */
  now?: () => number;
  /** Test hook: after each undo range, with its wall time in ms. */
  afterUndoRange?: (report: UndoReport, ms: number) => void | Promise<void>;
}

/** What an undo did so far (`payload.undo`), the same for every caller. */
export interface UndoReport {
  deleted: number;
  restored: number;
  activitiesDeleted: number;
  /** Leads kept because they were edited since (the first 1,000), with the file row that wrote them. */
  refused: { leadId: number; row: number | null }[];
  refusedCount: number;
  /** Every lead of the job was weighed. */
  done: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The job, if `who` may see it; otherwise `not_found`. */
export async function visibleJob(d: ManageDeps, who: Actor, jobId: unknown): Promise<ImportJob> {
  const missing = () => apiError("not_found", "job_not_found", { jobId: String(jobId).slice(0, 40) });
  if (typeof jobId !== "string" || !UUID.test(jobId)) throw missing();
  const [job] = await d.sql<ImportJob[]>`
    select * from public.import_jobs j where j.id = ${jobId} and j.kind = ${d.kind}
       and (${who.kind === "service"}
            or public.company_role(${who.kind === "user" ? who.userId : null}::uuid, j.company_id) = 'admin'
            or (j.owner = ${who.kind === "user" ? who.userId : null}::uuid
                and public.company_role(j.owner, j.company_id) is not null))`;
  if (!job) throw missing();
  return job;
}

/** The job as its status answer shows it, with a signed URL of its error report. */
export async function jobStatus(d: ManageDeps, who: Actor, jobId: unknown): Promise<Record<string, unknown>> {
  const job = await visibleJob(d, who, jobId) as ImportJob & Record<string, unknown>;
  const reportUrl = job.error_report_path
    ? await d.store.signedUrl(job.error_report_path, d.reportUrlS ?? 3600, {
      download: "rapport-erreurs.csv",
    })
    : null;
  return {
    jobId: job.id,
    kind: job.kind,
    fileName: job.file_name,
    status: job.status,
    step: job.step,
    progress: Number(job.progress),
    rowsPerS: job.rows_per_s === null ? null : Number(job.rows_per_s),
    etaS: job.eta_s === null ? null : Number(job.eta_s),
    counts: {
      total: job.total_rows,
      processed: job.processed_rows,
      valid: job.valid_rows,
      invalid: job.invalid_rows,
      warned: job.warned_rows ?? 0,
      duplicate: job.duplicate_rows,
      committed: job.committed_rows,
      inserted: job.inserted_rows,
      updated: job.updated_rows,
      skipped: job.skipped_rows,
    },
    checkpoint: job.checkpoint,
    errorMessage: job.error_message,
    errorDetails: job.error_details,
    errorReportUrl: reportUrl,
    cancelRequested: job.cancel_requested,
    undoneAt: job.undone_at,
    columns: job.payload?.columns ?? null,
    email: job.payload?.email ?? null,
    undo: job.payload?.undo ?? null,
  };
}

/**
 * Asks a job to stop. A job no call is advancing stops now; one being
 * advanced stops at its next checkpoint (the call sees `cancel_requested`).
 * Rows already committed are kept, and the job's message says how many;
 * those of a job committed when parsed are undone (`UNDO_IF_PARTIAL`).
 */
export async function cancelImport(
  d: ManageDeps,
  who: Actor,
  jobId: unknown,
): Promise<Record<string, unknown>> {
  const job = await visibleJob(d, who, jobId);
  if (!["queued", "parsing", "ready", "committing"].includes(job.status)) {
    throw apiError("conflict", "job_not_active", { jobId: job.id, status: job.status }, job.options.locale);
  }
  const [j] = await d.sql<{ status: string; committed_rows: number }[]>`
    update public.import_jobs set cancel_requested = true,
           status = case when status = 'ready' or leased_until is null or leased_until < now()
                         then 'cancelled' else status end,
           finished_at = case when status = 'ready' or leased_until is null or leased_until < now()
                              then now() else finished_at end,
           error_message = case when status = 'ready' or leased_until is null or leased_until < now()
                                then ${
    cancelText(job.committed_rows, job.options.locale ?? "fr", job.auto_commit && job.committed_rows > 0)
  }
                                else error_message end,
           payload = case when status = 'ready' or leased_until is null or leased_until < now()
                          then ${d.sql.unsafe(UNDO_IF_PARTIAL)} else payload end,
           updated_at = now()
     where id = ${job.id} returning status, committed_rows`;
  return { jobId: job.id, status: j.status, cancelRequested: true, committedRows: j.committed_rows };
}

/** Takes a failed or cancelled job up again from its checkpoint. */
export async function retryImport(
  d: ManageDeps,
  who: Actor,
  jobId: unknown,
): Promise<Record<string, unknown>> {
  const job = await visibleJob(d, who, jobId) as ImportJob & { undone_at: Date | null };
  if (job.undone_at || job.payload?.undo) {
    throw apiError("conflict", "job_undone_retry", { jobId: job.id }, job.options.locale);
  }
  if (job.status !== "failed" && job.status !== "cancelled") {
    throw apiError(
      "conflict",
      "job_not_retryable",
      { jobId: job.id, status: job.status },
      job.options.locale,
    );
  }
  const [j] = await d.sql<{ status: string }[]>`
    update public.import_jobs set
           status = case step when 'commit' then 'committing' when 'parse' then 'parsing'
                              when 'review' then 'ready' else 'queued' end,
           cancel_requested = false, error_message = null, error_details = null, attempts = 0,
           leased_until = null, finished_at = null, updated_at = now(),
           payload = coalesce(payload, '{}'::jsonb) - 'email'
     where id = ${job.id} returning status`;
  return { jobId: job.id, status: j.status };
}

/** Commits a job parsed without `autoCommit`, after the user reviewed it. */
export async function commitImport(
  d: ManageDeps,
  who: Actor,
  jobId: unknown,
): Promise<Record<string, unknown>> {
  const job = await visibleJob(d, who, jobId);
  if (job.status !== "ready") {
    throw apiError("conflict", "job_not_ready", { jobId: job.id, status: job.status }, job.options.locale);
  }
  await d.sql`update public.import_jobs set status = 'committing', step = 'commit', updated_at = now()
               where id = ${job.id} and status = 'ready'`;
  return { jobId: job.id, status: "committing" };
}

/** Jobs whose leads may be taken back: whatever committed, and stopped. */
const UNDOABLE = ["completed", "cancelled", "failed"];

/** Runs ranges of the job's undo until it is done or `allows()` says no; the report as it stands. */
export async function runUndo(
  d: Pick<ManageDeps, "sql" | "undoRangeLeads" | "now" | "afterUndoRange">,
  jobId: string,
  allows: () => boolean,
): Promise<UndoReport> {
  const now = d.now ?? (() => performance.now());
  for (;;) {
    const t0 = now();
    const [{ r }] = await d.sql<{ r: UndoReport }[]>`
      select passerelle.undo_import_range(${jobId}, ${d.undoRangeLeads ?? 5_000}) as r`;
    await d.afterUndoRange?.(r, now() - t0);
    if (r.done || !allows()) return r;
  }
}

/**
 * Undoes an import that committed something, completed, cancelled or failed
 * (`passerelle.undo_import_range`, range after range, each in its own
 * transaction, for up to `undoWallMs`): leads it created removed, leads it
 * updated restored, activities it created removed; leads edited since are
 * kept and listed in `refused` (lead id and file row). An undo not done within
 * the call goes on in the function's next calls (`advanceUndos`), or when
 * undo is asked again. Concurrent undos share the work and every one of them
 * answers the job's one report; an undo asked again after the end answers it too.
 */
export async function undoImport(
  d: ManageDeps,
  who: Actor,
  jobId: unknown,
): Promise<Record<string, unknown>> {
  const job = await visibleJob(d, who, jobId) as ImportJob & { undone_at: Date | null };
  if (!job.undone_at && !UNDOABLE.includes(job.status)) {
    throw apiError(
      "conflict",
      job.status === "ready" ? "job_undo_ready" : "job_undo_running",
      { jobId: job.id, status: job.status },
      job.options.locale,
    );
  }
  const now = d.now ?? (() => performance.now());
  const t0 = now();
  const wall = d.undoWallMs ?? 40_000;
  const r = await runUndo(d, job.id, () => now() - t0 < wall);
  return { jobId: job.id, status: r.done ? "undone" : "undoing", ...r };
}

/**
 * Goes on with the undos of `kind` that a call left unfinished, while
 * `allows()`; deletes the jobs whose delete waited for their undo
 * (`{"action": "delete", "undo": true}`). Returns the jobs it advanced.
 */
export async function advanceUndos(
  d: Pick<ManageDeps, "sql" | "store" | "kind" | "undoRangeLeads">,
  allows: () => boolean,
): Promise<string[]> {
  const done: string[] = [];
  while (allows()) {
    const [job] = await d.sql<ImportJob[]>`
      select * from public.import_jobs
       where kind = ${d.kind} and undone_at is null and payload -> 'undo' ->> 'state' = 'running'
       order by updated_at limit 1`;
    if (!job) break;
    const r = await runUndo(d, job.id, allows);
    done.push(job.id);
    if (r.done && (job.payload as { deleteAfterUndo?: boolean })?.deleteAfterUndo) await removeJob(d, job);
    if (!r.done) break;
  }
  return done;
}

/** Deletes the job row (its rows by cascade) and its stored files. */
async function removeJob(d: Pick<ManageDeps, "sql" | "store">, job: ImportJob): Promise<string[]> {
  const [{ shared }] = await d.sql<{ shared: boolean }[]>`
    select exists (select 1 from public.import_jobs where file_path = ${job.file_path} and id <> ${job.id}) as shared`;
  await d.sql`delete from public.import_jobs where id = ${job.id}`;
  const keys = [
    ...(shared ? [] : [job.file_path]),
    ...(job.error_report_path ? [job.error_report_path] : []),
  ];
  await d.store.remove(keys);
  return keys;
}

/**
 * Deletes a job that no call is advancing: its rows (by cascade) and its
 * stored files (the upload unless another job uses the same file, and the
 * error report). A job whose committed rows are still there is refused:
 * deleting it would leave leads nothing can take back. `{ undo: true }`
 * undoes it first (the delete then happens when the undo ends, in this call
 * or a later one).
 */
export async function deleteImport(
  d: ManageDeps,
  who: Actor,
  jobId: unknown,
  opts: { undo?: boolean } = {},
): Promise<Record<string, unknown>> {
  const job = await visibleJob(d, who, jobId) as ImportJob & { undone_at: Date | null };
  if (job.status === "parsing" || job.status === "committing" || job.status === "queued") {
    throw apiError("conflict", "job_running", { jobId: job.id, status: job.status }, job.options.locale);
  }
  if (!job.undone_at && job.committed_rows > 0) {
    if (!opts.undo) {
      throw apiError(
        "conflict",
        "job_has_leads",
        { jobId: job.id, rows: job.committed_rows },
        job.options.locale,
      );
    }
    await d.sql`update public.import_jobs
                   set payload = coalesce(payload, '{}'::jsonb) || '{"deleteAfterUndo": true}'::jsonb
                 where id = ${job.id}`;
    const undo = await undoImport(d, who, job.id);
    if (undo.status !== "undone") return { jobId: job.id, deleted: false, undo };
    return { jobId: job.id, deleted: true, undo, removedFiles: await removeJob(d, job) };
  }
  return { jobId: job.id, deleted: true, removedFiles: await removeJob(d, job) };
}
