/**
 * `fixtureDataset()`: the recorded Odoo 17 database rebuilt from the records
 * the transcripts in scripts/fixtures/odoo/ hold, with filler rows placed so
 * that every count, page boundary and order the transcripts show comes out the
 * same: 3,000 leads over ids 1-3250 (ids 501-750 lost to a retried batch), 200
 * archived of which 14 below id 215 (page 1 ends at 214) and the first five are
 * 6, 10, 41, 48, 53; 37 leads written at 08:19:59; ids 3213-3250 holding one
 * archived lead; 501 active partners; 60 field-linked partner images (ids
 * 14-73); lead attachments 74-468 plus orphan 469 on deleted lead 3251 and
 * deleted attachment 470; 1,000 activities.
 *
 * Recorded rows keep their recorded values (many2one stored as the recorded
 * `[id, name]`). Attachments whose bytes were not recorded get filler bytes of
 * the recorded size: their `datas` does not hash to their recorded `checksum`.
 * Attachments 74, 75, 78, 81, 85 and 92 have their real bytes.
 */
import { OdooDataset, type Row } from "./dataset.ts";
import { type AttachmentContent, fromBase64 } from "./content.ts";
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
import { MODELS } from "./schema.ts";

/** One recorded request/response pair. */
export interface Transcript {
  file: string;
  description: string;
  request: {
    method: string;
    path: string;
    headers: Record<string, string>;
    body: unknown;
    body_is_raw_text?: boolean;
  };
  response: { status: number; headers: Record<string, string>; body: unknown };
  truncated_from?: number;
  truncated_path?: string;
  notes?: string;
}

/** The directory holding the transcripts. */
export const FIXTURE_DIR = new URL("../fixtures/odoo/", import.meta.url);

/** Reads every transcript, in file-name order. */
export function loadTranscripts(dir: URL = FIXTURE_DIR): Transcript[] {
  const files = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".json")).sort();
  return files.map((file) => ({ file, ...JSON.parse(Deno.readTextFileSync(new URL(file, dir))) }));
}

/** Records found in transcripts: model → id → merged recorded fields. */
function recordedRows(transcripts: Transcript[]): Map<string, Map<number, Record<string, unknown>>> {
  const out = new Map<string, Map<number, Record<string, unknown>>>();
  for (const t of transcripts) {
    const params = (t.request.body as { params?: { method?: string; args?: unknown[] } } | null)?.params;
    if (params?.method !== "execute_kw") continue;
    const model = params.args?.[3];
    const result = (t.response.body as { result?: unknown }).result;
    if (typeof model !== "string" || !Array.isArray(result)) continue;
    for (const rec of result) {
      if (typeof rec !== "object" || rec === null || typeof rec.id !== "number") continue;
      let byId = out.get(model);
      if (!byId) out.set(model, byId = new Map());
      byId.set(rec.id, { ...byId.get(rec.id), ...rec });
    }
  }
  return out;
}

/** Microseconds per displayed second, so rows of one recorded write share one raw value. */
function raw(ts: string): string {
  if (ts.length > 19) return ts;
  let h = 0;
  for (const ch of ts) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `${ts}.${String((h % 999_983) + 1).padStart(6, "0")}`;
}

/** Turns recorded (rendered) values into raw ones: datetimes get microseconds back. */
function toRaw(model: string, rec: Record<string, unknown>): Row {
  const def = MODELS.get(model)!;
  const row: Row = { id: rec.id as number };
  for (const [k, v] of Object.entries(rec)) {
    if (k === "datas") continue; // content lives in ds.contents
    row[k] = def.fields[k]?.type === "datetime" && typeof v === "string" ? raw(v) : v;
  }
  return row;
}

const AT = (s: number) => raw(`2026-11-24 08:19:${String(s).padStart(2, "0")}`);

