/**
 * reconcile-odoo: N leads and 2N attachments migrated (sync + archive, through the functions'
 * handlers) from an Odoo simulator (20 ms per call, in a process of its own) into a local bucket,
 * then reconciled, in the same run: reconcile's time beside the migration's (target: under 10 %),
 * and the deep mode's MB/s beside a plain read of the same objects (same store, same concurrency).
 * Full size: 10,000 leads and 20,000 attachments; `--quick`: 500 and 1,000.
 */
import { archiveFiles } from "../../functions-shared/archive/archive_step.ts";
import { connectDb, type Sql } from "../../functions-shared/db.ts";
import { mapLimit } from "../../functions-shared/engine/map_limit.ts";
import { serveBatch, type Step } from "../../functions-shared/engine/serve_batch.ts";
import { createOdooClient } from "../../functions-shared/odoo/client.ts";
import { reconcileOdoo } from "../../functions-shared/reconcile/reconcile_step.ts";
import { localStore } from "../../functions-shared/storage/local_store.ts";
import { leadSync } from "../../functions-shared/sync/lead_sync.ts";
import { createTestDatabase } from "../testing/test_database.ts";
import { startOdooProcess } from "./odoo_process.ts";
import { type Bench, reportCallCosts } from "./report.ts";

const KEY = "bench-service-role-key";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Calls a function's handler until it says nothing remains; returns the calls' answers. */
async function drain(sql: Sql, name: string, step: Step, body: Record<string, unknown> = {}) {
  const handler = serveBatch({
    name,
    config: { serviceRoleKey: KEY, budget: { wallMs: 50_000, cpuMs: 1_500 }, workers: 1, chain: false },
    sql,
    step,
  });
  const calls: { cpuMs: number; peakMemoryMb: number; remainingFlag: boolean }[] = [];
  for (let i = 0;; i++) {
    const res = await handler(
      new Request("http://x", {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}` },
        body: JSON.stringify(i === 0 ? body : {}),
      }),
    );
    const answer = await res.json();
    if (res.status !== 200) throw new Error(`${name}: ${JSON.stringify(answer)}`);
    calls.push(answer);
    if (!answer.remainingFlag) return calls;
  }
}

export const benchReconcile: Bench = async (report, { quick }) => {
  const leads = quick ? 500 : 10_000;
  const odooProc = await startOdooProcess([
    "--leads",
    String(leads),
    "--attachments",
    String(leads * 2),
    "--activities",
    "0",
    "--latency",
    "20",
    "--seed",
    "19",
  ]);
  const config = {
    url: odooProc.url,
    db: "crm_src",
    login: "admin",
    secret: "admin",
    transport: "jsonrpc" as const,
    timeoutMs: 60_000,
  };
  const db = await createTestDatabase("bench_reconcile");
  const dir = await Deno.makeTempDir();
  const sql = connectDb(db.url);
  try {
    const odoo = createOdooClient(config, { fetch, sleep });
    const store = localStore({ dir, bucket: "estimation-files" });
    const t0 = performance.now();
    await drain(sql, "sync-odoo-leads", leadSync(odoo, { companyName: "Bench" }));
    await drain(sql, "archive-odoo-files", archiveFiles({ odoo, store }));
    const migrationS = (performance.now() - t0) / 1000;

    const reconcile = reconcileOdoo({ odoo, store });
    const t1 = performance.now();
    const calls = await drain(sql, "reconcile-odoo", reconcile, { start: true });
    const reconcileS = (performance.now() - t1) / 1000;
    const [run] = await sql`select * from public.reconcile_runs order by id desc limit 1`;
    if (run.differences !== 0) {
      throw new Error(`reconcile found ${run.differences} differences after a migration`);
    }

    const deepCalls = await drain(sql, "reconcile-odoo", reconcile, { start: true, deep: true });
    const [deep] = await sql`select * from public.reconcile_runs order by id desc limit 1`;
    if (deep.differences !== 0) throw new Error(`deep reconcile found ${deep.differences} differences`);

    // Baseline: the same objects read whole from the same store, 16 at once as the deep check does.
    const paths = (await sql<{ storage_path: string }[]>`
      select storage_path from public.lead_files where status = 'done' order by id`).map((r) =>
      r.storage_path
    );
    const t3 = performance.now();
    const sizes = await mapLimit(paths, 16, async (p) => {
      let n = 0;
      for await (const chunk of await store.get(p)) n += chunk.byteLength;
      return n;
    });
    const plainS = (performance.now() - t3) / 1000;
    const plainMb = sizes.reduce((s, n) => s + n, 0) / 1e6;

    const b = "reconcile";
    report({
      bench: b,
      figure: `reconcile of ${run.odoo_leads} leads, ${run.odoo_attachments} attachments (s)`,
      value: reconcileS,
      unit: "s",
      baseline: migrationS,
      ratio: reconcileS / migrationS,
      target: "< 0.1x the migration",
    });
    const deepMb = Number(deep.bytes_checked) / 1e6;
    report({
      bench: b,
      figure: `deep mode, ${deep.objects_checked} objects (${deepMb.toFixed(1)} MB read and hashed)`,
      value: deepMb / (Number(deep.storage_ms) / 1000),
      unit: "MB/s",
      baseline: plainMb / plainS,
      ratio: (deepMb / (Number(deep.storage_ms) / 1000)) / (plainMb / plainS),
    });
    reportCallCosts(report, b, [...calls, ...deepCalls]);
  } finally {
    await sql.end();
    await odooProc.stop();
    await db.drop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
};
