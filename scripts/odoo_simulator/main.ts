/**
 * Runs the Odoo simulator from the command line:
 *
 *   deno run -A scripts/odoo_simulator/main.ts --port 8069 --leads 3000 --attachments 500 --latency 20
 *
 * Options: --port (default 8069, 0 for any), --leads (3000), --attachments (13% of leads),
 * --activities (a third of leads), --seed (1), --latency ms (0), --version 17|19 (19; 17 with --fixtures),
 * --large-attachments N (0) and --large-bytes B (20000000), --fixtures (serve the recorded
 * database instead of a generated one), --cost odoo17 (spend the time a real threaded Odoo 17 spends:
 * per request, per value read, per byte of attachment, 0.41 s per authenticate; see ODOO17_COSTS) or
 * odoo17-prefork (the same server with two worker processes, as Odoo.sh runs it). Prints the URL and credentials; Ctrl-C stops it.
 */
import { parseArgs } from "node:util";
import { generateDataset } from "./dataset.ts";
import { fixtureDataset } from "./fixture_dataset.ts";
import { COST_MODELS, DEFAULT_USERS, startOdooSimulator } from "./server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    port: { type: "string", default: "8069" },
    leads: { type: "string", default: "3000" },
    attachments: { type: "string" },
    activities: { type: "string" },
    seed: { type: "string", default: "1" },
    latency: { type: "string", default: "0" },
    version: { type: "string" },
    "large-attachments": { type: "string", default: "0" },
    "large-bytes": { type: "string", default: "20000000" },
    fixtures: { type: "boolean", default: false },
    cost: { type: "string" },
    help: { type: "boolean", default: false },
  },
});

if (values.help) {
  console.log(
    "deno run -A scripts/odoo_simulator/main.ts [--port 8069] [--leads 3000] [--attachments N] " +
      "[--activities N] [--seed 1] [--latency ms] [--version 17|19] [--large-attachments N] " +
      "[--large-bytes B] [--fixtures] [--cost odoo17|odoo17-prefork]",
  );
  Deno.exit(0);
}

const int = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${name} must be a whole number >= 0 (got "${v}")`);
    Deno.exit(2);
  }
  return n;
};

// The recorded database is an Odoo 17's: --fixtures plays 17 unless told otherwise.
const version = int("version", values.version ?? (values.fixtures ? "17" : "19"));
if (version !== 17 && version !== 19) {
  console.error(`--version must be 17 or 19 (got "${values.version}")`);
  Deno.exit(2);
}

if (values.cost !== undefined && !(values.cost in COST_MODELS)) {
  console.error(`--cost must be ${Object.keys(COST_MODELS).join(" or ")} (got "${values.cost}")`);
  Deno.exit(2);
}

const started = performance.now();
const dataset = values.fixtures ? fixtureDataset() : generateDataset({
  leads: int("leads", values.leads)!,
  seed: int("seed", values.seed)!,
  attachments: int("attachments", values.attachments),
  activities: int("activities", values.activities),
  largeAttachments: {
    count: int("large-attachments", values["large-attachments"])!,
    bytes: int("large-bytes", values["large-bytes"])!,
  },
});
const sim = await startOdooSimulator({
  dataset,
  port: int("port", values.port),
  latencyMs: int("latency", values.latency),
  version,
  cost: values.cost === undefined ? undefined : COST_MODELS[values.cost],
});

const count = (model: string) => dataset.table(model).size;
const admin = DEFAULT_USERS[0];
console.log(`Odoo ${version} simulator listening on ${sim.url}`);
console.log(`  database   ${dataset.db}`);
console.log(`  login      ${admin.login} / password ${admin.password}`);
console.log(`  API key    ${admin.apiKey} (JSON-2: Authorization: bearer ${admin.apiKey})`);
console.log(`  no CRM     nocrm / nocrm`);
console.log(
  `  data       ${count("crm.lead")} leads, ${count("res.partner")} partners, ${count("ir.attachment")} ` +
    `attachments, ${count("mail.activity")} activities (built in ${
      Math.round(performance.now() - started)
    } ms)`,
);
console.log(
  `  env        ODOO_URL=${sim.url} ODOO_DB=${dataset.db} ODOO_LOGIN=${admin.login} ODOO_PASSWORD=${admin.password}`,
);

const stop = async () => {
  console.log(`\nserved ${sim.stats.calls} requests; stopping`);
  await sim.close();
  Deno.exit(0);
};
Deno.addSignalListener("SIGINT", stop);
Deno.addSignalListener("SIGTERM", stop);
