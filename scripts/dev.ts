/**
 * `deno task dev`: the local Supabase stack, without Docker. Starts (or
 * reuses: the data is kept) PostgreSQL with pg_cron on 127.0.0.1:54322,
 * installs the compatibility layer where extensions are missing, applies the
 * migrations with the Supabase CLI, stores the project URL and key in Vault,
 * drains pg_net's queue, and serves every function at
 * http://127.0.0.1:54321/functions/v1/<name>. Ctrl-C stops all it started.
 *
 * Options: --odoo-sim (also start the Odoo simulator with --leads N),
 * --pg-port, --port.
 */
import { parseArgs } from "node:util";
import { startStack } from "./stack/stack.ts";
import { stopCluster } from "./stack/postgres_cluster.ts";
import { stackDir } from "./stack/stack_dir.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "pg-port": { type: "string", default: "54322" },
    port: { type: "string", default: "54321" },
    "odoo-url": { type: "string" },
  },
});

const env = Deno.env.toObject();
const dir = stackDir("dev", env);
const log = (s: string) => console.log(`\x1b[36m[stack]\x1b[0m ${s}`);
const odooEnv: Record<string, string> = {};
for (const k of ["ODOO_URL", "ODOO_DB", "ODOO_LOGIN", "ODOO_PASSWORD", "ODOO_API_KEY", "ODOO_TRANSPORT"]) {
  if (env[k]) odooEnv[k] = env[k]!;
}
if (values["odoo-url"]) odooEnv.ODOO_URL = values["odoo-url"];

const stack = await startStack({
  dir,
  pgPort: Number(values["pg-port"]),
  functionsPort: Number(values.port),
  env: odooEnv,
  writeEnvFile: true,
  functionsOutput: "inherit",
  log,
});

console.log(`
  Database       ${stack.dbUrl}
  Functions      ${stack.functionsUrl}/functions/v1/<name>
  Storage (dir)  ${stack.env.STORAGE_LOCAL_DIR}
  JWT secret     ${stack.keys.jwtSecret}
  anon key       ${stack.keys.anonKey}
  service_role   ${stack.keys.serviceRoleKey}
  secret key     ${stack.keys.secretKey}
  Env file       supabase/functions/.env (git-ignored)

  Schedule a function from psql:  select passerelle.schedule('archive-odoo-files');
  Ctrl-C stops everything; the data stays in ${dir}.
`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  log("stopping");
  await stack.stop();
  await stopCluster(stack.cluster);
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
