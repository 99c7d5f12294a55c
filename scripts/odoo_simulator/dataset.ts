/**
 * The simulated Odoo database: one id-sorted table per model, attachment
 * contents made on demand, a virtual clock for `write_date`, the mutators tests
 * use to change it, and `generateDataset()`, which makes a deterministic CRM of
 * any size with the traits the real one showed (accents and emoji, empty and
 * duplicate e-mails, ~5% archived leads, id gaps, batch-shared timestamps with
 * microseconds, hostile attachment names, shared contents, orphans).
 */
import { addChatter } from "./chatter.ts";
import type { Row } from "./domain.ts";
import { type AttachmentContent, contentBytes, contentKey, contentSize, sha1Hex } from "./content.ts";
import {
  ACTIVITY_NOTES,
  ACTIVITY_SUMMARIES,
  CITIES,
  COMPANY_KINDS,
  COMPANY_PLACES,
  COUNTRIES,
  description,
  emailPart,
  FIRST_NAMES,
  LAST_NAMES,
  LEAD_TEMPLATES,
  phone,
  pick,
  PRODUCTS,
  referenceRows,
  rng,
  SALESPEOPLE,
} from "./vocabulary.ts";

export type { Row } from "./domain.ts";

/** Rows of one model, kept sorted by id so keyset reads can binary-search. */
export class Table {
  readonly rows: Row[] = [];
  readonly #byId = new Map<number, Row>();
  /** Next id the sequence hands out (never reused, as PostgreSQL sequences). */
  nextId = 1;
  /** Bumped on every change, for caches. */
  version = 0;

  /** The row with this id, if any. */
  get(id: number): Row | undefined {
    return this.#byId.get(id);
  }

