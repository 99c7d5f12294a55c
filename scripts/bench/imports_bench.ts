/**
 * Imports: a 1,000,000-row lead CSV (205 MB, with invalid and duplicate rows)
 * imported end to end through the real `import-leads` handler, call after
 * call, each call within the production budget (1.5 s of CPU), as cron and
 * the chain would fire them. Beside it, in the same run, `psql \copy` of
 * the same file into a bare table: the floor any import of this file has.
 * Reports rows/s for parse + validate and for commit, the costliest call's
 * CPU time and peak memory, the ratio to `\copy` and to the floor (the rows
 * inserted into `leads` in one statement), and the bytes the job leaves in
 * `import_rows` per row, as it ended and compacted. Targets (issue 18): the
 * million in under 30 s and at most 1.3 times the floor, 200,000 rows in
 * under 8 s, every call under 1.5 s of CPU and 200 MB.
 */
import { generateLeadCsv, LEAD_CSV_HEADERS } from "../../functions-shared/imports/testdata/lead_csv.ts";
import { importHandler } from "../../functions-shared/imports/job/import_handler.ts";
import { localStore } from "../../functions-shared/storage/local_store.ts";
import type { Sql } from "../../functions-shared/deps.ts";
import { createTestDatabase } from "../testing/test_database.ts";
import { driveChain } from "./chain_driver.ts";
import {
  type Bench,
  type CallCost,
  type Report,
  reportCallCosts,
  reportCallsPerJob,
  reportStepCosts,
} from "./report.ts";

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
async function leadsFloor(
  sql: Sql,
  company: number,
  without: LeadsGuard[] = [],
  limit?: number,
): Promise<number> {
  let s = 0;
  await sql.begin(async (tx) => {
    // DDL is transactional: the object is dropped for this insert only, and back at the rollback.
    for (const g of without) {
      if (g.constraint) await tx.unsafe(`alter table public.leads drop constraint ${g.name}`);
      else await tx.unsafe(`drop index public.${g.name}`);
    }
    const t0 = performance.now();
    await tx`
      insert into public.leads (company_id, external_id, title, contact_name, company_name, email, phone,
                                stage, salesperson, description, source, import_job_id, import_row)
      select ${company}, 'B' || row_number() over (), c6, c1 || ' ' || c2, c5, c3, c4, c9, c10, c12, 'import',
             '00000000-0000-4000-8000-000000000001'::uuid, row_number() over ()
        from bench_copy limit ${limit ?? null}`;
    s = (performance.now() - t0) / 1000;
    throw new Floor(); // rolls the insert back
  }).catch((e) => {
    if (!(e instanceof Floor)) throw e;
  });
  return s;
}

/** An index, foreign key or check of `leads` the floor is measured without. */
interface LeadsGuard {
  name: string;
  /** A constraint (dropped with `alter table`), not a bare index. */
  constraint: boolean;
  what: string;
}

/** Every index (the primary key's aside), foreign key and check of `leads`, and its triggers' count. */
async function leadsGuards(sql: Sql): Promise<LeadsGuard[]> {
  const rows = await sql<LeadsGuard[]>`
    select i.relname as name, c.oid is not null as constraint, pg_get_indexdef(x.indexrelid) as what
      from pg_index x join pg_class i on i.oid = x.indexrelid
      left join pg_constraint c on c.conindid = x.indexrelid and c.conrelid = x.indrelid
     where x.indrelid = 'public.leads'::regclass and not x.indisprimary
    union all
    select c.conname, true, pg_get_constraintdef(c.oid)
      from pg_constraint c where c.conrelid = 'public.leads'::regclass and c.contype in ('f', 'c')
    union all
    select t.tgname, false, 'trigger ' || pg_get_triggerdef(t.oid)
      from pg_trigger t where t.tgrelid = 'public.leads'::regclass and not t.tgisinternal
     order by 1`;
  if (rows.some((r) => r.what.startsWith("trigger"))) {
    throw new Error("leads has triggers: the floor's ablation does not drop them yet");
  }
  return rows;
}
/**
 * The CPU time (user + system, ms) the PostgreSQL backends of `sql`'s
 * database spend from `start()` to `stop()`, read from /proc every second (the
 * bench runs beside its cluster; a backend that ends between two reads loses
 * at most a second of its count; the pool's connections live past a job).
 * Unlike wall time, it holds on a loaded machine. (Every 100 ms, the reads
 * cost the bench's process, whose CPU the calls count as theirs, about 1 s
 * over a 36 s commit call: read once a second, about a tenth of that.)
 */
