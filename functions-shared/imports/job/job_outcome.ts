/**
 * How a job ends (failed, cancelled, completed) and how a call lets go of it:
 * each a single update of the job row, guarded by its status so that a late
 * call never overwrites what a user or another call decided.
 */
import type { Sql } from "../../deps.ts";
import { type Issue, type Locale, message } from "../messages.ts";
import type { ImportJob } from "./import_job.ts";

/** Fails an active job with a message in its locale; `details` is kept as data. */
export async function failJob(sql: Sql, job: ImportJob, text: string, details: unknown): Promise<void> {
  await sql`
    update public.import_jobs set status = 'failed', error_message = ${text},
           error_details = ${
    sql.json(details as never)
  }, leased_until = null, finished_at = now(), updated_at = now()
     where id = ${job.id} and status in ('queued', 'parsing', 'ready', 'committing')`;
}

/** The message of a file-level issue, or of the first row issue when no row is valid. */
export function issueText(issue: Issue, locale: Locale): string {
  const text = message(issue, locale);
  if (issue.row === undefined) return text;
  return locale === "en" ? `Row ${issue.row}: ${text}` : `Ligne ${issue.row} : ${text}`;
}

/** What a cancelled job says: where it stopped, and that committed rows are kept. */
export function cancelText(committed: number, locale: Locale): string {
  return locale === "en"
    ? `Import cancelled: ${committed} row(s) already committed are kept (undo the import, action "undo", to remove them)`
    : `Import annulé : ${committed} ligne(s) déjà enregistrée(s) sont conservée(s) (défaites l'import, action « undo », pour les retirer)`;
}

/** Cancels a job whose cancel was asked for; returns its committed count. */
export async function cancelJob(sql: Sql, job: ImportJob): Promise<void> {
  const [j] = await sql<{ committed_rows: number }[]>`
    select committed_rows from public.import_jobs where id = ${job.id}`;
  await sql`
    update public.import_jobs set status = 'cancelled', leased_until = null, finished_at = now(), updated_at = now(),
           error_message = ${cancelText(j?.committed_rows ?? 0, job.options.locale ?? "fr")}
     where id = ${job.id} and status in ('queued', 'parsing', 'ready', 'committing')`;
}

/** Ends this call's lease on a job it advanced (another call may take it at once). */
export async function releaseJob(sql: Sql, jobId: string): Promise<void> {
  await sql`update public.import_jobs set leased_until = null where id = ${jobId}`;
}
