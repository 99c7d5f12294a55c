/**
 * An Odoo attachment (`ir_attachment` row) as the backup import needs it, read from `dump.sql` with the
 * columns its COPY line names (Odoo versions differ; a column the dump lacks reads null).
 */
import { PasserelleError } from "../errors.ts";
import { readCopyTable } from "./dump_reader.ts";

/** What the import knows of one attachment. */
export interface Attachment {
  /** `ir_attachment.id`, which `lead_files.odoo_id` holds. */
  id: number;
  name: string;
  /** `crm.lead` for lead attachments. */
  resModel: string | null;
  /** The record's id (a crm.lead id). */
  resId: number | null;
  /** Set for field-linked attachments (images of a record's binary fields), which are not lead files. */
  resField: string | null;
  /** Path in the filestore; null for empty files, url attachments and files kept in the database. */
  storeFname: string | null;
  fileSize: number | null;
  /** sha1 of the content, hex; null for empty files and url attachments. */
  checksum: string | null;
  mimetype: string | null;
  /** `binary` or `url`; null when unknown (a mapping CSV does not say). */
  type: string | null;
  /** The content is in `db_datas` (Odoo's `ir_attachment.location = db`), not in the filestore. */
  inDatabase: boolean;
}

/** The columns read from `ir_attachment`; `db_datas` is only checked for null, never held. */
export const ATTACHMENT_COLUMNS = [
  "id",
  "name",
  "res_model",
  "res_id",
  "res_field",
  "store_fname",
  "file_size",
  "checksum",
  "mimetype",
  "type",
];

function int(v: string | null | undefined): number | null {
  if (v === null || v === undefined || v === "") return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Streams the attachments of a plain pg_dump (`COPY public.ir_attachment (...) FROM stdin;`), stopping
 * at the end of that block. Throws `backup_invalid` for a dump without the block or a row without an id.
 */
export async function* dumpAttachments(
  dump: ReadableStream<Uint8Array>,
  opts: { signal?: AbortSignal; label?: string } = {},
): AsyncGenerator<Attachment> {
  const rows = readCopyTable(dump, {
    table: "ir_attachment",
    columns: ATTACHMENT_COLUMNS,
    nullness: ["db_datas"],
    required: ["id", "store_fname"],
    signal: opts.signal,
    label: opts.label,
  });
  for await (const r of rows) {
    const id = int(r.id);
    if (id === null) {
      throw new PasserelleError(
        "backup_invalid",
        `${opts.label ?? "dump.sql"}: an ir_attachment row has no id`,
      );
    }
    yield {
      id,
      name: r.name ?? "",
      resModel: r.res_model ?? null,
      resId: int(r.res_id),
      resField: r.res_field ?? null,
      storeFname: r.store_fname || null,
      fileSize: int(r.file_size),
      checksum: r.checksum || null,
      mimetype: r.mimetype || null,
      type: r.type ?? null,
      inDatabase: r.db_datas !== null && r.db_datas !== undefined,
    };
  }
}
