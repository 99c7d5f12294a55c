/**
 * `deno task bench migration [--scale small|full]`: the user's whole migration (`migration_scenario.ts`)
 * run by `runMigration()` (what `deno task migrate` runs) against the functions as they run for real
 * (the functions server in a child process, pg_net's worker, the Odoo simulator), once with a local
 * bucket and once through the Storage stand-in (a process of its own, as the real server is); import-dump
 * runs in a process of its own (`import_child.ts`) beside the archive's chained calls, on the same queue.
 *
 * Prints each part's timeline and reports the total wall time, the costliest call per function, the
 * calls per function, the peak RSS of every process (sampled from /proc: VmHWM) and whether every
 * stored object's sha1 matches its row. `full` writes a 12.6 GB backup: check the free disk first.
 */
import { createHash } from "node:crypto";
import type { ImportSummary } from "../../functions-shared/backup/import_backup.ts";
import type { Sql } from "../../functions-shared/db.ts";
import { importStarter } from "../../functions-shared/migrate/import_starter.ts";
import { formatResult } from "../../functions-shared/migrate/migration_text.ts";
import type { CronPort } from "../../functions-shared/migrate/preconditions.ts";
import { runMigration } from "../../functions-shared/migrate/run_migration.ts";
import { createOdooClient } from "../../functions-shared/odoo/client.ts";
import { localStore } from "../../functions-shared/storage/local_store.ts";
import type { ObjectStore } from "../../functions-shared/storage/object_store.ts";
import { supabaseStore } from "../../functions-shared/storage/supabase_store.ts";
import { startFunctionStack } from "../testing/function_stack.ts";
import { createTestDatabase, testClusterUrl } from "../testing/test_database.ts";
import { IMPORT_ENV, IMPORT_V8_FLAGS } from "../../functions-shared/backup/testdata/import_child.ts";
import { SCALES, type Scenario, scenarioDir, writeScenario } from "./migration_scenario.ts";
import type { BenchRow } from "./report.ts";

/** The bench's copies of the test template have no pg_cron: the chains carry the work, as in the tests. */
const noCron: CronPort = {
  available: () => Promise.resolve(false),
  scheduled: () => Promise.resolve([]),
  schedule: () => Promise.resolve(),
};

/** Peak RSS (VmHWM) of this process and every process under it, sampled until stopped. */
function rssSampler(everyMs = 250) {
  const peaks = new Map<number, { label: string; mb: number }>();
  const children = (pid: number): number[] => {
    try {
      return Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim().split(/\s+/).filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  };
  const label = (pid: number) => {
    try {
      const args = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter(Boolean);
      const script = args.find((a) => /\.(ts|js)$/.test(a));
      return script ? script.split("/").slice(-2).join("/") : args[0]?.split("/").pop() ?? String(pid);
    } catch {
      return String(pid);
    }
  };
  const sample = () => {
    const todo = [Deno.pid];
    while (todo.length) {
      const pid = todo.pop()!;
      todo.push(...children(pid));
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
        if (!m) continue;
        const mb = Number(m[1]) / 1024;
        const p = peaks.get(pid);
        if (!p) {
          peaks.set(pid, {
            label: pid === Deno.pid ? "bench (simulator, net worker)" : label(pid),
            mb,
          });
        } else p.mb = Math.max(p.mb, mb);
      } catch { /* gone */ }
    }
  };
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return [...peaks.values()];
    },
  };
}

async function sha1Of(s: ReadableStream<Uint8Array>): Promise<string> {
  const h = createHash("sha1");
  for await (const c of s) h.update(c);
  return h.digest("hex");
}

/** Every stored object read back: its sha1 against its row's (empty files: no checksum). */
async function verify(sql: Sql, store: ObjectStore): Promise<{ objects: number; bad: string[] }> {
  const rows = await sql<{ storage_path: string; checksum: string | null }[]>`
    select storage_path, checksum from public.lead_files where status = 'done'`;
  const bad: string[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: 4 }, async () => {
    while (next < rows.length) {
      const r = rows[next++];
      const sha = await sha1Of(await store.get(r.storage_path));
      if (r.checksum && sha !== r.checksum) bad.push(r.storage_path);
    }
  }));
  return { objects: rows.length, bad };
}

