/**
 * `deno task bench [name...] [--json] [--quick] [--lean] [--rows N[,N…]] [--odoo-url URL --odoo-db DB
 * --odoo-login L --odoo-password P | --odoo-api-key K] [--odoo-transport jsonrpc|json2]`: runs the
 * benchmarks (sync and archive against that real Odoo when given) and
 * prints their figures beside the baseline each runs in the same process,
 * as a table, or with --json one object a line
 * (bench, figure, value, unit, baseline, ratio, target).
 */
import { parseArgs } from "node:util";
import { type Bench, type BenchRow, table } from "./bench/report.ts";

const benches: Record<string, () => Promise<Bench>> = {
  sync: async () => (await import("./bench/sync_bench.ts")).benchSync,
  archive: async () => (await import("./bench/archive_bench.ts")).benchArchive,
  "import-dump": async () => (await import("./bench/import_dump_bench.ts")).benchImportDump,
  imports: async () => (await import("./bench/imports_bench.ts")).benchImports,
  migration: async () => (await import("./bench/migration_bench.ts")).benchMigration,
  reconcile: async () => (await import("./bench/reconcile_bench.ts")).benchReconcile,
  chatter: async () => (await import("./bench/chatter_bench.ts")).benchChatter,
};

const { values, positionals } = parseArgs({
  args: Deno.args,
  allowPositionals: true,
  options: {
    json: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    lean: { type: "boolean", default: false },
    scale: { type: "string" },
    rows: { type: "string" },
    "odoo-url": { type: "string" },
    "odoo-db": { type: "string" },
    "odoo-login": { type: "string", default: "admin" },
    "odoo-password": { type: "string", default: "admin" },
    // (ODOO_LIVE_API_KEY, as `deno task test:live` takes it, keeps the key off the command line)
    "odoo-api-key": { type: "string", default: Deno.env.get("ODOO_LIVE_API_KEY") },
    "odoo-transport": { type: "string", default: "jsonrpc" },
  },
});
const odoo = values["odoo-url"]
  ? {
    url: values["odoo-url"],
    db: values["odoo-db"] ?? "passerelle",
    login: values["odoo-login"]!,
    secret: values["odoo-api-key"] ?? values["odoo-password"]!,
    transport: values["odoo-transport"] === "json2" ? "json2" as const : "jsonrpc" as const,
  }
  : undefined;
// The whole migration writes its scenario to disk (12.6 GB at full scale): only when asked for by name.
const names = positionals.length ? positionals : Object.keys(benches).filter((n) => n !== "migration");
const unknown = names.filter((n) => !(n in benches));
if (unknown.length) {
  console.error(`unknown bench ${unknown.join(", ")}: choose from ${Object.keys(benches).join(", ")}`);
  Deno.exit(2);
}
const rows: BenchRow[] = [];
for (const name of names) {
  if (!values.json) console.error(`running ${name}...`);
  const bench = await benches[name]();
  await bench((row) => {
    rows.push(row);
    if (values.json) console.log(JSON.stringify(row));
  }, {
    quick: values.quick,
    scale: values.scale,
    rows: values.rows ? values.rows.split(",").map(Number) : undefined,
    lean: values.lean,
    odoo,
  });
}
if (!values.json) console.log(table(rows));
