/**
 * sync-odoo-leads: leads, customers and contacts from Odoo, in pages, set-based,
 * incremental once caught up (README, "sync-odoo-leads"). A thin adapter.
 */
import { loadConfig } from "../../../functions-shared/config.ts";
import { connectDb } from "../../../functions-shared/db.ts";
import { bootHandler } from "../../../functions-shared/engine/boot.ts";
import { serveBatch } from "../../../functions-shared/engine/serve_batch.ts";
import { odooFromConfig } from "../../../functions-shared/odoo/odoo_from_config.ts";
import { leadSync } from "../../../functions-shared/sync/lead_sync.ts";

Deno.serve(bootHandler(Deno.env.toObject(), (env) => {
  const config = loadConfig(env, { odoo: "required", storage: false });
  return serveBatch({
    name: "sync-odoo-leads",
    config,
    sql: connectDb(config.dbUrl),
    secrets: [config.odoo?.secret],
    step: leadSync(odooFromConfig(config), { companyName: config.companyName }),
  });
}));
