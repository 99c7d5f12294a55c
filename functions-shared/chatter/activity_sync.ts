/**
 * The step of `sync-odoo-activities`: Odoo's activities on leads (`mail.activity` of crm.lead) into
 * `activities`, pass by pass (`odoo_pass.ts`), in keyset pages by id, each written in one round trip
 * (`passerelle.sync_odoo_activities_page`, set-based, the cursor in the same transaction); a row is
 * rewritten only when what was read differs.
 */
import type { Sql } from "../deps.ts";
import type { StepResult } from "../engine/batch_result.ts";
import type { Budget } from "../engine/budget.ts";
import { activityKind } from "../imports/activity_row.ts";
import type { Domain, OdooReader } from "../sync/odoo_reader.ts";
import { ALL, odooPass } from "./odoo_pass.ts";

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

const ON_LEADS: Domain = [["res_model", "=", "crm.lead"]];

interface OdooActivity {
  id: number;
  activity_type_id: [number, string] | false;
  write_date: string | false;
  [k: string]: unknown;
}

/** Builds the step; `companyName` is the company the synced leads belong to. */
export function activitySync(odoo: OdooReader, opts: { companyName: string; pageSize?: number }) {
  const source = "odoo_activities";
  const pageSize = opts.pageSize ?? 2000;
  return async (ctx: { sql: Sql; budget: Budget; sampleMemory?: () => void }): Promise<StepResult> => {
    const { sql, budget } = ctx;
    const pass = odooPass(odoo, sql, { source, model: "mail.activity", on: ON_LEADS });
    let state = await pass.load(opts.companyName);
    let inserted = 0, updated = 0, unchanged = 0, pages = 0, passDone = false, passStarted = false;
    while (!budget.spent()) {
      if (state.pass_high === null) {
        state = await pass.begin(state);
        passStarted = true;
      }
      const rows = await odoo.searchRead<OdooActivity>("mail.activity", pass.domain(state), {
        fields: ACTIVITY_FIELDS,
        order: "id asc",
        limit: pageSize,
        context: ALL,
      });
      if (rows.length === 0) {
        await pass.end();
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
    const remaining = passDone ? 0 : await pass.remaining(state);
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
