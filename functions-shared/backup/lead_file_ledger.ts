/**
 * What the backup import reads and writes in `lead_files`, each a set-based statement (one per batch,
 * `jsonb_to_recordset`), never one round trip per file.
 *
 * Planning skips rows the archive function holds (`claimed` with a live lease); storing claims each row
 * first (`backup_claims.ts`), so that a row the archive claims meanwhile stays the archive's. Both store
 * a file under the same key (`archiveKey`), so neither can leave a second copy.
 */
import { retryOnDeadlock } from "./deadlock_retry.ts";
import type { Sql } from "../deps.ts";

/** A `lead_files` row as the import plans with it. */
export interface LeadFileTarget {
  id: number;
  leadId: number;
  odooId: number;
  name: string;
  mimetype: string | null;
  fileSize: number | null;
  odooType: string;
  status: string;
  /** Already has a `storage_path`: nothing to do (resume). */
  stored: boolean;
  /** Claimed by the archive function under a live lease: not ours to take. */
  held: boolean;
}

/** A stored file to record. */
export interface StoredLeadFile {
  id: number;
  storage_path: string;
  file_url: string;
  /** sha1 of what was stored (null only for a copy of content Odoo recorded no checksum for). */
  checksum: string | null;
  file_size: number;
  store_fname: string | null;
}

/** A failure to record. */
export interface FailedLeadFile {
  id: number;
  code: string;
  message: string;
}

/** An attachment to give a `lead_files` row (`--create-missing`). */
export interface MissingLeadFile {
  odoo_id: number;
  /** The crm.lead id (`leads.odoo_id`). */
  res_id: number;
  name: string;
  mimetype: string | null;
  checksum: string | null;
  file_size: number | null;
  store_fname: string | null;
  odoo_type: string;
}

const BATCH = 5000;

function chunks<T>(items: T[], n = BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** Every `odoo_id` that has a `lead_files` row (what the import filters the dump's attachments by). */
export async function linkedOdooIds(sql: Sql): Promise<Set<number>> {
  const rows = await sql<{ odoo_id: number }[]>`
    select odoo_id from public.lead_files where odoo_id is not null`;
  return new Set(rows.map((r) => r.odoo_id));
}

/** The `lead_files` rows of these attachment ids, by `odoo_id`. */
export async function leadFilesByOdooId(sql: Sql, odooIds: number[]): Promise<Map<number, LeadFileTarget>> {
  const out = new Map<number, LeadFileTarget>();
  for (const ids of chunks(odooIds)) {
    const rows = await sql<
      {
        id: string;
        lead_id: string;
        odoo_id: number;
        name: string;
        mimetype: string | null;
        file_size: string | null;
        odoo_type: string;
        status: string;
        stored: boolean;
        held: boolean;
      }[]
    >`
      select id, lead_id, odoo_id, name, mimetype, file_size, odoo_type, status,
             storage_path is not null as stored,
             (status = 'claimed' and leased_until > now()) as held
        from public.lead_files
       where odoo_id = any(${ids}::integer[])`;
    for (const r of rows) {
      out.set(r.odoo_id, {
        id: Number(r.id),
        leadId: Number(r.lead_id),
        odooId: r.odoo_id,
        name: r.name,
        mimetype: r.mimetype,
        fileSize: r.file_size === null ? null : Number(r.file_size),
        odooType: r.odoo_type,
        status: r.status,
        stored: r.stored,
        held: r.held,
      });
    }
  }
  return out;
}

/** The lead (`leads.id`) of each crm.lead id that has one (the lowest id when several share it). */
export async function leadsByOdooId(sql: Sql, crmLeadIds: number[]): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  for (const ids of chunks([...new Set(crmLeadIds)])) {
    const rows = await sql<{ odoo_id: number; id: string }[]>`
      select distinct on (odoo_id) odoo_id, id from public.leads
       where odoo_id = any(${ids}::integer[]) order by odoo_id, id`;
    for (const r of rows) out.set(r.odoo_id, Number(r.id));
  }
  return out;
}

/**
 * Creates `pending` rows for attachments of leads that exist; rows that exist already are left alone.
 * Returns the odoo ids created and those whose lead is missing.
 */
export async function createMissingLeadFiles(
  sql: Sql,
  files: MissingLeadFile[],
): Promise<{ created: number[]; leadMissing: number[] }> {
  const created: number[] = [];
  const leadMissing: number[] = [];
  for (const batch of chunks(files, 1000)) {
    const rows = await retryOnDeadlock(() =>
      sql<{ odoo_id: number; created: boolean; has_lead: boolean }[]>`
      with a as (
        select * from jsonb_to_recordset(${sql.json(batch as never)}) as a(
          odoo_id integer, res_id integer, name text, mimetype text, checksum text, file_size bigint,
          store_fname text, odoo_type text)
      ),
      l as (
        select distinct on (a.odoo_id) a.*, leads.id as lead_id
          from a join public.leads on leads.odoo_id = a.res_id
         order by a.odoo_id, leads.id
      ),
      ins as (
        insert into public.lead_files (lead_id, odoo_id, name, mimetype, checksum, file_size, odoo_type, store_fname)
        select lead_id, odoo_id, name, mimetype, checksum, file_size, odoo_type, store_fname from l
        on conflict (odoo_id) do nothing
        returning odoo_id
      )
      select a.odoo_id,
             exists (select 1 from ins where ins.odoo_id = a.odoo_id) as created,
             exists (select 1 from l where l.odoo_id = a.odoo_id) as has_lead
        from a`
    );
    for (const r of rows) {
      if (r.created) created.push(r.odoo_id);
      else if (!r.has_lead) leadMissing.push(r.odoo_id);
    }
  }
  return { created, leadMissing };
}

/** Where content already stored by earlier runs (or the archive) lies: checksum → storage_path. */
export async function storedCopies(sql: Sql, checksums: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const batch of chunks([...new Set(checksums)])) {
    const rows = await sql<{ checksum: string; storage_path: string }[]>`
      select distinct on (checksum) checksum, storage_path from public.lead_files
       where storage_path is not null and checksum = any(${batch}::text[])
       order by checksum, id`;
    for (const r of rows) out.set(r.checksum, r.storage_path);
  }
  return out;
}

