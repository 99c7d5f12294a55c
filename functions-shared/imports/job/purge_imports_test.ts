import assert from "node:assert/strict";
import { generateLeadCsv } from "../testdata/lead_csv.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";
import { loadConfig } from "../../config.ts";
import { startImport } from "./start_import.ts";
import { undoImport } from "./manage_import.ts";
import { writeErrorReport } from "./parse_step.ts";
import type { ImportJob } from "./import_job.ts";

Deno.test("purge_imports keeps a job's rows for its retention, then only the rows its report and undo need", async () => {
  const kit = await importKit("imp_purge");
  try {
    const path = await kit.put(
      "leads.csv",
      new Uint8Array(await new Response(generateLeadCsv({ rows: 5_000, seed: 11 })).arrayBuffer()),
    );
    const { jobId } = await startImport(
      { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
      { kind: "user", userId: kit.admin },
      { companyId: kit.company, path },
    );
    await kit.drain("leads", { flushRows: 1_000, commitRows: 1_000 });
    const [job] = await kit.db.sql<(ImportJob & { inserted_rows: number })[]>`
      select * from public.import_jobs where id = ${jobId}`;
    assert.equal(job.status, "completed");
    const count = async () => {
      const [c] = await kit.db.sql`
        select count(*)::int as all, count(*) filter (where errors is not null or status = 'duplicate')::int as findings
          from public.import_rows where job_id = ${jobId}`;
      return c;
    };
    const before = await count();
    assert.equal(before.all, 5_000);
    const report = await new Response(await kit.store.get(job.error_report_path!)).text();

    // The calls of the function purge with the default retention: a job ended now keeps every row.
    await kit.drain("leads");
    let r = (await kit.db.sql`select passerelle.purge_imports('30 days') as r`)[0].r;
    assert.deepEqual([r.jobs, (await count()).all], [0, 5_000]);

    // Past its retention: only the rows the report lists are left, and the report reads the same.
    await kit.db
      .sql`update public.import_jobs set finished_at = now() - interval '31 days' where id = ${jobId}`;
    r = (await kit.db.sql`select passerelle.purge_imports('30 days', 1000) as r`)[0].r;
    assert.deepEqual([r.jobs, r.rows, r.more], [0, 1_000, 1], "bounded: the rest for the next call");
    r = (await kit.db.sql`select passerelle.purge_imports('30 days') as r`)[0].r;
    assert.equal(r.jobs, 1);
    const after = await count();
    assert.deepEqual([after.all, after.findings], [before.findings, before.findings]);
    await writeErrorReport({ sql: kit.db.sql, store: kit.store }, job, job.payload!.parse!.headers);
    assert.equal(await new Response(await kit.store.get(job.error_report_path!)).text(), report);

    // Undo needs none of the rows removed.
    const undo = await undoImport(
      { sql: kit.db.sql, store: kit.store, kind: "leads" },
      { kind: "user", userId: kit.admin },
      jobId,
    );
    assert.deepEqual([undo.status, undo.deleted], ["undone", job.inserted_rows]);
    const [{ n }] = await kit.db.sql`select count(*)::int as n from public.leads`;
    assert.equal(n, 0);
  } finally {
    await kit.close();
  }
});

Deno.test("IMPORT_ROWS_KEEP_DAYS sets the retention of import rows (30 days by default) and must be a whole number", () => {
  const env = {
    SUPABASE_URL: "http://127.0.0.1:1",
    SUPABASE_SERVICE_ROLE_KEY: "k",
    SUPABASE_DB_URL: "postgresql://127.0.0.1:1/x",
  };
  assert.equal(loadConfig(env, { odoo: "ignored" }).importRowsKeepDays, 30);
  assert.equal(loadConfig({ ...env, IMPORT_ROWS_KEEP_DAYS: "7" }, { odoo: "ignored" }).importRowsKeepDays, 7);
  assert.throws(
    () => loadConfig({ ...env, IMPORT_ROWS_KEEP_DAYS: "un mois" }, { odoo: "ignored" }),
    /IMPORT_ROWS_KEEP_DAYS must be a whole number >= 0/,
  );
});
