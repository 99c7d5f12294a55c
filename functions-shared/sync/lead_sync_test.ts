import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { startBudget } from "../engine/budget.ts";
import { serveBatch } from "../engine/serve_batch.ts";
import { processCpuMs } from "../engine/usage.ts";
import { createOdooClient } from "../odoo/client.ts";
import { leadSync } from "./lead_sync.ts";

const odooConfig = (url: string, secret = "admin") => ({
  url,
  db: "crm_src",
  login: "admin",
  secret,
  transport: "jsonrpc" as const,
  timeoutMs: 5_000,
});
const noSleep = () => Promise.resolve();
const budget = (wallMs = 50_000, cpuMs = 1_500) =>
  startBudget({ wallMs, cpuMs }, { now: () => performance.now(), cpu: processCpuMs });

Deno.test("a full sync of 50,000 leads through repeated budgeted calls ends with each lead and customer once; a rerun changes nothing", async () => {
  const dataset = generateDataset({ leads: 50_000, attachments: 0, activities: 0, seed: 11 });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("sync50k");
  try {
    const client = createOdooClient(odooConfig(odoo.url), { fetch, sleep: noSleep });
    const step = leadSync(client, { companyName: "Acme" });
    let calls = 0, more = true;
    while (more) {
      const r = await step({ sql: db.sql, budget: budget() });
      more = r.more;
      calls++;
      assert.ok(calls < 60, "the sync converges");
    }
    const leads = dataset.table("crm.lead").rows;
    const [counts] = await db.sql`
      select count(*)::int as leads, count(distinct source_email_id)::int as distinct_ids,
             (select count(*)::int from public.customers) as customers,
             (select count(*)::int from (select company_id, lower(name), odoo_partner_id from public.customers
                                          group by 1, 2, 3 having count(*) > 1) d) as duplicate_customers,
             (select cursor_id::int from public.sync_state where source = 'odoo_leads') as cursor,
             (select phase from public.sync_state where source = 'odoo_leads') as phase,
             (select count(*)::int from public.lead_history where source = 'odoo_sync') as history,
             (select count(*)::int from public.customers u where odoo_partner_id is null and exists (
                select 1 from public.customers l where l.company_id = u.company_id and lower(l.name) = lower(u.name)
                   and l.odoo_partner_id is not null)) as name_only_duplicates
        from public.leads`;
    assert.equal(counts.leads, 50_000);
    assert.equal(counts.distinct_ids, 50_000);
    assert.equal(counts.duplicate_customers, 0);
    assert.equal(counts.history, 50_000, "one audit row per lead inserted");
    assert.equal(counts.name_only_duplicates, 0, "a name-only customer is never an Odoo partner's twin");
    assert.equal(counts.phase, "incremental");
    assert.equal(counts.cursor, 0, "the pass ended: the next one starts from the first id again");
    const partners = new Set(
      leads.flatMap((l) => (Array.isArray(l.partner_id) ? [l.partner_id[0]] : [])),
    );
    assert.ok(counts.customers >= 1 && counts.customers <= partners.size + leads.length);

    const archived = leads.filter((l) => l.active === false).length;
    const [{ inactive }] = await db.sql`select count(*)::int as inactive from public.leads where not active`;
    assert.equal(inactive, archived, "archived Odoo leads are synced, as inactive");

    const rerun = await step({ sql: db.sql, budget: budget() });
    assert.equal(rerun.migrated, 0, "a rerun changes nothing");
    const [{ history }] = await db.sql`
      select count(*)::int as history from public.lead_history where source = 'odoo_sync'`;
    assert.equal(history, 50_000);
  } finally {
    await db.drop();
    await odoo.close();
  }
});

