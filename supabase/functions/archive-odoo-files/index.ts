/**
 * archive-odoo-files: Odoo attachments into the `estimation-files` bucket,
 * checksum-verified, one budgeted batch per call (README, "archive-odoo-files").
 * A thin adapter: configuration is read here, the work is in functions-shared.
 */
import { archiveFiles } from "../../../functions-shared/archive/archive_step.ts";
import { loadConfig, requireOdoo } from "../../../functions-shared/config.ts";
import { connectDb } from "../../../functions-shared/db.ts";
import { bootHandler } from "../../../functions-shared/engine/boot.ts";
import { serveBatch } from "../../../functions-shared/engine/serve_batch.ts";
import { createOdooClient } from "../../../functions-shared/odoo/client.ts";
import { storeFromConfig } from "../../../functions-shared/storage/store_from_config.ts";

Deno.serve(bootHandler(Deno.env.toObject(), (env) => {
  const config = loadConfig(env);
  const odoo = createOdooClient(requireOdoo(config), {
    fetch,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
  return serveBatch({
    name: "archive-odoo-files",
    config,
    sql: connectDb(config.dbUrl),
    secrets: [config.odoo!.secret],
    step: archiveFiles({
      odoo,
      store: storeFromConfig(config),
      options: { concurrency: config.uploadConcurrency, leaseS: config.leaseS },
    }),
  });
}));
