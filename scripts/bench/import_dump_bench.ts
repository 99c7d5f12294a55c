/**
 * import-dump: an Odoo backup zip (real pg_dump output + a filestore, deflated as Odoo zips it) imported
 * into a local bucket, beside a plain parallel copy of the same files (5 workers, extracted filestore to
 * the same store) in the same run; then the peak memory of importing a backup that holds one 1 GB file,
 * measured in a subprocess of its own so that the figure is the import's alone.
 * Targets: at least 0.8x the plain copy's throughput; peak memory under 200 MB.
 *
 * Run as a subprocess (`--child <zip> <db url> <store dir>`), this module imports the backup and prints
 * its peak RSS (VmHWM) as JSON.
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { openBackup } from "../../functions-shared/backup/backup_source.ts";
import { importBackup, type ImportSummary } from "../../functions-shared/backup/import_backup.ts";
import {
  manifest,
  noise,
  type OdooAttachmentRow,
  pgDumpOdoo,
  sha1Hex,
  storeFnameOf,
  writeFilestore,
  zipFolder,
  zipFolderStreaming,
} from "../../functions-shared/backup/testdata/odoo_backup.ts";
import { connectDb, type Sql } from "../../functions-shared/db.ts";
import { localStore } from "../../functions-shared/storage/local_store.ts";
import type { ObjectStore } from "../../functions-shared/storage/object_store.ts";
import { createTestDatabase, testClusterUrl } from "../testing/test_database.ts";
import type { BenchRow } from "./report.ts";
import { seedOdooLeads } from "../testing/seed.ts";

const BUCKET = "estimation-files";
const WORKERS = 5;

/** Leads 1..n and one pending lead_files row per attachment (what an API sync leaves behind). */
async function seed(sql: Sql, rows: OdooAttachmentRow[], leads: number): Promise<void> {
  const [{ id: company }] = await sql<{ id: number }[]>`
    insert into public.companies (name) values ('Bench') returning id`;
  await seedOdooLeads(sql, company, leads);
  const files = rows.map((r) => ({ odoo_id: r.id, res_id: r.res_id, name: r.name, mimetype: r.mimetype }));
  await sql`insert into public.lead_files (lead_id, odoo_id, name, mimetype)
    select l.id, d.odoo_id, d.name, d.mimetype
      from jsonb_to_recordset(${
    sql.json(files as never)
  }) as d(odoo_id int, res_id int, name text, mimetype text)
      join public.leads l on l.odoo_id = d.res_id`;
}

async function reset(sql: Sql): Promise<void> {
  await sql`update public.lead_files set status = 'pending', storage_path = null, file_url = null, done_at = null`;
}

/** The baseline: 5 workers putting each file of the extracted filestore into the store, nothing else. */
async function plainCopy(store: ObjectStore, paths: string[], prefix: string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const p = paths[next++];
      const file = await Deno.open(p, { read: true });
      const size = (await file.stat()).size;
      await store.put(`${prefix}/${p.slice(-40)}`, file.readable, { contentType: "application/pdf", size });
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, worker));
}

async function throughput(report: (row: BenchRow) => void, quick: boolean, dir: string): Promise<void> {
  // Enough files for the fixed costs (reading dump.sql, the lookups) to weigh as they do on a real backup.
  const count = quick ? 100 : 1_500;
  const rows: OdooAttachmentRow[] = [];
  const files = new Map<string, Uint8Array>();
  let bytes = 0;
  for (let i = 1; i <= count; i++) {
    // 20 kB to 300 kB, incompressible like the PDFs and photos of a CRM: ~240 MB for 1,500 files.
    const content = noise(i, 20_000 + ((i * 7919) % 280_000));
    bytes += content.length;
    files.set(storeFnameOf(content), content);
    rows.push({
      id: i,
      name: `devis ${i}.pdf`,
      res_model: "crm.lead",
      res_id: 1 + (i % 50),
      store_fname: storeFnameOf(content),
      file_size: content.length,
      checksum: sha1Hex(content),
      mimetype: "application/pdf",
    });
  }
  const folder = join(dir, "small");
  await Deno.mkdir(folder, { recursive: true });
  await pgDumpOdoo(testClusterUrl(), rows, join(folder, "dump.sql"));
  await Deno.writeTextFile(join(folder, "manifest.json"), manifest());
  await writeFilestore(folder, files);
  const zip = join(dir, "small.zip");
  await zipFolder(folder, zip, { level: 6 });
  const paths = [...files.keys()].map((f) => join(folder, "filestore", f));
  files.clear();

  const db = await createTestDatabase("bench_import_dump");
  try {
    await seed(db.sql, rows, 50);
    const rounds = quick ? 1 : 3;
    let bestCopy = Infinity;
    let bestImport = Infinity;
    let summary: ImportSummary | null = null;
    // Both read from the page cache: one read of everything first.
    for (const p of [...paths, zip]) await Deno.readFile(p);
    for (let r = 0; r < rounds; r++) {
      const storeDir = join(dir, `store-${r}`);
      const store = localStore({ dir: storeDir, bucket: BUCKET });
      let t = performance.now();
      await plainCopy(store, paths, `plain-copy`);
      bestCopy = Math.min(bestCopy, performance.now() - t);
      await reset(db.sql);
      const backup = await openBackup(zip);
      t = performance.now();
      summary = await importBackup({ sql: db.sql, store, backup, concurrency: WORKERS });
      bestImport = Math.min(bestImport, performance.now() - t);
      backup.close();
      await Deno.remove(storeDir, { recursive: true });
    }
    if (!summary || summary.uploaded !== count || summary.failed) {
      throw new Error(`import-dump bench: the import did not store every file (${JSON.stringify(summary)})`);
    }
    const filesPerS = (ms: number) => count / (ms / 1000);
    const mbPerS = (ms: number) => bytes / 1e6 / (ms / 1000);
    report({
      bench: "import-dump",
      figure: `files/s, ${count} files (${Math.round(bytes / 1e6)} MB) from a deflated zip vs plain copy`,
      value: filesPerS(bestImport),
      unit: "files/s",
      baseline: filesPerS(bestCopy),
      ratio: bestCopy / bestImport,
      target: ">= 0.8x",
    });
    report({
      bench: "import-dump",
      figure: "MB/s vs plain copy",
      value: mbPerS(bestImport),
      unit: "MB/s",
      baseline: mbPerS(bestCopy),
      ratio: bestCopy / bestImport,
      target: ">= 0.8x",
    });
  } finally {
    await db.drop();
  }
}