/**
 * Records a batch of results in one transaction (one statement for the stored files, one for the
 * failures). A row that got a `storage_path` or a live claim since it was planned is left alone.
 * Returns the ids actually updated.
 */
export async function recordResults(
  sql: Sql,
  done: StoredLeadFile[],
  failed: FailedLeadFile[],
): Promise<{ done: number[]; failed: number[] }> {
  if (done.length === 0 && failed.length === 0) return { done: [], failed: [] };
  return await sql.begin(async (tx) => {
    const d = done.length === 0 ? [] : await tx<{ id: string }[]>`
      update public.lead_files f
         set status = 'done', storage_path = d.storage_path, file_url = d.file_url, done_at = now(),
             updated_at = now(), leased_until = null, last_error = null, error_code = null,
             checksum = coalesce(f.checksum, d.checksum), file_size = coalesce(f.file_size, d.file_size),
             store_fname = coalesce(f.store_fname, d.store_fname)
        from jsonb_to_recordset(${tx.json(done as never)}) as d(
          id bigint, storage_path text, file_url text, checksum text, file_size bigint, store_fname text)
       where f.id = d.id and f.storage_path is null
         and not (f.status = 'claimed' and f.leased_until > now())
      returning f.id`;
    const fl = failed.length === 0 ? [] : await tx<{ id: string }[]>`
      update public.lead_files f
         set status = 'failed', error_code = d.code, last_error = left(d.message, 2000),
             leased_until = null, updated_at = now()
        from jsonb_to_recordset(${tx.json(failed as never)}) as d(id bigint, code text, message text)
       where f.id = d.id and f.storage_path is null
         and not (f.status = 'claimed' and f.leased_until > now())
      returning f.id`;
    return { done: d.map((r) => Number(r.id)), failed: fl.map((r) => Number(r.id)) };
  });
}
