/**
 * The step of `sync-odoo-activities`: Odoo's activities on leads (`mail.activity` of crm.lead) into
 * `activities`, in keyset pages by id, each written in one round trip
 * (`passerelle.sync_odoo_activities_page`, set-based, the cursor in the same transaction). As the
 * lead sync does, the first pass reads every activity, later passes those written since the previous
 * pass began (`write_date >= pass_since`); a row is rewritten only when what was read differs.
 */
import type { Sql } from "../deps.ts";
import type { StepResult } from "../engine/batch_result.ts";
import type { Budget } from "../engine/budget.ts";
import { activityKind } from "../imports/activity_row.ts";
import type { Domain, OdooReader } from "../sync/odoo_reader.ts";

/**
 * The fields read, as a real Odoo 17 names them (scripts/fixtures/odoo/52-activity-search-read.json),
 * plus `active` and `date_done` (Odoo 17 archives a done activity whose type keeps it).
 */
export const ACTIVITY_FIELDS = [
  "id",
  "res_id",
  "activity_type_id",
  "summary",
  "note",
  "date_deadline",
  "date_done",
  "user_id",
  "active",
  "write_date",
];

/** Done (archived) activities are part of the lead's history: read them too. */
const ALL = { active_test: false };
const ON_LEADS: Domain = [["res_model", "=", "crm.lead"]];

interface State {
  company_id: number;
  cursor_id: number;
  pass_since: string | null;
  pass_high: string | null;
}

interface OdooActivity {
  id: number;
  activity_type_id: [number, string] | false;
  write_date: string | false;
  [k: string]: unknown;
}

const passDomain = (s: State): Domain =>
  [
    ...ON_LEADS,
    ...(s.pass_since ? [["write_date", ">=", s.pass_since] as const] : []),
    ["id", ">", s.cursor_id],
  ] as Domain;

/** Builds the step; `companyName` is the company the synced leads belong to. */
export function activitySync(odoo: OdooReader, opts: { companyName: string; pageSize?: number }) {
  const source = "odoo_activities";
  const pageSize = opts.pageSize ?? 2000;
  return async (ctx: { sql: Sql; budget: Budget; sampleMemory?: () => void }): Promise<StepResult> => {
    const { sql, budget } = ctx;
    const [loaded] = await sql<State[]>`
      with company as (
        insert into public.companies (name) values (${opts.companyName})
        on conflict (name) do update set name = excluded.name returning id),
      ensured as (
        insert into public.sync_state (source, company_id) select ${source}, id from company
        on conflict (source) do nothing)
      select (select id from company)::int as company_id, coalesce(s.cursor_id, 0)::int as cursor_id,
             to_char(s.pass_since, 'YYYY-MM-DD HH24:MI:SS') as pass_since,
             to_char(s.pass_high, 'YYYY-MM-DD HH24:MI:SS') as pass_high
        from (select 1) one left join public.sync_state s on s.source = ${source}`;
    let state = loaded;
    let inserted = 0, updated = 0, unchanged = 0, pages = 0, passDone = false, passStarted = false;
    while (!budget.spent()) {
      if (state.pass_high === null) {
        const [newest] = await odoo.searchRead<OdooActivity>("mail.activity", ON_LEADS, {
          fields: ["write_date"],
          order: "write_date desc",
          limit: 1,
          context: ALL,
        });
        const high = newest && newest.write_date ? newest.write_date : "1970-01-01 00:00:00";
        await sql`update public.sync_state set pass_high = ${high}::timestamp, pass_started_at = now()
                   where source = ${source}`;
        state = { ...state, pass_high: high };
        passStarted = true;
      }
      const rows = await odoo.searchRead<OdooActivity>("mail.activity", passDomain(state), {
        fields: ACTIVITY_FIELDS,
        order: "id asc",
        limit: pageSize,
        context: ALL,
      });
      if (rows.length === 0) {
        // An empty page ends the pass; the next one reads what was written since it began.
        await sql`
          update public.sync_state
             set phase = 'incremental', pass_since = pass_high, pass_high = null, cursor_id = 0,
                 passes = passes + 1, caught_up_at = now(), pass_started_at = null, updated_at = now()
           where source = ${source}`;
        passDone = true;
        break;
      }
      const withKind = rows.map((a) => ({
        ...a,
        kind: a.activity_type_id ? activityKind(a.activity_type_id[1]) ?? false : false,
      }));
      const last = rows[rows.length - 1].id;
      const [r] = await sql<{ inserted: number; updated: number; unchanged: number }[]>`
        select * from passerelle.sync_odoo_activities_page(${source}, ${state.company_id},
                                                           ${sql.json(withKind as never)}, ${last})`;
      inserted += r.inserted;
      updated += r.updated;
      unchanged += r.unchanged;
      pages++;
      state = { ...state, cursor_id: last };
      ctx.sampleMemory?.();
    }
    const [{ linked }] = await sql<{ linked: number }[]>`select passerelle.link_odoo_activities() as linked`;
    const remaining = passDone
      ? 0
      : await odoo.searchCount("mail.activity", passDomain(state), { context: ALL });
    return {
      migrated: inserted + updated + linked,
      failed: 0,
      remaining,
      more: !passDone,
      // Worked: a page written (its cursor moved, even when every row read was unchanged) or a pass begun
      // and left open; an idle incremental call (one empty page closing the pass) chains nothing.
      worked: pages > 0 || passStarted && !passDone || linked > 0,
      errors: [],
      details: { inserted, updated, unchanged, linked, pages },
    };
  };
}