/**
 * A file of `size` bytes written chunk by chunk (never whole in memory): 1 MiB chunks alternating
 * incompressible noise and runs that deflate 1000 to 1 (the worst case for an inflater's memory).
 * Returns its sha1.
 */
async function writeBigFile(path: string, size: number): Promise<string> {
  const hash = createHash("sha1");
  const block = noise(1, 1 << 20);
  const text = new TextEncoder().encode("Ligne de devis;".repeat(70_000)).subarray(0, 1 << 20);
  await Deno.mkdir(dirname(path), { recursive: true });
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    for (let off = 0, i = 0; off < size; off += 1 << 20, i++) {
      const chunk = (i % 2 === 0 ? block : i % 4 === 1 ? text : new Uint8Array(1 << 20)).slice(0, size - off);
      if (i % 2 === 0) new DataView(chunk.buffer).setUint32(0, i); // each noise chunk differs
      hash.update(chunk);
      for (let w = 0; w < chunk.length;) w += await file.write(chunk.subarray(w));
    }
  } finally {
    file.close();
  }
  return hash.digest("hex");
}

async function peakMemory(report: (row: BenchRow) => void, quick: boolean, dir: string): Promise<void> {
  const size = quick ? 128 << 20 : 1 << 30;
  const folder = join(dir, "big");
  const tmp = join(dir, "big-content");
  const sha = await writeBigFile(tmp, size);
  const fname = `${sha.slice(0, 2)}/${sha}`;
  await Deno.mkdir(join(folder, "filestore", sha.slice(0, 2)), { recursive: true });
  await Deno.rename(tmp, join(folder, "filestore", fname));
  const row: OdooAttachmentRow = {
    id: 1,
    name: "enregistrement.mp4",
    res_model: "crm.lead",
    res_id: 1,
    store_fname: fname,
    file_size: size,
    checksum: sha,
    mimetype: "video/mp4",
  };
  await pgDumpOdoo(testClusterUrl(), [row], join(folder, "dump.sql"));
  await Deno.writeTextFile(join(folder, "manifest.json"), manifest());
  const zip = join(dir, "big.zip");
  await zipFolderStreaming(folder, zip, { level: 1 });
  await Deno.remove(folder, { recursive: true });

  const db = await createTestDatabase("bench_import_dump_big");
  try {
    await seed(db.sql, [row], 1);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, "--child", zip, db.url, join(dir, "store-big")],
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!out.success) throw new Error("import-dump bench: the 1 GB import failed");
    const r = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      peakMb: number;
      startMb: number;
      uploaded: number;
      seconds: number;
    };
    if (r.uploaded !== 1) {
      throw new Error(`import-dump bench: the big file was not stored (${JSON.stringify(r)})`);
    }
    const label = quick ? "128 MB" : "1 GB";
    report({
      bench: "import-dump",
      figure: `peak RSS importing a backup holding a ${label} file (subprocess; baseline: RSS before)`,
      value: r.peakMb,
      unit: "MB",
      baseline: r.startMb,
      target: "< 200 MB",
    });
    report({
      bench: "import-dump",
      figure: `MB/s importing the ${label} file (sha1, CRC-32, inflate, write)`,
      value: size / 1e6 / r.seconds,
      unit: "MB/s",
    });
  } finally {
    await db.drop();
  }
}

/**
 * The benchmark `deno task bench` runs: throughput beside a plain parallel copy, and peak memory for a
 * 1 GB file (128 MB with `quick`).
 */
export async function benchImportDump(
  report: (row: BenchRow) => void,
  opts: { quick?: boolean },
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "passerelle-bench-import-dump-" });
  try {
    await throughput(report, Boolean(opts.quick), dir);
    await peakMemory(report, Boolean(opts.quick), dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** This process's peak resident set (VmHWM), in MB; where /proc is missing, the current RSS. */
async function peakRssMb(): Promise<number> {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(await Deno.readTextFile("/proc/self/status"));
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return Deno.memoryUsage().rss / 2 ** 20;
}

async function child(zip: string, dbUrl: string, storeDir: string): Promise<void> {
  const startMb = Deno.memoryUsage().rss / 2 ** 20;
  const sql = connectDb(dbUrl, { max: 2 });
  const backup = await openBackup(zip);
  const t = performance.now();
  try {
    const s = await importBackup({ sql, store: localStore({ dir: storeDir, bucket: BUCKET }), backup });
    const seconds = (performance.now() - t) / 1000;
    console.log(JSON.stringify({ peakMb: await peakRssMb(), startMb, uploaded: s.uploaded, seconds }));
  } finally {
    backup.close();
    await sql.end();
  }
}

if (import.meta.main && Deno.args[0] === "--child") {
  await child(Deno.args[1], Deno.args[2], Deno.args[3]);
}
