/**
 * A wrong Odoo key, as the simulator answers it (execute_kw with a wrong
 * password: Odoo's AccessDenied fault, scripts/fixtures/odoo/24-error-execute-kw-wrong-password.json):
 * the archive leaves every file pending and pauses with the reason; once the
 * key is fixed and the function resumed, it completes.
 */
import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { archiveFiles } from "../archive/archive_step.ts";
import { loadConfig } from "../config.ts";
import { odooFromConfig } from "../odoo/odoo_from_config.ts";
import { localStore } from "../storage/local_store.ts";
import { leadSync } from "../sync/lead_sync.ts";
import { serveBatch } from "./serve_batch.ts";

const KEY = "eyJhbGciOiJIUzI1NiJ9.service-role-key-for-tests.c2lnbmF0dXJl";

Deno.test("a wrong Odoo key leaves every file pending and pauses the archive with the reason; resumed with the right key, it completes", async () => {
  const dataset = generateDataset({ leads: 40, attachments: 60, activities: 0, seed: 5 });
  const odoo = startOdooSimulator({ dataset });
  const db = await createTestDatabase("pause_key");
  const dir = await Deno.makeTempDir({ prefix: "pause-store-" });
  const config = (password: string) =>
    loadConfig({
      SUPABASE_URL: "http://127.0.0.1:9",
      SUPABASE_SERVICE_ROLE_KEY: KEY,
      SUPABASE_DB_URL: db.url,
      STORAGE_KIND: "local",
      STORAGE_LOCAL_DIR: dir,
      ODOO_URL: odoo.url,
      ODOO_DB: "crm_src",
      ODOO_LOGIN: "admin",
      ODOO_PASSWORD: password,
    }, { odoo: "required" });
  const store = localStore({ dir, bucket: "estimation-files" });
  const call = (h: (r: Request) => Promise<Response>) =>
    h(new Request("http://x/f", { method: "POST", headers: { authorization: `Bearer ${KEY}` } }));
  try {
    const right = config("admin");
    const sync = serveBatch({
      name: "sync-odoo-leads",
      config: right,
      sql: db.sql,
      step: leadSync(odooFromConfig(right), { companyName: "Odoo" }),
    });
    for (let i = 0; i < 5 && (await (await call(sync)).json()).remainingFlag; i++);
    // The files of the synced leads, as discovery (or a backup import) lists them.
    for (const a of dataset.table("ir.attachment").rows.filter((a) => a.res_model === "crm.lead")) {
      await db
        .sql`insert into public.lead_files (lead_id, odoo_id, name, mimetype, checksum, file_size, odoo_type)
                   select id, ${a.id as number}, ${String(a.name)}, ${a.mimetype as string | null},
                          ${(a.checksum as string | null) || null}, ${(a.file_size as number | null) ?? null},
                          ${String(a.type ?? "binary")}
                     from public.leads where odoo_id = ${a.res_id as number}`;
    }
    const [{ files }] = await db.sql`select count(*)::int as files from public.lead_files`;
    assert.ok(files > 20, `${files} files`);

    const archive = (password: string) => {
      const c = config(password);
      return serveBatch({
        name: "archive-odoo-files",
        config: c,
        sql: db.sql,
        secrets: [c.odoo?.secret],
        step: archiveFiles({ odoo: odooFromConfig(c), store, options: { discover: false, batchSize: 50 } }),
      });
    };
    const wrong = await call(archive("not-the-password"));
    assert.equal(wrong.status, 500);
    const body = await wrong.json();
    assert.equal(body.code, "odoo_auth_failed");
    assert.equal(body.paused, true);
    // Only the empty files, which need nothing from Odoo, were stored; every other one is pending,
    // its attempt given back, and none failed.
    const [states] = await db.sql`
      select count(*) filter (where status = 'pending' and attempts = 0)::int as pending,
             count(*) filter (where status = 'failed')::int as failed,
             count(*) filter (where status = 'done' and coalesce(file_size, 0) > 0)::int as read_from_odoo,
             count(*) filter (where coalesce(file_size, 0) > 0)::int as need_odoo
        from public.lead_files`;
    assert.equal(states.failed, 0);
    assert.equal(states.read_from_odoo, 0);
    assert.ok(states.pending >= states.need_odoo && states.need_odoo > 20, JSON.stringify(states));
    const [doc] = await db.sql`
      select m->>'paused' as paused, m->>'paused_reason' as reason, m->>'failed' as failed
        from jsonb_array_elements(passerelle.status()->'migrations') m where m->>'key' = 'files'`;
    assert.deepEqual({ ...doc, reason: doc.reason.split(" (select")[0] }, {
      paused: "true",
      reason: "Odoo refused the key: fix ODOO_API_KEY (or ODOO_PASSWORD, ODOO_LOGIN), then resume",
      failed: "0",
    });
    assert.ok(!doc.reason.includes("not-the-password"), "the key is not in the reason");

    await db.sql`select passerelle.resume('archive-odoo-files')`;
    const fixed = archive("admin");
    for (let i = 0; i < 10; i++) {
      const r = await (await call(fixed)).json();
      assert.equal(r.status, "success", JSON.stringify(r));
      if (!r.remainingFlag) break;
    }
    const [{ pending }] = await db.sql`
      select count(*) filter (where status in ('pending', 'claimed'))::int as pending from public.lead_files`;
    assert.equal(pending, 0, "the archive completed");
  } finally {
    await db.drop();
    await odoo.close();
    await Deno.remove(dir, { recursive: true });
  }
});
