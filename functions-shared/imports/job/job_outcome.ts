/**
 * How a job ends (failed, cancelled, completed) and how a call lets go of it:
 * each a single update of the job row, guarded by its status so that a late
 * call never overwrites what a user or another call decided.
 */
import type { Sql } from "../../deps.ts";
import { type Issue, type Locale, message } from "../messages.ts";
import type { ImportJob } from "./import_job.ts";

/**
 * The `payload` of a job that ends failed or cancelled: a job committed when
 * parsed (`auto_commit`) that committed some rows gets its undo started
 * (`payload.undo` as `passerelle.undo_import_range` begins it, `auto`), which
 * the next calls run: nothing partial of such a job stays. A job under review
 * keeps what its commit did, and says so.
 */
export const UNDO_IF_PARTIAL = `case when auto_commit and committed_rows > 0 and payload -> 'undo' is null
  then coalesce(payload, '{}'::jsonb) || jsonb_build_object('undo', jsonb_build_object(
    'state', 'running', 'cursor', 0, 'deleted', 0, 'restored', 0, 'activitiesDeleted', 0,
    'refused', '[]'::jsonb, 'refusedCount', 0, 'startedAt', now(), 'auto', true))
  else payload end`;

/**
 * Fails an active job with a message in its locale; `details` is kept as
 * data. A job committed when parsed has what it committed undone.
 */
export async function failJob(sql: Sql, job: ImportJob, text: string, details: unknown): Promise<void> {
  await sql`
    update public.import_jobs set status = 'failed', error_message = ${text},
           error_details = ${sql.json(details as never)}, payload = ${
    sql.unsafe(UNDO_IF_PARTIAL)
  }, leased_until = null, finished_at = now(), updated_at = now()
     where id = ${job.id} and status in ('queued', 'parsing', 'ready', 'committing')`;
}

/** The message of a file-level issue, or of the first row issue when no row is valid. */
export function issueText(issue: Issue, locale: Locale): string {
  const text = message(issue, locale);
  if (issue.row === undefined) return text;
  return locale === "en" ? `Row ${issue.row}: ${text}` : `Ligne ${issue.row} : ${text}`;
}

/** What a cancelled job says: where it stopped, and that committed rows are kept (or, `undone`, removed). */
export function cancelText(committed: number, locale: Locale, undone = false): string {
  if (undone) {
    return locale === "en"
      ? `Import cancelled: the ${committed} row(s) already committed are being removed`
      : `Import annulé : les ${committed} ligne(s) déjà enregistrée(s) sont retirée(s)`;
  }
  return locale === "en"
    ? `Import cancelled: ${committed} row(s) already committed are kept (undo the import, action "undo", to remove them)`
    : `Import annulé : ${committed} ligne(s) déjà enregistrée(s) sont conservée(s) (défaites l'import, action « undo », pour les retirer)`;
}

/** Cancels a job whose cancel was asked for; returns its committed count. */
export async function cancelJob(sql: Sql, job: ImportJob): Promise<void> {
  const [j] = await sql<{ committed_rows: number; auto_commit: boolean }[]>`
    select committed_rows, auto_commit from public.import_jobs where id = ${job.id}`;
  const undone = (j?.auto_commit ?? false) && (j?.committed_rows ?? 0) > 0;
  await sql`
    update public.import_jobs set status = 'cancelled', leased_until = null, finished_at = now(), updated_at = now(),
           error_message = ${cancelText(j?.committed_rows ?? 0, job.options.locale ?? "fr", undone)},
           payload = ${sql.unsafe(UNDO_IF_PARTIAL)}
     where id = ${job.id} and status in ('queued', 'parsing', 'ready', 'committing')`;
}

/** Ends this call's lease on a job it advanced (another call may take it at once). */
export async function releaseJob(sql: Sql, jobId: string): Promise<void> {
  await sql`update public.import_jobs set leased_until = null where id = ${jobId}`;
}