function backendsCpu(sql: Sql) {
  const seen = new Map<number, { first: number; last: number }>();
  const tick = async (first: boolean) => {
    const pids = await sql<{ pid: number }[]>`
      select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`;
    for (const { pid } of pids) {
      let ms: number;
      try {
        const f = (await Deno.readTextFile(`/proc/${pid}/stat`)).split(") ")[1].split(" ");
        ms = (Number(f[11]) + Number(f[12])) * 10; // utime, stime, in ticks of 10 ms (CLK_TCK 100)
      } catch {
        continue; // (ended, or another machine's cluster)
      }
      const e = seen.get(pid);
      if (e) e.last = ms;
      else seen.set(pid, { first: first ? ms : 0, last: ms });
    }
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  let pending: Promise<void> = Promise.resolve();
  return {
    async start() {
      await tick(true);
      timer = setInterval(() => void (pending = pending.then(() => tick(false)).catch(() => {})), 1000);
    },
    async stop(): Promise<number> {
      clearInterval(timer);
      await pending;
      await tick(false);
      let ms = 0;
      for (const e of seen.values()) ms += e.last - e.first;
      return ms;
    },
  };
}

/** Thrown to roll the floor's transaction back. */
class Floor extends Error {}

/** The 1M-row import (or each size of `--rows`), beside `\copy` and the floor. */
export const benchImports: Bench = async (report, { quick, rows: asked, lean }) => {
  const sizes = asked ?? [quick ? 20_000 : 1_000_000];
  const db = await createTestDatabase("bench_imports");
  const dir = await Deno.makeTempDir({ prefix: "imports-bench-" });
  const store = localStore({ dir, bucket: "estimation-files" });
  let lastFlush = 0;
  // The timeline of the big job: each flush and commit range, in ms from its start request.
  let tJob = performance.now();
  const events: { ms: number; what: string }[] = [];
  const mark = (what: string) => events.push({ ms: performance.now() - tJob, what });
  try {
    const [{ id: owner }] = await db.sql<{ id: string }[]>`
      insert into auth.users (email) values ('bench@exemple.fr') returning id`;

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
      advance: {
        afterFlush: (c) => {
          lastFlush = performance.now();
          mark(`flush to row ${c.row - 1}`);
        },
        afterRange: (next) => void mark(`range committed to row ${next - 1}`),
        trace: (what) => void mark(what),
      },
    });
    const post = async (body: unknown) =>
      await handler(
        new Request("http://localhost/functions/v1/import-leads", {
          method: "POST",
          headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        }),
      );
    const run = async (path: string, companyId: number) => {
      tJob = performance.now();
      events.length = 0;
      const started = await post({ action: "start", companyId, ownerId: owner, file: { path } });
      mark("start answered");
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
        t0: tJob,
      });
      mark("job ended");
      return { jobId, calls };
    };
    const company = async (name: string) =>
      (await db.sql<{ id: number }[]>`insert into public.companies (name) values (${name}) returning id`)[0]
        .id;

    // A 20-row file first, in each company: what a small import costs in calls, and the file's
    // duplicates of existing leads (the big file shares some of its people).
    const smallFile = `${dir}/small-leads-20.csv`;
    const smallOut = await Deno.create(smallFile);
    await generateLeadCsv({ rows: 20, seed: 2, delimiter: ";" }).pipeTo(smallOut.writable);
    const seedCompany = async (c: number) => {
      const small = `imports/${c}/leads-20.csv`;
      await Deno.mkdir(`${dir}/estimation-files/imports/${c}`, { recursive: true });
      await Deno.copyFile(smallFile, `${dir}/estimation-files/${small}`);
      return await run(small, c);
    };

    let last:
      | { file: string; rows: number; totalS: number; job: Record<string, number>; calls: CallCost[] }
      | null = null;
    let twentyCalls: CallCost[] = [];
    for (const [k, rows] of sizes.entries()) {
      const co = await company(`Bench ${rows}`);
      const twenty = await seedCompany(co);
      if (k === 0) twentyCalls = twenty.calls;
      const key = `imports/${co}/leads-${rows}.csv`;
      const file = `${dir}/estimation-files/${key}`;
      const out = await Deno.create(file);
      await generateLeadCsv({ rows, seed: 1, delimiter: ";" }).pipeTo(out.writable);
      const size = (await Deno.stat(file)).size;

      // The floors, in a database of their own: the rows the floor inserts and
      // rolls back would leave the import's `leads` bloated.
      const floorDb = await createTestDatabase("bench_floor");
      let copyS: number, leadsS: number, floorCpuMs = 0, bareS = 0, ablationS = 0, ablationRows = 0;
      const ablation: { guard: LeadsGuard; base: number; s: number }[] = [];
      try {
        const [{ id: c }] = await floorDb.sql<{ id: number }[]>`
          insert into public.companies (name) values ('Floor') returning id`;
        copyS = await copyBaseline(floorDb.url, file);
        await floorDb.sql`analyze bench_copy`;
        const floorCpu = backendsCpu(floorDb.sql);
        await floorCpu.start();
        leadsS = await leadsFloor(floorDb.sql, c);
        floorCpuMs = await floorCpu.stop();
        if (!lean && k === 0) {
          // What each index, foreign key and check costs: the floor without it, one at a time.
          // (on at most 200,000 rows, scaled to a million: a dozen floors of a million would take minutes)
          const guards = await leadsGuards(floorDb.sql);
          ablationRows = Math.min(rows, 200_000);
          ablationS = await leadsFloor(floorDb.sql, c, [], ablationRows);
          // Each beside a floor with everything measured just before it (the shared machine's load drifts).
          for (const g of guards) {
            const base = await leadsFloor(floorDb.sql, c, [], ablationRows);
            ablation.push({ guard: g, base, s: await leadsFloor(floorDb.sql, c, [g], ablationRows) });
          }
          bareS = await leadsFloor(floorDb.sql, c, guards, ablationRows);
        }
      } finally {
        await floorDb.drop();
      }

      const keptBeforeJob = await keptBytes(db.sql);
      const jobCpu = backendsCpu(db.sql);
      await jobCpu.start();
      const t0 = performance.now();
      const { jobId, calls } = await run(key, co);
      const totalS = (performance.now() - t0) / 1000;
      const pgCpuMs = await jobCpu.stop();
      const fnCpuMs = calls.reduce((n, c) => n + c.cpuMs, 0);
      const [job] = await db.sql`select * from public.import_jobs where id = ${jobId}`;
      if (job.status !== "completed") throw new Error(`job ${job.status}: ${job.error_message}`);
      if (job.total_rows !== rows) throw new Error(`counted ${job.total_rows} rows of ${rows}`);
      const [{ n }] = await db
        .sql`select count(*)::int as n from public.leads where import_job_id = ${jobId}`;
      if (n !== job.inserted_rows) throw new Error(`${n} leads for ${job.inserted_rows} inserted`);
      const parseS = (lastFlush - t0) / 1000;
      printTimeline(calls, events);
      const b = `imports (${rows.toLocaleString("en")} rows, ${Math.round(size / 1e6)} MB)`;
      reportTimeline(report, b, calls, events);

      // What the job leaves behind: its rows (and the parse's duplicate keys) per imported row, as the
      // job ended, then compacted as its retention ends (`passerelle.purge_imports`), vacuumed; less
      // what the earlier jobs left (compacted and vacuumed before this one started).
      const kept = async () => (await keptBytes(db.sql) - keptBeforeJob) / rows;
      const keptBefore = await kept();
      await db.sql`select passerelle.purge_imports('0 days')`;
      await db.sql.unsafe("vacuum full public.import_rows");
      const keptAfter = await kept();
      const commitS = totalS - parseS;

      report({
        bench: b,
        figure: "parse + validate + store rows",
        value: job.total_rows / parseS,
        unit: "rows/s",
      });
      report({
        bench: b,
        figure: "dedup + error report + commit (leads, history), after the last flush",
        value: job.committed_rows / commitS,
        unit: "rows/s",
      });
      report({
        bench: b,
        figure:
          `end to end (valid ${job.valid_rows}, invalid ${job.invalid_rows}, dup ${job.duplicate_rows})`,
        value: totalS,
        unit: "s",
        baseline: copyS,
        ratio: totalS / copyS,
        target: rows >= 1_000_000 ? "< 30 s" : rows >= 200_000 ? "< 8 s" : undefined,
      });
      report({
        bench: b,
        figure: "end to end against the floor (below)",
        value: totalS,
        unit: "s",
        baseline: leadsS,
        ratio: totalS / leadsS,
        target: "<= 1.3x floor",
      });
      report({
        bench: b,
        figure: "CPU of the job: PostgreSQL's backends (floor: its one insert's)",
        value: pgCpuMs / 1000,
        unit: "s",
        baseline: floorCpuMs / 1000,
        ratio: pgCpuMs / Math.max(1, floorCpuMs),
      });
      report({ bench: b, figure: "CPU of the job: the function's calls", value: fnCpuMs / 1000, unit: "s" });
      report({
        bench: b,
        figure: "CPU of the job, both, over 2 cores: the least wall time it can take here",
        value: (pgCpuMs + fnCpuMs) / 2000,
        unit: "s",
        baseline: totalS,
        ratio: (pgCpuMs + fnCpuMs) / 2000 / totalS,
      });
      report({
        bench: b,
        figure: "bytes kept per imported row, job ended",
        value: keptBefore,
        unit: "B/row",
      });
      report({
        bench: b,
        figure: "bytes kept per imported row, compacted (purge_imports, vacuum full)",
        value: keptAfter,
        unit: "B/row",
        baseline: keptBefore,
        ratio: keptAfter / keptBefore,
      });
      report({
        bench: b,
        figure: "floor: the rows inserted into leads, one statement",
        value: leadsS,
        unit: "s",
        baseline: copyS,
        ratio: leadsS / copyS,
      });
      for (const a of ablation) {
        report({
          bench: b,
          figure: `floor cost of ${a.guard.name} (${
            a.guard.constraint ? "constraint" : "index"
          }), per 1M rows`,
          value: ((a.base - a.s) * 1e6) / ablationRows,
          unit: "s",
        });
      }
      if (ablation.length) {
        report({
          bench: b,
          figure: `floor of ${ablationRows} rows without any index but the key, foreign key or check`,
          value: bareS,
          unit: "s",
          baseline: ablationS,
          ratio: bareS / ablationS,
        });
      }
      reportCallCosts(report, b, calls);
      reportStepCosts(report, b, calls, BUDGET);
      reportCallsPerJob(report, b, `${rows.toLocaleString("en")} rows`, calls, BUDGET);
      if (k === 0) reportCallsPerJob(report, b, "20 rows", twentyCalls, BUDGET);
      report({
        bench: b,
        figure: "peak memory target (issue)",
        value: Math.max(...calls.map((c) => c.peakMemoryMb)),
        unit: "MB",
        target: "< 200",
      });
      last = { file, rows, totalS, job, calls };
    }
    if (lean || !last) return;
    const { file, rows, totalS, job, calls } = last;

    // The same rows as an XLSX, end to end, twice: strings SHARED (xl/sharedStrings.xml, as Excel,
    // LibreOffice, openpyxl and XlsxWriter's default mode write them: the common case; a streaming
    // writer of the bench's own, `write_xlsx_shared.py`, since XlsxWriter's default mode holds the
    // whole sheet in memory), then INLINE, as XlsxWriter's constant_memory mode writes them (a real
    // streaming writer, which the test command installs: scripts/install_writers.sh). Each for a
    // company of its own (the CSV's leads are not its duplicates).
    for (const strings of ["shared", "inline"] as const) {
      const company2 = await company(`Bench XLSX ${strings}`);
      await seedCompany(company2); // (the same 20 leads first, as the CSV's company had them)
      const xlsxKey = `imports/${company2}/leads-${rows}.xlsx`;
      const xlsxFile = `${dir}/estimation-files/${xlsxKey}`;
      const writeS = await writeXlsx(file, xlsxFile, strings);
      const xlsxSize = (await Deno.stat(xlsxFile)).size;
      const tx0 = performance.now();
      const x = await run(xlsxKey, company2);
      const xlsxS = (performance.now() - tx0) / 1000;
      printTimeline(x.calls, events);
      const [xj] = await db.sql`select * from public.import_jobs where id = ${x.jobId}`;
      if (xj.status !== "completed") throw new Error(`XLSX job ${xj.status}: ${xj.error_message}`);
      for (const f of ["total_rows", "valid_rows", "invalid_rows", "duplicate_rows", "committed_rows"]) {
        if (xj[f] !== job[f]) throw new Error(`XLSX (${strings}) ${f} ${xj[f]}, CSV ${job[f]}`);
      }
      const bx = `imports XLSX, ${strings} strings (${rows.toLocaleString("en")} rows, ${
        Math.round(xlsxSize / 1e6)
      } MB)`;
      report({
        bench: bx,
        figure: strings === "shared"
          ? "written by write_xlsx_shared.py (not in the import)"
          : "written by XlsxWriter constant_memory (not in the import)",
        value: writeS,
        unit: "s",
      });
      report({
        bench: bx,
        figure: "end to end, beside the CSV of the same rows",
        value: xlsxS,
        unit: "s",
        baseline: totalS,
        ratio: xlsxS / totalS,
        target: "<= 2x CSV",
      });
      const parsing = x.calls.filter((c) => c.step?.includes("parse"));
      report({
        bench: bx,
        figure: `calls per job (${parsing.length} parsing)`,
        value: x.calls.length,
        unit: "calls",
      });
      report({ bench: bx, figure: "CSV: calls per job", value: calls.length, unit: "calls" });
      report({
        bench: bx,
        figure: "max CPU time per call",
        value: Math.max(...x.calls.map((c) => c.cpuMs)),
        unit: "ms",
        target: "< 1500",
      });
      report({
        bench: bx,
        figure: "max peak memory per call (V8 heap + external)",
        value: Math.max(...x.calls.map((c) => c.peakMemoryMb)),
        unit: "MB",
        target: "< 200",
      });
      report({
        bench: bx,
        figure: "max peak RSS per call (the bench's whole process: database client, all jobs)",
        value: Math.max(...x.calls.map((c) => c.peakRssMb ?? 0)),
        unit: "MB",
        target: "< 200",
      });
    }
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
};