/** What import_child.ts printed: its summary, peak RSS and seconds. */
interface ChildResult {
  uploaded: number;
  copied: number;
  alreadyStored: number;
  skippedHeld: number;
  peakMb: number;
  cpuS: number;
  seconds: number;
}

/**
 * The baseline of the files part: import-dump alone (no archive running) on the same backup, the leads
 * synced first; its own seconds from start to every file recorded.
 */
async function importAlone(
  scenario: Scenario,
  storage: "local" | "standin",
  archive = false,
): Promise<ChildResult & { archiveCalls: number; archiveWorked: number; archived: number }> {
  const db = await createTestDatabase(`bench_migration_alone_${storage}`);
  const stack = await startFunctionStack({
    dbUrl: db.url,
    dataset: scenario.dataset,
    storage: storage === "standin" ? "standin-process" : storage,
  });
  try {
    for (let i = 0; i < 100; i++) {
      const r = await stack.call("sync-odoo-leads");
      if (r.status !== 200) throw new Error(`sync-odoo-leads answered ${r.status}`);
      if (!r.body.remainingFlag) break;
    }
    const child = new URL("../../functions-shared/backup/testdata/import_child.ts", import.meta.url).pathname;
    const where = storage === "local" ? `local:${stack.storageDir}` : stack.storageUrl!;
    // With `archive`, archive-odoo-files is scheduled as its cron job would be (fired every 20 s here).
    const fire = () => db.sql`select passerelle.invoke('archive-odoo-files', '{"trigger": "cron"}'::jsonb)`;
    if (archive) await fire();
    const cron = archive ? setInterval(() => void fire(), 20_000) : undefined;
    const t = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        IMPORT_V8_FLAGS,
        child,
        scenario.backup.zip!,
        db.url,
        where,
        stack.serviceRoleKey,
        "5",
      ],
      env: IMPORT_ENV,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    clearInterval(cron);
    if (!out.success) throw new Error("import-dump alone failed");
    console.error(
      `import-dump ${archive ? "with the archive" : "alone"}: ${
        ((performance.now() - t) / 1000).toFixed(1)
      } s`,
    );
    // The archive's calls still in flight end before they are counted.
    if (archive) await new Promise((r) => setTimeout(r, 5000));
    const [c] = await db.sql<{ calls: number; worked: number; archived: number }[]>`
      select count(*)::int as calls, count(*) filter (where migrated > 0 or failed > 0)::int as worked,
             coalesce(sum(migrated), 0)::int as archived
        from public.migration_logs where function_name = 'archive-odoo-files'`;
    const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    return { ...r, archiveCalls: c.calls, archiveWorked: c.worked, archived: c.archived };
  } finally {
    await stack.stop();
    await db.drop();
  }
}

