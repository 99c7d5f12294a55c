/**
 * sync-odoo-messages: the chatter of leads (Odoo's mail.message) into `lead_messages`, in pages, set-based,
 * incremental once caught up (README, "sync-odoo-messages"). A thin adapter.
 */
import { messageSync } from "../../../functions-shared/chatter/message_sync.ts";
import { loadConfig } from "../../../functions-shared/config.ts";
import { connectDb } from "../../../functions-shared/db.ts";
import { bootHandler } from "../../../functions-shared/engine/boot.ts";
import { serveBatch } from "../../../functions-shared/engine/serve_batch.ts";
import { odooFromConfig } from "../../../functions-shared/odoo/odoo_from_config.ts";

Deno.serve(bootHandler(Deno.env.toObject(), (env) => {
  const config = loadConfig(env);
  return serveBatch({
    name: "sync-odoo-messages",
    config,
    sql: connectDb(config.dbUrl),
    secrets: [config.odoo?.secret],
    step: messageSync(odooFromConfig(config), { companyName: config.companyName }),
  });
}));