/** Builds the dataset the transcripts were recorded against. */
export function fixtureDataset(transcripts: Transcript[] = loadTranscripts()): OdooDataset {
  const rec = recordedRows(transcripts);
  const random = rng(17);
  const ds = new OdooDataset({ db: "crm_src", today: "2026-11-24", clockStart: "2026-11-24 09:00:00" });
  const reference = referenceRows();
  for (const [model, rows] of Object.entries(reference)) ds.insert(model, rows.map((r) => overlay(model, r)));

  function overlay(model: string, row: Row): Row {
    const r = rec.get(model)?.get(row.id);
    return r ? { ...row, ...toRaw(model, r) } : row;
  }

  // -- partners: companies 12-161, their contacts 162-397, people 398-505 ---------------
  const partnerNames = new Map<number, string>();
  for (const lead of rec.get("crm.lead")?.values() ?? []) {
    const p = lead.partner_id;
    if (Array.isArray(p) && !String(p[1]).includes(", ")) partnerNames.set(p[0] as number, String(p[1]));
  }
  const partners: Row[] = [];
  for (let id = 12; id <= 505; id++) {
    const isCompany = id <= 161;
    const parent = id >= 162 && id <= 397 ? 12 + Math.floor((id - 162) / 3) : false;
    const first = pick(random, FIRST_NAMES);
    const last = pick(random, LAST_NAMES);
    const name = partnerNames.get(id) ??
      (isCompany
        ? `${pick(random, COMPANY_KINDS)} ${pick(random, COMPANY_PLACES)} #${id}`
        : `${first} ${last}`);
    const [countryId] = pick(random, COUNTRIES);
    partners.push(overlay("res.partner", {
      id,
      name,
      is_company: isCompany,
      parent_id: parent,
      type: "contact",
      email: isCompany ? false : `${emailPart(first)}.${emailPart(last)}@client.example`,
      phone: phone(random),
      street: `${id} rue de l'Église`,
      city: pick(random, CITIES),
      zip: String(10000 + id),
      country_id: countryId,
      active: true,
      company_id: false,
      create_date: AT(8),
      write_date: AT(16),
      create_uid: 2,
      write_uid: 2,
    }));
  }
  ds.insert("res.partner", partners);

  // -- leads ------------------------------------------------------------------
  const recordedLeads = rec.get("crm.lead") ?? new Map();
  // Names of leads that activities were recorded on (fixture 52's res_name).
  const leadNames = new Map<number, string>();
  for (const a of rec.get("mail.activity")?.values() ?? []) {
    if (a.res_model === "crm.lead") leadNames.set(a.res_id as number, String(a.res_name));
  }
  const ids = [...range(1, 500), ...range(751, 3250)];
  const batchSeconds = [8, 16, 19, 21, 24, 26, 28, 31, 33, 35, 38, 40];
  const known = new Set([...recordedLeads.keys(), ...leadNames.keys(), ...attachmentLeadIds(rec)]);
  const archived = new Set<number>();
  for (const [id, r] of recordedLeads) if (r.active === false) archived.add(id);
  // 9 more archived in 54..213 (page 1 holds 200 active among ids 1-214), one in 3218..3250 (fixture 16).
  for (const id of [61, 77, 93, 111, 129, 146, 163, 178, 199, 3249]) archived.add(id);
  const rest = ids.filter((id) => id > 215 && id < 3212 && !known.has(id));
  for (let i = 0; archived.size < 200 && i < rest.length; i += 13) archived.add(rest[i]);
  // The 37 leads one write touched at 08:19:59 (fixtures 14, 15).
  const touched = new Set(
    [...recordedLeads].filter(([, r]) => String(r.write_date).startsWith("2026-11-24 08:19:59")).map(([id]) =>
      id
    ),
  );
  const spare = rest.filter((id) => id > 459 && !archived.has(id));
  for (let i = 7; touched.size < 37 && i < spare.length; i += 61) touched.add(spare[i]);

  const leads: Row[] = ids.map((id, index) => {
    const created = AT(batchSeconds[Math.floor(index / 250)]);
    const first = pick(random, FIRST_NAMES);
    const last = pick(random, LAST_NAMES);
    const product = pick(random, PRODUCTS);
    const [userId, teamId] = random() < 0.15 ? [false, 1] : pick(random, SALESPEOPLE);
    const [countryId] = pick(random, COUNTRIES);
    const isArchived = archived.has(id);
    const row: Row = {
      id,
      name: leadNames.get(id) ?? pick(random, LEAD_TEMPLATES)(product),
      type: random() < 0.6 ? "opportunity" : "lead",
      active: !isArchived,
      email_from: random() < 0.05 ? false : `${emailPart(first)}.${emailPart(last)}${id - 1}@client.example`,
      phone: random() < 0.7 ? phone(random) : false,
      partner_id: false,
      partner_name: `${pick(random, COMPANY_KINDS)} ${pick(random, COMPANY_PLACES)}`,
      contact_name: `${first} ${last}`,
      user_id: userId,
      team_id: teamId,
      stage_id: pick(random, [1, 1, 2, 3, 5]),
      tag_ids: [],
      expected_revenue: random() < 0.4 ? 0 : Math.round(random() * 25_000_000) / 100,
      probability: isArchived ? 0 : pick(random, [0, 10, 20, 33.33, 50, 75]),
      // Never "3": fixture 18's default order (priority desc, id desc) must find only the recorded ones.
      priority: pick(random, ["0", "0", "0", "1", "2"]),
      description: description(random, product),
      date_deadline: false,
      date_closed: isArchived ? AT(47) : false,
      create_date: created,
      write_date: isArchived ? AT(47) : touched.has(id) ? AT(59) : created,
      lost_reason_id: false,
      company_id: 1,
      city: pick(random, CITIES),
      zip: String(10000 + id),
      country_id: countryId,
      create_uid: 2,
      write_uid: 2,
    };
    return overlay("crm.lead", row);
  });
  ds.insert("crm.lead", leads);
  ds.table("crm.lead").nextId = 3252; // 3251 was created, then deleted (its attachment is the orphan)

  // -- attachments --------------------------------------------------------------
  const recordedAttachments = rec.get("ir.attachment") ?? new Map();
  const bytes = new Map<number, Uint8Array>();
  for (const t of transcripts) {
    const result = (t.response.body as { result?: unknown }).result;
    if (!Array.isArray(result)) continue;
    for (const r of result) {
      if (typeof r?.datas === "string" && !r.datas.startsWith("<omitted")) {
        bytes.set(r.id, fromBase64(r.datas));
      }
    }
  }
  const imagePartners = [1, 3, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
  const fields = ["image_1920", "image_1024", "image_512", "image_256", "image_128"];
  const attachments: Row[] = [];
  const contents = new Map<number, AttachmentContent>();
  let id = 14;
  for (const field of fields) {
    for (const pid of imagePartners) {
      const size = field === "image_128" ? 10_573 : 20_000 + 4_000 * fields.indexOf(field);
      contents.set(id, {
        kind: "generated",
        seed: 7_000 + fields.indexOf(field),
        size,
        mimetype: "image/png",
      });
      const row = attachment(id, field, "image/png", "res.partner", pid, size, AT(8), { res_field: field });
      const recorded = recordedAttachments.get(id++);
      attachments.push(recorded ? { ...row, ...toRaw("ir.attachment", recorded) } : row);
    }
  }
  const leadIds = ids;
  const sharedCopies: Record<number, number> = {};
  for (const n of range(97, 103)) sharedCopies[n] = 94; // logo-3..logo-9.png: 10 logos share one content
  for (const n of range(106, 108)) sharedCopies[n] = 104; // 5 copies of the terms and conditions
  for (id = 74; id <= 469; id++) {
    const copyOf = sharedCopies[id];
    const base = recordedAttachments.get(copyOf ?? id);
    const resId = id === 469 ? 3251 : pick(random, leadIds);
    if (base) {
      const name = copyOf === 94 ? `logo-${id - 94}.png` : String(base.name);
      const size = Number(base.file_size ?? 0);
      const at = String(base.create_date ?? "2026-11-24 08:19:51");
      const row = attachment(id, name, String(base.mimetype), "crm.lead", resId, size, raw(at), {});
      Object.assign(row, copyOf ? {} : toRaw("ir.attachment", base));
      if (copyOf) Object.assign(row, { checksum: base.checksum, store_fname: base.store_fname });
      attachments.push(row);
      if (row.type !== "url") {
        const known = bytes.get(id);
        contents.set(
          id,
          known ? { kind: "bytes", bytes: known } : {
            kind: "generated",
            seed: copyOf ?? id,
            size,
            mimetype: String(base.mimetype),
          },
        );
      }
      continue;
    }
    const [kind, ext, mimetype] = pick(
      random,
      [
        ["Devis", "pdf", "application/pdf"],
        ["photo chantier", "jpg", "image/jpeg"],
        ["notes réunion", "txt", "text/plain"],
        ["export", "csv", "text/csv"],
      ] as const,
    );
    const size = 500 + Math.floor(random() * 60_000);
    const name = id === 469 ? "orphelin.pdf" : `${kind} ${id}.${ext}`;
    contents.set(id, { kind: "generated", seed: 100_000 + id, size, mimetype });
    attachments.push(attachment(id, name, mimetype, "crm.lead", resId, size, AT(51), {}));
  }
  ds.insert("ir.attachment", attachments);
  for (const [k, v] of contents) ds.contents.set(k, v);
  ds.table("ir.attachment").nextId = 471; // 470 was deleted (fixture 49)

  // -- activities and messages ------------------------------------------------------
  const recordedActivities = rec.get("mail.activity") ?? new Map();
  const activities: Row[] = [];
  for (id = 1; id <= 1000; id++) {
    const r = recordedActivities.get(id);
    if (r) {
      activities.push({ active: true, automated: false, ...toRaw("mail.activity", r) });
      continue;
    }
    const [userId] = pick(random, SALESPEOPLE);
    activities.push({
      id,
      res_model: "crm.lead",
      res_model_id: 393,
      res_id: pick(random, leadIds),
      activity_type_id: 1 + Math.floor(random() * 5),
      summary: pick(random, ACTIVITY_SUMMARIES),
      note: pick(random, ACTIVITY_NOTES),
      date_deadline: `2026-${pick(random, ["10", "11", "12"])}-${
        String(1 + Math.floor(random() * 28)).padStart(2, "0")
      }`,
      user_id: userId,
      active: true,
      automated: false,
      create_date: AT(54),
      write_date: AT(54),
      create_uid: 2,
      write_uid: 2,
    });
  }
  ds.insert("mail.activity", activities);
  ds.insert(
    "mail.message",
    [...(rec.get("mail.message")?.values() ?? [])].map((r) => toRaw("mail.message", r)),
  );
  return ds;
}

function attachment(
  id: number,
  name: string,
  mimetype: string,
  resModel: string,
  resId: number,
  size: number,
  at: string,
  extra: Record<string, unknown>,
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
    company_id: resModel === "crm.lead" ? 1 : false,
    create_date: at,
    write_date: at,
    create_uid: 2,
    write_uid: 2,
    ...extra,
  };
  if (size === 0) Object.assign(row, { checksum: false, store_fname: false });
  return row;
}

function attachmentLeadIds(rec: Map<string, Map<number, Record<string, unknown>>>): number[] {
  return [...(rec.get("ir.attachment")?.values() ?? [])]
    .filter((a) => a.res_model === "crm.lead")
    .map((a) => a.res_id as number);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}
