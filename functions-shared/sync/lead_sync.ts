/**
 * The step of `sync-odoo-leads`: pages crm.lead from Odoo by id and writes
 * each page in one database round trip (`passerelle.sync_odoo_leads_page`,
 * set-based, with the cursor in the same transaction). The first pass reads
 * every lead; later passes read only leads written since the previous pass
 * began (`write_date >= pass_since`), so a sync that caught up is incremental
 * and an edit made during a pass is seen by the next one. Whether a lead
 * changed is decided in the upsert by the hash of what was read, not by its
 * `write_date` (rendered to the second: two edits in one second share it).
 */
import type { Sql } from "../deps.ts";
import type { StepResult } from "../engine/batch_result.ts";
import type { Budget } from "../engine/budget.ts";
import type { Domain, OdooReader } from "./odoo_reader.ts";
import { recordNames } from "./record_names.ts";

/** Always an explicit field list: without one Odoo answers several times slower. */
export const LEAD_FIELDS = [
  "id",
  "name",
  "type",
  "active",
  "email_from",
  "phone",
  "partner_id",
  "partner_name",
  "contact_name",
  "user_id",
  "stage_id",
  "tag_ids",
  "expected_revenue",
  "probability",
  "priority",
  "description",
  "create_date",
  "write_date",
];

export const PARTNER_FIELDS = [
  "id",
  "name",
  "is_company",
  "parent_id",
  "commercial_partner_id",
  "email",
  "phone",
  "street",
  "street2",
  "zip",
  "city",
  "country_id",
];

/** Archived leads are part of the CRM's history: read them too. */
const ALL = { active_test: false };

export interface LeadSyncOptions {
  source?: string;
  companyName: string;
  /** Leads per Odoo page (the first page); later pages adapt to the CPU budget. */
  pageSize?: number;
  maxPageSize?: number;
}

interface SyncState {
  company_id: number;
  phase: "full" | "incremental";
  cursor_id: number;
  pass_since: string | null;
  pass_high: string | null;
}

/** The leads a pass still has to read: past its cursor, and changed since it began when incremental. */
function passDomain(s: SyncState): Domain {
  const past: Domain = [["id", ">", s.cursor_id]];
  return s.pass_since ? [["write_date", ">=", s.pass_since], ...past] : past;
}

/** A lead read with `load: null`: many2one fields as bare ids. */
interface OdooLead {
  id: number;
  partner_id: number | false;
  write_date: string | false;
  [k: string]: unknown;
}

async function loadState(sql: Sql, source: string, companyName: string): Promise<SyncState> {
  const [row] = await sql<SyncState[]>`
    with company as (
      insert into public.companies (name) values (${companyName})
      on conflict (name) do update set name = excluded.name returning id),
    ensured as (
      insert into public.sync_state (source, company_id) select ${source}, id from company
      on conflict (source) do nothing)
    select coalesce(s.company_id, (select id from company))::int as company_id, coalesce(s.phase, 'full') as phase,
           coalesce(s.cursor_id, 0)::int as cursor_id,
           to_char(s.pass_since, 'YYYY-MM-DD HH24:MI:SS') as pass_since,
           to_char(s.pass_high, 'YYYY-MM-DD HH24:MI:SS') as pass_high
      from (select 1) one left join public.sync_state s on s.source = ${source}`;
  return row;
}

interface OdooPartner {
  id: number;
  parent_id: [number, string] | false;
  [k: string]: unknown;
}

/** The partners' reads of one call, by the partner ids each was asked for (its rows hold their parents). */
type PartnerReads = Map<number, Promise<OdooPartner[]>>;

/** The partners `ids` and their parents, from the reads that fetched them. */
async function partnersOf(ids: number[], known: PartnerReads): Promise<OdooPartner[]> {
  const byId = new Map<number, OdooPartner>();
  for (const rows of await Promise.all([...new Set(ids.map((id) => known.get(id)!))])) {
    for (const r of rows) byId.set(r.id, r);
  }
  const out = new Map<number, OdooPartner>();
  for (const id of ids) {
    // Up the parents (Odoo's parent_of gave them all); a partner Odoo hid is left out, as before.
    for (let p = byId.get(id); p && !out.has(p.id); p = p.parent_id ? byId.get(p.parent_id[0]) : undefined) {
      out.set(p.id, p);
    }
  }
  return [...out.values()].sort((a, b) => a.id - b.id);
}

/** A page of leads, and the read of their partners, started the moment the leads arrived. */
interface Page {
  leads: OdooLead[];
  partners: Promise<unknown[]>;
}

