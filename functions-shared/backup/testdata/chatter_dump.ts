/**
 * The chatter tables of a simulated Odoo (`scripts/odoo_simulator`) as Odoo 17 makes them in its database:
 * `mail_message`, `message_attachment_rel`, `mail_tracking_value`, `mail_message_subtype`, `mail_activity`,
 * `mail_activity_type`, `ir_model_fields`, `res_users` and `res_partner`, with their real column names
 * and types (translated names as jsonb, datetimes without time zone, with microseconds) and a few columns
 * Passerelle does not read, in an order that is not the one it asks for. `pgDumpOdoo` creates and fills
 * them beside `ir_attachment`, so that the dump holds the blocks `deno task import-dump` reads.
 */
import type { Sql } from "../../deps.ts";
import type { OdooDataset, Row } from "../../../scripts/odoo_simulator/dataset.ts";

const DDL = `
  create table ir_model_fields (
    id serial primary key, model varchar not null, name varchar not null, relation varchar,
    field_description jsonb not null, ttype varchar not null, store boolean default true);
  create table res_partner (
    id serial primary key, company_id integer, create_date timestamp, name varchar, display_name varchar,
    email varchar, is_company boolean, active boolean default true, write_date timestamp);
  create table res_users (
    id serial primary key, company_id integer, partner_id integer not null, active boolean default true,
    login varchar not null, create_date timestamp, write_date timestamp);
  create table mail_message_subtype (
    id serial primary key, name jsonb not null, description jsonb, internal boolean, res_model varchar,
    sequence integer default 1);
  create table mail_activity_type (
    id serial primary key, name jsonb not null, summary jsonb, sequence integer, category varchar,
    res_model varchar, active boolean default true);
  create table mail_message (
    id serial primary key, parent_id integer, res_id integer, record_alias_domain_id integer,
    record_company_id integer, subtype_id integer, mail_activity_type_id integer, author_id integer,
    author_guest_id integer, mail_server_id integer, create_uid integer, write_uid integer, subject varchar,
    model varchar, record_name varchar, message_type varchar not null, email_from varchar, message_id varchar,
    reply_to varchar, email_layout_xmlid varchar, body text, preview text, is_internal boolean,
    reply_to_force_new boolean, email_add_signature boolean, date timestamp, pinned_at timestamp,
    create_date timestamp, write_date timestamp);
  create index mail_message_model_res_id_idx on mail_message (model, res_id);
  create table message_attachment_rel (
    message_id integer not null references mail_message (id) on delete cascade,
    attachment_id integer not null, primary key (message_id, attachment_id));
  create table mail_tracking_value (
    id serial primary key, field_id integer, old_value_integer integer, new_value_integer integer,
    currency_id integer, mail_message_id integer not null references mail_message (id) on delete cascade,
    create_uid integer, write_uid integer, old_value_char varchar, new_value_char varchar,
    old_value_text text, new_value_text text, field_info jsonb, old_value_float double precision,
    new_value_float double precision, old_value_datetime timestamp, new_value_datetime timestamp,
    create_date timestamp, write_date timestamp);
  create table mail_activity (
    id serial primary key, res_model_id integer not null, res_id integer, activity_type_id integer,
    user_id integer, request_partner_id integer, recommended_activity_type_id integer,
    previous_activity_type_id integer, create_uid integer, write_uid integer, res_model varchar,
    res_name varchar, summary varchar, date_deadline date not null, date_done date, automated boolean,
    note text, active boolean default true, calendar_event_id integer, create_date timestamp,
    write_date timestamp);`;

const v = (x: unknown) => (x === false || x === undefined ? null : x);
const en = (s: unknown) => ({ en_US: String(s), fr_FR: `${s} (fr)` });

async function insert(sql: Sql, table: string, rows: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 500) {
    await sql`insert into ${sql(table)} ${sql(rows.slice(i, i + 500) as Record<string, never>[])}`;
  }
}

