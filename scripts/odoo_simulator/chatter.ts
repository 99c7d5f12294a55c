/**
 * The chatter of simulated leads: Odoo's `mail.message` on crm.lead (creation notifications, notes,
 * e-mails, stage and salesperson changes with their `mail.tracking.value` rows, some with attachments of
 * the lead) and the `ir.model.fields` rows the tracking values point at. Rows are stored as Odoo 17 stores
 * them (addons/mail/models/mail_message.py, mail_tracking_value.py of odoo/odoo 17.0): many2one as an id or
 * false, `attachment_ids` as an id list, a many2one change as `old_value_integer`/`old_value_char` (id and
 * display name), datetimes with microseconds.
 *
 * Drawn from its own random sequence, after the rest of the dataset, so that adding the chatter changes
 * none of the leads, activities or attachments a seed gave before.
 */
import type { OdooDataset, Row } from "./dataset.ts";
import { parseTimestamp, pgTimestamp } from "./dataset.ts";
import { pick, rng, SALESPEOPLE } from "./vocabulary.ts";

/** Subtypes of crm.lead's chatter beside those of the reference rows (1 Discussions, 2 Note, 5 Opportunity Created). */
export const CHATTER_SUBTYPES: Row[] = [
  { id: 7, name: "Stage Changed" },
  { id: 8, name: "Opportunity Won" },
];

/** crm.lead's tracked fields, as `ir.model.fields` holds them (`field_description` in English). */
export const TRACKED_FIELDS: Row[] = [
  {
    id: 9101,
    name: "stage_id",
    model: "crm.lead",
    ttype: "many2one",
    field_description: "Stage",
    relation: "crm.stage",
  },
  {
    id: 9102,
    name: "user_id",
    model: "crm.lead",
    ttype: "many2one",
    field_description: "Salesperson",
    relation: "res.users",
  },
  {
    id: 9103,
    name: "expected_revenue",
    model: "crm.lead",
    ttype: "monetary",
    field_description: "Expected Revenue",
    relation: false,
  },
  {
    id: 9104,
    name: "priority",
    model: "crm.lead",
    ttype: "selection",
    field_description: "Priority",
    relation: false,
  },
];

const NOTES = [
  "<p>Note interne : le client a rappelé 📞</p>",
  "<p>Rendez-vous fixé jeudi, <b>apporter le devis</b>.</p>",
  "<p>Client hésitant sur le délai&nbsp;; relancer après les congés.</p>",
  "<ul><li>Chantier : 3 pièces</li><li>Budget « serré »</li></ul>",
  "<p>Appel manqué, message laissé.</p>",
];
const MAILS = [
  ["Demande de devis", "<p>Bonjour,<br>pourriez-vous m'envoyer un devis ?<br>Cordialement</p>"],
  ["Re: Devis", "<p>Merci, je reviens vers vous rapidement.</p>"],
  ["Photos du chantier", "<p>Voici les photos demandées.</p>"],
] as const;
const PRIORITIES = [["0", "Low"], ["1", "Medium"], ["2", "High"], ["3", "Very High"]] as const;

/** Options of `addChatter`. */
export interface ChatterOptions {
  /** Seed of the chatter's own random sequence. */
  seed: number;
  /** Share of leads with a creation notification (default 0.5: imported leads have none). */
  created?: number;
}

/**
 * Adds the chatter of every lead of `ds`: about 1.5 messages a lead, a fifth of them tracking changes, a few
 * notes with one of the lead's attachments.
 */
