/**
 * The decision end to end where the real extensions cannot load (as on CI):
 * a PostgreSQL installation whose extension directory lists pg_net and
 * supabase_vault (control files and libraries present, so
 * `pg_available_extensions` would list them) while the server cannot load
 * them. The stack must not stop at the first migration ("pg_net is not in
 * shared_preload_libraries", issue 12) but start with pg_cron alone, say why,
 * and keep that choice for the kept cluster.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { postgres } from "../../functions-shared/deps.ts";
import { describeChoice } from "./extensions.ts";
import { freePort, installedMajor, pgDirs, stopCluster } from "./postgres_cluster.ts";
import { startStackCluster } from "./stack_cluster.ts";

const major = installedMajor("");
const system = pgDirs(major, "");
const loadable = existsSync(`${system.lib}/pg_net.so`);

Deno.test({
  name: `installed but not loadable: the stack starts with pg_cron only, says why, and keeps that choice${
    loadable ? " (skipped: the system's PostgreSQL can load pg_net)" : ""
  }`,
  ignore: loadable,
  fn: async () => {
    const root = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "passerelle-fake-pg-" });
    await Deno.chmod(root, 0o755);
    const fake = pgDirs(major, root);
    try {
      // The system's server (it loads libraries from its own directory), beside extension files it cannot load.
      await Deno.mkdir(fake.lib, { recursive: true });
      await Deno.mkdir(fake.extension, { recursive: true });
      await Deno.symlink(system.bin, fake.bin);
      await Deno.copyFile(`${system.extension}/pg_cron.control`, `${fake.extension}/pg_cron.control`);
      await Deno.writeTextFile(`${fake.extension}/pg_net.control`, "default_version = '0.20.4'\n");
      await Deno.writeTextFile(`${fake.extension}/supabase_vault.control`, "default_version = '0.3.1'\n");
      await Deno.writeTextFile(`${fake.lib}/pg_net.so`, "");
      await Deno.writeTextFile(`${fake.lib}/supabase_vault.so`, "");

      const dir = `${root}/stack`;
      const logs: string[] = [];
      const port = freePort();
      const first = await startStackCluster({ dir, port, pgRoot: root, log: (s) => logs.push(s) });
      assert.ok(
        logs.includes(
          'PostgreSQL did not start with pg_cron, pg_net, supabase_vault (could not access file "pg_net": ' +
            "No such file or directory): starting it with pg_cron only",
        ),
        logs.join("\n"),
      );
      const lines = describeChoice(first.plan.choice);
      assert.match(
        lines[0],
        /^pg_net: compatibility layer \(the server did not start with it preloaded: could not access file "pg_net"/,
      );
      assert.match(lines[1], /^supabase_vault: compatibility layer \(/);
      assert.ok(lines.every((l) => logs.includes(l)), "the stack prints which it uses");
      const sql = postgres(first.cluster.url(), { max: 1, onnotice: () => {} });
      try {
        const [{ shared_preload_libraries }] = await sql`show shared_preload_libraries`;
        assert.equal(shared_preload_libraries, "pg_cron");
      } finally {
        await sql.end();
      }
      await stopCluster(first.cluster);

      // Started again, the kept cluster stays with the compatibility layer its databases were made with.
      logs.length = 0;
      const again = await startStackCluster({ dir, port, pgRoot: root, log: (s) => logs.push(s) });
      await stopCluster(again.cluster);
      assert.deepEqual(again.plan.preload, ["pg_cron"]);
      assert.ok(!logs.some((l) => l.startsWith("PostgreSQL did not start")), "no second failed start");
      assert.match(
        describeChoice(again.plan.choice)[0],
        /installed, but this cluster was created without it/,
      );
    } finally {
      await Deno.remove(root, { recursive: true }).catch(() => {});
    }
  },
});
