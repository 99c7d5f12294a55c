/**
 * A pass of a chatter sync over one Odoo model (`mail.activity`, `mail.message` of crm.lead), kept in the
 * model's `sync_state` row. As the lead sync does, the first pass reads every row, later passes those
 * written since the previous pass began (`write_date >= pass_since`), in keyset pages by id. A pass
 * begins by noting Odoo's newest `write_date` (`pass_high`); an empty page ends it, and the next pass reads
 * from that mark (a row written during the pass is read again by the next one, never missed).
 */
import type { Sql } from "../deps.ts";
import type { Domain, OdooReader } from "../sync/odoo_reader.ts";

/** Where a sync stands, as its `sync_state` row says (timestamps as Odoo writes them). */
export interface PassState {
  company_id: number;
  cursor_id: number;
  pass_since: string | null;
  pass_high: string | null;
  notice: string | null;
}

/** Archived rows (done activities, archived authors) are part of the lead's history: read them too. */
export const ALL = { active_test: false };

/** The pass of one model: `on` selects its rows on leads. */
export function odooPass(odoo: OdooReader, sql: Sql, p: { source: string; model: string; on: Domain }) {
  const domain = (s: PassState): Domain =>
    [
      ...p.on,
      ...(s.pass_since ? [["write_date", ">=", s.pass_since] as const] : []),
      ["id", ">", s.cursor_id],
    ] as Domain;
  return {
    /** The sync's state, its company and `sync_state` row made on first use. */
    async load(companyName: string): Promise<PassState> {
      const [state] = await sql<PassState[]>`
        with company as (
          insert into public.companies (name) values (${companyName})
          on conflict (name) do update set name = excluded.name returning id),
        ensured as (
          insert into public.sync_state (source, company_id) select ${p.source}, id from company
          on conflict (source) do nothing)
        select (select id from company)::int as company_id, coalesce(s.cursor_id, 0)::int as cursor_id,
               to_char(s.pass_since, 'YYYY-MM-DD HH24:MI:SS') as pass_since,
               to_char(s.pass_high, 'YYYY-MM-DD HH24:MI:SS') as pass_high, s.notice
          from (select 1) one left join public.sync_state s on s.source = ${p.source}`;
      return state;
    },

    /** The rows of the pass after the cursor. */
    domain,

    /** Begins a pass: notes Odoo's newest `write_date` as its mark. */
    async begin(s: PassState): Promise<PassState> {
      const [newest] = await odoo.searchRead<{ write_date: string | false }>(p.model, p.on, {
        fields: ["write_date"],
        order: "write_date desc",
        limit: 1,
        context: ALL,
      });
      const high = newest && newest.write_date ? newest.write_date : "1970-01-01 00:00:00";
      await sql`update public.sync_state set pass_high = ${high}::timestamp, pass_started_at = now()
                 where source = ${p.source}`;
      return { ...s, pass_high: high };
    },

    /** Ends the pass (an empty page): the next one reads what was written since this one began. */
    async end(): Promise<void> {
      await sql`
        update public.sync_state
           set phase = 'incremental', pass_since = pass_high, pass_high = null, cursor_id = 0,
               passes = passes + 1, caught_up_at = now(), pass_started_at = null, updated_at = now()
         where source = ${p.source}`;
    },

    /** How many rows the pass has left after the cursor. */
    remaining(s: PassState): Promise<number> {
      return odoo.searchCount(p.model, domain(s), { context: ALL });
    },
  };
}
