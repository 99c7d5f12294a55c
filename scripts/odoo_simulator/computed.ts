/**
 * Values Odoo computes rather than stores, or stores but a generated row need
 * not carry: rows hold the ~30 fields that matter, and the other ~80 of
 * crm.lead's 111 come from here (values as fixture 19 shows them for a fresh
 * lead), which keeps 50,000 generated leads small in memory.
 */
import type { Row } from "./domain.ts";
import type { OdooDataset } from "./dataset.ts";
import { contentBytes, toBase64 } from "./content.ts";

/** What computations may look at. */
export interface ComputeContext {
  ds: OdooDataset;
  /** Activities of a record, by model and id (cached by the ORM). */
  activitiesOf(model: string, id: number): Row[];
  /** Number of non-field attachments of a record. */
  attachmentCount(model: string, id: number): number;
  /** Display name of a record, or false when it does not exist. */
  displayNameOf(model: string, id: number): string | false;
  /** Children of a partner. */
  childrenOf(partnerId: number): number[];
}

type Compute = (row: Row, ctx: ComputeContext) => unknown;

const emailOf = (row: Row, field: string): string | false => {
  const v = row[field];
  return typeof v === "string" && v.trim() ? v.trim().toLowerCase() : false;
};

function nextActivity(row: Row, ctx: ComputeContext): Row | undefined {
  let best: Row | undefined;
  for (const a of ctx.activitiesOf("crm.lead", row.id)) {
    if (!best || String(a.date_deadline) < String(best.date_deadline)) best = a;
  }
  return best;
}

function activityState(deadline: unknown, today: string): string | false {
  if (typeof deadline !== "string") return false;
  return deadline < today ? "overdue" : deadline === today ? "today" : "planned";
}

/** Computed fields per model, used when a row lacks the field. */
export const COMPUTED: Record<string, Record<string, Compute>> = {
  "crm.lead": {
    display_name: (r) => r.name,
    duration_tracking: () => ({}),
    activity_ids: (r, c) => c.activitiesOf("crm.lead", r.id).map((a) => a.id),
    activity_state: (r, c) => activityState(nextActivity(r, c)?.date_deadline, c.ds.today),
    activity_user_id: (r, c) => nextActivity(r, c)?.user_id ?? false,
    activity_type_id: (r, c) => nextActivity(r, c)?.activity_type_id ?? false,
    activity_date_deadline: (r, c) => nextActivity(r, c)?.date_deadline ?? false,
    activity_summary: (r, c) => nextActivity(r, c)?.summary ?? false,
    message_is_follower: () => true,
    message_partner_ids: () => [3],
    message_attachment_count: (r, c) => c.attachmentCount("crm.lead", r.id),
    email_normalized: (r) => emailOf(r, "email_from"),
    email_domain_criterion: (r) => {
      const e = emailOf(r, "email_from");
      return e && e.includes("@") ? `@${e.split("@")[1]}` : false;
    },
    email_state: (r) => (emailOf(r, "email_from") ? "correct" : false),
    phone_state: (r) => (r.phone ? "correct" : false),
    user_company_ids: () => [1],
    kanban_state: () => "grey",
    prorated_revenue: (r) => Math.round(Number(r.expected_revenue ?? 0) * Number(r.probability ?? 0)) / 100,
    company_currency: () => 1,
    date_open: (r) => (r.user_id ? r.create_date : false),
    date_last_stage_update: (r) => r.create_date,
    lang_active_count: () => 1,
    duplicate_lead_ids: (r) => [r.id],
    meeting_display_label: () => "No Meeting",
    is_partner_visible: (r) => r.type === "opportunity" || Boolean(r.partner_id),
    show_enrich_button: (r) => Boolean(r.email_from) && r.active !== false,
    // Odoo 19 only (the schema of version 17 has no such fields), computed as 19.0's crm.lead does
    // (fixtures odoo19_live/04 and 06): the partner's company when the partner is one of its people (not
    // the company itself, not a person alone); without a partner, the company named exactly partner_name.
    commercial_partner_id: (r, c) => {
      const id = typeof r.partner_id === "number"
        ? r.partner_id
        : Array.isArray(r.partner_id)
        ? r.partner_id[0]
        : 0;
      const partners = c.ds.table("res.partner");
      const p = id ? partners.get(id as number) : undefined;
      if (p) {
        const company = partners.get(commercialPartner(p, c));
        return company?.is_company && company.id !== p.id ? company.id : false;
      }
      if (id || typeof r.partner_name !== "string" || !r.partner_name) return false;
      return companiesByName(c).get(r.partner_name) ?? false;
    },
    won_status: (r, c) => {
      const stage = typeof r.stage_id === "number" ? c.ds.table("crm.stage").get(r.stage_id) : undefined;
      const probability = Number(r.probability ?? 0);
      if (probability === 100 && stage?.is_won) return "won";
      return r.active === false && probability === 0 ? "lost" : "pending";
    },
    is_rotting: () => false,
    rotting_days: () => 0,
    stage_id_color: () => 0,
  },
  "res.partner": {
    display_name: (r, c) => partnerName(r, c),
    complete_name: (r, c) => partnerName(r, c),
    company_type: (r) => (r.is_company ? "company" : "person"),
    commercial_partner_id: (r, c) => commercialPartner(r, c),
    commercial_company_name: (r, c) => {
      const id = commercialPartner(r, c);
      const p = c.ds.table("res.partner").get(id);
      return p?.is_company ? p.name : false;
    },
    email_normalized: (r) => emailOf(r, "email"),
    child_ids: (r, c) => c.childrenOf(r.id),
    user_ids: (r, c) => c.ds.table("res.users").rows.filter((u) => u.partner_id === r.id).map((u) => u.id),
    lang: () => "en_US",
  },
  "ir.attachment": {
    display_name: (r) => r.name,
    res_name: (
      r,
      c,
    ) => (typeof r.res_model === "string" && typeof r.res_id === "number"
      ? c.displayNameOf(r.res_model, r.res_id)
      : false),
    checksum: (r, c) => {
      // Lazily hashed, then kept on the row as Odoo stores it.
      r.checksum = r.type === "url" ? false : c.ds.contentChecksum(r.id);
      return r.checksum;
    },
    store_fname: (r, c) => {
      const sum = COMPUTED["ir.attachment"].checksum(r, c);
      r.store_fname = typeof sum === "string" ? `${sum.slice(0, 2)}/${sum}` : false;
      return r.store_fname;
    },
    datas: (r, c) => {
      if (r.type === "url") return "";
      const content = c.ds.contents.get(r.id);
      return content ? toBase64(contentBytes(content)) : "";
    },
    local_url: (r, c) => `/web/content/${r.id}?unique=${COMPUTED["ir.attachment"].checksum(r, c)}`,
  },
  "mail.tracking.value": {
    display_name: (r, c) => c.displayNameOf("ir.model.fields", Number(r.field_id)),
  },
  "ir.model.fields": {
    display_name: (r) => String(r.field_description),
  },
  "mail.activity": {
    display_name: (r, c) => r.summary || c.displayNameOf("mail.activity.type", Number(r.activity_type_id)),
    res_name: (r, c) => c.displayNameOf(String(r.res_model), Number(r.res_id)),
    state: (r, c) => activityState(r.date_deadline, c.ds.today),
    activity_category: (r, c) =>
      c.ds.table("mail.activity.type").get(Number(r.activity_type_id))?.category ?? false,
    icon: (r, c) => c.ds.table("mail.activity.type").get(Number(r.activity_type_id))?.icon ?? false,
    res_model_id: (r, c) => c.ds.table("ir.model").rows.find((m) => m.model === r.res_model)?.id ?? false,
  },
  "mail.message": {
    tracking_value_ids: (r, c) => trackingOf(c).get(r.id) ?? [],
    record_name: (r, c) => c.displayNameOf(String(r.model), Number(r.res_id)),
    display_name: (r, c) => r.subject || c.displayNameOf(String(r.model), Number(r.res_id)),
  },
};

