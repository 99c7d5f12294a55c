/**
 * sync-odoo-activities: Odoo's activities on leads into `activities`, in pages, set-based,
 * incremental once caught up (README, "sync-odoo-activities"). A thin adapter.
 */
import { activitySync } from "../../../functions-shared/chatter/activity_sync.ts";
import { loadConfig } from "../../../functions-shared/config.ts";
import { connectDb } from "../../../functions-shared/db.ts";
import { bootHandler } from "../../../functions-shared/engine/boot.ts";
import { serveBatch } from "../../../functions-shared/engine/serve_batch.ts";
import { odooFromConfig } from "../../../functions-shared/odoo/odoo_from_config.ts";

Deno.serve(bootHandler(Deno.env.toObject(), (env) => {
  const config = loadConfig(env);
  return serveBatch({
    name: "sync-odoo-activities",
    config,
    sql: connectDb(config.dbUrl),
    secrets: [config.odoo?.secret],
    step: activitySync(odooFromConfig(config), { companyName: config.companyName }),
  });
}));