Deno.test("leads edited in Odoo after the sync are updated, new ones inserted, and the same second changes nothing", async () => {
  const dataset = generateDataset({ leads: 300, attachments: 0, activities: 0, seed: 5 });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("sync_incr");
  try {
    const client = createOdooClient(odooConfig(odoo.url), { fetch, sleep: noSleep });
    const step = leadSync(client, { companyName: "Acme" });
    while ((await step({ sql: db.sql, budget: budget() })).more) { /* full pass */ }
    const ids = dataset.table("crm.lead").rows.slice(0, 5).map((r) => r.id as number);
    dataset.touchLeads(ids, { name: "Renamed in Odoo ✏️" });
    const created = dataset.createLead({
      name: "Nouveau prospect été 🌞",
      email_from: "nouveau@client.example",
    });
    const r1 = await step({ sql: db.sql, budget: budget() });
    assert.equal(r1.details?.updated, 5);
    assert.equal(r1.details?.inserted, 1);
    const renamed = await db
      .sql`select odoo_id from public.leads where title = 'Renamed in Odoo ✏️' order by odoo_id`;
    assert.deepEqual(renamed.map((r) => r.odoo_id), ids);
    const [{ n }] = await db.sql`select count(*)::int as n from public.leads where odoo_id = ${created}`;
    assert.equal(n, 1);
    const r2 = await step({ sql: db.sql, budget: budget() });
    assert.equal(r2.migrated, 0, "rows of the same write_date second come back and change nothing");
  } finally {
    await db.drop();
    await odoo.close();
  }
});

Deno.test("leads created or edited during a sync are picked up", async () => {
  const dataset = generateDataset({ leads: 3_000, attachments: 0, activities: 0, seed: 9 });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("sync_during");
  try {
    const client = createOdooClient(odooConfig(odoo.url), { fetch, sleep: noSleep });
    const step = leadSync(client, { companyName: "Acme", pageSize: 500, maxPageSize: 500 });
    // A call whose budget is spent after its first page.
    let checks = 0;
    const onePage = { ...budget(), spent: () => (checks++ === 0 ? null : "wall" as const) };
    const first = await step({ sql: db.sql, budget: onePage });
    assert.equal(first.more, true);
    const [{ cursor }] = await db.sql`select cursor_id::int as cursor from public.sync_state`;
    assert.ok(cursor > 0 && cursor < 3_000);
    const early = dataset.table("crm.lead").rows[0].id as number; // already synced
    dataset.editLead(early, { expected_revenue: 123456 });
    const added = dataset.createLead({ name: "Created mid-sync" });
    let calls = 0;
    while ((await step({ sql: db.sql, budget: budget() })).more) calls++;
    await step({ sql: db.sql, budget: budget() }); // the next (incremental) pass
    const [row] = await db
      .sql`select expected_revenue::int as revenue from public.leads where odoo_id = ${early}`;
    assert.equal(row.revenue, 123456, "an edit behind the cursor is seen by the next pass");
    const [{ n }] = await db.sql`select count(*)::int as n from public.leads where odoo_id = ${added}`;
    assert.equal(n, 1);
    const [{ total }] = await db.sql`select count(*)::int as total from public.leads`;
    assert.equal(total, 3_001);
  } finally {
    await db.drop();
    await odoo.close();
  }
});

