/**
 * The `lead_files` work queue as the engine's `runQueue` sees it: claim,
 * record and count, each one SQL statement (the SQL lives in migrations:
 * `passerelle.claim_lead_files` and its siblings).
 */
import type { Database } from "../database.types.ts";
import type { Sql } from "../deps.ts";
import type { Outcome } from "../engine/run_queue.ts";

type LeadFileRow = Database["public"]["Tables"]["lead_files"]["Row"];

/** The columns of a claimed file that the archive uses (types generated from the schema). */
export type LeadFile = Pick<
  LeadFileRow,
  | "id"
  | "lead_id"
  | "odoo_id"
  | "name"
  | "mimetype"
  | "checksum"
  | "file_size"
  | "odoo_type"
  | "store_fname"
  | "attempts"
>;

export interface StoredFile {
  id: number;
  storage_path: string;
  file_url: string;
}

/** Claims up to `n` files for `leaseS` seconds. */
export async function claimLeadFiles(sql: Sql, n: number, leaseS: number): Promise<LeadFile[]> {
  const rows = await sql<LeadFile[]>`
    select id, lead_id, odoo_id, name, mimetype, checksum, file_size, odoo_type, store_fname, attempts
      from passerelle.claim_lead_files(${n}, make_interval(secs => ${leaseS}))`;
  return rows.map((r) => ({
    ...r,
    id: Number(r.id),
    lead_id: Number(r.lead_id),
    file_size: r.file_size === null ? null : Number(r.file_size),
  }));
}

/** Records a batch's outcome in one transaction: stored, failed (with backoff), released. */
export async function recordLeadFiles(sql: Sql, o: Outcome<StoredFile>): Promise<void> {
  await sql.begin(async (tx) => {
    if (o.done.length) await tx`select passerelle.complete_lead_files(${tx.json(o.done as never)})`;
    if (o.failed.length) {
      const failures = o.failed.map((f) => ({
        id: f.id,
        code: f.error.code,
        message: f.error.message,
        retryable: f.error.retryable,
      }));
      await tx`select * from passerelle.fail_lead_files(${tx.json(failures as never)})`;
    }
    if (o.released?.length) {
      await tx`select passerelle.release_lead_files(${o.released.map(Number)}::bigint[])`;
    }
  });
}

/** Files still to archive: pending, or claimed by a call in progress. */
export async function remainingLeadFiles(sql: Sql): Promise<number> {
  const [{ n }] = await sql<{ n: number }[]>`
    select count(*)::int as n from public.lead_files where status in ('pending', 'claimed')`;
  return n;
}
