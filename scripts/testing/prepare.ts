/**
 * Prepares the test cluster (`deno task test` runs this first): starts a
 * PostgreSQL of its own (port 54329 by default, apart from `deno task dev`),
 * installs the compatibility layer and applies the migrations with the real
 * Supabase CLI into a template database, from which every test file gets a
 * fresh copy, and into `postgres`, the database pg_cron serves.
 * Prints `export` lines for the test run.
 */
import {
  freePort,
  portIsFree,
  startCluster,
  stopClusterIn,
  TEST_TEMPLATE,
} from "../stack/postgres_cluster.ts";
import { ensureDatabase, installCompat, pushMigrations } from "../stack/database.ts";
import { stackDir } from "../stack/stack_dir.ts";
import { connectDb } from "../../functions-shared/db.ts";

const env = Deno.env.toObject();
const dir = stackDir("test", env);
const log = (s: string) => console.error(`[test-stack] ${s}`);

if (Deno.args[0] === "stop") {
  await stopClusterIn(dir);
  Deno.exit(0);
}

// Every run starts from a new cluster, so that tests see exactly the migrations.
await stopClusterIn(dir);
await Deno.remove(dir, { recursive: true }).catch(() => {});
const port = choosePort();
const cluster = await startCluster({ dir, port, log });

/** 54329, or the port asked for; a free one when 54329 is taken (another checkout's tests). */
function choosePort(): number {
  if (env.PASSERELLE_TEST_PG_PORT) return Number(env.PASSERELLE_TEST_PG_PORT);
  if (portIsFree(54329)) return 54329;
  const free = freePort();
  log(`port 54329 is taken: using ${free}`);
  return free;
}

const t0 = performance.now();
await ensureDatabase(cluster.url(), TEST_TEMPLATE);
log(`compat: ${(await installCompat(cluster.url(TEST_TEMPLATE))).join(", ")}`);
await installCompat(cluster.url());
await Promise.all([pushMigrations(cluster.url(TEST_TEMPLATE)), pushMigrations(cluster.url())]);
const t = connectDb(cluster.url(), { max: 1 });
await t.unsafe(`alter database "${TEST_TEMPLATE}" is_template true`);
await t.end();
log(
  `migrated template and postgres in ${Math.round(performance.now() - t0)} ms (PostgreSQL ${cluster.major})`,
);
console.log(`export PASSERELLE_TEST_PG=postgresql://postgres@127.0.0.1:${port}`);
console.log(`export PASSERELLE_TEST_PG_MAJOR=${cluster.major}`);
console.log(`export PASSERELLE_TEST_STACK_DIR=${dir}`);
