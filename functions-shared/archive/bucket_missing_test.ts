/**
 * Without its bucket, a call stops before reading anything (README, "Error codes":
 * `storage_bucket_missing`): the archive makes no Odoo call, leaves every file pending and logs one
 * `error` row naming the bucket; the backup import stops before opening the backup. Storage is the
 * stand-in, which answers a missing bucket as the real Storage v1.70.6 does (storage.md sections 1 and
 * 11.8: 400 NoSuchBucket).
 */
import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startFunctionStack } from "../../scripts/testing/function_stack.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import type { Backup } from "../backup/backup_source.ts";
import { importBackup } from "../backup/import_backup.ts";
import { mintJwt, startStorageStandin } from "../../scripts/storage_standin/server.ts";
import { supabaseStore } from "../storage/supabase_store.ts";

Deno.test("archive-odoo-files without its bucket: no Odoo read, files stay pending, one error row; once created, the next call archives", async () => {
  const dataset = generateDataset({ leads: 20, attachments: 30, activities: 0, seed: 7 });
  const db = await createTestDatabase("bucket_missing");
  const stack = await startFunctionStack({
    dbUrl: db.url,
    dataset,
    storage: "standin",
    env: { STORAGE_BUCKET: "archives-odoo" },
  });
  try {
    for (let i = 0; i < 10; i++) {
      const r = await stack.call("sync-odoo-leads");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (!r.body.remainingFlag) break;
    }
    // The files are known already (discovered by an earlier call, or created by import-dump).
    const attachments = dataset.table("ir.attachment").rows.filter((a) => a.res_model === "crm.lead");
    await db.sql`
      insert into public.lead_files (lead_id, odoo_id, name, mimetype, checksum, file_size, odoo_type)
      select l.id, a.id, a.name, a.mimetype, a.checksum, a.file_size, a.type
        from jsonb_to_recordset(${db.sql.json(attachments as never)})
             as a(id int, res_id int, name text, mimetype text, checksum text, file_size bigint, type text)
        join public.leads l on l.odoo_id = a.res_id`;
    const [{ n: files }] = await db.sql<{ n: number }[]>`select count(*)::int as n from public.lead_files`;
    assert.ok(files > 0);
    const odooCallsBefore = stack.odoo.stats.calls;

    const r = await stack.call("archive-odoo-files");
    assert.equal(r.status, 500);
    assert.equal(r.body.code, "storage_bucket_missing");
    assert.match(String(r.body.message), /bucket "archives-odoo" does not exist: nothing was read or stored/);
    assert.match(String(r.body.message), /supabase db push/);
    assert.equal(stack.odoo.stats.calls, odooCallsBefore, "not one Odoo call");
    assert.equal(stack.odoo.stats.byMethod["ir.attachment.read"] ?? 0, 0, "no datas read");
    const states = await db.sql`select status, attempts from public.lead_files group by 1, 2`;
    assert.deepEqual(states.map((s) => [s.status, s.attempts]), [["pending", 0]]);
    const logs = await db.sql`
      select status, errors from public.migration_logs where function_name = 'archive-odoo-files'`;
    assert.equal(logs.length, 1);
    assert.equal(logs[0].status, "error");
    assert.match(logs[0].errors[0], /^storage_bucket_missing: Storage bucket "archives-odoo" does not exist/);

    // Created, as the migration or the dashboard would: the next call goes on.
    const created = await fetch(`${stack.storage!.url}/storage/v1/bucket`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.serviceRoleKey}`, "content-type": "application/json" },
      body: JSON.stringify({ id: "archives-odoo", name: "archives-odoo", public: false }),
    });
    assert.equal(created.status, 200, await created.text());
    const next = await stack.call("archive-odoo-files");
    assert.equal(next.status, 200, JSON.stringify(next.body));
    assert.ok(Number(next.body.migrated) > 0, JSON.stringify(next.body));
  } finally {
    await stack.stop();
    await db.drop();
  }
});

Deno.test("import-dump without its bucket: stops before opening the backup, with the reason", async () => {
  const db = await createTestDatabase("bucket_missing_dump");
  const jwtSecret = "bucket-missing-test-secret-of-32-characters";
  const storage = await startStorageStandin({ jwtSecret, buckets: [] });
  const untouched = (): never => {
    throw new Error("the backup was read");
  };
  const backup = {
    path: "backup.zip",
    hasDump: true,
    dump: untouched,
    locate: untouched,
    close() {},
  } as unknown as Backup;
  try {
    const store = supabaseStore({
      url: storage.url,
      serviceRoleKey: await mintJwt(jwtSecret, { role: "service_role" }),
      bucket: "estimation-files",
    });
    await assert.rejects(importBackup({ sql: db.sql, store, backup }), (e: Error & { code?: string }) => {
      assert.equal(e.code, "storage_bucket_missing");
      assert.match(
        e.message,
        /^Storage bucket "estimation-files" does not exist: nothing was read or stored/,
      );
      return true;
    });
    assert.equal(storage.stats.bytesReceived, 0);
  } finally {
    await storage.close();
    await db.drop();
  }
});
