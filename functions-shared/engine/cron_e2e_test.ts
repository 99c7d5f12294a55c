/**
 * The whole chain as hosted Supabase runs it: pg_cron fires a job made by
 * `passerelle.schedule`, the job queues `net.http_post` with the key read
 * from Vault, the net worker sends it to the functions server, and the
 * function writes its `migration_logs` row. Runs in the `postgres` database
 * of the test cluster, the one pg_cron serves, and waits for the next minute.
 */
import assert from "node:assert/strict";
import { connectDb } from "../db.ts";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startFunctionStack } from "../../scripts/testing/function_stack.ts";
import { testClusterUrl } from "../../scripts/testing/test_database.ts";

Deno.test("a cron job fires functions through pg_net with the Vault key; a wrong key gets 401 and auth_error, never logged", async () => {
  const dbUrl = `${testClusterUrl()}/postgres`;
  const sql = connectDb(dbUrl, { max: 2 });
  const wrongKey = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.d3Jvbmcta2V5LWZvci10ZXN0cw";
  const stack = await startFunctionStack({
    dbUrl,
    dataset: generateDataset({ leads: 30, attachments: 5, seed: 3 }),
  });
  try {
    await sql`truncate public.migration_logs, net._http_response`;
    await sql`delete from vault.secrets where name = 'wrong_key'`;
    await sql`select vault.create_secret(${wrongKey}, 'wrong_key')`;
    await sql`select passerelle.schedule('sync-odoo-leads')`;
    await sql`select passerelle.schedule('archive-odoo-files', secret_name => 'wrong_key')`;
    const jobs = await sql`select jobname, schedule, command from cron.job order by jobname`;
    assert.deepEqual(jobs.map((j) => j.jobname), [
      "passerelle:archive-odoo-files",
      "passerelle:sync-odoo-leads",
    ]);
    assert.ok(jobs.every((j) => !j.command.includes(wrongKey) && !j.command.includes(stack.serviceRoleKey)));

    // pg_cron fires at the top of the next minute; give the calls time to answer.
    const until = Date.now() + 100_000;
    let logs: Record<string, unknown>[] = [];
    while (Date.now() < until) {
      logs = await sql`select function_name, status, trigger, errors from public.migration_logs order by id`;
      const responses = await sql`select count(*)::int as n from net._http_response`;
      if (logs.length >= 2 && responses[0].n >= 2) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const sync = logs.find((l) => l.function_name === "sync-odoo-leads");
    const archive = logs.find((l) => l.function_name === "archive-odoo-files");
    assert.equal(sync?.status, "success", JSON.stringify(logs));
    assert.equal(sync?.trigger, "cron");
    assert.equal(archive?.status, "auth_error", JSON.stringify(logs));

    const responses = await sql`select status_code, content, error_msg from net._http_response order by id`;
    assert.deepEqual(responses.map((r) => r.status_code).sort(), [200, 401]);
    const runs = await sql`select status from cron.job_run_details d join cron.job j using (jobid)
                            where j.jobname like 'passerelle:%'`;
    assert.ok(
      runs.length >= 2 && runs.every((r) => r.status === "succeeded"),
      "cron says succeeded either way",
    );

    const everything = JSON.stringify([
      await sql`select * from public.migration_logs`,
      await sql`select * from net._http_response`,
      await sql`select * from cron.job_run_details`,
      await sql`select * from cron.job`,
    ]) + stack.output();
    assert.ok(!everything.includes(wrongKey), "the wrong key appears in no log, row or error");
    assert.ok(!everything.includes(stack.serviceRoleKey), "nor the right one");
  } finally {
    await sql`select passerelle.unschedule('sync-odoo-leads'), passerelle.unschedule('archive-odoo-files')`;
    await sql`delete from vault.secrets where name = 'wrong_key'`;
    await stack.stop();
    await sql.end();
  }
});
