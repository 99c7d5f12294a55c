/**
 * The chatter and activities of leads from a backup's `dump.sql`: the COPY blocks `mail_message`,
 * `message_attachment_rel`, `mail_tracking_value`, `mail_activity` and the few they point at
 * (`mail_message_subtype`, `mail_activity_type`, `ir_model_fields`, `res_users`, `res_partner`), each
 * rendered as Odoo's API answers it (many2one `[id, name]`, `false` for no value, datetimes to the
 * second, translated names in English), then written by the very page functions the API syncs use
 * (`passerelle.sync_odoo_messages_page`, `passerelle.sync_odoo_activities_page`): so the API and a backup
 * give the same rows.
 *
 * Odoo 17 column names (a dump is its tables as the ORM made them): mail_message.subtype_id, author_id,
 * date, body, email_from, message_type; message_attachment_rel (message_id, attachment_id);
 * mail_tracking_value.field_id, field_info, old_value_*, new_value_*, mail_message_id; translated names
 * (`mail_message_subtype.name`, `mail_activity_type.name`, `ir_model_fields.field_description`) are jsonb.
 *
 * Each block is read by its own pass over the dump, up to its end (`readCopyTable` stops there); only rows
 * of crm.lead, and the rows they point at, are kept. A block the dump does not hold reads empty and is
 * named in `absent` (a dump of an Odoo without the CRM's chatter, or a test's).
 */
import type { Sql } from "../deps.ts";
import { PasserelleError } from "../errors.ts";
import { activityKind } from "../imports/activity_row.ts";
import {
  type MessageRow,
  messageRows,
  type OdooField,
  type OdooMessage,
  type OdooTracking,
} from "../chatter/message_row.ts";
import type { Backup } from "./backup_source.ts";
import { type CopyRow, readCopyTable } from "./dump_reader.ts";

/** The source name the dump's rows are written under (no sync_state row: no cursor moves). */
const SOURCE = "odoo_backup";
const PAGE = 1000;

/** What `importDumpChatter()` did. */
export interface ChatterSummary {
  messages: { read: number; inserted: number; updated: number; unchanged: number };
  activities: { read: number; inserted: number; updated: number; unchanged: number };
  /** Rows whose lead is not synced yet: kept, linked once it is. */
  unlinkedMessages: number;
  unlinkedActivities: number;
  /** Blocks the dump has no data for. */
  absent: string[];
}

const num = (v: string | null): number | null => (v === null || v === "" ? null : Number(v));
const str = (v: string | null): string | false => (v === null ? false : v);
const second = (v: string | null): string | false => (v === null ? false : v.slice(0, 19));
const bool = (v: string | null): boolean => v === "t" || v === "true";

/** A translated name (jsonb `{"en_US": "Note", "fr_FR": "Note"}` since Odoo 16), in English. */
export function englishName(v: string | null): string {
  if (v === null) return "";
  if (!v.startsWith("{")) return v;
  try {
    const o = JSON.parse(v) as Record<string, string>;
    return o.en_US ?? Object.values(o)[0] ?? "";
  } catch {
    return v;
  }
}

async function rowsOf(
  backup: Backup,
  absent: string[],
  table: string,
  columns: string[],
  keep: (r: CopyRow) => boolean,
  signal?: AbortSignal,
): Promise<CopyRow[]> {
  const out: CopyRow[] = [];
  try {
    const required = REQUIRED[table] ?? [columns[0]];
    for await (const r of readCopyTable(backup.dump(signal), { table, columns, required, signal })) {
      if (keep(r)) out.push(r);
    }
  } catch (e) {
    if (
      e instanceof PasserelleError && e.code === "backup_invalid" && e.message.includes("holds no data block")
    ) {
      absent.push(table);
      return out;
    }
    throw e;
  }
  return out;
}

/** Columns without which a block cannot be read right (the read fails naming the first missing). */
const REQUIRED: Record<string, string[]> = {
  mail_message: ["id", "model", "res_id", "message_type"],
  mail_tracking_value: ["id", "mail_message_id"],
  message_attachment_rel: ["message_id", "attachment_id"],
  mail_activity: ["id", "res_model", "res_id"],
};

const SIDES = ["integer", "float", "char", "text", "datetime"] as const;