Deno.test("Odoo failures end the call with a clear migration_logs error and no partial page", async () => {
  const dataset = generateDataset({ leads: 2_000, attachments: 0, activities: 0, seed: 2 });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("sync_fail");
  const key = "service-role-key-for-the-sync-failure-test";
  const config = { serviceRoleKey: key, budget: { wallMs: 50_000, cpuMs: 1_500 }, workers: 1, chain: false };
  const handler = (secret: string, timeoutMs = 5_000) =>
    serveBatch({
      name: "sync-odoo-leads",
      config,
      sql: db.sql,
      secrets: [secret],
      step: leadSync(
        createOdooClient({ ...odooConfig(odoo.url, secret), timeoutMs }, {
          fetch,
          sleep: noSleep,
          retries: 1,
        }),
        { companyName: "Acme", pageSize: 500, maxPageSize: 500 },
      ),
    });
  const call = async (h: (r: Request) => Promise<Response>) => {
    const res = await h(
      new Request("http://x/functions/v1/sync-odoo-leads", {
        method: "POST",
        headers: { authorization: `Bearer ${key}` },
      }),
    );
    return { status: res.status, body: await res.json() };
  };
  const consistent = async () => {
    const [s] = await db.sql`
      select (select count(*)::int from public.leads) as leads,
             coalesce((select cursor_id::int from public.sync_state where source = 'odoo_leads'), 0) as cursor,
             coalesce((select max(odoo_id) from public.leads), 0) as max_id`;
    assert.equal(s.cursor, s.max_id, "the cursor is exactly after the last page written");
    return s.leads as number;
  };
  try {
    const wrong = await call(handler("not-the-password"));
    assert.equal(wrong.status, 500);
    assert.equal(wrong.body.code, "odoo_auth_failed");
    assert.ok(!JSON.stringify(wrong.body).includes("not-the-password"));
    assert.equal(wrong.body.paused, true, "a refused key pauses the sync until an operator resumes it");
    await db.sql`select passerelle.resume('sync-odoo-leads')`;

    odoo.failures.malformed = 1; // an answer that is not JSON (not retried: it would not get better)
    const malformed = await call(handler("admin"));
    assert.equal(malformed.body.code, "odoo_malformed");
    assert.equal(await consistent(), 0);

    odoo.failures.accessError = 1;
    const denied = await call(handler("admin"));
    assert.equal(denied.body.code, "odoo_access_denied");
    await db.sql`select passerelle.resume('sync-odoo-leads')`;

    // Every attempt of the call's first requests (tags, newest write_date and the first page run at once).
    odoo.failures.hang = 6;
    const timedOut = await call(handler("admin", 300));
    assert.equal(timedOut.body.code, "odoo_timeout");
    assert.equal(await consistent(), 0);

    const ok = await call(handler("admin"));
    assert.equal(ok.status, 200);
    const [done] = await db.sql`select (select count(*)::int from public.leads) as leads, phase
                                  from public.sync_state where source = 'odoo_leads'`;
    assert.deepEqual({ ...done }, { leads: 2_000, phase: "incremental" });

    const logs = await db.sql`select status, errors from public.migration_logs order by id`;
    assert.deepEqual(logs.map((l) => l.status), ["error", "error", "error", "error", "success"]);
    for (const l of logs.slice(0, 4)) assert.match(l.errors[0], /^odoo_/);
    assert.ok(!JSON.stringify(logs).includes("not-the-password"));
  } finally {
    await db.drop();
    await odoo.close();
  }
});

Deno.test("two edits of a lead within one second both reach Supabase: the second is not lost to a write_date rendered to the second", async () => {
  const dataset = generateDataset({ leads: 60, attachments: 0, activities: 0, seed: 16 });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("sync_same_second");
  try {
    const client = createOdooClient(odooConfig(odoo.url), { fetch, sleep: noSleep });
    const step = leadSync(client, { companyName: "Acme" });
    while ((await step({ sql: db.sql, budget: budget() })).more) { /* full pass */ }
    const id = dataset.table("crm.lead").rows[19].id as number;
    const atA = dataset.editLead(id, { name: "Edit A" });
    await step({ sql: db.sql, budget: budget() }); // reads edit A
    const [{ title: afterA }] = await db.sql`select title from public.leads where odoo_id = ${id}`;
    assert.equal(afterA, "Edit A");
    // Edit B lands 300 ms after A: Odoo (and the simulator) render both write_dates to the same second
    // (fixtures odoo/14 and 15: write_date to the second, the stored value has microseconds).
    const atB = dataset.editLead(id, { name: "Edit B", expected_revenue: 4242 }, { afterMs: 300 });
    assert.notEqual(atA, atB);
    const [seen] = await client.read<{ write_date: string }>("crm.lead", [id], ["write_date"]);
    assert.equal(seen.write_date, atA.slice(0, 19), "the API shows the same write_date for A and B");
    await step({ sql: db.sql, budget: budget() });
    await step({ sql: db.sql, budget: budget() });
    const [row] = await db
      .sql`select title, expected_revenue::int as revenue from public.leads where odoo_id = ${id}`;
    assert.deepEqual({ ...row }, { title: "Edit B", revenue: 4242 });
    const history = await db.sql`
      select h.after ->> 'title' as title from public.lead_history h join public.leads l on l.id = h.lead_id
       where l.odoo_id = ${id} order by h.id`;
    assert.deepEqual(history.map((h) => h.title).slice(-2), ["Edit A", "Edit B"], "each edit in the history");
    const rerun = await step({ sql: db.sql, budget: budget() });
    assert.equal(rerun.migrated, 0, "read again in the next pass, the lead compares equal: nothing written");
  } finally {
    await db.drop();
    await odoo.close();
  }
});

