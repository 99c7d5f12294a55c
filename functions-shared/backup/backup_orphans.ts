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
