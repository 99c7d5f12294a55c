/**
 * The stack's pieces outlive their database: after `pg_ctl restart -m fast`
 * the functions server and the stand-in net worker are still up, and a call
 * queued through pg_net after the restart reaches a function and gets its
 * answer (issue: a restart once killed the net worker and nothing resumed).
 */
import assert from "node:assert/strict";
import { generateDataset } from "../odoo_simulator/dataset.ts";
import { startFunctionStack } from "../testing/function_stack.ts";
import { createTestDatabase, restartTestCluster } from "../testing/test_database.ts";

Deno.test("after a PostgreSQL restart the functions server and the net worker go on: a queued call gets its answer", async () => {
  const db = await createTestDatabase("stack_restart");
  const stack = await startFunctionStack({
    dbUrl: db.url,
    dataset: generateDataset({ leads: 20, attachments: 0, seed: 5 }),
  });
  try {
    const before = await stack.call("sync-odoo-leads", {});
    assert.equal(before.status, 200, JSON.stringify(before.body));
    await restartTestCluster();
    const until = Date.now() + 30_000;
    let answer: Record<string, unknown> | undefined;
    while (!answer && Date.now() < until) {
      // The test's own pool meets the restart too: a cut connection is retried, as any client would.
      const [row] = await db.sql`select passerelle.invoke('sync-odoo-leads') as id`.catch(() => [undefined]);
      if (!row) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      for (let i = 0; i < 100 && !answer; i++) {
        [answer] = await db.sql`select status_code, content from net._http_response where id = ${row.id}`;
        if (!answer) await new Promise((r) => setTimeout(r, 100));
      }
    }
    assert.equal(answer?.status_code, 200, JSON.stringify(answer));
    assert.equal(JSON.parse(String(answer?.content)).status, "success");
    const direct = await stack.call("sync-odoo-leads", {});
    assert.equal(direct.status, 200, "the functions server is still up");
  } finally {
    await stack.stop();
    await db.drop();
  }
});
