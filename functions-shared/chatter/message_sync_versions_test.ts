import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { startBudget } from "../engine/budget.ts";
import { processCpuMs } from "../engine/usage.ts";
import { createOdooClient } from "../odoo/client.ts";
import { leadSync } from "../sync/lead_sync.ts";
import { messageSync } from "./message_sync.ts";

const budget = () =>
  startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });

Deno.test("the chatter reads the same from Odoo 17 (JSON-RPC) and Odoo 19 (JSON-2): mail.message, mail.tracking.value and ir.model.fields by the same field names", async () => {
  const dataset = generateDataset({ leads: 150, attachments: 30, activities: 0, seed: 53 });
  const rows: unknown[][] = [];
  for (const version of [17, 19] as const) {
    const odoo = await startOdooSimulator({ dataset, version });
    const db = await createTestDatabase(`messages_${version}`);
    try {
      const client = createOdooClient(
        version === 17
          ? {
            url: odoo.url,
            db: "crm_src",
            login: "admin",
            secret: "admin",
            transport: "jsonrpc",
            timeoutMs: 5_000,
          }
          : {
            url: odoo.url,
            db: "crm_src",
            login: "admin",
            secret: "odoo-api-key-demo",
            transport: "json2",
            timeoutMs: 5_000,
          },
        { fetch, sleep: () => Promise.resolve() },
      );
      const leads = leadSync(client, { companyName: "Odoo" });
      while ((await leads({ sql: db.sql, budget: budget() })).more) { /* pages */ }
      const step = messageSync(client, { companyName: "Odoo", pageSize: 100 });
      while ((await step({ sql: db.sql, budget: budget() })).more) { /* pages */ }
      rows.push([
        ...(await db.sql`select odoo_id, message_type, subtype, body, author_name, posted_at, tracking,
                                attachment_odoo_ids from public.lead_messages order by odoo_id`),
      ]);
    } finally {
      await odoo.close();
      await db.drop();
    }
  }
  const [v17, v19] = rows;
  assert.equal(v17.length, dataset.table("mail.message").size);
  assert.ok((v17 as { tracking: unknown[] }[]).some((m) => m.tracking.length > 1), "tracking values read");
  assert.deepEqual(v19, v17);
});
