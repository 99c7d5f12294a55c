/**
 * A backup import in a process of its own, for the memory test and the migration bench: imports
 * `<zip>` into `<db url>` through Supabase Storage at `<project url>` (the stand-in), with the
 * service-role key, as `deno task import-dump` does (timed requests, 5 at once, `--create-missing`), or
 * into a local bucket directory with `local:<dir>` as the project URL; then prints its peak RSS (VmHWM)
 * and its summary (failures aside) as one JSON line. Run it with `IMPORT_V8_FLAGS` and `IMPORT_ENV`, as the task is.
 * With `--trace` it also prints, per phase, the peak of RSS and of V8's heap and
 * external memory (what holds the memory: JS objects, or buffers outside the heap).
 *
 *   deno run -A import_child.ts <zip> <db url> <project url | local:dir> <service role key> [concurrency] [--trace]
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

/** CPU seconds this process used (user + system, from /proc: the machine's other load aside). */
async function cpuSeconds(): Promise<number> {
  const f = (await Deno.readTextFile("/proc/self/stat")).split(") ")[1].split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
}

/**
 * glibc's allocator as `deno task import-dump` sets it (deno.json): the upload buffers Deno copies
 * request bodies into (up to a 6 MiB TUS chunk) are mapped and unmapped each time instead of raising
 * malloc's mmap threshold and piling up in its arenas. Measured on the small migration through the
 * Storage stand-in: peak RSS 184–189 MB without, 171–172 MB with.
 */
export const IMPORT_ENV = { MALLOC_ARENA_MAX: "2", MALLOC_MMAP_THRESHOLD_: "131072" };

/**
 * V8's flags as the tasks set them (deno.json): `gc` exposed, and a young generation of 2 MB semispaces
 * (V8's default grows them to 16 MB: garbage of the dump's rows and the upload buffers piled up there).
 * Measured on 16,500 files (17,400 attachments) to a local bucket: peak RSS 234 MB without, 148 MB with.
 */
export const IMPORT_V8_FLAGS = "--v8-flags=--expose-gc,--max-semi-space-size=2";

/** Samples memory every 50 ms; on stop prints the peaks of each phase to stderr. */
function memoryTrace() {
  let phase = "start";
  const peaks = new Map<string, { rss: number; heap: number; external: number }>();
  const mb = (n: number) => Math.round(n / 2 ** 20);
  const sample = () => {
    const m = Deno.memoryUsage();
    const p = peaks.get(phase) ?? { rss: 0, heap: 0, external: 0 };
    peaks.set(phase, {
      rss: Math.max(p.rss, mb(m.rss)),
      heap: Math.max(p.heap, mb(m.heapUsed)),
      external: Math.max(p.external, mb(m.external)),
    });
  };
  const timer = setInterval(sample, 50);
  return {
    phase: (p: { phase: string }) => {
      if (p.phase !== phase) sample();
      phase = p.phase;
    },
    stop() {
      clearInterval(timer);
      sample();
      for (const [k, v] of peaks) {
        console.error(`memory ${k}: rss ${v.rss} MB, heap ${v.heap} MB, external ${v.external} MB`);
      }
    },
  };
}

if (import.meta.main) {
  const [zip, dbUrl, url, key, concurrency] = Deno.args.filter((a) => a !== "--trace");
  const startMb = Deno.memoryUsage().rss / 2 ** 20;
  const sql = connectDb(dbUrl, { max: 3 });
  const store = url.startsWith("local:")
    ? localStore({ dir: url.slice("local:".length), bucket: "estimation-files" })
    : supabaseStore({ url, serviceRoleKey: key, bucket: "estimation-files", fetch: timedFetch() });
  const backup = await openBackup(zip);
  const t = performance.now();
  const trace = Deno.args.includes("--trace") ? memoryTrace() : null;
  try {
    const s = await importBackup({
      onProgress: trace?.phase,
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
      cpuS: await cpuSeconds(),
      startMb,
      seconds: (performance.now() - t) / 1000,
      bytes: s.bytesUploaded,
    }));
  } finally {
    trace?.stop();
    backup.close();
    await sql.end();
  }
}
