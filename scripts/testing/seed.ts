/** Small, set-based seeders for tests and the demo. */
import type { Sql } from "../../functions-shared/deps.ts";

/** Ensures a company and returns its id. */
export async function seedCompany(sql: Sql, name = "Passerelle Demo"): Promise<number> {
  const [c] = await sql<{ id: number }[]>`
    insert into public.companies (name) values (${name})
    on conflict (name) do update set name = excluded.name returning id`;
  return Number(c.id);
}

/** Inserts `n` leads (one statement) and returns their ids. */
export async function seedLeads(sql: Sql, companyId: number, n: number): Promise<number[]> {
  const rows = await sql<{ id: number }[]>`
    insert into public.leads (company_id, title, source_email_id)
    select ${companyId}, 'Lead ' || g, 'seed_' || g || '_' || gen_random_uuid()
      from generate_series(1, ${n}) g
    returning id`;
  return rows.map((r) => Number(r.id));
}

/** Inserts Odoo's leads 1..`n` as a sync leaves them (`odoo_id`, `source_email_id` odoo_crm_<id>). */
export async function seedOdooLeads(sql: Sql, companyId: number, n: number): Promise<void> {
  await sql`insert into public.leads (company_id, title, source_email_id, odoo_id)
    select ${companyId}, 'Lead ' || g, 'odoo_crm_' || g, g from generate_series(1, ${n}) g`;
}

/** Inserts `n` pending lead_files spread over `leadIds`. */
export async function seedLeadFiles(sql: Sql, leadIds: number[], n: number): Promise<void> {
  await sql`
    insert into public.lead_files (lead_id, odoo_id, name, mimetype, checksum, file_size)
    select (${leadIds}::bigint[])[1 + (g % ${leadIds.length})], g, 'file-' || g || '.txt', 'text/plain', null, 0
      from generate_series(1, ${n}) g`;
}