/** Reads the dump's chatter and activities of leads, rendered as the API answers them. */
export async function readDumpChatter(backup: Backup, signal?: AbortSignal) {
  const absent: string[] = [];
  const read = (table: string, columns: string[], keep: (r: CopyRow) => boolean = () => true) =>
    rowsOf(backup, absent, table, columns, keep, signal);

  const msgRows = await read(
    "mail_message",
    [
      "id",
      "model",
      "res_id",
      "message_type",
      "subtype_id",
      "subject",
      "body",
      "email_from",
      "author_id",
      "date",
      "write_date",
    ],
    (r) => r.model === "crm.lead" && r.res_id !== null,
  );
  const messageIds = new Set(msgRows.map((r) => Number(r.id)));
  const rel = await read(
    "message_attachment_rel",
    ["message_id", "attachment_id"],
    (r) => messageIds.has(Number(r.message_id)),
  );
  const tracking = await read(
    "mail_tracking_value",
    [
      "id",
      "mail_message_id",
      "field_id",
      "field_info",
      ...SIDES.flatMap((s) => [`old_value_${s}`, `new_value_${s}`]),
    ],
    (r) => messageIds.has(Number(r.mail_message_id)),
  );
  const fieldIds = new Set(tracking.map((r) => num(r.field_id)).filter((v) => v !== null));
  const fieldRows = await read(
    "ir_model_fields",
    ["id", "name", "field_description", "ttype"],
    (r) => fieldIds.has(Number(r.id)),
  );
  const subtypes = new Map(
    (await read("mail_message_subtype", ["id", "name"])).map((r) => [Number(r.id), englishName(r.name)]),
  );
  const actRows = await read(
    "mail_activity",
    [
      "id",
      "res_model",
      "res_id",
      "activity_type_id",
      "summary",
      "note",
      "date_deadline",
      "date_done",
      "user_id",
      "active",
      "write_date",
    ],
    (r) => r.res_model === "crm.lead" && r.res_id !== null,
  );
  const types = new Map(
    (await read("mail_activity_type", ["id", "name"])).map((r) => [Number(r.id), englishName(r.name)]),
  );
  const userIds = new Set(actRows.map((r) => num(r.user_id)).filter((v) => v !== null));
  const users = new Map(
    (await read("res_users", ["id", "partner_id"], (r) => userIds.has(Number(r.id)))).map((
      r,
    ) => [Number(r.id), num(r.partner_id)]),
  );
  const partnerIds = new Set([
    ...msgRows.map((r) => num(r.author_id)).filter((v) => v !== null),
    ...[...users.values()].filter((v) => v !== null),
  ]);
  const partners = new Map(
    (await read("res_partner", ["id", "name", "email"], (r) => partnerIds.has(Number(r.id)))).map((r) => [
      Number(r.id),
      { id: Number(r.id), name: str(r.name), email: str(r.email) },
    ]),
  );

  const attachmentsOf = new Map<number, number[]>();
  for (const r of rel) {
    const list = attachmentsOf.get(Number(r.message_id)) ?? [];
    list.push(Number(r.attachment_id));
    attachmentsOf.set(Number(r.message_id), list);
  }
  const fields = new Map<number, OdooField>(
    fieldRows.map((r) => [Number(r.id), {
      id: Number(r.id),
      name: String(r.name),
      field_description: englishName(r.field_description),
      ttype: String(r.ttype),
    }]),
  );
  const m2o = (
    id: number | null,
    name: (id: number) => string | false | undefined,
  ): [number, string] | false => {
    if (id === null) return false;
    const n = name(id);
    return [id, typeof n === "string" ? n : ""];
  };
  const messages: OdooMessage[] = msgRows.map((r) => ({
    id: Number(r.id),
    res_id: Number(r.res_id),
    message_type: String(r.message_type),
    subtype_id: m2o(num(r.subtype_id), (id) => subtypes.get(id)),
    subject: str(r.subject),
    body: str(r.body),
    email_from: str(r.email_from),
    author_id: m2o(num(r.author_id), (id) => partners.get(id)?.name),
    date: second(r.date),
    attachment_ids: attachmentsOf.get(Number(r.id)) ?? [],
    write_date: second(r.write_date),
  }));
  // As the API renders them: Integer and Float columns read 0 when null, the others false.
  const trackings: OdooTracking[] = tracking.map((r) => {
    const t: OdooTracking = {
      id: Number(r.id),
      mail_message_id: [Number(r.mail_message_id), ""],
      field_id: m2o(num(r.field_id), (id) => fields.get(id)?.field_description),
      field_info: r.field_info ? JSON.parse(r.field_info) : false,
    };
    for (const which of ["old", "new"]) {
      for (const s of SIDES) {
        const v = r[`${which}_value_${s}`];
        t[`${which}_value_${s}`] = s === "integer" || s === "float"
          ? num(v) ?? 0
          : s === "datetime"
          ? second(v)
          : str(v);
      }
    }
    return t;
  });
  const activities = actRows.map((r) => {
    const typeId = num(r.activity_type_id);
    const userId = num(r.user_id);
    const partnerId = userId === null ? null : users.get(userId) ?? null;
    const typeName = typeId === null ? undefined : types.get(typeId);
    return {
      id: Number(r.id),
      res_id: Number(r.res_id),
      activity_type_id: m2o(typeId, () => typeName),
      summary: str(r.summary),
      note: str(r.note),
      date_deadline: str(r.date_deadline),
      date_done: str(r.date_done),
      user_id: m2o(userId, () => (partnerId === null ? "" : partners.get(partnerId)?.name)),
      active: r.active === null ? true : bool(r.active),
      write_date: second(r.write_date),
      kind: typeName ? activityKind(typeName) ?? false : false,
    };
  });
  return {
    messages: messageRows(messages, trackings, fields, partners),
    activities,
    absent,
  };
}

