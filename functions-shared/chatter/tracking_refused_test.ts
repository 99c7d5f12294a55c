import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import type { OdooConfig } from "../config.ts";
import { startBudget } from "../engine/budget.ts";
import { serveBatch, type Step } from "../engine/serve_batch.ts";
import { processCpuMs } from "../engine/usage.ts";
import { createOdooClient } from "../odoo/client.ts";
import { readStatus } from "../status/read_status.ts";
import { renderTerminal } from "../status/terminal.ts";
import { leadSync } from "../sync/lead_sync.ts";
import { messageSync } from "./message_sync.ts";

const KEY = "eyJhbGciOiJIUzI1NiJ9.service-role-key-for-tests.c2lnbmF0dXJl";
const config = {
  serviceRoleKey: KEY,
  secretKey: "sb_secret_0123456789abcdef",
  jwtSecret: "a-jwt-secret-of-the-project-for-tests-only",
  budget: { wallMs: 50_000, cpuMs: 60_000 },
  workers: 1,
  chain: false,
};
const budget = () =>
  startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });
const call = () =>
  new Request("http://localhost/functions/v1/sync-odoo-messages", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${KEY}` },
    body: "{}",
  });

for (
  const [transport, secret] of [["jsonrpc", "bob"], ["json2", "odoo-api-key-bob"]] as const
) {
  Deno.test(`sync-odoo-messages as a salesman (no Settings rights, ${transport}): every message arrives without tracking values, said once in migration_logs and in the status document`, async () => {
    const dataset = generateDataset({ leads: 120, attachments: 20, activities: 0, seed: 61 });
    const odoo = await startOdooSimulator({ dataset });
    const db = await createTestDatabase(`tracking_refused_${transport}`);
    try {
      const odooConfig: OdooConfig = {
        url: odoo.url,
        db: "crm_src",
        login: "bob",
        secret,
        transport,
        timeoutMs: 5_000,
      };
      const client = createOdooClient(odooConfig, { fetch, sleep: () => Promise.resolve() });
      const leads = leadSync(client, { companyName: "Odoo" });
      while ((await leads({ sql: db.sql, budget: budget() })).more) { /* pages */ }
      const handler = serveBatch({
        name: "sync-odoo-messages",
        config,
        sql: db.sql,
        secrets: [secret],
        step: messageSync(client, { companyName: "Odoo", pageSize: 50 }) as Step,
      });
      const answers: Record<string, unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        const res = await handler(call());
        const body = await res.json();
        assert.equal(res.status, 200, JSON.stringify(body));
        answers.push(body);
        if (!body.remainingFlag) break;
      }
      // A second full pass (the cursor put back) meets the refusal again and says nothing more.
      await db
        .sql`update public.sync_state set phase = 'full', cursor_id = 0, pass_since = null, pass_high = null
                     where source = 'odoo_messages'`;
      const again = await (await handler(call())).json();
      assert.deepEqual(again.errors, []);
      assert.equal(again.details.tracking, "refused");

      const messages = await db.sql<{ n: number; tracked: number }[]>`
        select count(*)::int as n, count(*) filter (where jsonb_array_length(tracking) > 0)::int as tracked
          from public.lead_messages`;
      assert.equal(messages[0].n, dataset.table("mail.message").size, "every message, none dropped");
      assert.equal(messages[0].tracked, 0);
      assert.ok(dataset.table("mail.tracking.value").size > 0, "the dataset has tracking values");

      const logs = await db.sql<{ status: string; errors: string[] }[]>`
        select status, errors from public.migration_logs
         where function_name = 'sync-odoo-messages' order by id`;
      assert.ok(logs.every((l) => l.status === "success"));
      const said = logs.flatMap((l) => l.errors);
      assert.equal(said.length, 1, "said once: " + JSON.stringify(said));
      assert.match(said[0], /^Messages synced without their tracking values/);
      assert.match(said[0], /history of stage and salesperson changes is not copied/);
      assert.match(
        said[0],
        /You are not allowed to access 'Mail Tracking Value' \(mail\.tracking\.value\) records/,
      );
      assert.ok(!said[0].includes(secret) || secret === "bob", "no key in the log");

      const doc = await readStatus(db.sql);
      const card = doc.chatter!.find((c) => c.key === "messages")!;
      assert.equal(card.notice, said[0]);
      assert.equal(card.stored, messages[0].n);
      assert.equal(card.phase, "incremental");
      const text = renderTerminal(doc, { width: 400 });
      assert.match(text, /Odoo messages \(sync-odoo-messages\) .* stored/);
      assert.ok(text.includes("history of stage and salesperson changes is not copied"), text);
    } finally {
      await odoo.close();
      await db.drop();
    }
  });
}

Deno.test("sync-odoo-messages as admin reads the tracking values and says nothing", async () => {
  const dataset = generateDataset({ leads: 60, attachments: 0, activities: 0, seed: 62 });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("tracking_admin");
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
    while ((await leads({ sql: db.sql, budget: budget() })).more) { /* pages */ }
    const step = messageSync(client, { companyName: "Odoo" });
    const r = await step({ sql: db.sql, budget: budget() });
    assert.deepEqual(r.errors, []);
    const [{ tracked }] = await db.sql<{ tracked: number }[]>`
      select count(*) filter (where jsonb_array_length(tracking) > 0)::int as tracked from public.lead_messages`;
    assert.ok(tracked > 0);
    const doc = await readStatus(db.sql);
    assert.equal(doc.chatter!.find((c) => c.key === "messages")!.notice, null);
  } finally {
    await odoo.close();
    await db.drop();
  }
});