async function runOnce(
  report: (row: BenchRow) => void,
  scenario: Scenario,
  storage: "local" | "standin",
  scaleName: string,
): Promise<void> {
  const db = await createTestDatabase(`bench_migration_${storage}`);
  const stack = await startFunctionStack({
    dbUrl: db.url,
    dataset: scenario.dataset,
    storage: storage === "standin" ? "standin-process" : storage,
  });
  const sql = db.connect(4);
  const [{ id: admin }] = await sql<{ id: string }[]>`
    insert into auth.users (email) values ('admin@exemple.fr') returning id`;
  await sql`insert into public.user_roles (user_id, role) values (${admin}, 'admin')`;
  const store: ObjectStore = storage === "local"
    ? localStore({ dir: stack.storageDir, bucket: "estimation-files" })
    : supabaseStore({
      url: stack.storageUrl!,
      serviceRoleKey: stack.serviceRoleKey,
      bucket: "estimation-files",
    });
  const rss = rssSampler();
  const child = new URL("../../functions-shared/backup/testdata/import_child.ts", import.meta.url).pathname;
  let dump: ChildResult | null = null;
  const t0 = performance.now();
  const bench = `migration ${scaleName}, ${storage === "local" ? "local bucket" : "Storage stand-in"}`;
  try {
    const result = await runMigration({
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
      importDump: async (zip) => {
        const where = storage === "local" ? `local:${stack.storageDir}` : stack.storageUrl!;
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", IMPORT_V8_FLAGS, child, zip, db.url, where, stack.serviceRoleKey, "5"],
          env: IMPORT_ENV,
          stdout: "piped",
          stderr: "inherit",
        }).output();
        if (!out.success) throw new Error("import-dump failed");
        const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
        dump = r;
        return { ...r, failures: [] } as ImportSummary;
      },
      pollMs: 500,
      stallMs: 300_000,
    }, {
      zip: scenario.backup.zip!,
      leadsCsv: scenario.leadsCsv,
      activitiesCsv: scenario.activitiesCsv,
      owner: "admin@exemple.fr",
      companyName: "Odoo",
    });
    const wallS = (performance.now() - t0) / 1000;
    const peaks = rss.stop();
    console.error(`\n${bench}\n${formatResult(result)}`);
    console.error("timeline (s from start):");
    for (const p of result.parts) {
      const at = (
        ms: number | null,
      ) => (ms === null ? "-" : ((ms - (result.parts[0].startedAt ?? 0)) / 1000).toFixed(1));
      console.error(
        `  ${p.label.padEnd(15)} ${at(p.startedAt).padStart(7)} → ${at(p.endedAt).padStart(7)}  ${p.state}`,
      );
    }
    // What Storage saw before the check below reads every object back.
    const routes = { ...(await stack.storageProcess?.stats())?.byRoute };
    const v = await verify(sql, store);
    report({
      bench,
      figure: "total wall time, everything complete",
      value: wallS,
      unit: "s",
      target: "< 240 s",
    });
    report({
      bench,
      figure: `stored objects whose sha1 matches their row (of ${v.objects}); complete: ${result.ok}`,
      value: v.objects - v.bad.length,
      unit: "objects",
      baseline: v.objects,
    });
    for (const p of result.parts) {
      if (p.startedAt !== null && p.endedAt !== null) {
        report({
          bench,
          figure: `part ${p.label} (${p.state})`,
          value: (p.endedAt - p.startedAt) / 1000,
          unit: "s",
        });
      }
    }
    const calls = await sql<{ fn: string; calls: number; wall: number; cpu: number; mem: number }[]>`
      select function_name as fn, count(*)::int as calls, max(elapsed_s)::float as wall,
             max(cpu_ms)::float as cpu, max(peak_memory_mb)::float as mem
        from public.migration_logs group by 1 order by 1`;
    for (const c of calls) {
      report({ bench, figure: `${c.fn}: calls`, value: c.calls, unit: "calls" });
      report({ bench, figure: `${c.fn}: costliest call, wall`, value: c.wall, unit: "s", target: "<= 50 s" });
      report({
        bench,
        figure: `${c.fn}: costliest call, CPU`,
        value: c.cpu,
        unit: "ms",
        target: "<= 1500 ms",
      });
      report({
        bench,
        figure: `${c.fn}: costliest call, memory`,
        value: c.mem,
        unit: "MB",
        target: "< 256 MB",
      });
    }
    // Each file written once, by one side: the import's files and the archive's add up to the rows done.
    const d = dump as ChildResult | null;
    const [{ archived, done }] = await sql<{ archived: number; done: number }[]>`
      select (select coalesce(sum(migrated), 0)::int from public.migration_logs
               where function_name = 'archive-odoo-files') as archived,
             (select count(*)::int from public.lead_files where status = 'done') as done`;
    const imported = d ? d.uploaded + d.copied + d.alreadyStored : 0;
    report({
      bench,
      figure:
        `files stored by import-dump ${imported} + by archive-odoo-files ${archived} (baseline: rows done)`,
      value: imported + archived,
      unit: "files",
      baseline: done,
      target: "= rows done (none twice)",
    });
    if (storage === "standin") {
      console.error(`Storage stand-in requests by route (before the check): ${JSON.stringify(routes)}`);
      const reads = Object.entries(routes).filter(([r]) => /^(GET|HEAD) \/object\//.test(r))
        .reduce((n, [, c]) => n + c, 0);
      report({
        bench,
        figure: "object reads (GET/HEAD) before the check: the two CSVs read by their imports, no file",
        value: reads,
        unit: "requests",
      });
    }
    const alone = await importAlone(scenario, storage);
    report({
      bench,
      figure: "import-dump with archive-odoo-files running (baseline: import-dump alone, same backup)",
      value: d?.seconds ?? NaN,
      unit: "s",
      baseline: alone.seconds,
      ratio: alone.seconds / (d?.seconds ?? NaN),
      target: "no slower than alone",
    });
    report({
      bench,
      figure: "peak RSS, import-dump (its own VmHWM) with the archive running",
      value: d?.peakMb ?? NaN,
      unit: "MB",
      target: "< 200 MB",
    });
    report({
      bench,
      figure: "peak RSS, import-dump alone",
      value: alone.peakMb,
      unit: "MB",
      target: "< 200 MB",
    });
    for (const p of peaks.sort((a, b) => b.mb - a.mb)) {
      report({ bench, figure: `peak RSS, ${p.label}`, value: p.mb, unit: "MB" });
    }
  } finally {
    rss.stop();
    await stack.stop();
    await db.drop();
  }
}

