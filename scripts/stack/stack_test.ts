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
import { makeKeys } from "./keys.ts";
import { freePort } from "./postgres_cluster.ts";
import { functionEnv, startFunctionsProcess } from "./stack.ts";

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

Deno.test("the dev stack restarts a functions server that died, and says so", async () => {
  const db = await createTestDatabase("stack_supervise");
  const keys = await makeKeys();
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const logs: string[] = [];
  const env = functionEnv({ dbUrl: db.url, supabaseUrl: url, keys, storageDir: "/nonexistent" });
  const functions = await startFunctionsProcess(port, env, "null", (s) => logs.push(s));
  try {
    await functions.kill();
    const until = Date.now() + 30_000;
    let status = 0;
    while (Date.now() < until && status !== 401) {
      status = await fetch(`${url}/functions/v1/migration-status`).then(async (r) => {
        await r.body?.cancel();
        return r.status;
      }).catch(() => 0);
      if (status !== 401) await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(status, 401, "the restarted server answers (a call without a key is refused)");
    assert.match(logs[0], /^functions server exited \(code \d+\): restarting it in \d+(\.\d+)? s$/);
  } finally {
    await functions.stop();
    await db.drop();
  }
});
