/**
 * `passerelle.store_secrets` with bad input answers what is wrong and raises
 * nothing, so that PostgreSQL writes no failed statement, key included, to
 * its log (log_min_error_statement = error, the default). Read in the test
 * cluster's own server log.
 */
import assert from "node:assert/strict";
import { testServerLog } from "../../scripts/testing/test_cluster.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";

Deno.test("store_secrets() with a bad URL or key answers why, and the key never reaches the server log", async () => {
  const db = await createTestDatabase("store_secrets");
  try {
    const key = `eyJhbGciOiJIUzI1NiJ9.key-${crypto.randomUUID()}.c2ln`;
    const [{ r }] = await db.sql`select passerelle.store_secrets('not-a-url', ${key}) as r`;
    assert.equal(r, "not stored: project_url must look like https://<project-ref>.supabase.co");
    const [{ r: empty }] = await db.sql`select passerelle.store_secrets('https://abc.supabase.co', '') as r`;
    assert.equal(empty, "not stored: service_role_key is empty");
    const [{ r: spaced }] = await db.sql`select passerelle.store_secrets('https://abc.supabase.co', ${
      key + "\n"
    }) as r`;
    assert.match(spaced, /^not stored: service_role_key contains spaces/);
    const [{ n }] = await db.sql`select count(*)::int as n from vault.secrets`;
    assert.equal(n, 0, "nothing stored");
    const [{ ok }] = await db.sql`select passerelle.store_secrets('https://abc.supabase.co', ${key}) as ok`;
    assert.equal(ok, "stored");
    // A statement that does fail is logged: the log read is the right one.
    const marker = `marker-${crypto.randomUUID()}`;
    await db.sql.unsafe(`select 1 / 0, '${marker}'`).catch(() => {});
    const until = Date.now() + 5000;
    let log = await testServerLog();
    while (!log.includes(marker) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 200));
      log = await testServerLog();
    }
    assert.ok(log.includes(marker), "the failed statement is in the server log");
    assert.ok(!log.includes(key), "the key is not");
  } finally {
    await db.drop();
  }
});
