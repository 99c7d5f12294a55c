import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { startBudget } from "../engine/budget.ts";
import { processCpuMs } from "../engine/usage.ts";
import { serveBatch } from "../engine/serve_batch.ts";
import { createOdooClient } from "../odoo/client.ts";
import { localStore } from "../storage/local_store.ts";
import { leadSync } from "../sync/lead_sync.ts";
import { archiveFiles } from "./archive_step.ts";

const budget = () =>
  startBudget({ wallMs: 50_000, cpuMs: 1_500 }, { now: () => performance.now(), cpu: processCpuMs });
const config = (url: string, login = "admin", secret = "admin") => ({
  url,
  db: "crm_src",
  login,
  secret,
  transport: "jsonrpc" as const,
  timeoutMs: 5_000,
});

Deno.test("texts are stored exactly as Odoo has them, and empty files and links follow the backup import's rule", async () => {
  // The special attachments are those recorded in fixture odoo/42-attachment-read-special.json.
  const dataset = generateDataset({ leads: 40, attachments: 30, activities: 0, seed: 16 });
  const spaced = dataset.createLead({ name: "Appel d'offres mobilier de bureau " });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("discovery_texts");
  const dir = await Deno.makeTempDir();
  try {
    const client = createOdooClient(config(odoo.url), { fetch, sleep: () => Promise.resolve() });
    const sync = leadSync(client, { companyName: "Acme" });
    while ((await sync({ sql: db.sql, budget: budget() })).more) { /* full pass */ }
    const [lead] = await db.sql`select title from public.leads where odoo_id = ${spaced}`;
    assert.equal(lead.title, "Appel d'offres mobilier de bureau ", "the trailing space is Odoo's");

    const step = archiveFiles({ odoo: client, store: localStore({ dir, bucket: "estimation-files" }) });
    while ((await step({ sql: db.sql, budget: budget() })).more) { /* discover and archive */ }
    const files = await db.sql<{ name: string; checksum: string | null; file_size: string | null }[]>`
      select name, checksum, file_size, status, error_code, storage_path is not null as stored
        from public.lead_files where name in ('  espaces  dans le nom .docx', 'vide.txt', 'Plaquette en ligne')
       order by name`;
    assert.deepEqual(files.map((f) => ({ ...f })), [
      {
        name: "  espaces  dans le nom .docx",
        checksum: dataset.contentChecksum(
          dataset.table("ir.attachment").rows.find((a) => a.name === "  espaces  dans le nom .docx")!.id,
        ),
        file_size: "30000",
        status: "done",
        error_code: null,
        stored: true,
      },
      // A link: no file, so no size (Odoo says 0: an integer field cannot say null).
      {
        name: "Plaquette en ligne",
        checksum: null,
        file_size: null,
        status: "failed",
        error_code: "attachment_url",
        stored: false,
      },
      // An empty file: Odoo keeps no checksum for it (false), nor do we.
      { name: "vide.txt", checksum: null, file_size: "0", status: "done", error_code: null, stored: true },
    ]);
  } finally {
    await db.drop();
    await odoo.close();
    await Deno.remove(dir, { recursive: true });
  }
});

for (const version of [17, 19] as const) {
  Deno.test(`Odoo ${version}: a login without Sales rights fails the archive with odoo_access_denied naming the right, not a pass of 0 files`, async () => {
    // Odoo 17 answers such a login's ir.attachment search_read with [] (fixture odoo/50), Odoo 19 with
    // crm.lead's AccessError (odoo19_live/01); both refuse its crm.lead search_read with an AccessError
    // listing the groups (fixtures odoo/23, odoo19/05).
    const dataset = generateDataset({ leads: 20, attachments: 10, activities: 0, seed: 4 });
    const odoo = await startOdooSimulator({ dataset, version });
    const db = await createTestDatabase("discovery_nocrm");
    const dir = await Deno.makeTempDir();
    const key = "service-role-key-for-the-nocrm-test";
    try {
      const admin = createOdooClient(config(odoo.url), { fetch, sleep: () => Promise.resolve() });
      const sync = leadSync(admin, { companyName: "Acme" });
      while ((await sync({ sql: db.sql, budget: budget() })).more) { /* full pass */ }
      const nocrm = createOdooClient(config(odoo.url, "nocrm", "nocrm"), {
        fetch,
        sleep: () => Promise.resolve(),
      });
      const listed = nocrm.searchRead("ir.attachment", [["res_model", "=", "crm.lead"]], { fields: ["id"] });
      if (version === 17) assert.deepEqual(await listed, [], "Odoo 17 itself says nothing is wrong");
      else await assert.rejects(listed, /You are not allowed to access 'Lead' \(crm\.lead\) records/);
      const handler = serveBatch({
        name: "archive-odoo-files",
        config: { serviceRoleKey: key, budget: { wallMs: 50_000, cpuMs: 1_500 }, workers: 1, chain: false },
        sql: db.sql,
        secrets: [key],
        step: archiveFiles({ odoo: nocrm, store: localStore({ dir, bucket: "estimation-files" }) }),
      });
      const res = await handler(
        new Request("http://x/functions/v1/archive-odoo-files", {
          method: "POST",
          headers: { authorization: `Bearer ${key}` },
        }),
      );
      const body = await res.json();
      assert.equal(res.status, 500);
      assert.equal(body.code, "odoo_access_denied");
      assert.match(body.message, /may not read crm\.lead/);
      assert.match(body.message, /"Sales\/Administrator" or "Sales\/User: Own Documents Only"/);
      const [state] = await db.sql`
      select (select count(*)::int from public.lead_files) as files,
             (select caught_up_at from public.sync_state where source = 'odoo_attachments') as discovered`;
      assert.deepEqual({ ...state }, { files: 0, discovered: null }, "no discovery pass recorded as done");
      const [log] = await db.sql`select status, errors from public.migration_logs order by id desc limit 1`;
      assert.equal(log.status, "error");
      assert.match(log.errors[0], /^odoo_access_denied/);
    } finally {
      await db.drop();
      await odoo.close();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
