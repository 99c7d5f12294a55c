/**
 * What an import function serves (`import-leads`, `batch-import-activities`):
 * the import handler of its kind, built once from the environment Supabase
 * gives the function, with the first batch of a start run in the background
 * through `EdgeRuntime.waitUntil` where the runtime has it.
 */
import { loadConfig } from "../../config.ts";
import { connectDb } from "../../db.ts";
import { bootHandler, type Handler } from "../../engine/boot.ts";
import { storeFromConfig } from "../../storage/store_from_config.ts";
import { importHandler } from "./import_handler.ts";
import type { JobKind } from "./import_job.ts";

type EdgeRuntime = { waitUntil(p: Promise<unknown>): void };

/** The handler an import function's `index.ts` serves. */
export function importFunction(
  env: Record<string, string | undefined>,
  name: string,
  kind: JobKind,
): Handler {
  const edge = (globalThis as { EdgeRuntime?: EdgeRuntime }).EdgeRuntime;
  return bootHandler(env, (env) => {
    const config = loadConfig(env, { odoo: "ignored" });
    return importHandler({
      name,
      kind,
      config,
      sql: connectDb(config.dbUrl),
      store: storeFromConfig(config),
      waitUntil: edge ? (p) => edge.waitUntil(p) : undefined,
      fetch,
      advance: {
        leaseS: Math.max(config.leaseS, 120),
        keepRowsDays: config.importRowsKeepDays,
      },
    });
  });
}
