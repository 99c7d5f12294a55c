import assert from "node:assert/strict";
import type { Sql } from "../../deps.ts";
import { generateLeadCsv } from "../testdata/lead_csv.ts";
import { advanceImports } from "./advance_imports.ts";
import { startBudget } from "../../engine/budget.ts";
import { processCpuMs } from "../../engine/usage.ts";
import { startImport } from "./start_import.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";

const ROWS = 50_000;

/** What a finished import leaves: the job's counts, its rows' outcomes, and the company's leads. */
async function outcome(sql: Sql, jobId: string, company: number) {
  const [job] = await sql`
    select status, total_rows, processed_rows, valid_rows, invalid_rows, warned_rows, duplicate_rows, committed_rows,
           inserted_rows, updated_rows, skipped_rows, progress::float as progress
      from public.import_jobs where id = ${jobId}`;
  const rows = await sql`
    select status, count(*)::int as n from public.import_rows where job_id = ${jobId} group by 1 order by 1`;
  const [leads] = await sql`
    select count(*)::int as n,
           md5(string_agg(concat_ws('|', external_id, title, contact_name, email, phone, expected_revenue,
                                    probability, stage, extra_fields), ',' order by external_id, email)) as digest
      from public.leads where company_id = ${company}`;
  return { job: { ...job }, rows: rows.map((r) => ({ ...r })), leads: { ...leads } };
}

Deno.test("a 50,000-row CSV imports through budgeted calls, and a run killed at random points ends the same", async () => {
  const kit = await importKit("imp_resume");
  try {
    const bytes = new Uint8Array(await new Response(generateLeadCsv({ rows: ROWS, seed: 7 })).arrayBuffer());
    const [{ id: company2 }] = await kit.db.sql<{ id: number }[]>`
      insert into public.companies (name) values ('Seconde') returning id`;
    await kit.db.sql`select passerelle.add_member(${company2}, ${kit.admin}, 'admin')`;
    const deps = {
      sql: kit.db.sql,
      store: kit.store,
      kind: "leads" as const,
      functionName: "import-leads",
      chain: false,
    };
    const start = async (companyId: number) => {
      const path = `imports/${companyId}/${kit.admin}/leads.csv`;
      await kit.store.put(path, bytes, { contentType: "text/csv" });
      return (await startImport(deps, { kind: "user", userId: kit.admin }, { companyId, path })).jobId;
    };

    // Uninterrupted, with 300 ms of CPU per call (a fifth of the production budget, to make many calls).
    const a = await start(kit.company);
    const calls = await kit.drain("leads", { flushRows: 5_000, commitRows: 20_000 }, 500, 300);
    assert.ok(calls >= 2, `parsed over ${calls} calls`);
    const reference = await outcome(kit.db.sql, a, kit.company);
    assert.equal(reference.job.status, "completed");
    assert.equal(reference.job.total_rows, ROWS);
    assert.equal(reference.job.valid_rows + reference.job.invalid_rows, ROWS);
    assert.ok(reference.job.warned_rows > 0 && reference.job.duplicate_rows > 0);
    assert.equal(reference.job.committed_rows, reference.job.valid_rows - reference.job.duplicate_rows);
    assert.equal(reference.leads.n, reference.job.inserted_rows);

    // Killed at random points: calls that crash after a flush or a commit range (their lease left
    // behind, so the next call must wait it out), and calls given a budget too small to finish.
    const b = await start(company2);
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let skew = 0;
    let crashes = 0;
    let events = 0;
    for (let call = 0; call < 400; call++) {
      const [{ status }] = await kit.db.sql`select status from public.import_jobs where id = ${b}`;
      if (!["queued", "parsing", "committing"].includes(status)) break;
      const budget = startBudget(
        { wallMs: 50_000, cpuMs: random() < 0.3 ? 1 : 1_500 },
        { now: () => performance.now(), cpu: processCpuMs },
      );
      // Every third flush or range crashes: how many calls the job takes depends on the machine's speed,
      // so a crash drawn at random could come only twice in a run; the batch sizes stay random.
      const crash = () => {
        if (++events % 3 === 0) {
          crashes++;
          throw new Error("killed");
        }
      };
      try {
        await advanceImports({
          sql: kit.db.sql,
          store: kit.store,
          kind: "leads",
          flushRows: 2_000 + Math.floor(random() * 4_000),
          commitRows: 5_000 + Math.floor(random() * 20_000),
          clock: () => new Date(Date.now() + skew),
          afterFlush: crash,
          afterRange: crash,
        }, budget);
      } catch (e) {
        assert.equal((e as Error).message, "killed");
        skew += 10 * 60_000; // the dead call's lease runs out
      }
    }
    assert.ok(crashes >= 3, `${crashes} crashes`);
    const resumed = await outcome(kit.db.sql, b, company2);
    assert.deepEqual(resumed, reference);
  } finally {
    await kit.close();
  }
});
