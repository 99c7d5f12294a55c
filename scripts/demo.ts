/**
 * `deno task demo`: a small migration end to end on the local stack. Starts a
 * fresh stack (its own cluster, ports 54332/54331), an Odoo simulator with
 * 5,000 leads and 1,500 attachments (20 ms per call), schedules both functions'
 * cron jobs with the key in Vault, fires them once at once, and follows the
 * migration until every lead is synced and every file archived, printing
 * progress (counts, rate, ETA) and a summary of `migration_logs`.
 */
import { parseArgs } from "node:util";
import { startOdooSimulator } from "./odoo_simulator/server.ts";
import { generateDataset } from "./odoo_simulator/dataset.ts";
import { startStack } from "./stack/stack.ts";
import { stopCluster } from "./stack/postgres_cluster.ts";
import { stackDir } from "./stack/stack_dir.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    leads: { type: "string", default: "5000" },
    attachments: { type: "string", default: "1500" },
    latency: { type: "string", default: "20" },
    timeout: { type: "string", default: "300" },
  },
});

const log = (s: string) => console.log(`\x1b[36m[demo]\x1b[0m ${s}`);
const dir = stackDir("demo", Deno.env.toObject());
await Deno.remove(dir, { recursive: true }).catch(() => {});

const dataset = generateDataset({
  leads: Number(values.leads),
  attachments: Number(values.attachments),
  seed: 7,
});
const odoo = await startOdooSimulator({ dataset, latencyMs: Number(values.latency) });
log(`Odoo simulator at ${odoo.url} (${values.leads} leads, ${values.attachments} attachments)`);

const stack = await startStack({
  dir,
  pgPort: 54332,
  functionsPort: 54331,
  env: {
    ODOO_URL: odoo.url,
    ODOO_DB: "crm_src",
    ODOO_LOGIN: "admin",
    ODOO_PASSWORD: "admin",
    // Short batches, so that the demo shows calls chaining one after another.
    BATCH_WALL_MS: "2000",
  },
  log,
});
const { sql } = stack;

let exitCode = 0;
try {
  for (const fn of ["sync-odoo-leads", "archive-odoo-files"]) {
    await sql`select passerelle.schedule(${fn})`;
    await sql`select passerelle.invoke(${fn}, '{"trigger": "demo"}'::jsonb)`;
    log(`scheduled ${fn} every minute (cron job passerelle:${fn}) and fired it once`);
  }
  const started = Date.now();
  const deadline = started + Number(values.timeout) * 1000;
  while (true) {
    await new Promise((r) => setTimeout(r, 2000));
    const [p] = await sql<
      {
        leads: number;
        total: number;
        phase: string;
        files_done: number;
        files_failed: number;
        files: number;
      }[]
    >`
      select (select count(*)::int from public.leads) as leads,
             coalesce((select total_in_source from public.sync_state where source = 'odoo_leads'), 0) as total,
             coalesce((select phase from public.sync_state where source = 'odoo_leads'), 'full') as phase,
             (select count(*)::int from public.lead_files where status = 'done') as files_done,
             (select count(*)::int from public.lead_files where status = 'failed') as files_failed,
             (select count(*)::int from public.lead_files) as files`;
    const s = (Date.now() - started) / 1000;
    const rate = p.leads / s;
    const eta = p.total > p.leads && rate > 0 ? ` ETA ${Math.ceil((p.total - p.leads) / rate)} s` : "";
    log(
      `${s.toFixed(0)} s: leads ${p.leads.toLocaleString("en")} / ${
        Math.max(p.total, p.leads).toLocaleString("en")
      } (${rate.toFixed(0)}/s${eta}), files ${p.files_done} done, ${p.files_failed} failed of ${p.files}`,
    );
    const filesSettled = p.files > 0 && p.files_done + p.files_failed === p.files;
    if (p.phase === "incremental" && filesSettled) break;
    if (Date.now() > deadline) {
      log("the migration did not finish in time");
      exitCode = 1;
      break;
    }
  }
  const summary = await sql`select migration, progress, percent, failed, remaining, alive, cron, last_error
                               from passerelle.status_summary()`;
  console.table(summary.map((r) => ({ ...r })));
  const logs = await sql`
    select function_name, status, count(*)::int as calls, sum(migrated)::int as migrated, sum(failed)::int as failed,
           round(max(cpu_ms))::int as max_cpu_ms, max(peak_memory_mb) as max_peak_mb
      from public.migration_logs group by 1, 2 order by 1, 2`;
  console.table(logs.map((r) => ({ ...r })));
  const errors = await sql`
    select error_code, count(*)::int as files, min(last_error) as example
      from public.lead_files where status = 'failed' group by 1 order by 2 desc`;
  if (errors.length) console.table(errors.map((r) => ({ ...r })));
} finally {
  for (const fn of ["sync-odoo-leads", "archive-odoo-files"]) await sql`select passerelle.unschedule(${fn})`;
  await stack.stop();
  await stopCluster(stack.cluster);
  await odoo.close();
}
Deno.exit(exitCode);