/** Builds the step: `odoo` reads, `sql` writes; tests and benchmarks count both. */
export function leadSync(odoo: OdooReader, opts: LeadSyncOptions) {
  const source = opts.source ?? "odoo_leads";
  const maxPage = opts.maxPageSize ?? 5000;
  // Names kept between calls (record_names.ts): tags by their name, as before; stages and salespeople
  // by what Odoo's many2one would show, since leads are read without it (`load: null`).
  const tagNames = recordNames(odoo, "crm.tag", { field: "name" });
  const stageNames = recordNames(odoo, "crm.stage");
  const userNames = recordNames(odoo, "res.users");

  /**
   * The leads as the page's statement reads them: stage and salesperson as `[id, name]`. A salesperson
   * this login may not read (another company's user: Odoo names many2ones as superuser) is named by a
   * classic read of the leads that point at it, once per process.
   */
  async function named(leads: OdooLead[]): Promise<{ leads: OdooLead[]; tags: Record<string, string> }> {
    const idsOf = (f: string) =>
      new Set(leads.flatMap((l) => (typeof l[f] === "number" ? [l[f] as number] : [])));
    const [tags, stages, users] = await Promise.all([
      tagNames.of(leads.flatMap((l) => (Array.isArray(l.tag_ids) ? l.tag_ids as number[] : []))),
      stageNames.of(idsOf("stage_id")),
      userNames.of(idsOf("user_id")),
    ]);
    const unnamed = leads.filter((l) =>
      (typeof l.stage_id === "number" && !stages.has(l.stage_id)) ||
      (typeof l.user_id === "number" && !users.has(l.user_id))
    );
    if (unnamed.length) {
      const rows = await odoo.read<{ stage_id: [number, string] | false; user_id: [number, string] | false }>(
        "crm.lead",
        unnamed.map((l) => l.id),
        ["stage_id", "user_id"],
        { context: ALL },
      );
      stageNames.learn(rows.flatMap((r) => (r.stage_id ? [r.stage_id] : [])));
      userNames.learn(rows.flatMap((r) => (r.user_id ? [r.user_id] : [])));
    }
    const m2o = (v: unknown, names: Map<number, string>) =>
      typeof v === "number" ? [v, names.get(v) ?? `${v}`] : Array.isArray(v) ? v : false;
    for (const l of leads) {
      l.stage_id = m2o(l.stage_id, stages);
      l.user_id = m2o(l.user_id, users);
    }
    return { leads, tags: Object.fromEntries([...tags].map(([id, name]) => [String(id), name])) };
  }

  /**
   * One page: the leads, then their partners with their parents (`parent_of`). The partners' read is
   * started as the leads arrive and not awaited here: the caller starts the next page's leads meanwhile,
   * so Odoo (threaded) reads the two at once, and the partners are never a round of their own. Partners a
   * previous page of the same call read (with their parents) are not asked for again: on a real Odoo 17,
   * 3,000 leads in 3 pages named 1,307 partners, 662 of them distinct (issue 16).
   */
  async function readPage(domain: Domain, limit: number, known: PartnerReads): Promise<Page> {
    const leads = await odoo.searchRead<OdooLead>("crm.lead", domain, {
      fields: LEAD_FIELDS,
      order: "id asc",
      limit,
      context: ALL,
      load: null,
    });
    const partnerIds = [
      ...new Set(leads.flatMap((l) => (typeof l.partner_id === "number" ? [l.partner_id] : []))),
    ];
    const missing = partnerIds.filter((id) => !known.has(id));
    if (missing.length) {
      // The leads' partners and, in the same call, their parents up to the commercial partner, so that a
      // company whose leads all point at its people still gets its own e-mail, phone and address.
      const read = odoo.searchRead<OdooPartner>("res.partner", [["id", "parent_of", missing]], {
        fields: PARTNER_FIELDS,
        order: "id asc",
        context: ALL,
      });
      read.catch(() => {}); // (its failure, if any, surfaces where it is awaited)
      for (const id of missing) known.set(id, read);
    }
    const partners = partnersOf(partnerIds, known);
    partners.catch(() => {});
    return { leads, partners };
  }

  return async (ctx: { sql: Sql; budget: Budget; sampleMemory?: () => void }): Promise<StepResult> => {
    const { sql, budget } = ctx;
    // One sync at a time per source: a session lock on a reserved connection,
    // released when the call ends (or its connection dies with it).
    const conn = await sql.reserve();
    try {
      const [{ locked }] = await conn<{ locked: boolean }[]>`
        select pg_try_advisory_lock(hashtext('passerelle.sync:' || ${source})) as locked`;
      if (!locked) {
        return { migrated: 0, failed: 0, remaining: null, more: false, errors: [], details: { busy: true } };
      }
      try {
        return await syncPages(conn as unknown as Sql);
      } finally {
        await conn`select pg_advisory_unlock(hashtext('passerelle.sync:' || ${source}))`;
      }
    } finally {
      conn.release();
    }

    async function syncPages(db: Sql): Promise<StepResult> {
      let state = await loadState(db, source, opts.companyName);
      let next: Promise<Page> | null = null;
      const known: PartnerReads = new Map();
      // Names (when not known from an earlier call) are read while the first page is.
      const namesWarm = Promise.all([tagNames.of([]), stageNames.of([]), userNames.of([])]);
      namesWarm.catch(() => {});
      // A small first page, so that PostgreSQL starts writing while Odoo reads the next (twice as big).
      let pageSize = opts.pageSize ?? 500;
      let inserted = 0, updated = 0, unchanged = 0, pages = 0, passDone = false;
      const cpuPerLead: number[] = [];

      while (!budget.spent()) {
        if (state.pass_high === null) {
          // The newest write_date Odoo has now: the next pass starts there. The first page is read
          // meanwhile: an edit made between the two reads has a write_date >= the one read, so the next
          // pass reads it again either way.
          const newestRead = odoo.searchRead<OdooLead>("crm.lead", [], {
            fields: ["write_date"],
            order: "write_date desc",
            limit: 1,
            context: ALL,
          });
          next = readPage(passDomain(state), pageSize, known);
          next.catch(() => {});
          const [newest] = await newestRead;
          const high = newest && newest.write_date ? newest.write_date : "1970-01-01 00:00:00";
          await db`update public.sync_state set pass_high = ${high}::timestamp, pass_started_at = now()
                   where source = ${source}`;
          state = { ...state, pass_high: high };
        }
        const cpu0 = budget.cpuMs();
        const { leads, partners: partnersRead } =
          await (next ?? readPage(passDomain(state), pageSize, known));
        next = null;
        if (leads.length === 0) {
          // An empty page ends the pass (a short one does not: ids have gaps
          // and rows may be hidden); the next pass reads what changed since.
          await db`
            update public.sync_state
               set phase = 'incremental', pass_since = pass_high, pass_high = null, cursor_id = 0,
                   passes = passes + 1, caught_up_at = now(), pass_started_at = null, updated_at = now()
             where source = ${source}`;
          passDone = true;
          break;
        }
        const lastId = leads[leads.length - 1].id;
        await namesWarm;
        // Size the next page to the CPU left (parsing and encoding dominate), at most twice the size
        // this one was asked for (a short page, at the end of a pass, does not shrink the next).
        const perLead = Math.max(...cpuPerLead.slice(-3), 0.01);
        const cpuLeft = budget.limits.cpuMs - budget.cpuMs();
        pageSize = Math.max(
          100,
          Math.min(maxPage, 2 * pageSize, Math.floor((cpuLeft * 0.5) / perLead)),
        );
        // Odoo reads the next page while PostgreSQL writes this one. A page read for a call whose
        // budget then ends is dropped: the next call reads it again.
        if (!budget.spent()) {
          next = readPage(passDomain({ ...state, cursor_id: lastId }), pageSize, known);
          next.catch(() => {}); // (its failure, if any, surfaces where it is awaited)
        }
        const partners = await partnersRead;
        const { tags } = await named(leads);
        const [r] = await db<{ inserted: number; updated: number; unchanged: number }[]>`
          select * from passerelle.sync_odoo_leads_page(${source}, ${state.company_id}, ${
          db.json(leads as never)
        },
                                                        ${db.json(partners as never)}, ${
          db.json(tags)
        }, ${lastId})`;
        inserted += r.inserted;
        updated += r.updated;
        unchanged += r.unchanged;
        pages++;
        state = { ...state, cursor_id: lastId };
        ctx.sampleMemory?.();
        cpuPerLead.push((budget.cpuMs() - cpu0) / leads.length);
      }

      const remaining = passDone
        ? 0
        : await odoo.searchCount("crm.lead", passDomain(state), { context: ALL });
      const [progress] = await db<{ synced: number; phase: string }[]>`
        update public.sync_state set total_in_source = synced + ${remaining}, updated_at = now()
         where source = ${source} returning synced, phase`;
      return {
        migrated: inserted + updated,
        failed: 0,
        remaining,
        more: !passDone,
        worked: pages > 0,
        errors: [],
        details: { inserted, updated, unchanged, pages, phase: progress.phase, synced: progress.synced },
      };
    }
  };
}
