/**
 * migration-status: progress, rate, ETA, liveness, cron health and recent
 * errors of every migration and import, for admins (README, "Status").
 * A thin adapter: configuration is read here, the work is in functions-shared.
 *
 * `?format=html` answers the status page where the deployment carries
 * `scripts/status_page/status.html` (the local functions server does; a
 * hosted deploy does not bundle it, and hosted Supabase would serve it as
 * text/plain without a custom domain anyway): `deno task status --web` is the
 * live page.
 */
import { loadConfig } from "../../../functions-shared/config.ts";
import { connectDb } from "../../../functions-shared/db.ts";
import { bootHandler } from "../../../functions-shared/engine/boot.ts";
import { statusHandler } from "../../../functions-shared/status/status_handler.ts";

function readPage(): string | undefined {
  try {
    return Deno.readTextFileSync(new URL("../../../scripts/status_page/status.html", import.meta.url));
  } catch {
    return undefined;
  }
}

Deno.serve(bootHandler(Deno.env.toObject(), (env) => {
  const config = loadConfig(env, { odoo: "ignored", storage: false });
  return statusHandler({
    sql: connectDb(config.dbUrl, { max: 2 }),
    keys: config,
    page: readPage(),
  });
}));
