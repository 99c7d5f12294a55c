import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { startBudget } from "../engine/budget.ts";
import { processCpuMs } from "../engine/usage.ts";
import { createOdooClient } from "../odoo/client.ts";
import { config } from "../odoo/client_test_kit.ts";
import { reconcileOdoo } from "../reconcile/reconcile_step.ts";
import { localStore } from "../storage/local_store.ts";
import { leadSync } from "../sync/lead_sync.ts";
import { archiveFiles } from "./archive_step.ts";

const budget = () =>
  startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });

Deno.test("repair restores a damaged stored object whose content another file shares: the archive's copy replaces it, and a deep reconcile says 0", async () => {
  const dataset = generateDataset({ leads: 20, attachments: 0, activities: 0, seed: 47, chatter: false });
  // The same quote attached to two leads (an archive copy: Odoo stores the content once).
  const quote = new TextEncoder().encode("%PDF-1.4 devis partagé ".repeat(200));
  const [a, b] = dataset.table("crm.lead").rows.slice(0, 2).map((l) => l.id);
  const first = dataset.addAttachment(a, { name: "devis.pdf", mimetype: "application/pdf", bytes: quote });
  const second = dataset.addAttachment(b, { name: "devis.pdf", mimetype: "application/pdf", bytes: quote });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("repair_shared");
  const dir = await Deno.makeTempDir();
  try {
    const client = createOdooClient(config(odoo.url), { fetch, sleep: () => Promise.resolve() });
    const store = localStore({ dir, bucket: "estimation-files" });
    const archive = archiveFiles({ odoo: client, store });
    const sync = leadSync(client, { companyName: "Odoo" });
    while ((await sync({ sql: db.sql, budget: budget() })).more) { /* pages */ }
    const drainArchive = async () => {
      while ((await archive({ sql: db.sql, budget: budget() })).more) { /* batches */ }
    };
    await drainArchive();
    const reconcile = reconcileOdoo({ odoo: client, store });
    const deep = async () => {
      for (
        let i = 0;
        (await reconcile({ sql: db.sql, budget: budget(), body: i ? {} : { start: true, deep: true } })).more;
        i++
      ) {
        assert.ok(i < 50);
      }
      const [r] = await db.sql`select id, differences from public.reconcile_runs order by id desc limit 1`;
      const diffs = await db
        .sql`select kind, odoo_id from public.reconcile_differences where run_id = ${r.id}`;
      return { r, diffs: diffs.map((d) => [d.kind, d.odoo_id]) };
    };
    assert.deepEqual((await deep()).diffs, []);

    // The second file's object overwritten with other bytes of the same size.
    const [row] = await db.sql`select storage_path from public.lead_files where odoo_id = ${second}`;
    const damaged = quote.slice();
    damaged[10] ^= 0xff;
    await store.put(row.storage_path, damaged, { contentType: "application/pdf", upsert: true });
    const found = await deep();
    assert.deepEqual(found.diffs, [["object_sha1", second]]);

    await db.sql`select * from passerelle.repair(${found.r.id})`;
    await drainArchive();
    const after = await deep();
    assert.deepEqual([after.diffs, after.r.differences], [[], 0]);
    const back = new Uint8Array(await new Response(await store.get(row.storage_path)).arrayBuffer());
    assert.deepEqual(back, quote, "the object holds Odoo's bytes again");
    assert.ok(first > 0);
  } finally {
    await odoo.close();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