/**
 * Writes the dump's chatter and activities of leads (see the module comment) into the company the lead
 * sync writes to. Rerun, it changes nothing; rows already synced over the API are left as they are when
 * the same (the page functions rewrite a row only when a value differs).
 */
export async function importDumpChatter(
  d: { sql: Sql; backup: Backup; signal?: AbortSignal; dryRun?: boolean },
): Promise<ChatterSummary> {
  const { messages, activities, absent } = await readDumpChatter(d.backup, d.signal);
  const summary: ChatterSummary = {
    messages: { read: messages.length, inserted: 0, updated: 0, unchanged: 0 },
    activities: { read: activities.length, inserted: 0, updated: 0, unchanged: 0 },
    unlinkedMessages: 0,
    unlinkedActivities: 0,
    absent,
  };
  if (d.dryRun || (messages.length === 0 && activities.length === 0)) return summary;
  const [company] = await d.sql<{ id: number }[]>`
    select company_id::int as id from public.sync_state where source = 'odoo_leads' and company_id is not null`;
  if (!company) {
    throw new PasserelleError(
      "lead_missing",
      "The chatter of a backup goes with its leads: sync the leads first (sync-odoo-leads), then import again",
    );
  }
  const add = (
    to: ChatterSummary["messages"],
    r: { inserted: number; updated: number; unchanged: number },
  ) => {
    to.inserted += r.inserted;
    to.updated += r.updated;
    to.unchanged += r.unchanged;
  };
  for (let i = 0; i < messages.length; i += PAGE) {
    const page: MessageRow[] = messages.slice(i, i + PAGE);
    const [r] = await d.sql<{ inserted: number; updated: number; unchanged: number }[]>`
      select * from passerelle.sync_odoo_messages_page(${SOURCE}, ${company.id}, ${
      d.sql.json(page as never)
    }, 0)`;
    add(summary.messages, r);
  }
  for (let i = 0; i < activities.length; i += PAGE) {
    const page = activities.slice(i, i + PAGE);
    const [r] = await d.sql<{ inserted: number; updated: number; unchanged: number }[]>`
      select * from passerelle.sync_odoo_activities_page(${SOURCE}, ${company.id}, ${
      d.sql.json(page as never)
    }, 0)`;
    add(summary.activities, r);
  }
  const [left] = await d.sql<{ m: number; a: number }[]>`
    select (select count(*)::int from public.lead_messages where lead_id is null) as m,
           (select count(*)::int from public.activities where lead_id is null and odoo_id is not null) as a`;
  summary.unlinkedMessages = left.m;
  summary.unlinkedActivities = left.a;
  return summary;
}

/** The summary's lines, as import-dump prints them. */
export function formatChatterSummary(s: ChatterSummary, dryRun = false): string {
  const part = (name: string, c: ChatterSummary["messages"]) =>
    dryRun
      ? `${name}: ${c.read} read from dump.sql (dry run: nothing written)`
      : `${name}: ${c.read} read, ${c.inserted} new, ${c.updated} updated, ${c.unchanged} unchanged`;
  const lines = [part("messages", s.messages), part("activities", s.activities)];
  if (s.unlinkedMessages || s.unlinkedActivities) {
    lines.push(
      `waiting for their lead (linked once it is synced): ${s.unlinkedMessages} messages, ${s.unlinkedActivities} activities`,
    );
  }
  if (s.absent.length) lines.push(`not in this dump: ${s.absent.join(", ")}`);
  return lines.join("\n");
}