  /** Index of the first row whose id is >= `id`. */
  lowerBound(id: number): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rows[mid].id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Inserts a row (its id must be new); returns it. */
  insert(row: Row): Row {
    if (this.#byId.has(row.id)) throw new Error(`id ${row.id} already exists`);
    const last = this.rows[this.rows.length - 1];
    if (!last || last.id < row.id) this.rows.push(row);
    else this.rows.splice(this.lowerBound(row.id), 0, row);
    this.#byId.set(row.id, row);
    if (row.id >= this.nextId) this.nextId = row.id + 1;
    this.version++;
    return row;
  }

  /** Removes a row; returns it, or undefined when absent. */
  remove(id: number): Row | undefined {
    const row = this.#byId.get(id);
    if (!row) return undefined;
    this.rows.splice(this.lowerBound(id), 1);
    this.#byId.delete(id);
    this.version++;
    return row;
  }

  /** Number of rows. */
  get size(): number {
    return this.rows.length;
  }
}

/** Formats a UTC time as PostgreSQL stores Odoo datetimes: microseconds included. */
export function pgTimestamp(ms: number, micro: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-24T08:19:08.000Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${String(micro % 1_000_000).padStart(6, "0")}`;
}

/** Parses "YYYY-MM-DD HH:MM:SS[.ffffff]" (UTC) to ms. */
export function parseTimestamp(ts: string): number {
  return Date.parse(`${ts.slice(0, 19).replace(" ", "T")}Z`);
}

/** Values of a lead (raw: many2one as id or false, many2many as id list). */
export type LeadValues = Record<string, unknown>;

/** The whole simulated database. */
export class OdooDataset {
  /** Database name (`crm_src` as recorded). */
  readonly db: string;
  /** The date mail.activity `state` is computed against. */
  today: string;
  readonly tables = new Map<string, Table>();
  /** Contents of binary attachments, by attachment id. */
  readonly contents = new Map<number, AttachmentContent>();
  readonly #checksums = new Map<string, string>();
  #clockMs: number;
  #tick = 0;

  constructor(opts: { db?: string; today?: string; clockStart?: string } = {}) {
    this.db = opts.db ?? "crm_src";
    this.today = opts.today ?? "2026-11-24";
    this.#clockMs = parseTimestamp(opts.clockStart ?? "2026-11-24 09:00:00");
  }

  /** The table of a model (created empty on first use). */
  table(model: string): Table {
    let t = this.tables.get(model);
    if (!t) {
      t = new Table();
      this.tables.set(model, t);
    }
    return t;
  }

  /** Inserts rows into a model's table. */
  insert(model: string, rows: Row[]): void {
    const t = this.table(model);
    for (const r of rows) t.insert(r);
  }

  /**
   * The next transaction time: the virtual clock moves one second per call (or
   * `stepMs`) and never goes back, so each mutation has its own `write_date`, with
   * microseconds like PostgreSQL's `now()`; the API renders it to the second, so
   * a step under a second can give two writes the same rendered `write_date`.
   */
  now(stepMs = 1000): string {
    this.#clockMs += stepMs;
    this.#tick++;
    return pgTimestamp(this.#clockMs, (this.#tick * 7919 + 123457) % 999_983 + 1);
  }

  /** Moves the virtual clock so that the next `now()` is after `ts`. */
  advanceClockPast(ts: string): void {
    this.#clockMs = Math.max(this.#clockMs, parseTimestamp(ts));
  }

  // -- attachments ---------------------------------------------------------

  /** An attachment's bytes, or null for url attachments and unknown ids. */
  attachmentBytes(id: number): Uint8Array | null {
    const c = this.contents.get(id);
    return c ? contentBytes(c) : null;
  }

  /**
   * The sha1 of an attachment's content, computed on first need and cached per
   * content, so generating 20 MB files costs nothing until somebody asks.
   */
  contentChecksum(id: number): string | false {
    const c = this.contents.get(id);
    if (!c || contentSize(c) === 0) return false;
    const key = contentKey(c);
    if (key) {
      const cached = this.#checksums.get(key);
      if (cached) return cached;
    }
    const sum = sha1Hex(contentBytes(c));
    if (key) this.#checksums.set(key, sum);
    return sum;
  }

  /** Records the sha1 of an attachment's content hashed elsewhere (a backup writer), so it is not hashed again. */
  knownChecksum(id: number, sum: string): void {
    const c = this.contents.get(id);
    const key = c ? contentKey(c) : null;
    if (key) this.#checksums.set(key, sum);
  }

  /** Adds a binary attachment to a lead; returns its id. */
  addAttachment(
    resId: number,
    a: {
      name: string;
      mimetype?: string;
      bytes?: Uint8Array;
      size?: number;
      seed?: number;
      resModel?: string;
    },
  ): number {
    const t = this.table("ir.attachment");
    const id = t.nextId;
    const mimetype = a.mimetype ?? "application/octet-stream";
    const content: AttachmentContent = a.bytes
      ? { kind: "bytes", bytes: a.bytes }
      : { kind: "generated", seed: a.seed ?? id, size: a.size ?? 1024, mimetype };
    const at = this.now();
    t.insert(attachmentRow(id, a.name, mimetype, a.resModel ?? "crm.lead", resId, contentSize(content), at));
    this.contents.set(id, content);
    return id;
  }

  /** Deletes an attachment. */
  deleteAttachment(id: number): void {
    if (!this.table("ir.attachment").remove(id)) throw new Error(`no ir.attachment ${id}`);
    this.contents.delete(id);
  }

  // -- leads ---------------------------------------------------------------

  /** Creates a lead as `create` would (both dates set to the transaction time); returns its id. */
  createLead(values: LeadValues = {}): number {
    const t = this.table("crm.lead");
    const at = this.now();
    const id = t.nextId;
    t.insert({
      id,
      name: "Nouveau lead",
      type: "lead",
      active: true,
      email_from: false,
      phone: false,
      partner_id: false,
      partner_name: false,
      contact_name: false,
      user_id: 2,
      team_id: 1,
      stage_id: 1,
      tag_ids: [],
      expected_revenue: 0,
      probability: 10,
      priority: "0",
      description: false,
      date_deadline: false,
      date_closed: false,
      lost_reason_id: false,
      company_id: 1,
      create_uid: 2,
      write_uid: 2,
      ...values,
      create_date: at,
      write_date: at,
    });
    return id;
  }

  /**
   * Changes a lead as `write` does: `write_date` moves to the transaction time; returns it.
   * `afterMs` is how long after the previous write this one lands (default one second).
   */
  editLead(id: number, changes: LeadValues, opts: { afterMs?: number } = {}): string {
    return this.touchLeads([id], changes, opts);
  }

  /** One `write` on several leads: they all share one `write_date` (fixture 14). */
  touchLeads(ids: number[], changes: LeadValues = {}, opts: { afterMs?: number } = {}): string {
    const t = this.table("crm.lead");
    const rows = ids.map((id) => {
      const row = t.get(id);
      if (!row) throw new Error(`no crm.lead ${id}`);
      return row;
    });
    const at = this.now(opts.afterMs);
    for (const row of rows) Object.assign(row, changes, { id: row.id, write_date: at, write_uid: 2 });
    t.version++;
    return at;
  }

  /** Archives a lead (`active = false`, as "Lost" does). */
  archiveLead(id: number): string {
    const at = this.editLead(id, { active: false });
    this.table("crm.lead").get(id)!.date_closed = at;
    return at;
  }

  /**
   * Deletes a lead. Odoo's `unlink` deletes the record's attachments and
   * activities with it; `keepAttachments` leaves them behind as orphans (what
   * a deletion done in SQL leaves, fixtures 45/63).
   */
  deleteLead(id: number, opts: { keepAttachments?: boolean } = {}): void {
    if (!this.table("crm.lead").remove(id)) throw new Error(`no crm.lead ${id}`);
    for (const model of ["mail.activity", "ir.attachment", "mail.message"]) {
      if (model === "ir.attachment" && opts.keepAttachments) continue;
      const t = this.table(model);
      const on = model === "mail.message" ? "model" : "res_model";
      const dead = t.rows.filter((r) => r[on] === "crm.lead" && r.res_id === id).map((r) => r.id);
      for (const d of dead) {
        t.remove(d);
        this.contents.delete(d);
      }
      if (model === "mail.message" && dead.length) {
        // mail_tracking_value.mail_message_id is `ondelete='cascade'`.
        const gone = new Set(dead);
        const tv = this.table("mail.tracking.value");
        for (const v of tv.rows.filter((r) => gone.has(r.mail_message_id as number))) tv.remove(v.id);
      }
    }
  }
}

/** An ir.attachment row for a binary content (checksum and store_fname are filled on first read). */
function attachmentRow(
  id: number,
  name: string,
  mimetype: string,
  resModel: string,
  resId: number,
  size: number,
  at: string,
): Row {
  const row: Row = {
    id,
    name,
    mimetype,
    type: "binary",
    url: false,
    res_model: resModel,
    res_id: resId,
    res_field: false,
    file_size: size,
    description: false,
    public: false,
    access_token: false,
    company_id: 1,
    create_date: at,
    write_date: at,
    create_uid: 2,
    write_uid: 2,
  };
  if (size === 0) {
    row.checksum = false;
    row.store_fname = false;
  }
  return row;
}

/** Options of `generateDataset`. */
export interface DatasetOptions {
  /** Number of crm.lead rows. */
  leads: number;
  /** Seed: the same options always give the same dataset. */
  seed: number;
  /** ir.attachment rows on leads (default: 13% of leads, as recorded). */
  attachments?: number;
  /** mail.activity rows (default: a third of leads). */
  activities?: number;
  /** Company partners (default: leads / 20, at least 3). */
  companies?: number;
  /** Share of archived leads (default 0.05). */
  archivedRatio?: number;
  /** Leave holes in lead ids, as a retried batch create does (default true). */
  idGaps?: boolean;
  /** Size range of generated attachments, log-uniform (default 200 B to 300 KB). */
  attachmentBytes?: { min: number; max: number };
  /** A few big attachments, e.g. `{ count: 2, bytes: 20_000_000 }` (made only when read). */
  largeAttachments?: { count: number; bytes: number };
  /** Database name (default `crm_src`). */
  db?: string;
  /** The leads' mail.message and mail.tracking.value rows (default true; see chatter.ts). */
  chatter?: boolean;
}

const BASE_MS = parseTimestamp("2026-11-24 08:19:08");

/** Makes a deterministic CRM database. */
export function generateDataset(opts: DatasetOptions): OdooDataset {
  const random = rng(opts.seed);
  const ds = new OdooDataset({ db: opts.db });
  for (const [model, rows] of Object.entries(referenceRows())) ds.insert(model, rows);

  const companies = addPartners(ds, random, opts.companies ?? Math.max(3, Math.round(opts.leads / 20)));
  const lastLeadAt = addLeads(ds, random, opts, companies);
  const leadIds = ds.table("crm.lead").rows.map((r) => r.id);
  addActivities(ds, random, opts.activities ?? Math.round(opts.leads / 3), leadIds, lastLeadAt);
  addAttachments(ds, random, opts, leadIds, lastLeadAt);
  if (opts.chatter !== false) addChatter(ds, { seed: opts.seed });
  ds.advanceClockPast(pgTimestamp(parseTimestamp(lastLeadAt) + 600_000, 0));
  return ds;
}

interface Company {
  id: number;
  name: string;
  contacts: number[];
}

function addPartners(ds: OdooDataset, random: () => number, count: number): Company[] {
  const t = ds.table("res.partner");
  const companies: Company[] = [];
  const seen = new Map<string, number>();
  const at = (s: number) => pgTimestamp(BASE_MS + s * 1000, 1000 + s);
  let id = 12;
  for (let i = 0; i < count; i++) {
    let name = `${pick(random, COMPANY_KINDS)} ${pick(random, COMPANY_PLACES)}`;
    const n = seen.get(name) ?? 0;
    seen.set(name, n + 1);
    if (n > 0) name = `${name}${random() < 0.3 ? " 🚀" : ""} #${n}`;
    const [countryId] = pick(random, COUNTRIES);
    const address = {
      street: `${1 + Math.floor(random() * 200)} rue de l'Église`,
      city: pick(random, CITIES),
      zip: String(10000 + Math.floor(random() * 89999)),
      country_id: countryId,
    };
    companies.push({ id, name, contacts: [] });
    t.insert(
      partnerRow(id++, name, true, false, random() < 0.7 ? `contact@${emailPart(name)}.example` : false, {
        phone: random() < 0.8 ? phone(random) : false,
        ...address,
        create_date: at(8),
        write_date: at(8 + Math.floor(random() * 24)),
      }),
    );
  }
  // Child contacts of companies, then people without a company.
  for (const c of companies) {
    const parent = t.get(c.id)!;
    const n = Math.floor(random() * 4);
    for (let k = 0; k < n; k++) {
      const first = pick(random, FIRST_NAMES);
      const last = pick(random, LAST_NAMES);
      const domain = pick(random, ["gmail.com", "corp.example", "client.example"]);
      c.contacts.push(id);
      t.insert(
        partnerRow(
          id++,
          `${first} ${last}`,
          false,
          c.id,
          `${emailPart(first)}.${emailPart(last)}@${domain}`,
          {
            phone: random() < 0.7 ? phone(random) : false,
            street: parent.street,
            city: parent.city,
            zip: parent.zip,
            country_id: parent.country_id,
            create_date: at(16),
            write_date: at(16 + Math.floor(random() * 24)),
          },
        ),
      );
    }
  }
  for (let k = 0; k < Math.round(count / 2); k++) {
    const first = pick(random, FIRST_NAMES);
    const last = pick(random, LAST_NAMES);
    t.insert(
      partnerRow(id++, `${first} ${last}`, false, false, `${emailPart(first)}.${emailPart(last)}@gmail.com`, {
        phone: random() < 0.5 ? phone(random) : false,
        create_date: at(16),
        write_date: at(16),
      }),
    );
  }
  return companies;
}

