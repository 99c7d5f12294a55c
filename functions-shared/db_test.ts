/**
 * The server survives its database (issue #13): PostgreSQL restarted while a
 * sync call is mid-page (`pg_ctl restart -m fast` on the test cluster) makes
 * that call answer 503 `db_unavailable`, never an uncaught error; the server
 * stays up, answers the next call 200, and the failed call's row is logged
 * once the database is back. With postgres.js 3.4.9's reserved connections
 * this killed the process (porsager/postgres#1154, #1208).
 */
import assert from "node:assert/strict";
import { generateDataset } from "../scripts/odoo_simulator/dataset.ts";
import { startFunctionStack } from "../scripts/testing/function_stack.ts";
import { restartTestCluster } from "../scripts/testing/test_cluster.ts";
import { createTestDatabase } from "../scripts/testing/test_database.ts";
import { isDbUnavailable } from "./db.ts";

Deno.test("isDbUnavailable() tells a lost database from a query that failed", () => {
  assert.equal(isDbUnavailable(Object.assign(new Error("x"), { code: "CONNECTION_CLOSED" })), true);
  assert.equal(isDbUnavailable(Object.assign(new Error("terminating connection"), { code: "57P01" })), true);
  assert.equal(isDbUnavailable(Object.assign(new Error("x"), { code: "ECONNREFUSED" })), true);
  assert.equal(isDbUnavailable(Object.assign(new Error("duplicate key"), { code: "23505" })), false);
  assert.equal(isDbUnavailable(new Error("boom")), false);
});

Deno.test("PostgreSQL restarted mid-call: the call answers 503 db_unavailable, the server stays up and answers the next call", async () => {
  const db = await createTestDatabase("db_restart");
  const stack = await startFunctionStack({
    dbUrl: db.url,
    dataset: generateDataset({ leads: 5_000, attachments: 0, activities: 0, seed: 8 }),
    latencyMs: 400,
    env: { BATCH_WALL_MS: "20000" },
  });
  try {
    const call = stack.call("sync-odoo-leads");
    await new Promise((r) => setTimeout(r, 1500)); // the call is waiting on Odoo, its connection held
    await restartTestCluster();
    const lost = await call;
    assert.equal(lost.status, 503, JSON.stringify(lost.body));
    assert.equal(lost.body.code, "db_unavailable");
    assert.match(String(lost.body.message), /database cannot be reached/);

    const next = await stack.call("sync-odoo-leads");
    assert.equal(next.status, 200, JSON.stringify(next.body));
    const logs = await db.sql`
      select status, errors[1] as error from public.migration_logs where function_name = 'sync-odoo-leads' order by id`;
    assert.equal(logs[0].status, "error", "the lost call is logged once the database is back");
    assert.match(logs[0].error, /^db_unavailable: /);
    assert.equal(logs.at(-1)!.status, "success");
    assert.ok(!/Uncaught/.test(stack.output()), stack.output());
  } finally {
    await stack.stop();
    await db.drop();
  }
});
