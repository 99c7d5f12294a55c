/**
 * A fresh, migrated database for one test file: `create database … template`
 * from the template `deno task test` prepared (graphile-worker's way), dropped
 * at the end. Tests run on a real PostgreSQL, never a mock of our own database.
 */
import { connectDb, type Sql } from "../../functions-shared/db.ts";
import { clusterDataDir, isRoot, pgDirs, TEST_TEMPLATE } from "../stack/postgres_cluster.ts";

export interface TestDatabase {
  name: string;
  url: string;
  sql: Sql;
  /** Opens another pool on the same database (for overlap tests: real connections). */
  connect(max?: number): Sql;
  drop(): Promise<void>;
}

/** Base URL of the test cluster (set by `deno task test`). */
export function testClusterUrl(): string {
  const url = Deno.env.get("PASSERELLE_TEST_PG");
  if (!url) {
    throw new Error(
      "PASSERELLE_TEST_PG is not set: run the tests with `deno task test` (it starts PostgreSQL)",
    );
  }
  return url;
}

/** Creates a database copied from the migrated template. */
export async function createTestDatabase(label = "t"): Promise<TestDatabase> {
  const base = testClusterUrl();
  const name = `t_${label.replace(/[^a-z0-9]/gi, "_").toLowerCase().slice(0, 30)}_${
    crypto.randomUUID().slice(0, 8)
  }`;
  const admin = connectDb(`${base}/postgres`, { max: 1 });
  await admin.unsafe(`create database "${name}" template ${TEST_TEMPLATE}`);
  await admin.end();
  const url = `${base}/${name}`;
  const pools: Sql[] = [];
  const connect = (max = 4) => {
    const p = connectDb(url, { max });
    pools.push(p);
    return p;
  };
  const sql = connect(4);
  return {
    name,
    url,
    sql,
    connect,
    async drop() {
      await Promise.all(pools.map((p) => p.end({ timeout: 5 })));
      const a = connectDb(`${base}/postgres`, { max: 1 });
      await a.unsafe(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

/**
 * Restarts the test cluster (`pg_ctl restart -m fast`, with the options it
 * was started with): every connection is cut, as a PostgreSQL restart does.
 */
export async function restartTestCluster(): Promise<void> {
  const dir = Deno.env.get("PASSERELLE_TEST_STACK_DIR");
  const major = Number(Deno.env.get("PASSERELLE_TEST_PG_MAJOR"));
  if (!dir || !major) {
    throw new Error("PASSERELLE_TEST_STACK_DIR is not set: run the tests with `deno task test`");
  }
  const dataDir = clusterDataDir(dir, major);
  const args = [
    `${pgDirs(major).bin}/pg_ctl`,
    "-D",
    dataDir,
    "-l",
    `${dataDir}/server.log`,
    "-m",
    "fast",
    "-w",
  ];
  const argv = isRoot ? ["runuser", "-u", "postgres", "--", ...args, "restart"] : [...args, "restart"];
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`pg_ctl restart failed: ${new TextDecoder().decode(out.stderr)}`);
}
