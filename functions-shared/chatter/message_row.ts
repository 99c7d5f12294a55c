/**
 * A lead message as `lead_messages` holds it, made from Odoo's rows as the API answers them (`search_read`:
 * many2one `[id, name]`, `false` for no value, datetimes to the second). The dump's reader
 * (`backup/chatter_rows.ts`) renders its COPY rows in that same shape first, so that the API and a backup
 * give the very same rows.
 *
 * Field names: addons/mail/models/mail_message.py and mail_tracking_value.py of Odoo 17.0 (odoo/odoo), the
 * same in 19.0 for every field read here; scripts/fixtures/odoo/54-message-search-read-lead.json is a real
 * 17.0 answer.
 */

/** mail.message fields read (`tracking_value_ids` is not: Settings-only, read from mail.tracking.value). */
export const MESSAGE_FIELDS = [
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
  "attachment_ids",
  "write_date",
];

/** mail.tracking.value fields read (Odoo 17: `field_id` replaced 16's `field`, `field_desc`, `field_type`). */
export const TRACKING_FIELDS = [
  "id",
  "mail_message_id",
  "field_id",
  "field_info",
  "old_value_integer",
  "new_value_integer",
  "old_value_float",
  "new_value_float",
  "old_value_char",
  "new_value_char",
  "old_value_text",
  "new_value_text",
  "old_value_datetime",
  "new_value_datetime",
];

/** ir.model.fields fields read: what a tracked field is. */
export const FIELD_FIELDS = ["id", "name", "field_description", "ttype"];

type M2o = [number, string] | false;

/** mail.message as `search_read` answers it with MESSAGE_FIELDS. */
export interface OdooMessage {
  id: number;
  res_id: number;
  message_type: string;
  subtype_id: M2o;
  subject: string | false;
  body: string | false;
  email_from: string | false;
  author_id: M2o;
  date: string | false;
  attachment_ids: number[];
  write_date: string | false;
  [k: string]: unknown;
}

/** mail.tracking.value as `search_read` answers it with TRACKING_FIELDS. */
export interface OdooTracking {
  id: number;
  mail_message_id: M2o;
  field_id: M2o;
  /** Set when the field was removed: `{name, desc, type, ...}` (Odoo 17's `field_info`). */
  field_info: { name?: string; desc?: string; type?: string } | false | null;
  [k: string]: unknown;
}

/** ir.model.fields with FIELD_FIELDS. */
export interface OdooField {
  id: number;
  name: string;
  field_description: string;
  ttype: string;
}

/** An author: res.partner's own name and e-mail (not its display name, which has its company's). */
export interface OdooAuthor {
  id: number;
  name: string | false;
  email: string | false;
}

/** One change of a tracking value, as `lead_messages.tracking` holds it. */
export interface TrackingChange {
  field: string | null;
  label: string | null;
  type: string | null;
  old: string | number | boolean | null;
  new: string | number | boolean | null;
  /** A many2one's record ids (null when it had none). */
  old_id?: number | null;
  new_id?: number | null;
}

/** One row of `passerelle.sync_odoo_messages_page`. */
export interface MessageRow {
  odoo_id: number;
  res_id: number;
  message_type: string;
  subtype: string | null;
  subject: string | null;
  body: string | null;
  email_from: string | null;
  author_odoo_id: number | null;
  author_name: string | null;
  author_email: string | null;
  posted_at: string | null;
  tracking: TrackingChange[];
  attachment_odoo_ids: number[];
  source_updated_at: string | null;
}

const text = (v: unknown): string | null => (typeof v === "string" ? v : null);
const filled = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : null);
const m2oId = (
  v: unknown,
): number | null => (Array.isArray(v) ? Number(v[0]) : typeof v === "number" ? v : null);
const m2oName = (v: unknown): string | null => (Array.isArray(v) ? String(v[1]) : null);
const num = (v: unknown): number | null => (typeof v === "number" ? v : null);