function partnerRow(
  id: number,
  name: string,
  isCompany: boolean,
  parentId: number | false,
  email: string | false,
  extra: Record<string, unknown>,
): Row {
  return {
    id,
    name,
    is_company: isCompany,
    parent_id: parentId,
    type: "contact",
    email,
    phone: false,
    street: false,
    city: false,
    zip: false,
    country_id: false,
    active: true,
    company_id: false,
    create_uid: 2,
    write_uid: 2,
    ...extra,
  };
}

/** Adds leads in batches of 250 ids (one `create` call each, sharing `create_date`); returns the last time used. */
function addLeads(ds: OdooDataset, random: () => number, opts: DatasetOptions, companies: Company[]): string {
  const t = ds.table("crm.lead");
  const archivedRatio = opts.archivedRatio ?? 0.05;
  const gaps = opts.idGaps ?? true;
  const partners = ds.table("res.partner").rows.filter((p) => p.id >= 12).map((p) => p.id);
  const emails: string[] = [];
  let id = 1;
  let batch = -1;
  let batchAt = "";
  let second = 0;
  for (let i = 0; i < opts.leads; i++) {
    if (i % 250 === 0) {
      batch++;
      // A serialization failure made Odoo retry one batch: its first try used 250 ids (fixture note 9).
      if (gaps && batch === 2 && opts.leads > 500) id += 250;
      second = Math.round(batch * 2.7);
      batchAt = pgTimestamp(BASE_MS + second * 1000, 104_729 * (batch + 1) % 999_983 + 1);
    }
    if (gaps && random() < 0.004) id += 1 + Math.floor(random() * 3);
    const first = pick(random, FIRST_NAMES);
    const last = pick(random, LAST_NAMES);
    const product = pick(random, PRODUCTS);
    const company = pick(random, companies);
    let email: string | false = `${emailPart(first)}.${emailPart(last)}${i}@client.example`;
    const e = random();
    if (e < 0.05) email = false;
    else if (e < 0.08 && emails.length > 0) {
      const dup = pick(random, emails);
      email = random() < 0.5 ? dup : dup.toUpperCase();
    }
    if (email) emails.push(email);
    const [userId, teamId] = random() < 0.15 ? [false, 1] : pick(random, SALESPEOPLE);
    const stage = pick(random, [1, 1, 1, 2, 2, 3, 5, 4, teamId === 5 ? 6 : 2]);
    const won = stage === 4;
    const [countryId] = pick(random, COUNTRIES);
    const row: Row = {
      id,
      name: pick(random, LEAD_TEMPLATES)(product),
      type: random() < 0.6 ? "opportunity" : "lead",
      active: true,
      email_from: email,
      phone: random() < 0.7 ? phone(random) : false,
      partner_id: random() < 0.35
        ? (random() < 0.5 && company.contacts.length
          ? pick(random, company.contacts)
          : pick(random, partners))
        : false,
      partner_name: company.name.replace(/ #\d+$/, ""),
      contact_name: `${first} ${last}`,
      user_id: userId,
      team_id: teamId,
      stage_id: stage,
      tag_ids: pickTags(random),
      expected_revenue: random() < 0.4 ? 0 : Math.round(random() * 25_000_000) / 100,
      probability: won ? 100 : pick(random, [0, 10, 20, 33.33, 50, 75]),
      priority: pick(random, ["0", "0", "0", "0", "0", "1", "1", "2", "3"]),
      description: description(random, product),
      date_deadline: random() < 0.6 ? dateOffset("2026-11-24", Math.floor(random() * 400) - 200) : false,
      date_closed: won ? batchAt : false,
      create_date: batchAt,
      write_date: batchAt,
      lost_reason_id: false,
      company_id: random() < 0.9 ? 1 : false,
      city: pick(random, CITIES),
      zip: String(10000 + Math.floor(random() * 89999)),
      country_id: countryId,
      create_uid: 2,
      write_uid: 2,
    };
    t.insert(row);
    id++;
  }
  // Archive ~5% ("Lost") in one write, then edit ~1% in another: rows of one write share write_date.
  let s = second + 5;
  const at = () => pgTimestamp(BASE_MS + ++s * 1000, 57_254 + s);
  const lostAt = at();
  for (const row of t.rows) {
    if (random() < archivedRatio) {
      Object.assign(row, {
        active: false,
        probability: 0,
        date_closed: lostAt,
        write_date: lostAt,
        lost_reason_id: random() < 0.5 ? pick(random, [1, 2, 3]) : false,
      });
    }
  }
  const editAt = at();
  for (const row of t.rows) if (row.active && random() < 0.012) row.write_date = editAt;
  t.version++;
  return editAt;
}

function pickTags(random: () => number): number[] {
  const n = random() < 0.6 ? 0 : 1 + Math.floor(random() * 3);
  const tags = new Set<number>();
  while (tags.size < n) tags.add(1 + Math.floor(random() * 12));
  return [...tags].sort((a, b) => a - b);
}

/** A date `days` after `date` (YYYY-MM-DD). */
export function dateOffset(date: string, days: number): string {
  const key = `${date}|${days}`;
  let out = dates.get(key);
  if (out === undefined) {
    out = new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
    dates.set(key, out);
  }
  return out;
}

const dates = new Map<string, string>();

function addActivities(
  ds: OdooDataset,
  random: () => number,
  count: number,
  leadIds: number[],
  after: string,
) {
  if (leadIds.length === 0) return;
  const t = ds.table("mail.activity");
  const at = pgTimestamp(parseTimestamp(after) + 3000, 424_242);
  for (let id = 1; id <= count; id++) {
    const [userId] = pick(random, SALESPEOPLE);
    t.insert({
      id,
      res_model: "crm.lead",
      res_model_id: 393,
      res_id: pick(random, leadIds),
      activity_type_id: 1 + Math.floor(random() * 5),
      summary: pick(random, ACTIVITY_SUMMARIES),
      note: pick(random, ACTIVITY_NOTES),
      date_deadline: dateOffset(ds.today, Math.floor(random() * 80) - 40),
      user_id: userId,
      active: true,
      automated: false,
      date_done: false,
      create_date: at,
      write_date: at,
      create_uid: 2,
      write_uid: 2,
    });
  }
}

const KINDS: [string, string, string][] = [
  ["Devis", "pdf", "application/pdf"],
  ["Contrat signé", "pdf", "application/pdf"],
  ["photo chantier", "jpg", "image/jpeg"],
  ["plan", "png", "image/png"],
  ["notes réunion", "txt", "text/plain"],
  ["export", "csv", "text/csv"],
  ["tableau", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
  ["compte-rendu", "docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
  ["archive", "zip", "application/zip"],
];

const IMAGE_FIELDS = ["image_1920", "image_1024", "image_512", "image_256", "image_128"];

/**
 * Attachments: first the field-linked partner images Odoo hides from search
 * (fixture 47/48), then lead attachments with the recorded special cases
 * (fixture 42), generic files, two url attachments and one orphan.
 */
function addAttachments(
  ds: OdooDataset,
  random: () => number,
  opts: DatasetOptions,
  leadIds: number[],
  after: string,
): void {
  const t = ds.table("ir.attachment");
  t.nextId = 14;
  const at = pgTimestamp(parseTimestamp(after) + 2000, 313_131);
  const partnerIds = ds.table("res.partner").rows.filter((p) => p.active && p.id !== 2).slice(0, 12).map((
    p,
  ) => p.id);
  for (const field of IMAGE_FIELDS) {
    for (const pid of partnerIds) {
      const id = t.nextId;
      const size = { image_1920: 48_213, image_1024: 30_114, image_512: 18_020, image_256: 12_811 }[field] ??
        10_573;
      t.insert({
        ...attachmentRow(id, field, "image/png", "res.partner", pid, size, at),
        res_field: field,
        company_id: false,
      });
      ds.contents.set(id, {
        kind: "generated",
        seed: 7_000 + IMAGE_FIELDS.indexOf(field),
        size,
        mimetype: "image/png",
      });
    }
  }
  const count = opts.attachments ?? Math.round(opts.leads * 0.13);
  if (count === 0 || leadIds.length === 0) return;
  const lead = () => pick(random, leadIds);
  const add = (name: string, mimetype: string, content: AttachmentContent, resId = lead()) => {
    const id = t.nextId;
    t.insert(attachmentRow(id, name, mimetype, "crm.lead", resId, contentSize(content), at));
    ds.contents.set(id, content);
    return id;
  };
  const gen = (seed: number, size: number, mimetype: string): AttachmentContent => ({
    kind: "generated",
    seed,
    size,
    mimetype,
  });
  const text = (s: string): AttachmentContent => ({ kind: "bytes", bytes: new TextEncoder().encode(s) });

  // The recorded special cases, as many as `count` allows (keeping 3 for url/orphan/generic).
  const specials: (() => void)[] = [
    () => add("vide.txt", "text/plain", text("")),
    () => add("empty-no-mimetype", "application/octet-stream", text("")),
    () => add("../../etc/passwd.txt", "text/plain", text("root:x:0:0:not really:/root:/bin/sh\n")),
    () => add("what?.txt", "text/plain", text("question mark in name\n")),
    () => add("facture #12.pdf", "application/pdf", gen(12, 12_009, "application/pdf")),
    () =>
      add(
        "  espaces  dans le nom .docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        gen(13, 30_000, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
      ),
    () => add("émoji 🎉 notes.txt", "text/plain", text("Notes de réunion 🎉\nTout va bien.\n")),
    () => add("sans_extension", "application/octet-stream", gen(14, 2048, "application/octet-stream")),
    () => add("a/b\\c:d*e|f.txt", "text/plain", text("hostile characters in name\n")),
    () =>
      add("page.html", "text/html", text("<html><body><script>alert(1)</script>page</body></html>\n\n\n")),
    () => add("données.csv", "text/csv", text("id;nom;montant\n1;Éric;12,50\n2;Zoë;7,00\n")),
    () => {
      for (const n of ["logo.png", "logo-1.png", "logo-2.png"]) {
        add(n, "image/png", gen(15, 12_380, "image/png"));
      }
    },
    () => {
      for (let k = 0; k < 2; k++) {
        add("Conditions générales de vente.pdf", "application/pdf", gen(16, 300_039, "application/pdf"));
      }
    },
    () => {
      const on = lead();
      add("duplicate-name.txt", "text/plain", text("version 1\n"), on);
      add("duplicate-name.txt", "text/plain", text("version 2\n"), on);
    },
  ];
  // Keep room for the url attachments and the orphan.
  const urlCount = Math.max(0, Math.min(2, count - 1));
  const room = count - urlCount - 1;
  const start = t.nextId;
  for (const special of specials) {
    if (t.nextId - start >= room - 1) break;
    special();
  }
  const { min, max } = opts.attachmentBytes ?? { min: 200, max: 300_000 };
  let large = opts.largeAttachments?.count ?? 0;
  while (t.nextId - start < room) {
    const [kind, ext, mimetype] = pick(random, KINDS);
    const size = large-- > 0
      ? opts.largeAttachments!.bytes
      : Math.round(Math.exp(Math.log(min) + random() * (Math.log(max) - Math.log(min))));
    add(`${kind} ${t.nextId}.${ext}`, mimetype, gen(100_000 + t.nextId, size, mimetype));
  }
  // Url attachments: no content, file_size 0, checksum false (fixture 44).
  const urls: [string, string, string][] = [
    ["Plaquette en ligne", "https://www.example.com/plaquette.pdf", "application/pdf"],
    ["Vidéo démo 🎬", "https://video.example.com/watch?v=42#t=10", "application/octet-stream"],
  ];
  for (const [name, url, mimetype] of urls.slice(0, urlCount)) {
    const id = t.nextId;
    t.insert({ ...attachmentRow(id, name, mimetype, "crm.lead", lead(), 0, at), type: "url", url });
  }
  // One orphan: its lead id was used then deleted (fixture 45/63).
  const leads = ds.table("crm.lead");
  const orphanLead = leads.nextId++;
  add("orphelin.pdf", "application/pdf", gen(17, 4_321, "application/pdf"), orphanLead);
}
