import assert from "node:assert/strict";
import { startBudget } from "../../engine/budget.ts";
import { processCpuMs } from "../../engine/usage.ts";
import { generateLeadCsv } from "../testdata/lead_csv.ts";
import { advanceImports } from "./advance_imports.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";
import { startImport } from "./start_import.ts";

Deno.test("a flush that fails takes the flushes in flight after it down: the stored rows never have a gap", async () => {
  const kit = await importKit("imp_flush_order");
  try {
    const bytes = new Uint8Array(await new Response(generateLeadCsv({ rows: 6_000, seed: 3 })).arrayBuffer());
    const path = await kit.put("ordre.csv", bytes);
    const { jobId } = await startImport(
      { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
      { kind: "user", userId: kit.admin },
      { companyId: kit.company, path },
    );
    // The database refuses row 2,500 (a full disk, a statement timeout…): the second flush fails
    // while the first may still be in flight and the third starts behind it.
    await kit.db.sql`
      create function public.refuse_row() returns trigger language plpgsql as $$
      begin
        if new.row_number = 2500 then raise exception 'disque plein (simulé)'; end if;
        return new;
      end $$`;
    await kit.db.sql`
      create trigger refuse_row before insert on public.import_rows
      for each row execute function public.refuse_row()`;
    const deps = { sql: kit.db.sql, store: kit.store, kind: "leads" as const, flushRows: 1_000, flights: 2 };
    const budget = () =>
      startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });
    await assert.rejects(advanceImports(deps, budget()), /disque plein/);

    const [job] = await kit.db
      .sql`select checkpoint, processed_rows from public.import_jobs where id = ${jobId}`;
    const [stored] = await kit.db.sql`
      select count(*)::int as n, min(row_number) as first, max(row_number) as last
        from public.import_rows where job_id = ${jobId}`;
    // Batches of about 1,000 rows from row 2: what is stored runs without a gap from row 2 to the
    // checkpoint, which is before the refused row, and nothing of a later flush is stored.
    const next = job.checkpoint.row;
    assert.ok(next > 2 && next <= 2_500, `checkpoint at row ${next}`);
    assert.deepEqual([stored.n, stored.first, stored.last], [next - 2, 2, next - 1]);
    assert.equal(job.processed_rows, next - 2);

    // Once the database takes rows again, the job goes on from there to the same end as ever.
    await kit.db.sql`drop trigger refuse_row on public.import_rows`;
    await kit.db.sql`update public.import_jobs set leased_until = null where id = ${jobId}`; // (the dead call's lease)
    await kit.drain("leads", { flushRows: 1_000 });
    const [done] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
    assert.equal(done.status, "completed", done.error_message);
    assert.equal(done.total_rows, 6_000);
    const [rows] = await kit.db.sql`
      select count(*)::int as n, count(distinct row_number)::int as distinct_rows, max(row_number) as last
        from public.import_rows where job_id = ${jobId}`;
    assert.deepEqual([rows.n, rows.distinct_rows, rows.last], [6_000, 6_000, 6_001]);
    const [{ n: leads }] = await kit.db
      .sql`select count(*)::int as n from public.leads where import_job_id = ${jobId}`;
    assert.equal(leads, done.valid_rows - done.duplicate_rows);
  } finally {
    await kit.close();
  }
});