/** Bytes of `import_rows` (and of the parse's duplicate keys), indexes and TOAST included. */
async function keptBytes(sql: Sql): Promise<number> {
  const [{ bytes }] = await sql<{ bytes: number }[]>`
    select (pg_total_relation_size('public.import_rows')
            + coalesce(pg_total_relation_size(to_regclass('passerelle.import_keys')), 0))::float8 as bytes`;
  return bytes;
}

/**
 * Writes `csv`'s rows into `xlsx`, strings shared (`write_xlsx_shared.py`) or inline (XlsxWriter
 * constant_memory, `write_xlsx.py`); seconds it took. The file is kept in /var/tmp by its CSV's size
 * (generated with a fixed seed), since writing a million rows takes XlsxWriter about two minutes here.
 */
async function writeXlsx(csv: string, xlsx: string, strings: "shared" | "inline"): Promise<number> {
  const size = (await Deno.stat(csv)).size;
  const cache = strings === "inline"
    ? `/var/tmp/passerelle-bench-xlsx-${size}.xlsx`
    : `/var/tmp/passerelle-bench-xlsx-shared-${size}.xlsx`;
  const t0 = performance.now();
  try {
    await Deno.stat(cache);
  } catch {
    const writer = strings === "inline" ? "./write_xlsx.py" : "./write_xlsx_shared.py";
    const script = new URL(writer, import.meta.url).pathname;
    const out = await new Deno.Command("/usr/bin/python3", {
      args: [script, csv, `${cache}.part`],
      stderr: "piped",
    })
      .output();
    if (!out.success) throw new Error(`${writer} failed: ${new TextDecoder().decode(out.stderr)}`);
    await Deno.rename(`${cache}.part`, cache);
  }
  await Deno.copyFile(cache, xlsx);
  return (performance.now() - t0) / 1000;
}

