/**
 * Imports: a 1,000,000-row lead CSV (205 MB, with invalid and duplicate rows)
 * imported end to end through the real `import-leads` handler, call after
 * call, each call within the production budget (1.5 s of CPU), as cron and
 * the chain would fire them. Beside it, in the same run, `psql \copy` of
 * the same file into a bare table: the floor any import of this file has.
 * Reports rows/s for parse + validate and for commit, the costliest call's
 * CPU time and peak memory, and the ratio to `\copy`. Targets (issue): the
 * million in under 60 s, at most 5 times `\copy`, peak memory under 200 MB.
 */
import { generateLeadCsv, LEAD_CSV_HEADERS } from "../../functions-shared/imports/testdata/lead_csv.ts";
import { importHandler } from "../../functions-shared/imports/job/import_handler.ts";
import { localStore } from "../../functions-shared/storage/local_store.ts";
import type { Sql } from "../../functions-shared/deps.ts";
import { createTestDatabase } from "../testing/test_database.ts";
import { driveChain } from "./chain_driver.ts";
import { type Bench, reportCallCosts, reportCallsPerJob, reportStepCosts } from "./report.ts";

const KEY = "bench-service-role-key";
const BUDGET = { wallMs: 50_000, cpuMs: 1_500 };

/** Seconds `psql \copy` takes to load `file` into a bare table of as many text columns. */
async function copyBaseline(url: string, file: string): Promise<number> {
  const cols = LEAD_CSV_HEADERS.map((_, i) => `c${i} text`).join(", ");
  const script = `create table bench_copy (${cols});\n` +
    `\\copy bench_copy from '${file}' with (format csv, delimiter ';', header true, encoding 'UTF8')\n`;
  const t0 = performance.now();
  const out = await new Deno.Command("psql", {
    args: [
      url,
      "-v",
      "ON_ERROR_STOP=1",
      "-q",
      "-c",
      `create table bench_copy (${cols})`,
      "-c",
      `\\copy bench_copy from '${file}' with (format csv, delimiter ';', header true, encoding 'UTF8')`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const s = (performance.now() - t0) / 1000;
  if (!out.success) throw new Error(`psql \\copy failed: ${new TextDecoder().decode(out.stderr)}\n${script}`);
  return s;
}

/**
 * Seconds one `INSERT … SELECT` takes to write the rows `\copy` loaded into
 * `leads` (its indexes, foreign keys and identity; no history, no parsing of
 * amounts or dates), rolled back: what the schema itself costs per lead, the
 * floor of any commit of this file.
 */
async function leadsFloor(sql: Sql, company: number): Promise<number> {
  const t0 = performance.now();
  await sql.begin(async (tx) => {
    await tx`
      insert into public.leads (company_id, external_id, title, contact_name, company_name, email, phone,
                                stage, salesperson, description, source)
      select ${company}, 'B' || row_number() over (), c6, c1 || ' ' || c2, c5, c3, c4, c9, c10, c12, 'import'
        from bench_copy`;
    throw new Floor(); // rolls the insert back
  }).catch((e) => {
    if (!(e instanceof Floor)) throw e;
  });
  return (performance.now() - t0) / 1000;
}
/** Thrown to roll the floor's transaction back. */
class Floor extends Error {}

/** The 1M-row import, beside `\copy`. */
export const benchImports: Bench = async (report, { quick }) => {
  const rows = quick ? 20_000 : 1_000_000;
  const db = await createTestDatabase("bench_imports");
  const dir = await Deno.makeTempDir({ prefix: "imports-bench-" });
  const store = localStore({ dir, bucket: "estimation-files" });
  let lastFlush = 0;
  try {
    const [{ id: company }] = await db.sql<{ id: number }[]>`
      insert into public.companies (name) values ('Bench') returning id`;
    const [{ id: owner }] = await db.sql<{ id: string }[]>`
      insert into auth.users (email) values ('bench@exemple.fr') returning id`;
    const key = `imports/${company}/leads-1m.csv`;
    const file = `${dir}/estimation-files/${key}`;
    await Deno.mkdir(file.replace(/\/[^/]*$/, ""), { recursive: true });
    const out = await Deno.create(file);
    await generateLeadCsv({ rows, seed: 1, delimiter: ";" }).pipeTo(out.writable);
    const size = (await Deno.stat(file)).size;

    // The floors, in a database of their own: the rows the floor inserts and
    // rolls back would leave the import's `leads` bloated.
    const floorDb = await createTestDatabase("bench_floor");
    let copyS: number, leadsS: number;
    try {
      const [{ id: c }] = await floorDb.sql<{ id: number }[]>`
        insert into public.companies (name) values ('Floor') returning id`;
      copyS = await copyBaseline(floorDb.url, file);
      leadsS = await leadsFloor(floorDb.sql, c);
    } finally {
      await floorDb.drop();
    }

    // Chained as in production: each continuation the calls queue is delivered
    // (the bench plays pg_net's worker), cron fires when the chain stops.
    await db.sql`select passerelle.store_secrets('http://127.0.0.1:9', ${KEY})`;
    const handler = importHandler({
      name: "import-leads",
      kind: "leads",
      config: { serviceRoleKey: KEY, budget: BUDGET, workers: 1, chain: true },
      sql: db.sql,
      store,
      // Marks where parsing ends, also when one call parses and commits (the quick run).
      advance: { afterFlush: () => void (lastFlush = performance.now()) },
    });
    const post = async (body: unknown) =>
      await handler(
        new Request("http://localhost/functions/v1/import-leads", {
          method: "POST",
          headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      );
    const run = async (path: string) => {
      const started = await post({ action: "start", companyId: company, ownerId: owner, file: { path } });
      if (started.status !== 202) {
        throw new Error(`start answered ${started.status}: ${await started.text()}`);
      }
      const { jobId } = await started.json();
      const status = async () =>
        (await db.sql<{ status: string }[]>`select status from public.import_jobs where id = ${jobId}`)[0]
          .status;
      const calls = await driveChain({
        sql: db.sql,
        fire: post,
        done: async () => !["queued", "parsing", "committing", "ready"].includes(await status()),
        step: async () => (["queued", "parsing"].includes(await status()) ? "parse" : "commit"),
      });
      return { jobId, calls };
    };

    // A 20-row file first: what a small import costs in calls.
    const small = `imports/${company}/leads-20.csv`;
    const smallFile = `${dir}/estimation-files/${small}`;
    const smallOut = await Deno.create(smallFile);
    await generateLeadCsv({ rows: 20, seed: 2, delimiter: ";" }).pipeTo(smallOut.writable);
    const twenty = await run(small);

    const t0 = performance.now();
    const { jobId, calls } = await run(key);
    const totalS = (performance.now() - t0) / 1000;
    const [job] = await db.sql`select * from public.import_jobs where id = ${jobId}`;
    if (job.status !== "completed") throw new Error(`job ${job.status}: ${job.error_message}`);
    if (job.total_rows !== rows) throw new Error(`counted ${job.total_rows} rows of ${rows}`);
    const [{ n }] = await db.sql`select count(*)::int as n from public.leads where import_job_id = ${jobId}`;
    if (n !== job.inserted_rows) throw new Error(`${n} leads for ${job.inserted_rows} inserted`);
    const parseS = (lastFlush - t0) / 1000;
    const commitS = totalS - parseS;

    const b = `imports (${rows.toLocaleString("en")} rows, ${Math.round(size / 1e6)} MB)`;
    report({
      bench: b,
      figure: "parse + validate + store rows",
      value: job.total_rows / parseS,
      unit: "rows/s",
    });
    report({
      bench: b,
      figure: "dedup + error report + commit (leads, history)",
      value: job.committed_rows / commitS,
      unit: "rows/s",
    });
    report({
      bench: b,
      figure: `end to end (valid ${job.valid_rows}, invalid ${job.invalid_rows}, dup ${job.duplicate_rows})`,
      value: totalS,
      unit: "s",
      baseline: copyS,
      ratio: totalS / copyS,
      target: rows >= 1_000_000 ? "< 60 s, <= 5x \\copy" : "<= 5x \\copy",
    });
    report({
      bench: b,
      figure: "floor: the rows inserted into leads, one statement",
      value: leadsS,
      unit: "s",
      baseline: copyS,
      ratio: leadsS / copyS,
    });
    reportCallCosts(report, b, calls);
    reportStepCosts(report, b, calls, BUDGET);
    reportCallsPerJob(report, b, `${rows.toLocaleString("en")} rows`, calls, BUDGET);
    reportCallsPerJob(report, b, "20 rows", twenty.calls, BUDGET);
    report({
      bench: b,
      figure: "peak memory target (issue)",
      value: Math.max(...calls.map((c) => c.peakMemoryMb)),
      unit: "MB",
      target: "< 200",
    });
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
};
