import assert from "node:assert/strict";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { connectDb } from "../db.ts";
import { testClusterUrl } from "../../scripts/testing/test_database.ts";
import { readStatus } from "./read_status.ts";
import type { MigrationStatus, StatusDocument } from "./status_document.ts";
import {
  ago,
  AT,
  CHECKSUM_ERROR,
  EXPECTED,
  ODOO_502,
  REFUSED,
  seedMigrationInProgress,
} from "./testdata/migration_in_progress.ts";

const byKey = (doc: StatusDocument, key: string) =>
  doc.migrations.find((m) => m.key === key) as MigrationStatus;

Deno.test("readStatus() reports progress, rate, ETA, liveness and deduplicated errors of a migration in progress", async () => {
  const db = await createTestDatabase("status_read");
  try {
    const { importId } = await seedMigrationInProgress(db.sql);
    const doc = await readStatus(db.sql, { at: AT });

    assert.equal(Date.parse(doc.generated_at), AT.getTime());
    assert.equal(doc.stale_s, 120);
    assert.equal(doc.cron_available, false, "test databases have no pg_cron");
    assert.deepEqual(doc.migrations.map((m) => m.key), ["leads", "files"]);

    const files = byKey(doc, "files");
    const e = EXPECTED.files;
    assert.deepEqual(
      [
        files.total,
        files.done,
        files.failed,
        files.remaining,
        files.in_progress,
        files.percent,
        files.rate,
        files.eta_s,
      ],
      [e.total, e.done, e.failed, e.remaining, e.in_progress, e.percent, e.rate, e.eta_s],
    );
    assert.equal(files.active, true, "a call started 5 s ago is still running");
    assert.equal(files.running_calls, 1);
    assert.equal(files.alive, true, "its last batch ended 10 s ago");
    assert.equal(Date.parse(files.last_success_at!), Date.parse(ago(10)));
    assert.equal(Date.parse(files.last_failure_at!), Date.parse(ago(70)));
    assert.equal(files.last_failure_message, CHECKSUM_ERROR);
    assert.deepEqual(
      files.recent_errors.map((r) => [r.message, r.count, Date.parse(r.last_seen)]),
      [[CHECKSUM_ERROR, 1, Date.parse(ago(70))], [ODOO_502(813), 2, Date.parse(ago(130))]],
      "the same failure on two attachments is one line, counted twice, newest text first",
    );
    assert.equal(files.cron.failing, false);
    assert.equal(files.cron.scheduled, false);

    const leads = byKey(doc, "leads");
    const l = EXPECTED.leads;
    assert.deepEqual(
      [leads.total, leads.done, leads.failed, leads.remaining, leads.percent, leads.rate, leads.eta_s],
      [l.total, l.done, l.failed, l.remaining, l.percent, l.rate, l.eta_s],
    );
    assert.equal(leads.phase, "full");
    assert.equal(leads.alive, false, "its last successful batch is 200 s old, past the 120 s window");
    assert.equal(leads.active, false);
    // Its latest call was refused, but no cron job sent it (none is scheduled, pg_net has no
    // answer of its): a stranger's wrong key is no failure of the migration (issue #13).
    assert.equal(leads.cron.failing, false, "a refused call the cron job did not send is not its failure");
    assert.equal(leads.last_failure_message, REFUSED);

    assert.equal(doc.imports.length, 1);
    const job = doc.imports[0];
    assert.equal(job.id, importId);
    assert.deepEqual(
      [
        job.status,
        job.total,
        job.done,
        job.failed,
        job.remaining,
        job.percent,
        job.rate,
        job.eta_s,
        job.active,
        job.alive,
      ],
      ["parsing", 2000, 500, 3, 1500, 25, 50, 30, true, true],
    );

    assert.deepEqual(doc.net, {
      available: true,
      responses: 2,
      failures: 1,
      last_failure_at: doc.net.last_failure_at,
      last_failure: "HTTP 404: NOT_FOUND: Requested function was not found",
    });
    assert.equal(Date.parse(doc.net.last_failure_at!), Date.parse(ago(20)));
  } finally {
    await db.drop();
  }
});

Deno.test("readStatus() turns the pulse red once the last batch is older than the stale window", async () => {
  const db = await createTestDatabase("status_stale");
  try {
    await seedMigrationInProgress(db.sql);
    // The cron stopped: no batch after the one that ended 10 s before AT.
    const later = (s: number) => new Date(AT.getTime() + s * 1000);
    assert.equal(
      byKey(await readStatus(db.sql, { at: later(100) }), "files").alive,
      true,
      "110 s: still live",
    );
    const stale = byKey(await readStatus(db.sql, { at: later(111) }), "files");
    assert.equal(stale.alive, false, "121 s after the last batch: stale");
    assert.equal(stale.active, true, "a call still registered counts as work going on");
    assert.equal(byKey(await readStatus(db.sql, { at: later(111), staleS: 300 }), "files").alive, true);
    // Once the rate window has passed, there is no rate and no ETA any more.
    const quiet = byKey(await readStatus(db.sql, { at: later(600) }), "files");
    assert.equal(quiet.rate, null);
    assert.equal(quiet.eta_s, null);
    assert.equal(quiet.active, false, "a call registered 10 minutes ago and never finished is dead");
  } finally {
    await db.drop();
  }
});