/** Creates and fills the chatter tables of `ds` in the database `sql` is connected to. */
export function chatterTables(ds: OdooDataset): (sql: Sql) => Promise<void> {
  return async (sql) => {
    await sql.unsafe(DDL);
    const rows = (model: string) => ds.table(model).rows;
    await insert(
      sql,
      "ir_model_fields",
      rows("ir.model.fields").map((f) => ({
        id: f.id,
        model: f.model,
        name: f.name,
        relation: v(f.relation),
        field_description: sql.json(en(f.field_description)),
        ttype: f.ttype,
      })),
    );
    await insert(
      sql,
      "res_partner",
      rows("res.partner").map((p) => ({
        id: p.id,
        name: v(p.name),
        email: v(p.email),
        is_company: !!p.is_company,
        active: p.active !== false,
        company_id: 1,
      })),
    );
    await insert(
      sql,
      "res_users",
      rows("res.users").map((u) => ({
        id: u.id,
        partner_id: u.partner_id,
        login: u.login,
        active: u.active !== false,
      })),
    );
    await insert(
      sql,
      "mail_message_subtype",
      rows("mail.message.subtype").map((s) => ({
        id: s.id,
        name: sql.json(en(s.name)),
        internal: s.id === 2,
      })),
    );
    await insert(
      sql,
      "mail_activity_type",
      rows("mail.activity.type").map((t) => ({
        id: t.id,
        name: sql.json(en(t.name)),
        sequence: v(t.sequence),
        category: v(t.category),
      })),
    );
    const messages = rows("mail.message");
    await insert(
      sql,
      "mail_message",
      messages.map((m: Row) => ({
        id: m.id,
        res_id: v(m.res_id),
        model: v(m.model),
        subtype_id: v(m.subtype_id),
        author_id: v(m.author_id),
        subject: v(m.subject),
        message_type: m.message_type,
        email_from: v(m.email_from),
        body: typeof m.body === "string" ? m.body : null,
        date: v(m.date),
        is_internal: m.subtype_id === 2,
        create_uid: 2,
        write_uid: 2,
        create_date: v(m.create_date),
        write_date: v(m.write_date),
        message_id: `<${m.id}.simulated@example.com>`,
      })),
    );
    await insert(
      sql,
      "message_attachment_rel",
      messages.flatMap((m) =>
        ((m.attachment_ids as number[] | undefined) ?? []).map((a) => ({
          message_id: m.id,
          attachment_id: a,
        }))
      ),
    );
    await insert(
      sql,
      "mail_tracking_value",
      rows("mail.tracking.value").map((t) => {
        const out: Record<string, unknown> = {
          id: t.id,
          field_id: v(t.field_id),
          mail_message_id: t.mail_message_id,
          currency_id: v(t.currency_id),
          field_info: t.field_info ? sql.json(t.field_info as never) : null,
          create_date: v(t.create_date),
          write_date: v(t.write_date),
        };
        for (const side of ["old", "new"]) {
          for (const col of ["integer", "float", "char", "text", "datetime"]) {
            out[`${side}_value_${col}`] = v(t[`${side}_value_${col}`]);
          }
        }
        return out;
      }),
    );
    await insert(
      sql,
      "mail_activity",
      rows("mail.activity").map((a) => ({
        id: a.id,
        res_model_id: a.res_model_id ?? 393,
        res_id: v(a.res_id),
        res_model: v(a.res_model),
        activity_type_id: v(a.activity_type_id),
        user_id: v(a.user_id),
        summary: v(a.summary),
        note: v(a.note),
        date_deadline: a.date_deadline,
        date_done: v(a.date_done),
        automated: !!a.automated,
        active: a.active !== false,
        create_uid: 2,
        write_uid: 2,
        create_date: v(a.create_date),
        write_date: v(a.write_date),
      })),
    );
  };
}
