/**
 * `deno task reconcile [--deep] [--csv out.csv]`: runs a reconcile (README, "Reconcile") to its end
 * from this machine, with the same step `reconcile-odoo` runs in budgeted calls, then prints what
 * differs and what to do about it. Settings as the functions have them (the environment, else
 * supabase/functions/.env). Exit codes: 0 nothing differs, 1 differences, 2 bad usage or settings
 * (or a failure, named).
 */
import { parseArgs } from "node:util";
import { type Env, loadConfig } from "../functions-shared/config.ts";
import { connectDb } from "../functions-shared/db.ts";
import { startBudget } from "../functions-shared/engine/budget.ts";
import { processCpuMs } from "../functions-shared/engine/usage.ts";
import { odooFromConfig } from "../functions-shared/odoo/odoo_from_config.ts";
import { type Difference, differencesCsv } from "../functions-shared/reconcile/differences_csv.ts";
import { reconcileOdoo, startReconcile } from "../functions-shared/reconcile/reconcile_step.ts";
import { storeFromConfig } from "../functions-shared/storage/store_from_config.ts";
import { parseEnvFile } from "./stack/env_file.ts";

/** The environment, completed from supabase/functions/.env where it lacks a setting (never overriding). */
async function loadEnv(): Promise<Env> {
  const env: Env = Deno.env.toObject();
  try {
    const file = parseEnvFile(
      await Deno.readTextFile(new URL("../supabase/functions/.env", import.meta.url)),
    );
    for (const [k, v] of Object.entries(file)) if (!(k in env)) env[k] = v;
  } catch { /* no file: the environment alone */ }
  return env;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      args: Deno.args,
      options: { deep: { type: "boolean", default: false }, csv: { type: "string" } },
    }).values;
  } catch (e) {
    console.error(`${(e as Error).message}\nusage: deno task reconcile [--deep] [--csv out.csv]`);
    return 2;
  }
  let config;
  try {
    config = loadConfig(await loadEnv());
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const sql = connectDb(config.dbUrl, { max: 2 });
  try {
    const runId = await startReconcile(sql, args.deep);
    const step = reconcileOdoo({ odoo: odooFromConfig(config), store: storeFromConfig(config) });
    for (let call = 1;; call++) {
      const budget = startBudget(config.budget, { now: () => performance.now(), cpu: processCpuMs });
      const r = await step({ sql, budget });
      const d = r.details as { phase: string; read: number; checked: number };
      console.error(`call ${call}: ${d.phase}, ${d.read} read from Odoo, ${d.checked} objects checked`);
      if (!r.more) break;
    }
    const [run] = await sql`select * from public.reconcile_runs where id = ${runId}`;
    const diffs = await sql<Difference[]>`
      select kind, open, odoo_id, lead_id, lead_file_id, import_job_id, row_number, detail, action
        from public.reconcile_differences where run_id = ${runId} order by open desc, kind, id`;
    console.log(
      `Reconcile run ${runId}${
        run.deep ? " (deep)" : ""
      }: ${run.odoo_leads} leads, ${run.odoo_attachments} attachments, ${run.odoo_activities} ` +
        `activities and ${run.odoo_messages} messages in Odoo, ${run.objects_checked} stored objects checked` +
        (run.deep ? ` (${(Number(run.bytes_checked) / 1e6).toFixed(1)} MB read back)` : "") + ".",
    );
    const kinds = Object.entries(run.by_kind ?? {}).map(([k, n]) => `${k} ${n}`).join(", ");
    console.log(
      `${run.differences} difference(s)${kinds ? `: ${kinds}` : ""}; ${run.deleted_kept} deletion(s) kept.`,
    );
    for (const d of diffs.filter((d) => d.open).slice(0, 50)) {
      console.log(`  ${d.kind}: ${d.detail} -> ${d.action}`);
    }
    if (run.differences > 0) console.log(`Queue the repairs: select * from passerelle.repair(${runId});`);
    if (args.csv) {
      await Deno.writeTextFile(args.csv, differencesCsv(diffs));
      console.log(`${diffs.length} row(s) written to ${args.csv}`);
    }
    return run.differences > 0 ? 1 : 0;
  } catch (e) {
    console.error(`reconcile failed: ${(e as Error).message}`);
    return 2;
  } finally {
    await sql.end();
  }
}

Deno.exit(await main());
