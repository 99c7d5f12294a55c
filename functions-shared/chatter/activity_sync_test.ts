import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { startBudget } from "../engine/budget.ts";
import { processCpuMs } from "../engine/usage.ts";
import { createOdooClient } from "../odoo/client.ts";
import { config } from "../odoo/client_test_kit.ts";
import { leadSync } from "../sync/lead_sync.ts";
import { activitySync } from "./activity_sync.ts";

const budget = () =>
  startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });

Deno.test("the activities of 1,000 leads arrive complete over the API, each as Odoo has it, linked to its lead even when read first; a rerun changes nothing; an edit is read by the next call", async () => {
  const dataset = generateDataset({ leads: 1_000, attachments: 0, activities: 500, seed: 29 });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("activity_sync");
  try {
    const client = createOdooClient(config(odoo.url), { fetch, sleep: () => Promise.resolve() });
    const step = activitySync(client, { companyName: "Odoo", pageSize: 150 });
    const run = async () => {
      const sum = { inserted: 0, updated: 0, linked: 0, calls: 0 };
      for (let more = true; more; sum.calls++) {
        const r = await step({ sql: db.sql, budget: budget() });
        const d = r.details as typeof sum;
        sum.inserted += d.inserted;
        sum.updated += d.updated;
        sum.linked += d.linked;
        more = r.more;
      }
      return sum;
    };
    // Activities first: their leads are not there yet.
    const first = await run();
    const odooRows = dataset.table("mail.activity").rows.filter((a) => a.res_model === "crm.lead");
    assert.equal(first.inserted, odooRows.length);
    const sync = leadSync(client, { companyName: "Odoo" });
    while ((await sync({ sql: db.sql, budget: budget() })).more) { /* pages */ }
    const second = await run();
    assert.equal(second.inserted, 0, "no activity twice");
    assert.equal(second.updated + second.linked, odooRows.length, "each linked to its lead, once");
    const [{ unlinked }] = await db
      .sql`select count(*)::int as unlinked from public.activities where lead_id is null`;
    assert.equal(unlinked, 0);

    const ours = new Map(
      (await db
        .sql`select a.odoo_id, l.odoo_id as lead_odoo, a.type_label, a.activity_type, a.summary, a.note,
                           to_char(a.due_date, 'YYYY-MM-DD') as due, a.done, a.assigned_name
                      from public.activities a left join public.leads l on l.id = a.lead_id`)
        .map((r) => [r.odoo_id, r]),
    );
    assert.equal(ours.size, odooRows.length);
    const types = new Map(dataset.table("mail.activity.type").rows.map((t) => [t.id, t.name as string]));
    const users = new Map(dataset.table("res.users").rows.map((u) => [u.id, u.name as string]));
    for (const a of odooRows) {
      const r = ours.get(a.id)!;
      assert.deepEqual(
        [r.lead_odoo, r.type_label, r.summary, r.note, r.due, r.done, r.assigned_name],
        [
          a.res_id,
          types.get(a.activity_type_id as number),
          a.summary || null,
          a.note || null,
          a.date_deadline,
          false,
          users.get(a.user_id as number),
        ],
        `activity ${a.id}`,
      );
    }
    assert.ok([...ours.values()].some((r) => r.activity_type === "call"), "Odoo's Call is a call");

    const again = await run();
    assert.deepEqual([again.inserted, again.updated, again.linked], [0, 0, 0], "a rerun changes nothing");

    // An edit in Odoo (write moves write_date): the next call reads it.
    const edited = odooRows[7];
    edited.summary = "Rappeler avant vendredi";
    edited.write_date = dataset.now();
    const after = await run();
    assert.deepEqual([after.inserted, after.updated], [0, 1]);
    const [row] = await db.sql`select summary from public.activities where odoo_id = ${edited.id as number}`;
    assert.equal(row.summary, "Rappeler avant vendredi");
  } finally {
    await odoo.close();
    await db.drop();
  }
});
