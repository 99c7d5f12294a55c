/**
 * sync-odoo-leads: leads, customers and contacts from Odoo, in pages, set-based,
 * incremental once caught up (README, "sync-odoo-leads"). A thin adapter.
 */
import { loadConfig, requireOdoo } from "../../../functions-shared/config.ts";
import { connectDb } from "../../../functions-shared/db.ts";
import { bootHandler } from "../../../functions-shared/engine/boot.ts";
import { serveBatch } from "../../../functions-shared/engine/serve_batch.ts";
import { createOdooClient } from "../../../functions-shared/odoo/client.ts";
import { leadSync } from "../../../functions-shared/sync/lead_sync.ts";

Deno.serve(bootHandler(Deno.env.toObject(), (env) => {
  const config = loadConfig(env);
  const odoo = createOdooClient(requireOdoo(config), {
    fetch,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  });
  return serveBatch({
    name: "sync-odoo-leads",
    config,
    sql: connectDb(config.dbUrl),
    secrets: [config.odoo!.secret],
    step: leadSync(odoo, { companyName: config.companyName }),
  });
}));
