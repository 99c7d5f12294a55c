/**
 * The test cluster itself, for tests about the server: its data directory,
 * its server log, and a restart (`pg_ctl restart -m fast`, as the postgres
 * user when run as root), all from what `deno task test` exported.
 */
import { testClusterUrl } from "./test_database.ts";

/** The cluster's data directory (PASSERELLE_TEST_STACK_DIR / pg<major>). */
export function testClusterDataDir(): string {
  const dir = Deno.env.get("PASSERELLE_TEST_STACK_DIR");
  const major = Deno.env.get("PASSERELLE_TEST_PG_MAJOR");
  if (!dir || !major) {
    throw new Error("PASSERELLE_TEST_STACK_DIR is not set: run the tests with `deno task test`");
  }
  return `${dir}/pg${major}`;
}

/** The server's log, as PostgreSQL wrote it so far. */
export async function testServerLog(): Promise<string> {
  return await Deno.readTextFile(`${testClusterDataDir()}/server.log`);
}

/** Restarts PostgreSQL (fast shutdown: sessions are terminated), waiting until it accepts connections. */
export async function restartTestCluster(): Promise<void> {
  const dataDir = testClusterDataDir();
  const major = dataDir.replace(/.*\/pg/, "");
  const pgCtl = [
    `/usr/lib/postgresql/${major}/bin/pg_ctl`,
    "restart",
    "-m",
    "fast",
    "-w",
    "-D",
    dataDir,
    "-l",
    `${dataDir}/server.log`,
    "-o",
    `-p ${new URL(testClusterUrl()).port}`,
  ];
  const argv = Deno.uid() === 0 ? ["runuser", "-u", "postgres", "--", ...pgCtl] : pgCtl;
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`pg_ctl restart failed: ${new TextDecoder().decode(out.stderr)}`);
}
