/**
 * import-leads: CSV/XLSX imports of leads. Lead files (admins only) are started over HTTP and
 * answered 202 with the job id; the work goes on in budgeted calls (cron,
 * chain, and a first batch through `EdgeRuntime.waitUntil`) from the job's
 * checkpoint (README, "Imports"). A thin adapter: the logic is in
 * functions-shared/imports/job, shared with the other import function.
 */
import { loadConfig } from "../../../functions-shared/config.ts";
import { connectDb } from "../../../functions-shared/db.ts";
import { bootHandler } from "../../../functions-shared/engine/boot.ts";
import { importHandler } from "../../../functions-shared/imports/job/import_handler.ts";
import { storeFromConfig } from "../../../functions-shared/storage/store_from_config.ts";

const edge = (globalThis as { EdgeRuntime?: { waitUntil(p: Promise<unknown>): void } }).EdgeRuntime;

Deno.serve(bootHandler(Deno.env.toObject(), (env) => {
  const config = loadConfig(env);
  return importHandler({
    name: "import-leads",
    kind: "leads",
    config,
    sql: connectDb(config.dbUrl),
    store: storeFromConfig(config),
    waitUntil: edge ? (p) => edge.waitUntil(p) : undefined,
    fetch,
    advance: { leaseS: Math.max(config.leaseS, 120) },
  });
}));
