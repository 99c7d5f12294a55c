/**
 * Finds the work: lists the metadata of Odoo attachments on leads (keyset
 * pages by id, never the bytes) and creates the missing `lead_files` rows for
 * leads already synced, in one statement per page. A pass runs to the end
 * over as many calls as it needs (the cursor lives in `sync_state`, source
 * `odoo_attachments`); a new pass starts once leads were synced since the
 * previous one, or once it is older than `every`, so attachments of leads
 * synced later are found too.
 */
import type { Sql } from "../deps.ts";
import { PasserelleError } from "../errors.ts";
import type { Budget } from "../engine/budget.ts";
import type { OdooReader } from "../sync/odoo_reader.ts";

export const ATTACHMENT_FIELDS = [
  "id",
  "name",
  "mimetype",
  "checksum",
  "file_size",
  "type",
  "url",
  "res_id",
  "store_fname",
];

const SOURCE = "odoo_attachments";

export interface DiscoveryResult {
  pages: number;
  seen: number;
  created: number;
  /** The pass reached its end in this call. */
  passDone: boolean;
}

/**
 * Fails with odoo_access_denied when the login may not read crm.lead. Odoo does not refuse such a login's
 * `ir.attachment.search_read` on leads: it answers `[]` (fixture odoo/50), which would look like a CRM
 * without files. Reading one lead id refuses it explicitly (fixtures odoo/23, odoo19/05).
 */
export async function assertCanReadLeads(odoo: OdooReader): Promise<void> {
  try {
    await odoo.searchRead("crm.lead", [], { fields: ["id"], limit: 1, context: { active_test: false } });
  } catch (e) {
    if (!(e instanceof PasserelleError) || e.code !== "odoo_access_denied") throw e;
    const said = (e.cause as { message?: string } | undefined)?.message ?? e.message;
    const groups = [...said.matchAll(/^\s*-\s*(.+)$/gm)].map((m) => `"${m[1].trim()}"`);
    const right = groups.length ? groups.join(" or ") : `"Sales/User: Own Documents Only"`;
    throw new PasserelleError(
      "odoo_access_denied",
      `This Odoo login may not read crm.lead records, so Odoo hides every lead's attachments from it ` +
        `(it lists none): give it the Sales right ${right} (Odoo said: ${said.split("\n")[0]})`,
      false,
      { cause: e },
    );
  }
}

/** Runs discovery pages while `budget` allows and less than `share` of it is used. */
export async function discoverAttachments(
  d: { odoo: OdooReader; sql: Sql; budget: Budget; pageSize?: number; every?: string; share?: number },
): Promise<DiscoveryResult> {
  const pageSize = d.pageSize ?? 2000;
  const share = d.share ?? 0.3;
  const every = d.every ?? "10 minutes";
  const [state] = await d.sql<{ cursor_id: number; due: boolean }[]>`
    insert into public.sync_state (source) values (${SOURCE})
    on conflict (source) do update set source = excluded.source
    returning cursor_id::int,
      (cursor_id > 0 or caught_up_at is null or caught_up_at < now() - ${every}::interval
        -- leads synced since the last pass may have attachments
        or caught_up_at < (select max(l.created_at) from public.leads l where l.source = 'odoo')) as due`;
  const result: DiscoveryResult = { pages: 0, seen: 0, created: 0, passDone: false };
  if (!state.due) return result;
  let cursor = state.cursor_id;
  while (!d.budget.spent() && d.budget.elapsedMs() < d.budget.limits.wallMs * share) {
    const rows = await d.odoo.searchRead<Record<string, unknown> & { id: number }>(
      "ir.attachment",
      [["res_model", "=", "crm.lead"], ["id", ">", cursor]],
      { fields: ATTACHMENT_FIELDS, order: "id asc", limit: pageSize },
    );
    if (rows.length === 0) {
      await d.sql`update public.sync_state set cursor_id = 0, phase = 'incremental', caught_up_at = now(),
                    passes = passes + 1, updated_at = now() where source = ${SOURCE}`;
      result.passDone = true;
      break;
    }
    cursor = rows[rows.length - 1].id;
    const [{ created }] = await d.sql<{ created: number }[]>`
      with a as (
        select * from jsonb_to_recordset(${d.sql.json(rows as never)})
          as x(id integer, name jsonb, mimetype jsonb, checksum jsonb, file_size bigint, type text, res_id integer,
               store_fname jsonb)
      ), ins as (
        insert into public.lead_files (lead_id, odoo_id, name, mimetype, checksum, file_size, odoo_type, store_fname)
        select l.id, a.id, coalesce(passerelle.odoo_text(a.name), 'attachment-' || a.id),
               -- One rule with the backup import: a link has no file, so no size (Odoo says 0: an integer
               -- field cannot say null); an empty file has no checksum (Odoo's own: false).
               passerelle.odoo_text(a.mimetype), passerelle.odoo_text(a.checksum),
               case when a.type = 'url' then null else a.file_size end, a.type,
               passerelle.odoo_text(a.store_fname)
          from a join public.leads l on l.source_email_id = 'odoo_crm_' || a.res_id
        on conflict (odoo_id) do nothing
        returning 1
      ), moved as (
        update public.sync_state set cursor_id = ${cursor}, updated_at = now() where source = ${SOURCE}
      )
      select count(*)::int as created from ins`;
    result.pages++;
    result.seen += rows.length;
    result.created += created;
  }
  return result;
}
