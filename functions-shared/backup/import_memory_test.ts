/**
 * import-dump's peak memory on a backup of big files through Supabase Storage's HTTP API (the stand-in,
 * in this process; the import in a process of its own, so that its VmHWM is the import's alone). The
 * issue measured 345–401 MB against a real Storage; the README promises less than 200 MB.
 */
import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { seedOdooLeads } from "../../scripts/testing/seed.ts";
import { createTestDatabase, testClusterUrl } from "../../scripts/testing/test_database.ts";
import { mintJwt, startStorageStandin } from "../../scripts/storage_standin/server.ts";
import { writeDatasetBackup } from "./testdata/dataset_backup.ts";
import { IMPORT_ENV, IMPORT_V8_FLAGS } from "./testdata/import_child.ts";

Deno.test("import-dump of a backup of files of 5 to 50 MB (281 MB), 5 at once through Storage: peak RSS under 200 MB, every file stored", async () => {
  const dataset = generateDataset({
    leads: 60,
    attachments: 40,
    activities: 0,
    seed: 3,
    attachmentBytes: { min: 5_000_000, max: 50_000_000 },
  });
  const dir = await Deno.makeTempDir({ prefix: "passerelle-import-memory-" });
  const db = await createTestDatabase("import_memory");
  const jwtSecret = "import-memory-secret-with-32-characters!";
  const standin = await startStorageStandin({ jwtSecret, buckets: [{ name: "estimation-files" }] });
  try {
    const backup = await writeDatasetBackup(testClusterUrl(), dataset, dir, { zip: true });
    await Deno.remove(backup.folder, { recursive: true });
    const [{ id }] = await db.sql<
      { id: number }[]
    >`insert into public.companies (name) values ('Odoo') returning id`;
    await seedOdooLeads(db.sql, id, 200);
    const key = await mintJwt(jwtSecret, { role: "service_role" });
    const child = new URL("./testdata/import_child.ts", import.meta.url).pathname;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", IMPORT_V8_FLAGS, child, backup.zip!, db.url, standin.url, key, "5"],
      env: IMPORT_ENV,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
    console.log(
      `import-dump peak RSS ${r.peakMb.toFixed(1)} MB for ${(r.bytes / 1e6).toFixed(0)} MB of files`,
    );
    const [{ done }] = await db.sql<{ done: number }[]>`
      select count(*)::int as done from public.lead_files where status = 'done'`;
    assert.equal(done, r.uploaded + r.copied);
    assert.ok(r.bytes > 200_000_000, `${r.bytes} bytes: big files`);
    assert.ok(r.peakMb < 200, `peak RSS ${r.peakMb.toFixed(1)} MB`);
  } finally {
    await standin.close();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