Deno.test("readStatus() counts nothing before anything ran, and idle calls do not turn the gear", async () => {
  const db = await createTestDatabase("status_empty");
  try {
    const doc = await readStatus(db.sql);
    const leads = byKey(doc, "leads");
    assert.deepEqual(
      [
        leads.total,
        leads.done,
        leads.remaining,
        leads.percent,
        leads.rate,
        leads.eta_s,
        leads.alive,
        leads.complete,
      ],
      [null, 0, null, null, null, null, false, false],
    );
    const files = byKey(doc, "files");
    assert.deepEqual([files.total, files.remaining, files.complete, files.eta_s], [0, 0, false, 0]);
    assert.deepEqual(doc.imports, []);
    assert.equal(doc.net.failures, 0);

    // A cron call that found nothing to do: alive, but the gear does not turn.
    await db.sql`insert into public.migration_logs (function_name, status, migrated, elapsed_s, created_at)
                 values ('archive-odoo-files', 'success', 0, 0.2, now() - interval '5 seconds')`;
    const idle = byKey(await readStatus(db.sql), "files");
    assert.deepEqual([idle.alive, idle.active, idle.rate], [true, false, 0]);
  } finally {
    await db.drop();
  }
});

// pg_cron lives in the `postgres` database of the test cluster: the cron part
// runs there, inside a transaction that is rolled back (the jobs never fire).
const VAULT_MISSING = `ERROR: Vault secret "project_url" is missing: run select passerelle.store_secrets(` +
  `'https://<ref>.supabase.co', '<service role key>')\nCONTEXT: PL/pgSQL function ` +
  `passerelle.invoke(text,jsonb,text,integer) line 11 at RAISE`; // verbatim from pg_cron 1.4

class Rollback extends Error {}

Deno.test("readStatus() shows a cron job failing with its error, and calls that never arrive, from pg_cron and pg_net", async () => {
  const sql = connectDb(`${testClusterUrl()}/postgres`, { max: 1 });
  try {
    await sql.begin(async (tx) => {
      const [{ now }] = await tx<{ now: Date }[]>`select now()`;
      const at = (s: number) => new Date(now.getTime() - s * 1000).toISOString();
      await tx`delete from cron.job_run_details`;
      await tx`delete from net._http_response`;
      await tx`delete from public.migration_logs`;
      await tx`delete from passerelle.calls`;
      await tx`select passerelle.schedule('archive-odoo-files'), passerelle.schedule('sync-odoo-leads')`;
      const jobs = await tx<{ jobid: number; jobname: string }[]>`
        select jobid, jobname from cron.job where jobname like 'passerelle:%'`;
      const job = (fn: string) => jobs.find((j) => j.jobname === `passerelle:${fn}`)!.jobid;
      // The archive's job fails every minute: Vault has no secrets.
      for (const s of [150, 90, 30]) {
        await tx`
          insert into cron.job_run_details (jobid, command, status, return_message, start_time, end_time)
          values (${job("archive-odoo-files")}, 'select passerelle.invoke(...)', 'failed', ${VAULT_MISSING},
                  ${at(s)}, ${at(s - 0.01)})`;
      }
      // The sync's job runs, but its request never reaches the function: 404.
      await tx`
        insert into cron.job_run_details (jobid, command, status, return_message, start_time, end_time)
        values (${job("sync-odoo-leads")}, 'select passerelle.invoke(...)', 'succeeded', '1 row', ${at(40)},
                ${at(39.99)})`;
      await tx`
        insert into net._http_response (id, status_code, content_type, content, timed_out, error_msg, created)
        values (7, 404, 'application/json', '{"code":"NOT_FOUND","message":"Requested function was not found"}',
                false, null, ${at(39)})`;

      const doc = await readStatus(tx as never, { at: now });
      assert.equal(doc.cron_available, true);
      const archive = byKey(doc, "files").cron;
      assert.deepEqual(
        [archive.scheduled, archive.active, archive.schedule, archive.last_status, archive.failed_runs],
        [true, true, "* * * * *", "failed", 3],
      );
      assert.equal(archive.failing, true);
      assert.equal(archive.source, "cron");
      assert.equal(
        archive.message,
        `Vault secret "project_url" is missing: run select passerelle.store_secrets('https://<ref>.supabase.co', ` +
          `'<service role key>')`,
      );
      assert.equal(Date.parse(archive.last_run_at!), Date.parse(at(30)));

      const sync = byKey(doc, "leads").cron;
      assert.equal(sync.last_status, "succeeded", "pg_cron says succeeded: it only queued the request");
      assert.equal(sync.failing, true);
      assert.equal(sync.source, "net");
      assert.equal(sync.message, "HTTP 404: NOT_FOUND: Requested function was not found");

      // Paused, a function queues no call: a failure then is someone else's.
      await tx`select passerelle.pause('sync-odoo-leads')`;
      assert.equal(byKey(await readStatus(tx as never, { at: now }), "leads").cron.failing, false);
      await tx`select passerelle.resume('sync-odoo-leads')`;
      // Once a call of the sync arrives after the run, the failure is not the sync's.
      await tx`insert into passerelle.calls (function_name, trigger, started_at) values ('sync-odoo-leads', 'cron', ${
        at(39.5)
      })`;
      assert.equal(byKey(await readStatus(tx as never, { at: now }), "leads").cron.failing, false);

      // A job switched off says so.
      await tx`select cron.alter_job(${job("archive-odoo-files")}, active := false)`;
      const inactive = byKey(await readStatus(tx as never, { at: now }), "files").cron;
      assert.equal(inactive.active, false);

      const rows = await tx`select migration, cron from passerelle.status_summary(at := ${now})`;
      assert.match(
        rows.find((r) => r.migration === "files")!.cron,
        /^failing: Vault secret "project_url" is missing/,
      );
      throw new Rollback();
    }).catch((e) => {
      if (!(e instanceof Rollback)) throw e;
    });
  } finally {
    await sql.end();
  }
});
