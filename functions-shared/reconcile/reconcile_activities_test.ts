import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { activitySync } from "../chatter/activity_sync.ts";
import { startBudget } from "../engine/budget.ts";
import { processCpuMs } from "../engine/usage.ts";
import { createOdooClient } from "../odoo/client.ts";
import { localStore } from "../storage/local_store.ts";
import { leadSync } from "../sync/lead_sync.ts";
import { reconcileOdoo } from "./reconcile_step.ts";

const budget = () =>
  startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });

Deno.test("reconcile compares activities once they are synced: one missing, one deleted in Odoo (marked, kept), those of a deleted lead part of its difference; repair and the activity sync bring it to 0", async () => {
  const dataset = generateDataset({ leads: 60, attachments: 0, activities: 90, seed: 31 });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("reconcile_activities");
  const dir = await Deno.makeTempDir();
  try {
    const client = createOdooClient(
      {
        url: odoo.url,
        db: "crm_src",
        login: "admin",
        secret: "admin",
        transport: "jsonrpc",
        timeoutMs: 5_000,
      },
      { fetch, sleep: () => Promise.resolve() },
    );
    const leads = leadSync(client, { companyName: "Odoo" });
    const activities = activitySync(client, { companyName: "Odoo" });
    const reconcile = reconcileOdoo({ odoo: client, store: localStore({ dir, bucket: "estimation-files" }) });
    type Step = (
      ctx: { sql: typeof db.sql; budget: ReturnType<typeof budget>; body?: Record<string, unknown> },
    ) => Promise<{ more: boolean }>;
    const drain = async (step: Step, body: Record<string, unknown> = {}) => {
      for (let i = 0; (await step({ sql: db.sql, budget: budget(), body: i === 0 ? body : {} })).more; i++) {
        assert.ok(i < 50);
      }
    };
    const latest = async () => {
      await drain(reconcile, { start: true });
      const [r] = await db.sql`select * from public.reconcile_runs order by id desc limit 1`;
      const diffs = await db.sql`select kind, odoo_id, open from public.reconcile_differences
                                  where run_id = ${r.id} order by kind, odoo_id`;
      return { r, diffs: diffs.map((d) => [d.kind, d.odoo_id, d.open]) };
    };
    await drain(leads);
    // Before the activities are synced, they are not compared (each would be "missing").
    const before = await latest();
    assert.deepEqual(before.diffs, []);
    assert.equal(before.r.odoo_activities, 0);

    await drain(activities);
    const clean = await latest();
    assert.deepEqual(clean.diffs, []);
    const odooActivities = dataset.table("mail.activity").rows.filter((a) => a.res_model === "crm.lead");
    assert.equal(clean.r.odoo_activities, odooActivities.length);

    // A lead with activities deleted (its activities go with it), one activity unlinked in Odoo
    // (a done one, as Odoo does), one activity created and not synced yet.
    const byLead = Map.groupBy(odooActivities, (a) => a.res_id as number);
    const [deletedLead, itsActivities] = [...byLead.entries()].find(([, as]) => as.length >= 2)!;
    dataset.deleteLead(deletedLead);
    const done = odooActivities.find((a) => a.res_id !== deletedLead)!;
    dataset.table("mail.activity").remove(done.id as number);
    const t = dataset.table("mail.activity");
    const other = odooActivities.find((a) => a.res_id !== deletedLead && a.id !== done.id)!;
    const created = t.nextId;
    t.insert({ ...other, id: created, summary: "Nouvelle activité", write_date: dataset.now() });

    const found = await latest();
    assert.deepEqual(found.diffs, [
      ["activity_deleted", done.id, true],
      ["activity_missing", created, true],
      ["lead_deleted", deletedLead, true],
    ]);
    const [marked] = await db
      .sql`select count(*)::int as n from public.activities where source_deleted_at is not null`;
    assert.equal(
      marked.n,
      itsActivities.length + 1,
      "the deleted lead's activities and the unlinked one, kept",
    );

    const queued = await db.sql`select kind, queued from passerelle.repair(${found.r.id})`;
    assert.equal(queued.find((q) => q.kind === "activity_missing")?.queued, 1);
    await drain(activities);
    const after = await latest();
    assert.equal(after.r.differences, 0);
    assert.equal(after.r.deleted_kept, 2);
    const [row] = await db.sql`select summary from public.activities where odoo_id = ${created}`;
    assert.equal(row.summary, "Nouvelle activité");
  } finally {
    await odoo.close();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