/** Prints the job's timeline on stderr: each call (what fired it, when it ran, its CPU), and the flushes and ranges. */
function printTimeline(calls: CallCost[], events: { ms: number; what: string }[]): void {
  const lines: [number, string][] = events.map((e) => [e.ms, `  ${e.what}`]);
  let prevEnd = events[0]?.ms ?? 0;
  calls.forEach((c, i) => {
    const wait = (c.startMs ?? 0) - prevEnd;
    prevEnd = c.endMs ?? 0;
    lines.push([
      c.startMs ?? 0,
      `call ${i + 1} (${c.trigger}, ${c.step}) after ${wait.toFixed(0)} ms waiting: ` +
      `${((c.elapsedS ?? 0) * 1000).toFixed(0)} ms wall, ${c.cpuMs.toFixed(0)} ms CPU, ` +
      `${c.peakMemoryMb.toFixed(0)} MB`,
    ]);
    lines.push([c.endMs ?? 0, `call ${i + 1} answered`]);
  });
  lines.sort((a, b) => a[0] - b[0]);
  console.error("timeline of the job (ms from its start request):");
  for (const [ms, what] of lines) console.error(`${ms.toFixed(0).padStart(8)}  ${what}`);
}

/**
 * The job's fixed costs, from its timeline: start request to first call, the
 * time between calls (the driver plays pg_net's worker and delivers at once;
 * pg_net's own worker sleeps 1 s between batches, reference
 * pg_net-vault-cron.md "Batching/timing", so a production chain adds up to
 * that per hop), and the tail from the last parsed byte to the job's end.
 */
