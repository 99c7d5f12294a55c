/**
 * Prepares the test cluster (`deno task test` runs this first): starts a
 * PostgreSQL of its own (port 54329 by default, apart from `deno task dev`)
 * with the real pg_net and supabase_vault where they load, installs the
 * compatibility layer for the rest and applies the migrations with the real
 * Supabase CLI into a template database, from which every test file gets a
 * fresh copy, and into `postgres`, the database pg_cron and pg_net's worker
 * serve (the copies get the stand-in `net`: pg_net's worker serves one
 * database). Prints `export` lines for the test run; exits 1 with the reason
 * on stderr when the cluster cannot be prepared.
 */
import { freePort, portIsFree, stopClusterIn, TEST_TEMPLATE } from "../stack/postgres_cluster.ts";
import { ensureDatabase, installCompat, pushMigrations } from "../stack/database.ts";
import { databaseChoice } from "../stack/extensions.ts";
import { startStackCluster } from "../stack/stack_cluster.ts";
import { stackDir } from "../stack/stack_dir.ts";
import { connectDb } from "../../functions-shared/db.ts";

const env = Deno.env.toObject();
const dir = stackDir("test", env);
const log = (s: string) => console.error(`[test-stack] ${s}`);

if (Deno.args[0] === "stop") {
  await stopClusterIn(dir);
  Deno.exit(0);
}

/** 54329, or the port asked for; a free one when 54329 is taken (another checkout's tests). */
function choosePort(): number {
  if (env.PASSERELLE_TEST_PG_PORT) return Number(env.PASSERELLE_TEST_PG_PORT);
  if (portIsFree(54329)) return 54329;
  const free = freePort();
  log(`port 54329 is taken: using ${free}`);
  return free;
}

try {
  // Every run starts from a new cluster, so that tests see exactly the migrations.
  await stopClusterIn(dir);
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  const port = choosePort();
  const { cluster, plan } = await startStackCluster({ dir, port, log });

  const t0 = performance.now();
  await ensureDatabase(cluster.url(), TEST_TEMPLATE);
  log(
    `compat in the template: ${
      (await installCompat(cluster.url(TEST_TEMPLATE), databaseChoice(plan, TEST_TEMPLATE))).join(", ")
    }`,
  );
  log(
    `compat in postgres: ${
      (await installCompat(cluster.url(), databaseChoice(plan, "postgres"))).join(", ")
    }`,
  );
  await Promise.all([pushMigrations(cluster.url(TEST_TEMPLATE)), pushMigrations(cluster.url())]);
  const t = connectDb(cluster.url(), { max: 1 });
  await t.unsafe(`alter database "${TEST_TEMPLATE}" is_template true`);
  await t.end();
  log(
    `migrated template and postgres in ${
      Math.round(performance.now() - t0)
    } ms (PostgreSQL ${cluster.major})`,
  );
  console.log(`export PASSERELLE_TEST_PG=postgresql://postgres@127.0.0.1:${port}`);
  console.log(`export PASSERELLE_TEST_PG_MAJOR=${cluster.major}`);
  console.log(`export PASSERELLE_TEST_STACK_DIR=${dir}`);
} catch (e) {
  // test.sh stops here, with this reason, rather than run tests without a database.
  log(`the test cluster could not be prepared: ${e instanceof Error ? e.message : e}`);
  Deno.exit(1);
}
