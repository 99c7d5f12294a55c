/**
 * The email a user gets when a large import ends, sent through Resend's HTTP
 * API (`POST {url}/emails`, `Authorization: Bearer re_…`, JSON
 * `{from, to, subject, text}` → 200 `{id}`). Without a key the email is
 * skipped and the job says so, so a project without Resend works the same.
 */
import type { Sql } from "../../deps.ts";
import type { ImportJob } from "./import_job.ts";

/** Resend settings (`config.resend`). */
export interface ResendSettings {
  apiKey: string;
  url: string;
  from: string;
  /** Fixed recipient (operators); otherwise the job's `payload.notify` (the user's email). */
  to?: string;
}

/** What `notifyJobEnd` needs. */
export interface EmailDeps {
  sql: Sql;
  resend?: ResendSettings;
  fetch?: typeof fetch;
  /** Jobs with fewer rows end quietly; default 10,000. */
  minRows?: number;
}

/** Sends one email; returns Resend's id or throws with Resend's message. */
export async function sendEmail(
  doFetch: typeof fetch,
  resend: ResendSettings,
  mail: { to: string; subject: string; text: string },
): Promise<string> {
  const res = await doFetch(`${resend.url.replace(/\/+$/, "")}/emails`, {
    method: "POST",
    headers: { authorization: `Bearer ${resend.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ from: resend.from, to: [mail.to], subject: mail.subject, text: mail.text }),
  });
  const body = await res.json().catch(() => ({})) as { id?: string; message?: string; name?: string };
  if (!res.ok || !body.id) {
    throw new Error(`Resend answered ${res.status}: ${body.name ?? ""} ${body.message ?? ""}`);
  }
  return body.id;
}

/** The subject and text of a job's end, in its locale. */
export function jobEmail(
  job: ImportJob & { error_message?: string | null },
): { subject: string; text: string } {
  const en = job.options.locale === "en";
  const ok = job.status === "completed";
  const subject = en
    ? `Import of ${job.file_name}: ${ok ? "completed" : job.status}`
    : `Import de ${job.file_name} : ${ok ? "terminé" : job.status === "failed" ? "échec" : "annulé"}`;
  const lines = en
    ? [
      `Rows read: ${job.total_rows ?? job.processed_rows}`,
      `Valid: ${job.valid_rows}, invalid: ${job.invalid_rows}, duplicates: ${job.duplicate_rows}`,
      `Committed: ${job.committed_rows}`,
    ]
    : [
      `Lignes lues : ${job.total_rows ?? job.processed_rows}`,
      `Valides : ${job.valid_rows}, invalides : ${job.invalid_rows}, doublons : ${job.duplicate_rows}`,
      `Enregistrées : ${job.committed_rows}`,
    ];
  if (job.error_message) lines.push(job.error_message);
  return { subject, text: lines.join("\n") };
}

/**
 * When a job of at least `minRows` rows has ended, emails its owner (once:
 * `payload.email` records the outcome and is checked first). Never throws:
 * an email that cannot go is noted in the job, the import stands.
 */
export async function notifyJobEnd(d: EmailDeps, jobId: string): Promise<string | null> {
  const [job] = await d.sql<(ImportJob & { error_message: string | null })[]>`
    select * from public.import_jobs where id = ${jobId}`;
  if (!job || !["completed", "failed", "cancelled"].includes(job.status) || job.payload?.email) return null;
  const rows = job.total_rows ?? job.processed_rows;
  if (rows < (d.minRows ?? 10_000)) return null;
  let outcome: string;
  const to = d.resend?.to ?? job.payload?.notify;
  if (!d.resend) outcome = "skipped: no RESEND_API_KEY";
  else if (!to) outcome = "skipped: no recipient";
  else {
    try {
      outcome = `sent: ${await sendEmail(d.fetch ?? fetch, d.resend, { to, ...jobEmail(job) })}`;
    } catch (e) {
      outcome = `failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500);
    }
  }
  await d.sql`update public.import_jobs set payload = coalesce(payload, '{}'::jsonb) || ${
    d.sql.json({ email: outcome })
  } where id = ${jobId}`;
  return outcome;
}