/**
 * The files alone (`--quick`): import-dump on its own, then with archive-odoo-files scheduled meanwhile,
 * on fresh databases with the leads synced; no CSV import competes with either.
 */
async function filesOnly(report: (row: BenchRow) => void, scenario: Scenario, scaleName: string) {
  for (const storage of ["local", "standin"] as const) {
    const bench = `migration ${scaleName} files, ${
      storage === "local" ? "local bucket" : "Storage stand-in"
    }`;
    const alone = await importAlone(scenario, storage);
    const both = await importAlone(scenario, storage, true);
    report({
      bench,
      figure: "import-dump with archive-odoo-files scheduled (baseline: import-dump alone)",
      value: both.seconds,
      unit: "s",
      baseline: alone.seconds,
      ratio: alone.seconds / both.seconds,
      target: "no slower than alone",
    });
    report({
      bench,
      figure: `archive-odoo-files calls meanwhile (that stored or failed a file: ${both.archiveWorked})`,
      value: both.archiveCalls,
      unit: "calls",
    });
    report({
      bench,
      figure: `files stored by import-dump + by the archive (${both.archived}); alone: import-dump's`,
      value: both.uploaded + both.copied + both.alreadyStored + both.archived,
      unit: "files",
      baseline: alone.uploaded + alone.copied + alone.alreadyStored,
    });
    report({
      bench,
      figure: "import-dump CPU, alone / with the archive",
      value: alone.cpuS,
      unit: "s",
      baseline: both.cpuS,
    });
    report({
      bench,
      figure: "peak RSS, import-dump alone",
      value: alone.peakMb,
      unit: "MB",
      target: "< 200 MB",
    });
    report({
      bench,
      figure: "peak RSS, import-dump with the archive",
      value: both.peakMb,
      unit: "MB",
      target: "< 200 MB",
    });
  }
}

/** The benchmark: `scale` small (default) or full; `quick`: the files part only (`filesOnly`). */
export async function benchMigration(
  report: (row: BenchRow) => void,
  opts: { quick?: boolean; scale?: string },
): Promise<void> {
  const scaleName = opts.scale ?? "small";
  if (scaleName !== "small" && scaleName !== "full") {
    throw new Error(`--scale small or full (got "${scaleName}")`);
  }
  const scale = SCALES[scaleName];
  const dir = scenarioDir(scaleName);
  const t = performance.now();
  const scenario = await writeScenario(testClusterUrl(), scale, dir);
  console.error(
    `scenario ${scaleName}: ${scale.leads} leads, ${scenario.backup.rows.length} attachments, ` +
      `${(scenario.backup.filestoreBytes / 1e9).toFixed(2)} GB in the filestore ` +
      `(${scenario.backup.filestoreFiles} contents), ${scale.leadRows} lead rows, ${scale.activityRows} ` +
      `activities; ${scenario.cached ? "read from" : "written to"} ${dir} in ` +
      `${((performance.now() - t) / 1000).toFixed(0)} s (kept for the next run: delete it when done)`,
  );
  if (opts.quick) return await filesOnly(report, scenario, scaleName);
  for (const storage of ["local", "standin"] as const) await runOnce(report, scenario, storage, scaleName);
}