function partnerName(r: Row, c: ComputeContext): string {
  const name = typeof r.name === "string" ? r.name : "";
  if (typeof r.parent_id === "number" && !r.is_company) {
    const parent = c.ds.table("res.partner").get(r.parent_id);
    if (parent) return name ? `${partnerName(parent, c)}, ${name}` : partnerName(parent, c);
  }
  return name;
}

function commercialPartner(r: Row, c: ComputeContext): number {
  if (r.is_company || typeof r.parent_id !== "number") return r.id;
  const parent = c.ds.table("res.partner").get(r.parent_id);
  return parent ? commercialPartner(parent, c) : r.id;
}

/** Company partners by exact name (the lowest id first), rebuilt when the table changes. */
const companyNames = new WeakMap<object, { version: number; byName: Map<string, number> }>();

function companiesByName(c: ComputeContext): Map<string, number> {
  const t = c.ds.table("res.partner");
  let hit = companyNames.get(t);
  if (!hit || hit.version !== t.version) {
    const byName = new Map<string, number>();
    for (const p of t.rows) {
      if (!p.is_company || typeof p.name !== "string") continue;
      const known = byName.get(p.name);
      if (known === undefined || p.id < known) byName.set(p.name, p.id);
    }
    hit = { version: t.version, byName };
    companyNames.set(t, hit);
  }
  return hit.byName;
}

/** Tracking value ids by message, rebuilt when the table changes. */
const trackingIndex = new WeakMap<object, { version: number; byMessage: Map<number, number[]> }>();

function trackingOf(c: ComputeContext): Map<number, number[]> {
  const t = c.ds.table("mail.tracking.value");
  let hit = trackingIndex.get(t);
  if (!hit || hit.version !== t.version) {
    const byMessage = new Map<number, number[]>();
    for (const v of t.rows) {
      const list = byMessage.get(v.mail_message_id as number) ?? [];
      list.push(v.id);
      byMessage.set(v.mail_message_id as number, list);
    }
    hit = { version: t.version, byMessage };
    trackingIndex.set(t, hit);
  }
  return hit.byMessage;
}
