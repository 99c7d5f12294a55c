/**
 * A backup import in a process of its own, for the memory test and the migration bench: imports
 * `<zip>` into `<db url>` through Supabase Storage at `<project url>` (the stand-in), with the
 * service-role key, as `deno task import-dump` does (timed requests, 5 at once, `--create-missing`), or
 * into a local bucket directory with `local:<dir>` as the project URL; then prints its peak RSS (VmHWM)
 * and its summary (failures aside) as one JSON line. Run it with `--v8-flags=--expose-gc`, as the task is.
 *
 *   deno run -A import_child.ts <zip> <db url> <project url | local:dir> <service role key> [concurrency]
 */
import { connectDb } from "../../db.ts";
import { localStore } from "../../storage/local_store.ts";
import { supabaseStore } from "../../storage/supabase_store.ts";
import { timedFetch } from "../../storage/timed_fetch.ts";
import { openBackup } from "../backup_source.ts";
import { exposedGc } from "../exposed_gc.ts";
import { importBackup } from "../import_backup.ts";

async function peakRssMb(): Promise<number> {
  const m = /VmHWM:\s+(\d+) kB/.exec(await Deno.readTextFile("/proc/self/status"));
  return m ? Number(m[1]) / 1024 : Deno.memoryUsage().rss / 2 ** 20;
}

if (import.meta.main) {
  const [zip, dbUrl, url, key, concurrency] = Deno.args;
  const startMb = Deno.memoryUsage().rss / 2 ** 20;
  const sql = connectDb(dbUrl, { max: 3 });
  const store = url.startsWith("local:")
    ? localStore({ dir: url.slice("local:".length), bucket: "estimation-files" })
    : supabaseStore({ url, serviceRoleKey: key, bucket: "estimation-files", fetch: timedFetch() });
  const backup = await openBackup(zip);
  const t = performance.now();
  try {
    const s = await importBackup({
      sql,
      store,
      backup,
      concurrency: Number(concurrency ?? 5),
      createMissing: true,
      collectGarbage: exposedGc(),
    });
    const { failures: _, ...summary } = s;
    console.log(JSON.stringify({
      ...summary,
      peakMb: await peakRssMb(),
      startMb,
      seconds: (performance.now() - t) / 1000,
      bytes: s.bytesUploaded,
    }));
  } finally {
    backup.close();
    await sql.end();
  }
}
