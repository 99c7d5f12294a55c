import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { archiveFiles } from "../archive/archive_step.ts";
import { startBudget } from "../engine/budget.ts";
import { processCpuMs } from "../engine/usage.ts";
import { createOdooClient } from "../odoo/client.ts";
import { config } from "../odoo/client_test_kit.ts";
import { localStore } from "../storage/local_store.ts";
import { readStatus } from "../status/read_status.ts";
import { leadSync } from "../sync/lead_sync.ts";
import { reconcileOdoo } from "./reconcile_step.ts";

const budget = () =>
  startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });
/** A budget spent after one round of work: each call does one page or one batch, then stops. */
const onePage = () => {
  let t = 0;
  return startBudget({ wallMs: 2, cpuMs: 1e9 }, { now: () => t++, cpu: () => 0 });
};

Deno.test("reconcile over calls of one page each finds every other kind of difference; repair, sync and archive leave only what needs the user", async () => {
  const dataset = generateDataset({
    leads: 40,
    attachments: 80,
    activities: 0,
    seed: 23,
    attachmentBytes: { min: 100, max: 5_000 },
  });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("reconcile_kinds");
  const dir = await Deno.makeTempDir();
  try {
    const client = createOdooClient(config(odoo.url), { fetch, sleep: () => Promise.resolve() });
    const store = localStore({ dir, bucket: "estimation-files" });
    const sync = leadSync(client, { companyName: "Odoo" });
    const archive = archiveFiles({ odoo: client, store });
    const migrate = async () => {
      while ((await sync({ sql: db.sql, budget: budget() })).more) { /* pages */ }
      while ((await archive({ sql: db.sql, budget: budget() })).more) { /* batches */ }
    };
    // Small pages: the run has to resume from its cursor again and again.
    const reconcile = reconcileOdoo({
      odoo: client,
      store,
      options: { leadPage: 7, filePage: 9, objectBatch: 11 },
    });
    const run = async (step = reconcile, deep = false) => {
      let calls = 0;
      for (let more = true; more; calls++) {
        const body = calls === 0 ? { start: true, deep } : {};
        more = (await step({ sql: db.sql, budget: onePage(), body })).more;
        assert.ok(calls < 400);
      }
      const [r] = await db.sql`select * from public.reconcile_runs order by id desc limit 1`;
      const diffs = await db.sql`select kind, odoo_id, lead_file_id::int, row_number, open
                                   from public.reconcile_differences where run_id = ${r.id} order by kind`;
      return { calls, r, diffs };
    };
    await migrate();
    const clean = await run();
    assert.deepEqual([...clean.diffs], []);
    assert.ok(clean.calls > 15, `${clean.calls} calls`);
    // Deep, reading back at most one file per batch: one call per stored object, and the same answer.
    const [{ n: storedCount }] = await db
      .sql`select count(*)::int as n from public.lead_files where status = 'done'`;
    const deepOne = await run(reconcileOdoo({ odoo: client, store, options: { deepBatchBytes: 1 } }), true);
    assert.deepEqual([...deepOne.diffs], []);
    assert.equal(deepOne.r.objects_checked, storedCount);
    assert.ok(deepOne.calls > storedCount, `${deepOne.calls} calls for ${storedCount} objects`);

    const files = await db.sql<
      { id: number; odoo_id: number; lead_id: number; checksum: string; storage_path: string }[]
    >`
      select id::int, odoo_id, lead_id::int, checksum, storage_path from public.lead_files f
       where status = 'done' and file_size > 0
         and (select count(*) from public.lead_files g where g.checksum = f.checksum) = 1 order by id`;
    const [changed, removed, resized, failed] = files;
    // In Odoo: a lead created since, an attachment added to a synced lead, an attachment's content replaced.
    const newLead = dataset.createLead({ name: "Créé après la migration" });
    const [someLead] = await db.sql`select odoo_id from public.leads order by id limit 1`;
    const added = dataset.addAttachment(someLead.odoo_id, {
      name: "ajout.pdf",
      bytes: new TextEncoder().encode("ajout"),
    });
    const newBytes = new TextEncoder().encode("un autre contenu, plus long que le premier");
    dataset.contents.set(changed.odoo_id, { kind: "bytes", bytes: newBytes });
    // As Odoo's write of `datas` does: size, checksum and store_fname follow the new content.
    const row = dataset.table("ir.attachment").get(changed.odoo_id)!;
    row.file_size = newBytes.length;
    delete row.checksum;
    delete row.store_fname;
    // In Storage: one object gone, one of another size. In Supabase: one file failed.
    await store.remove([removed.storage_path]);
    await store.put(resized.storage_path, new TextEncoder().encode("x"), {
      contentType: "text/plain",
      upsert: true,
    });
    await db
      .sql`update public.lead_files set status = 'failed', storage_path = null, error_code = 'storage_unavailable'
                  where id = ${failed.id}`;
    // An import whose row 2 was never committed nor set aside.
    const [user] = await db.sql`insert into auth.users (email) values ('a@example.com') returning id`;
    const [job] = await db.sql`
      insert into public.import_jobs (owner, company_id, kind, file_name, file_sha256, file_size, status)
      select ${user.id}, id, 'leads', 'leads.csv', 'x', 1, 'completed' from public.companies limit 1 returning id`;
    await db.sql`insert into public.import_rows (job_id, row_number, data, status, target_id)
                 values (${job.id}, 1, '{}', 'committed', (select min(id) from public.leads)),
                        (${job.id}, 2, '{}', 'valid', null), (${job.id}, 3, '{}', 'invalid', null)`;

    const found = await run();
    assert.deepEqual(
      found.diffs.map((d) => [d.kind, d.odoo_id ?? d.row_number]),
      [
        ["file_checksum", changed.odoo_id],
        ["file_missing", added],
        ["file_not_stored", failed.odoo_id],
        ["import_row_unaccounted", 2],
        ["lead_missing", newLead],
        ["object_missing", removed.odoo_id],
        ["object_size", resized.odoo_id],
      ],
    );
    // The status document (migration-status) says it too.
    const { reconcile: summary } = await readStatus(db.sql);
    assert.equal(summary?.run_id, Number(found.r.id));
    assert.equal(summary?.differences, 7);
    assert.equal(summary?.by_kind?.object_size, 1);

    const queued = await db.sql`select kind, queued from passerelle.repair(${found.r.id})`;
    assert.deepEqual(Object.fromEntries(queued.map((q) => [q.kind, q.queued])), {
      lead_stale: 0,
      lead_missing: 1,
      activity_missing: 0,
      message_missing: 0,
      file_missing: 1,
      file_checksum: 1,
      file_not_stored: 1,
      object_missing: 1,
      object_size: 1,
    });
    await migrate();
    const after = await run();
    assert.deepEqual(
      after.diffs.map((d) => d.kind),
      ["import_row_unaccounted"],
      "an import is the user's to settle",
    );
    const [stored] = await db
      .sql`select checksum, file_size::int from public.lead_files where id = ${changed.id}`;
    assert.equal(stored.file_size, newBytes.length);
    assert.equal(stored.checksum, dataset.contentChecksum(changed.odoo_id));
    await assert.rejects(
      db.sql`select * from passerelle.repair(${Number(after.r.id) + 1})`,
      /is not finished/,
    );
  } finally {
    await odoo.close();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
