import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { activitySync } from "../chatter/activity_sync.ts";
import { withReconcileScene } from "./reconcile_test_kit.ts";

Deno.test("reconcile compares activities once they are synced: one missing, one deleted in Odoo (marked, kept), those of a deleted lead part of its difference; repair and the activity sync bring it to 0", async () => {
  const dataset = generateDataset({ leads: 60, attachments: 0, activities: 90, seed: 31 });
  await withReconcileScene(dataset, "reconcile_activities", async ({ db, client, drain, latest }) => {
    const activities = activitySync(client, { companyName: "Odoo" });
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
  });
});
