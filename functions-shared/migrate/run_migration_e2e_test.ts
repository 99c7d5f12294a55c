/**
 * runMigration() on a stack as the user runs it: the functions server in a child process, pg_net's
 * worker, the Odoo simulator, a local bucket; a backup of the same Odoo (pg_dump + filestore, zipped),
 * a lead CSV and an activities CSV naming its leads. Every part is started by the migration itself, in
 * order, and what the user reads at the end is checked.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openBackup } from "../backup/backup_source.ts";
import { importDumpChatter } from "../backup/chatter_rows.ts";
import { importBackup } from "../backup/import_backup.ts";
import { writeDatasetBackup } from "../backup/testdata/dataset_backup.ts";
import { generateLeadCsv } from "../imports/testdata/lead_csv.ts";
import { localStore } from "../storage/local_store.ts";
import { createOdooClient } from "../odoo/client.ts";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startFunctionStack } from "../../scripts/testing/function_stack.ts";
import { createTestDatabase, testClusterUrl } from "../../scripts/testing/test_database.ts";
import { importStarter } from "./import_starter.ts";
import { formatResult, formatView } from "./migration_text.ts";
import type { CronPort } from "./preconditions.ts";
import { type MigrateDeps, type MigrationView, runMigration } from "./run_migration.ts";
import { generateActivitiesCsv } from "./testdata/activities_csv.ts";

/** The test databases are copies without pg_cron (it serves one database): the migration goes on by chains. */
const noCron: CronPort = {
  available: () => Promise.resolve(false),
  scheduled: () => Promise.resolve([]),
  schedule: () => Promise.reject(new Error("no pg_cron here")),
};

