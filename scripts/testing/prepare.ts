/**
 * Prepares the test cluster (`deno task test` runs this first): starts a
 * PostgreSQL of its own (port 54329 by default, apart from `deno task dev`),
 * installs the compatibility layer and applies the migrations with the real
 * Supabase CLI into a template database, from which every test file gets a
 * fresh copy, and into `postgres`, the database pg_cron serves.
 * Prints `export` lines for the test run.
 */
import { startCluster, stopCluster } from "../stack/postgres_cluster.ts";
import { ensureDatabase, installCompat, pushMigrations } from "../stack/database.ts";
import { stackDir } from "../stack/stack_dir.ts";
import { connectDb } from "../../functions-shared/db.ts";

export const TEMPLATE = "passerelle_template";

const env = Deno.env.toObject();
const port = Number(env.PASSERELLE_TEST_PG_PORT ?? 54329);
const dir = stackDir("test", env);
const log = (s: string) => console.error(`[test-stack] ${s}`);

if (Deno.args[0] === "stop") {
  const c = await startCluster({ dir, port });
  await stopCluster(c);
  Deno.exit(0);
}

// Every run starts from a new cluster, so that tests see exactly the migrations.
await stopCluster(await startCluster({ dir, port })).catch(() => {});
await Deno.remove(dir, { recursive: true }).catch(() => {});
const cluster = await startCluster({ dir, port, log });

const t0 = performance.now();
await ensureDatabase(cluster.url(), TEMPLATE);
log(`compat: ${(await installCompat(cluster.url(TEMPLATE))).join(", ")}`);
await installCompat(cluster.url());
await Promise.all([pushMigrations(cluster.url(TEMPLATE)), pushMigrations(cluster.url())]);
const t = connectDb(cluster.url(), { max: 1 });
await t.unsafe(`alter database "${TEMPLATE}" is_template true`);
await t.end();
log(
  `migrated template and postgres in ${Math.round(performance.now() - t0)} ms (PostgreSQL ${cluster.major})`,
);
console.log(`export PASSERELLE_TEST_PG=postgresql://postgres@127.0.0.1:${port}`);
console.log(`export PASSERELLE_TEST_PG_MAJOR=${cluster.major}`);
console.log(`export PASSERELLE_TEST_STACK_DIR=${dir}`);