export function addChatter(ds: OdooDataset, opts: ChatterOptions): void {
  const random = rng(opts.seed * 7919 + 17);
  const subtypes = ds.table("mail.message.subtype");
  for (const s of CHATTER_SUBTYPES) if (!subtypes.get(s.id)) subtypes.insert({ ...s });
  const fields = ds.table("ir.model.fields");
  for (const f of TRACKED_FIELDS) if (!fields.get(f.id)) fields.insert({ ...f });
  const stages = ds.table("crm.stage");
  const users = ds.table("res.users");
  const partners = ds.table("res.partner");
  const messages = ds.table("mail.message");
  const tracking = ds.table("mail.tracking.value");
  const attachmentsOf = new Map<number, number[]>();
  for (const a of ds.table("ir.attachment").rows) {
    if (a.res_model !== "crm.lead" || a.res_field) continue;
    const list = attachmentsOf.get(a.res_id as number) ?? [];
    list.push(a.id);
    attachmentsOf.set(a.res_id as number, list);
  }
  let messageId = messages.nextId;
  let trackingId = tracking.nextId;
  const userPartner = (uid: number) => (users.get(uid)?.partner_id as number | undefined) ?? 3;
  const nameOf = (t: typeof stages, id: number) => String(t.get(id)?.name ?? "");
  let latest = 0;

  for (const lead of ds.table("crm.lead").rows) {
    let atMs = parseTimestamp(String(lead.create_date));
    const at = () => pgTimestamp(atMs += 60_000 + Math.floor(random() * 3_600_000), 0);
    const writeAt = (date: string) => pgTimestamp(parseTimestamp(date), 1 + Math.floor(random() * 999_999));
    const message = (m: Record<string, unknown>): Row => {
      const date = String(m.date);
      const row = messages.insert({
        id: messageId++,
        model: "crm.lead",
        res_id: lead.id,
        subject: false,
        body: "",
        email_from: false,
        author_id: 3,
        subtype_id: 2,
        attachment_ids: [],
        ...m,
        create_date: writeAt(date),
        write_date: writeAt(date),
        create_uid: 2,
        write_uid: 2,
      });
      return row;
    };
    const track = (msg: Row, field: Row, values: Record<string, unknown>) =>
      tracking.insert({
        id: trackingId++,
        field_id: field.id,
        field_info: false,
        // Odoo writes 0 in the numeric columns a change of another type leaves (Integer/Float columns).
        old_value_integer: 0,
        new_value_integer: 0,
        old_value_float: 0,
        new_value_float: 0,
        old_value_char: false,
        new_value_char: false,
        old_value_text: false,
        new_value_text: false,
        old_value_datetime: false,
        new_value_datetime: false,
        currency_id: false,
        mail_message_id: msg.id,
        ...values,
        create_date: msg.create_date,
        write_date: msg.create_date,
      });

    if (random() < (opts.created ?? 0.5)) {
      message({ message_type: "notification", subtype_id: 5, date: at(), author_id: userPartner(2) });
    }
    if (random() < 0.35) {
      const files = attachmentsOf.get(lead.id) ?? [];
      message({
        message_type: "comment",
        subtype_id: 2,
        body: pick(random, NOTES),
        date: at(),
        author_id: userPartner(pick(random, SALESPEOPLE)[0]),
        attachment_ids: files.length && random() < 0.5 ? [pick(random, files)] : [],
      });
    }
    if (random() < 0.3) {
      const [subject, body] = pick(random, MAILS);
      const customer = typeof lead.partner_id === "number" ? partners.get(lead.partner_id) : undefined;
      message({
        message_type: "email",
        subtype_id: 1,
        subject,
        body,
        date: at(),
        author_id: customer ? customer.id : false,
        email_from: customer && customer.email
          ? `"${customer.name}" <${customer.email}>`
          : `"${lead.contact_name || "Client"}" <${lead.email_from || "client@example.com"}>`,
      });
    }
    if (random() < 0.25) {
      const from = 1 + Math.floor(random() * 3);
      const to = from + 1;
      const msg = message({
        message_type: "notification",
        subtype_id: to === 4 ? 8 : 7,
        date: at(),
        author_id: userPartner(pick(random, SALESPEOPLE)[0]),
      });
      track(msg, TRACKED_FIELDS[0], {
        old_value_integer: from,
        new_value_integer: to,
        old_value_char: nameOf(stages, from),
        new_value_char: nameOf(stages, to),
      });
      if (random() < 0.4) {
        // Odoo writes a many2one that had no value as (0, ''): `_create_tracking_values`.
        const before = random() < 0.3 ? 0 : pick(random, SALESPEOPLE)[0];
        const [after] = pick(random, SALESPEOPLE);
        track(msg, TRACKED_FIELDS[1], {
          old_value_integer: before,
          new_value_integer: after,
          old_value_char: before ? nameOf(users, before) : "",
          new_value_char: nameOf(users, after),
        });
      }
      if (random() < 0.3) {
        track(msg, TRACKED_FIELDS[2], {
          old_value_float: Math.round(random() * 100_000) / 4,
          new_value_float: Math.round(random() * 100_000) / 4,
          currency_id: 1,
        });
      }
      if (random() < 0.2) {
        const [, oldLabel] = pick(random, PRIORITIES);
        const [, newLabel] = pick(random, PRIORITIES);
        track(msg, TRACKED_FIELDS[3], { old_value_char: oldLabel, new_value_char: newLabel });
      }
    }
    latest = Math.max(latest, atMs);
  }
  ds.advanceClockPast(pgTimestamp(latest + 60_000, 0));
}