Deno.test("deno task migrate's logic: sync, backup import with the archive, lead CSV then activities CSV; all complete, links and the orphan named with their reason", async () => {
  const dataset = generateDataset({
    leads: 400,
    attachments: 300,
    activities: 0,
    seed: 41,
    attachmentBytes: { min: 1_000, max: 80_000 },
  });
  const dir = await Deno.makeTempDir({ prefix: "passerelle-migrate-" });
  const backup = await writeDatasetBackup(testClusterUrl(), dataset, dir, { zip: true, chatter: true });
  const leadsCsv = join(dir, "leads.csv");
  const activitiesCsv = join(dir, "activites.csv");
  await generateLeadCsv({ rows: 3_000, seed: 4 }).pipeTo((await Deno.create(leadsCsv)).writable);
  await generateActivitiesCsv({ rows: 1_500, leads: 3_000 }).pipeTo(
    (await Deno.create(activitiesCsv)).writable,
  );
  const db = await createTestDatabase("migrate_e2e");
  const stack = await startFunctionStack({
    dbUrl: db.url,
    dataset,
    env: { BATCH_WALL_MS: "5000", PARALLEL_WORKERS: "2", LEASE_S: "60" },
  });
  const [{ id: admin }] = await db.sql<{ id: string }[]>`
    insert into auth.users (email) values ('admin@exemple.fr') returning id`;
  await db.sql`insert into public.user_roles (user_id, role) values (${admin}, 'admin')`;
  const store = localStore({ dir: stack.storageDir, bucket: "estimation-files" });
  const sql = db.connect(4);
  const views: MigrationView[] = [];
  const deps: MigrateDeps = {
    sql,
    store,
    cron: noCron,
    odooPing: async () =>
      void await createOdooClient(
        {
          url: stack.odoo.url,
          db: "crm_src",
          login: "admin",
          secret: "admin",
          transport: "jsonrpc",
          timeoutMs: 5000,
        },
        { fetch, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
      ).authenticate(),
    invoke: async (fn) => void await sql`select passerelle.invoke(${fn})`,
    startImport: importStarter({
      fetch,
      store,
      functionsUrl: stack.url,
      serviceRoleKey: stack.serviceRoleKey,
    }),
    importDump: async (zip, onProgress) => {
      const b = await openBackup(zip);
      try {
        return await importBackup({ sql, store, backup: b, createMissing: true, onProgress });
      } finally {
        b.close();
      }
    },
    importChatter: async (zip) => {
      const b = await openBackup(zip);
      try {
        return await importDumpChatter({ sql, backup: b });
      } finally {
        b.close();
      }
    },
    pollMs: 300,
    stallMs: 120_000,
    onView: (v) => views.push(structuredClone(v)),
  };
  try {
    const r = await runMigration(deps, {
      zip: backup.zip!,
      leadsCsv,
      activitiesCsv,
      owner: "admin@exemple.fr",
      companyName: "Odoo",
    });
    const text = formatResult(r);
    assert.equal(r.ok, true, text);
    assert.deepEqual(r.parts.map((p) => [p.key, p.state]), [
      ["leads", "complete"],
      ["files", "complete"],
      ["chatter", "complete"],
      ["leads_csv", "complete"],
      ["activities_csv", "complete"],
    ], text);
    assert.equal(r.checks.find((c) => c.name === "cron jobs")!.state, "warn");

    // Leads: every Odoo lead; files: every one but the links and the orphan, stored and recorded.
    const crmLeads = dataset.table("crm.lead").rows.length;
    assert.equal(r.parts[0].done, crmLeads);
    const [f] = await db.sql`select count(*) filter (where status = 'done')::int as done,
                                    count(*) filter (where status = 'failed')::int as failed,
                                    count(*)::int as total from public.lead_files`;
    const links = dataset.table("ir.attachment").rows.filter((a) => a.type === "url").length;
    assert.equal(f.failed, links);
    assert.equal(f.done, f.total - links);
    assert.equal(r.parts[1].done, f.done);
    assert.ok(r.dumpSummary!.uploaded + r.dumpSummary!.copied > 0, "the backup import stored files");
    // The archive ran along (never paused) and the two shared the files: each stored by one of them.
    const [control] = await db
      .sql`select paused from passerelle.controls where function_name = 'archive-odoo-files'`;
    assert.notEqual(control?.paused, true, "the archive is not paused");
    const [{ calls, archived }] = await db.sql`
      select count(*)::int as calls, coalesce(sum(migrated), 0)::int as archived from public.migration_logs
       where function_name = 'archive-odoo-files'`;
    assert.ok(calls > 0, "archive-odoo-files was called during the migration");
    const s = r.dumpSummary!;
    assert.equal(archived + s.uploaded + s.copied + s.alreadyStored, f.done, "each file stored once");

    // Order: the lead CSV started once the leads were synced, the activities once it was committed.
    const [leadsPart, filesPart, chatterPart, leadCsvPart, actPart] = r.parts;
    assert.ok(leadCsvPart.startedAt! >= leadsPart.endedAt!);
    assert.ok(actPart.startedAt! >= leadCsvPart.endedAt!);
    void filesPart;
    // The chatter: the backup's, then the syncs, once the leads were there; every Odoo message arrived.
    assert.ok(chatterPart.startedAt! >= leadsPart.endedAt!);
    const messages = dataset.table("mail.message").size;
    assert.equal(r.chatterSummary!.messages.read, messages, "the backup's chatter read");
    const [m] = await db
      .sql`select count(*)::int as n, count(lead_id)::int as linked from public.lead_messages`;
    assert.deepEqual([m.n, m.linked], [messages, messages]);
    assert.equal(chatterPart.done, messages, "no Odoo activity in this dataset: the messages are the rows");
    const synced = await db.sql`select source, passes from public.sync_state
                                  where source in ('odoo_activities', 'odoo_messages') order by source`;
    assert.deepEqual(synced.map((s) => s.source), ["odoo_activities", "odoo_messages"], "both syncs ran");
    const jobs = await db.sql`select kind, status, company_id, committed_rows, inserted_rows, invalid_rows
                                from public.import_jobs order by created_at`;
    assert.deepEqual(jobs.map((j) => [j.kind, j.status]), [["leads", "completed"], [
      "activities",
      "completed",
    ]]);
    const [{ id: odooCompany }] = await db.sql`select id from public.companies where name = 'Odoo'`;
    assert.ok(
      jobs.every((j) => String(j.company_id) === String(odooCompany)),
      "the CSVs went to COMPANY_NAME's company",
    );
    const [{ n: activities }] = await db.sql`select count(*)::int as n from public.activities`;
    assert.ok(activities > 1_000, `${activities} activities linked to their leads`);

    // What the user reads.
    assert.match(text, /^Migration complete in /);
    assert.match(text, /Odoo leads\s+complete\s+400\/400 leads/);
    assert.match(text, /2 links not stored: links \(url attachments\), not files/);
    assert.match(text, /1 orphan not stored: attachments whose lead was deleted in Odoo/);
    assert.match(text, /crm\.lead \d+\) was deleted in Odoo/);
    assert.match(text, /lead CSV\s+complete\s+.*job [0-9a-f-]+: \d+ inserted/);
    assert.match(text, new RegExp(`chatter\\s+complete\\s+${messages} rows .*every activity and message`));
    assert.match(
      text,
      new RegExp(`import-dump's chatter: ${messages} messages, 0 activities read from dump.sql`),
    );
    // The progress showed each part with its counts while it ran.
    const shown = views.map((v) => formatView(v).join("\n"));
    assert.ok(shown.some((s) => /files\s+running\s+\d+\/\d+ files/.test(s)), "files progress shown");
    assert.ok(shown.some((s) => /activities CSV\s+waiting/.test(s)), "the activities waited");
  } finally {
    await stack.stop();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stack missing its bucket, its Vault secrets and Odoo: the migration does not start, and says how to fix each", async () => {
  const db = await createTestDatabase("migrate_refused");
  const dir = await Deno.makeTempDir({ prefix: "passerelle-migrate-" });
  const notADir = join(dir, "file");
  await Deno.writeTextFile(notADir, "");
  try {
    const invoked: string[] = [];
    const r = await runMigration({
      sql: db.sql,
      store: localStore({ dir: notADir, bucket: "estimation-files" }),
      cron: noCron,
      odooPing: () =>
        Promise.reject(new Error("Odoo is unreachable at http://127.0.0.1:9 (connection refused)")),
      invoke: (fn) => void invoked.push(fn) as unknown as Promise<void>,
      startImport: () => Promise.reject(new Error("not called")),
      importDump: () => Promise.reject(new Error("not called")),
    }, { leadsCsv: join(dir, "absent.csv"), companyName: "Odoo" });
    assert.equal(r.refused, true);
    assert.equal(r.ok, false);
    assert.deepEqual(invoked, [], "nothing started");
    const text = formatResult(r);
    assert.match(text, /^The migration did not start:/);
    assert.match(text, /lead CSV: .*absent\.csv does not exist/);
    assert.match(text, /bucket: /);
    assert.match(
      text,
      /Vault secrets: project_url and service_role_key missing from Vault: run select passerelle\.store_secrets/,
    );
    assert.match(text, /Odoo: Odoo is unreachable/);
    assert.match(text, /CSV owner: --owner <user id or email> is missing/);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