function reportTimeline(
  report: Report,
  bench: string,
  calls: CallCost[],
  events: { ms: number; what: string }[],
): void {
  const startEnd = events.find((e) => e.what === "start answered")?.ms ?? 0;
  const end = events.find((e) => e.what === "job ended")?.ms ?? 0;
  const flushes = events.filter((e) => e.what.startsWith("flush"));
  const lastFlush = flushes.at(-1)?.ms ?? 0;
  const firstWork = Math.min(
    ...events.filter((e) => e.what.startsWith("flush") || e.what.startsWith("range"))
      .map((e) => e.ms),
  );
  let gaps = 0;
  for (let i = 1; i < calls.length; i++) gaps += (calls[i].startMs ?? 0) - (calls[i - 1].endMs ?? 0);
  const hops = calls.filter((c) => c.trigger === "chain").length;
  report({ bench, figure: "timeline: start request answered", value: startEnd, unit: "ms" });
  report({ bench, figure: "timeline: start to first flush", value: firstWork, unit: "ms" });
  report({
    bench,
    figure: `timeline: between calls (${calls.length} calls, driver)`,
    value: gaps,
    unit: "ms",
  });
  report({ bench, figure: "timeline: last flush to job end (tail)", value: end - lastFlush, unit: "ms" });
  report({
    bench,
    figure: `chained hops (production: up to 1 s each in pg_net's worker)`,
    value: hops,
    unit: "hops",
  });
}
