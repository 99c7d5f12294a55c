/**
 * archive-odoo-files: Odoo attachments into the `estimation-files` bucket,
 * checksum-verified, one budgeted batch per call (README, "archive-odoo-files").
 * A thin adapter: configuration is read here, the work is in functions-shared.
 */
import { archiveFiles } from "../../../functions-shared/archive/archive_step.ts";
import { loadConfig } from "../../../functions-shared/config.ts";
import { connectDb } from "../../../functions-shared/db.ts";
import { bootHandler } from "../../../functions-shared/engine/boot.ts";
import { serveBatch } from "../../../functions-shared/engine/serve_batch.ts";
import { odooFromConfig } from "../../../functions-shared/odoo/odoo_from_config.ts";
import { storeFromConfig } from "../../../functions-shared/storage/store_from_config.ts";

Deno.serve(bootHandler(Deno.env.toObject(), (env) => {
  const config = loadConfig(env, { odoo: "required" });
  return serveBatch({
    name: "archive-odoo-files",
    config,
    sql: connectDb(config.dbUrl),
    secrets: [config.odoo?.secret],
    step: archiveFiles({
      odoo: odooFromConfig(config),
      store: storeFromConfig(config),
      options: { concurrency: config.uploadConcurrency, leaseS: config.leaseS },
    }),
  });
}));