Deno.test("a company reached only through its people is a customer with its own e-mail, phone and address; a name-only customer of the same name is merged into it", async () => {
  const dataset = generateDataset({ leads: 30, attachments: 0, activities: 0, seed: 3 });
  const companyId = dataset.table("res.partner").nextId;
  const personId = companyId + 1;
  const partner = (id: number, values: Record<string, unknown>) => ({
    id,
    type: "contact",
    active: true,
    company_id: false,
    email: false,
    phone: false,
    street: false,
    street2: false,
    zip: false,
    city: false,
    country_id: false,
    ...values,
  });
  dataset.insert("res.partner", [
    partner(companyId, {
      name: "Acme Industrie",
      is_company: true,
      parent_id: false,
      email: "contact@acme-industrie.example",
      phone: "+33 1 23 45 67 89",
      street: "12 rue des Forges ",
      zip: "69007",
      city: "Lyon",
      country_id: [75, "France"],
    }),
    partner(personId, {
      name: "Chloé Martin",
      is_company: false,
      parent_id: companyId,
      email: "chloe@acme-industrie.example",
    }),
  ]);
  // First, a lead that names the company without pointing at a partner: a name-only customer.
  const byName = dataset.createLead({ name: "Devis sans partenaire", partner_name: "ACME industrie" });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("sync_customers");
  try {
    const client = createOdooClient(odooConfig(odoo.url), { fetch, sleep: noSleep });
    const step = leadSync(client, { companyName: "Acme" });
    while ((await step({ sql: db.sql, budget: budget() })).more) { /* full pass */ }
    const [{ n: nameOnly }] = await db.sql`
      select count(*)::int as n from public.customers where lower(name) = 'acme industrie' and odoo_partner_id is null`;
    assert.equal(nameOnly, 1, "no Odoo partner of that name was synced yet");

    // Then a lead on the company's person (never on the company itself).
    const viaPerson = dataset.createLead({ name: "Devis via Chloé", partner_id: personId });
    const another = dataset.createLead({ name: "Encore un devis", partner_name: "Acme Industrie" });
    await step({ sql: db.sql, budget: budget() });
    const customers = await db.sql`
      select odoo_partner_id, name, email, phone, street, street2, postal_code, city, country
        from public.customers where lower(name) = 'acme industrie'`;
    assert.deepEqual(customers.map((c) => ({ ...c })), [{
      odoo_partner_id: companyId,
      name: "Acme Industrie",
      email: "contact@acme-industrie.example",
      phone: "+33 1 23 45 67 89",
      street: "12 rue des Forges ",
      street2: null,
      postal_code: "69007",
      city: "Lyon",
      country: "France",
    }], "one customer, the company's own details, the name-only duplicate merged into it");
    const leads = await db.sql`
      select l.odoo_id, c.odoo_partner_id, ct.odoo_partner_id as contact
        from public.leads l left join public.customers c on c.id = l.customer_id
        left join public.contacts ct on ct.id = l.contact_id
       where l.odoo_id in ${db.sql([byName, viaPerson, another])} order by l.odoo_id`;
    assert.deepEqual(leads.map((l) => ({ ...l })), [
      { odoo_id: byName, odoo_partner_id: companyId, contact: null },
      { odoo_id: viaPerson, odoo_partner_id: companyId, contact: personId },
      { odoo_id: another, odoo_partner_id: companyId, contact: null },
    ]);
    const [merge] = await db.sql`
      select h.before ->> 'customer_id' <> h.after ->> 'customer_id' as moved from public.lead_history h
        join public.leads l on l.id = h.lead_id where l.odoo_id = ${byName} and h.source = 'customer_merge'`;
    assert.equal(merge?.moved, true, "the repointed lead's change is in its history");
  } finally {
    await db.drop();
    await odoo.close();
  }
});
