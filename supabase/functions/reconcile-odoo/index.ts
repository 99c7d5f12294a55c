/**
 * reconcile-odoo: proves Supabase holds what Odoo holds (leads, attachments, stored objects,
 * import rows), over as many budgeted calls as a run needs (README, "Reconcile"). A thin adapter.
 */
import { loadConfig } from "../../../functions-shared/config.ts";
import { connectDb } from "../../../functions-shared/db.ts";
import { bootHandler } from "../../../functions-shared/engine/boot.ts";
import { serveBatch } from "../../../functions-shared/engine/serve_batch.ts";
import { odooFromConfig } from "../../../functions-shared/odoo/odoo_from_config.ts";
import { reconcileOdoo } from "../../../functions-shared/reconcile/reconcile_step.ts";
import { storeFromConfig } from "../../../functions-shared/storage/store_from_config.ts";

Deno.serve(bootHandler(Deno.env.toObject(), (env) => {
  const config = loadConfig(env);
  return serveBatch({
    name: "reconcile-odoo",
    config,
    sql: connectDb(config.dbUrl),
    secrets: [config.odoo?.secret],
    step: reconcileOdoo({ odoo: odooFromConfig(config), store: storeFromConfig(config) }),
  });
}));
