/**
 * The test cluster with the real pg_net and supabase_vault, where they are
 * installed (CI has neither: the decision itself is tested in
 * extensions_test.ts). Facts: the reference's "Loading the real extensions"
 * (pg_net's worker in pg_stat_activity, `pg_net | 0.20.4`, `supabase_vault |
 * 0.3.1` in schema `vault`). The cron → pg_net → function round trip is
 * functions-shared/engine/cron_e2e_test.ts, which runs on the real pg_net
 * here when it is loaded (function_stack.ts then starts no stand-in worker).
 */
import assert from "node:assert/strict";
import { connectDb } from "../../functions-shared/db.ts";
import { testClusterUrl } from "../testing/test_database.ts";

const postgresDb = () => connectDb(`${testClusterUrl()}/postgres`, { max: 2 });

async function realVersions(): Promise<Record<string, string>> {
  if (!Deno.env.get("PASSERELLE_TEST_PG")) return {};
  const sql = postgresDb();
  try {
    const rows = await sql`select extname, extversion from pg_extension
                            where extname in ('pg_net', 'supabase_vault')`;
    return Object.fromEntries(rows.map((r) => [r.extname, r.extversion]));
  } finally {
    await sql.end();
  }
}

const real = await realVersions();
const skip = real.pg_net && real.supabase_vault
  ? ""
  : " (skipped: the real pg_net and supabase_vault are not loaded in this test cluster)";

Deno.test({
  name: `the real pg_net's worker sends a queued request and Vault decrypts with the stack's key${skip}`,
  ignore: skip !== "",
  fn: async () => {
    const sql = postgresDb();
    const server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => Response.json({ got: await req.text() }),
    );
    try {
      const [{ n }] = await sql`select count(*)::int as n from pg_stat_activity
                                 where backend_type like 'pg_net%worker'`;
      assert.equal(n, 1, "one pg_net worker, and no stand-in beside it");
      const [{ id }] = await sql`
        select net.http_post(${`http://127.0.0.1:${server.addr.port}/x`}, '{"a": 1}'::jsonb) as id`;
      let response: Record<string, unknown> | undefined;
      for (let i = 0; i < 200 && !response; i++) {
        [response] = await sql`select status_code, content from net._http_response where id = ${id}`;
        if (!response) await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(response?.status_code, 200);
      assert.deepEqual(JSON.parse(String(response?.content)), { got: '{"a": 1}' });

      const secret = `probe-${crypto.randomUUID()}`;
      const [{ sid }] = await sql`select vault.create_secret(${secret}, ${secret}) as sid`;
      try {
        const [row] =
          await sql`select decrypted_secret, secret from vault.decrypted_secrets where id = ${sid}`;
        assert.equal(row.decrypted_secret, secret);
        assert.notEqual(row.secret, secret, "stored encrypted");
      } finally {
        await sql`delete from vault.secrets where id = ${sid}`;
      }
    } finally {
      await server.shutdown();
      await sql.end();
    }
  },
});
