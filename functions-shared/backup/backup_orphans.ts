/**
 * Attachments of a backup whose lead is not here (deleted in Odoo, or not synced yet): they get no
 * `lead_files` row, so import-dump records them in `passerelle.backup_orphans`, from which
 * `passerelle.file_exceptions()` puts them in the status document with their real reason.
 */
import type { Sql } from "../deps.ts";
import type { Attachment } from "./attachment.ts";

/** Records these orphans (one statement per 1,000); returns how many rows were written. */
export async function recordBackupOrphans(sql: Sql, orphans: Attachment[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < orphans.length; i += 1000) {
    const batch = orphans.slice(i, i + 1000).map((a) => ({
      odoo_id: a.id,
      res_id: a.resId,
      name: a.name,
      file_size: a.fileSize,
      store_fname: a.storeFname,
    }));
    const [r] = await sql<{ n: number }[]>`
      select passerelle.record_backup_orphans(${sql.json(batch as never)}) as n`;
    n += r.n;
  }
  return n;
}

/**
 * True once the lead sync has read every Odoo lead (`sync_state` caught up): a lead missing here was
 * then deleted in Odoo, not merely not synced yet.
 */
export async function leadsCaughtUp(sql: Sql): Promise<boolean> {
  const [r] = await sql<{ caught_up: boolean }[]>`
    select coalesce(bool_or(caught_up_at is not null), false) as caught_up
      from public.sync_state where source = 'odoo_leads'`;
  return r.caught_up;
}

/** Why an attachment's lead is not here, in the words the failures CSV and the status use. */
export function orphanReason(crmLeadId: number | null, caughtUp: boolean): string {
  return caughtUp
    ? `its lead (crm.lead ${crmLeadId}) was deleted in Odoo: the file has no lead to belong to`
    : `its lead (crm.lead ${crmLeadId}) is not synced yet: run sync-odoo-leads to its end, then import-dump again`;
}
