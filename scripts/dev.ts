/**
 * `deno task dev`: the local Supabase stack, without Docker. Starts (or
 * reuses: the data is kept) PostgreSQL with pg_cron on 127.0.0.1:54322,
 * installs the compatibility layer where extensions are missing, applies the
 * migrations with the Supabase CLI, stores the project URL and key in Vault,
 * drains pg_net's queue, and serves every function at
 * http://127.0.0.1:54321/functions/v1/<name>. Ctrl-C stops all it started.
 *
 * Odoo: the ODOO_* variables of the environment when ODOO_URL is set;
 * otherwise an Odoo simulator (a generated CRM of --leads leads) is started
 * on 127.0.0.1:8069 (or a free port), so that both functions work at once.
 * Options: --pg-port, --port, --odoo-url, --leads.
 */
import { parseArgs } from "node:util";
import { generateDataset } from "./odoo_simulator/dataset.ts";
import { startOdooSimulator } from "./odoo_simulator/server.ts";
import { portIsFree } from "./stack/postgres_cluster.ts";
import { startStack } from "./stack/stack.ts";
import { stopCluster } from "./stack/postgres_cluster.ts";
import { stackDir } from "./stack/stack_dir.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    "pg-port": { type: "string", default: "54322" },
    port: { type: "string", default: "54321" },
    "odoo-url": { type: "string" },
    leads: { type: "string", default: "3000" },
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
const simulator = odooEnv.ODOO_URL ? null : await startOdooSimulator({
  dataset: generateDataset({ leads: Number(values.leads), seed: 1 }),
  port: portIsFree(8069) ? 8069 : 0,
});
if (simulator) {
  Object.assign(odooEnv, {
    ODOO_URL: simulator.url,
    ODOO_DB: "crm_src",
    ODOO_LOGIN: "admin",
    ODOO_PASSWORD: "admin",
  });
  log(
    `Odoo simulator at ${simulator.url} (db crm_src, admin/admin, ${values.leads} leads); set ODOO_URL to use a real Odoo`,
  );
}

const stack = await startStack({
  dir,
  pgPort: Number(values["pg-port"]),
  functionsPort: Number(values.port),
  env: odooEnv,
  writeEnvFile: true,
  functionsOutput: "inherit",
  superviseFunctions: true,
  log,
});

console.log(`
  Odoo           ${odooEnv.ODOO_URL}
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
  await simulator?.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