/**
 * A change's old or new value, from the column its field's type writes (as Odoo's
 * `_create_tracking_values` does): a many2one is its display name (`*_char`) and id (`*_integer`, 0 for
 * none), a date the day of `*_datetime`, a boolean `*_integer`.
 */
function side(t: OdooTracking, which: "old" | "new", type: string | null) {
  const v = (col: string) => t[`${which}_value_${col}`];
  switch (type) {
    case "many2one": {
      const id = num(v("integer"));
      return { value: filled(v("char")), id: id ? id : null };
    }
    case "integer":
      return { value: num(v("integer")) };
    case "float":
    case "monetary":
      return { value: num(v("float")) };
    case "boolean":
      return { value: v("integer") === 1 };
    case "text":
    case "html":
      return { value: filled(v("text")) };
    case "datetime":
      return { value: filled(v("datetime")) };
    case "date": {
      const d = filled(v("datetime"));
      return { value: d ? d.slice(0, 10) : null };
    }
    default: // char, selection, one2many, many2many, tags
      return { value: filled(v("char")) };
  }
}

/** One tracking value as a change; `fields` are the ir.model.fields rows read. */
export function trackingChange(t: OdooTracking, fields: ReadonlyMap<number, OdooField>): TrackingChange {
  const fieldId = m2oId(t.field_id);
  const f = fieldId === null ? undefined : fields.get(fieldId);
  const info = t.field_info && typeof t.field_info === "object" ? t.field_info : null;
  const type = f?.ttype ?? info?.type ?? null;
  const o = side(t, "old", type), n = side(t, "new", type);
  const change: TrackingChange = {
    field: f?.name ?? info?.name ?? null,
    label: f?.field_description ?? info?.desc ?? m2oName(t.field_id),
    type,
    old: o.value,
    new: n.value,
  };
  if (type === "many2one") {
    change.old_id = o.id ?? null;
    change.new_id = n.id ?? null;
  }
  return change;
}

/** The field ids the tracking values point at (to read from ir.model.fields). */
export function trackedFieldIds(trackings: OdooTracking[]): number[] {
  return [...new Set(trackings.flatMap((t) => (Array.isArray(t.field_id) ? [t.field_id[0]] : [])))];
}

/** The author ids of messages (to read from res.partner). */
export function authorIds(messages: OdooMessage[]): number[] {
  return [...new Set(messages.flatMap((m) => (Array.isArray(m.author_id) ? [m.author_id[0]] : [])))];
}

/**
 * The rows of a page of messages: each with its tracking values (in id order), its author's name and
 * e-mail, and its attachments (ids in order).
 */
export function messageRows(
  messages: OdooMessage[],
  trackings: OdooTracking[],
  fields: ReadonlyMap<number, OdooField>,
  authors: ReadonlyMap<number, OdooAuthor>,
): MessageRow[] {
  const byMessage = new Map<number, OdooTracking[]>();
  for (const t of [...trackings].sort((a, b) => a.id - b.id)) {
    const id = m2oId(t.mail_message_id);
    if (id === null) continue;
    const list = byMessage.get(id) ?? [];
    list.push(t);
    byMessage.set(id, list);
  }
  return messages.map((m) => {
    const authorId = m2oId(m.author_id);
    const author = authorId === null ? undefined : authors.get(authorId);
    return {
      odoo_id: m.id,
      res_id: m.res_id,
      message_type: m.message_type,
      subtype: m2oName(m.subtype_id),
      subject: filled(m.subject),
      body: text(m.body),
      email_from: filled(m.email_from),
      author_odoo_id: authorId,
      author_name: author ? filled(author.name) : m2oName(m.author_id),
      author_email: author ? filled(author.email) : null,
      posted_at: filled(m.date),
      tracking: (byMessage.get(m.id) ?? []).map((t) => trackingChange(t, fields)),
      attachment_odoo_ids: [...(m.attachment_ids ?? [])].sort((a, b) => a - b),
      source_updated_at: filled(m.write_date),
    };
  });
}
