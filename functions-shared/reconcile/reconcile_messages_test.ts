import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { messageSync } from "../chatter/message_sync.ts";
import { withReconcileScene } from "./reconcile_test_kit.ts";

Deno.test("reconcile counts messages per lead once the chatter is synced: one missing (with its lead's counts), one deleted in Odoo (marked, kept), those of a deleted lead part of its difference; repair and the message sync bring it to 0", async () => {
  const dataset = generateDataset({ leads: 60, attachments: 0, activities: 0, seed: 37 });
  await withReconcileScene(dataset, "reconcile_messages", async ({ db, client, drain, latest }) => {
    const messages = messageSync(client, { companyName: "Odoo" });
    // Before the chatter is synced, it is not compared (each message would be "missing").
    const before = await latest();
    assert.deepEqual(before.diffs, []);
    assert.equal(before.r.odoo_messages, 0);

    await drain(messages);
    const clean = await latest();
    assert.deepEqual(clean.diffs, []);
    const odooMessages = dataset.table("mail.message").rows.filter((m) => m.model === "crm.lead");
    assert.equal(clean.r.odoo_messages, odooMessages.length);

    // A lead with messages deleted (its chatter goes with it), one note deleted in Odoo, one e-mail
    // received and not synced yet.
    const byLead = Map.groupBy(odooMessages, (m) => m.res_id as number);
    const [deletedLead, itsMessages] = [...byLead.entries()].find(([, ms]) => ms.length >= 2)!;
    dataset.deleteLead(deletedLead);
    const removed = odooMessages.find((m) => m.res_id !== deletedLead)!;
    dataset.table("mail.message").remove(removed.id as number);
    const t = dataset.table("mail.message");
    const other = odooMessages.find((m) => m.res_id !== deletedLead && m.id !== removed.id)!;
    const created = t.nextId;
    const at = dataset.now();
    t.insert({
      ...other,
      id: created,
      message_type: "email",
      body: "<p>Nouveau message</p>",
      date: at,
      write_date: at,
    });

    const found = await latest();
    assert.deepEqual(found.diffs, [
      ["lead_deleted", deletedLead, true],
      ["message_deleted", removed.id, true],
      ["message_missing", created, true],
    ]);
    const inOdoo = t.rows.filter((m) => m.model === "crm.lead" && m.res_id === other.res_id).length;
    assert.equal(found.data[2].lead_odoo_messages, inOdoo);
    assert.equal(
      found.data[2].lead_supabase_messages,
      inOdoo - 1 + (removed.res_id === other.res_id ? 1 : 0),
    );
    const [marked] = await db
      .sql`select count(*)::int as n from public.lead_messages where source_deleted_at is not null`;
    assert.equal(marked.n, itsMessages.length + 1, "the deleted lead's messages and the deleted one, kept");

    const queued = await db.sql`select kind, queued from passerelle.repair(${found.r.id})`;
    assert.equal(queued.find((q) => q.kind === "message_missing")?.queued, 1);
    await drain(messages);
    const after = await latest();
    assert.equal(after.r.differences, 0);
    assert.equal(after.r.deleted_kept, 2);
    const [row] = await db.sql`select body from public.lead_messages where odoo_id = ${created}`;
    assert.equal(row.body, "<p>Nouveau message</p>");
  });
});
