/**
 * import-dump and archive-odoo-files on the same files at once: the archive's calls (fired by the cron
 * job's SQL through pg_net, Odoo simulated) while importBackup() stores a backup of
 * the very same Odoo (its attachments dumped by pg_dump, its contents in a filestore), both through
 * Supabase Storage's HTTP API (the stand-in, which counts every request it serves). The claim each side
 * takes with the same lease and states means every file is written once, by one of them.
 */
import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startFunctionStack } from "../../scripts/testing/function_stack.ts";
import { createTestDatabase, testClusterUrl } from "../../scripts/testing/test_database.ts";
import { supabaseStore } from "../storage/supabase_store.ts";
import { timedFetch } from "../storage/timed_fetch.ts";
import { openBackup } from "./backup_source.ts";
import { EMPTY_SHA1, importBackup } from "./import_backup.ts";
import { readStatus } from "../status/read_status.ts";
import { renderTerminal } from "../status/terminal.ts";
import { writeDatasetBackup } from "./testdata/dataset_backup.ts";
import { sha1Hex } from "./testdata/odoo_backup.ts";

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 180_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out: ${what}`);
}

Deno.test("archive-odoo-files fired while import-dump runs on a backup of the same files: each file stored once, none read back, all done", async () => {
  const dataset = generateDataset({
    leads: 300,
    attachments: 700,
    activities: 0,
    seed: 17,
    attachmentBytes: { min: 2_000, max: 150_000 },
    largeAttachments: { count: 2, bytes: 7_000_000 },
  });
  const dir = await Deno.makeTempDir({ prefix: "passerelle-shared-queue-" });
  const backup = await writeDatasetBackup(testClusterUrl(), dataset, dir, { zip: true, checklist: 5 });
  const db = await createTestDatabase("shared_queue");
  const stack = await startFunctionStack({
    dbUrl: db.url,
    dataset,
    storage: "standin",
    latencyMs: 5,
    // No chain from the first call: on an idle machine it stored every file before the import began.
    env: { BATCH_WALL_MS: "4000", PARALLEL_WORKERS: "2", LEASE_S: "60", CHAIN: "off" },
  });
  try {
    for (let i = 0; i < 20; i++) {
      const r = await stack.call("sync-odoo-leads");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (!r.body.remainingFlag) break;
    }
    // A first short call discovers the attachments (the lead_files rows) and starts archiving.
    const first = await stack.call("archive-odoo-files", { budget: { wallMs: 1_500 } });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.remainingFlag, true);
    const archivedBy = async () => {
      const [{ n }] = await db.sql<{ n: number }[]>`
        select coalesce(sum(migrated), 0)::int as n from public.migration_logs
         where function_name = 'archive-odoo-files' and status = 'success'`;
      return n;
    };
    const archivedFirst = await archivedBy();

    const store = supabaseStore({
      url: stack.storage!.url,
      serviceRoleKey: stack.serviceRoleKey,
      bucket: "estimation-files",
      fetch: timedFetch(fetch, { idleMs: 30_000 }),
    });
    const opened = await openBackup(backup.zip!);
    const sql = db.connect(3);
    let summary, importEnded = new Date();
    try {
      // The archive is called (as the cron job's SQL does through pg_net) once the import stores files:
      // the call then finds every file of the backup claimed by the import.
      const archive: { call?: ReturnType<typeof stack.call> } = {};
      summary = await importBackup({
        sql,
        store,
        backup: opened,
        concurrency: 5,
        createMissing: true,
        onProgress: (p) => {
          if (p.phase === "storing" && !archive.call) archive.call = stack.call("archive-odoo-files");
        },
      });
      importEnded = new Date();
      assert.ok(archive.call, "the archive was called while the import stored files");
      const during = await archive.call;
      assert.equal(during.status, 200, JSON.stringify(during.body));
    } finally {
      opened.close();
    }
    await until("the archive's chain to end", async () => {
      const [r] = await db.sql`select count(*) filter (where status in ('pending', 'claimed'))::int as open
                                 from public.lead_files`;
      return r.open === 0 ? r : undefined;
    });

    const files = await db.sql<
      {
        odoo_id: number;
        status: string;
        storage_path: string | null;
        error_code: string | null;
        checksum: string;
      }[]
    >`select odoo_id, status, storage_path, error_code, checksum from public.lead_files order by odoo_id`;
    const attachments = dataset.table("ir.attachment").rows;
    const links = attachments.filter((a) => a.type === "url").map((a) => a.id as number);
    const done = files.filter((f) => f.status === "done");
    assert.deepEqual(
      files.filter((f) => f.status !== "done").map((f) => [f.odoo_id, f.error_code]),
      links.map((id) => [id, "attachment_url"]),
      "all done but the links",
    );
    assert.equal(new Set(done.map((f) => f.storage_path)).size, done.length, "one key per file");

    // What Storage saw: each write made one object, so no file was written twice; nothing was read back.
    const routes = stack.storage!.stats.byRoute;
    const n = (r: string) => routes[r] ?? 0;
    const writes = n("POST /object/:bucket/*") + n("PUT /object/:bucket/*") + n("POST /upload/resumable") +
      n("POST /object/copy");
    assert.equal(writes, done.length, `every file stored exactly once: ${JSON.stringify(routes)}`);
    for (const r of Object.keys(routes)) {
      assert.ok(!/^GET \/object\/(authenticated\/|info\/|:bucket)/.test(r), `no download to compare: ${r}`);
    }

    // Together exactly the work there was: the archive stored what it took before the import claimed
    // the backup's files (its calls during the import found none of them), the import the rest.
    const archived = await archivedBy();
    const imported = summary.uploaded + summary.copied;
    assert.ok(imported > 0, `archive ${archived}, import ${imported}`);
    assert.equal(archived, archivedFirst, "the archive's calls during the import stored nothing");
    const [{ during }] = await db.sql<{ during: number }[]>`
      select count(*)::int as during from public.migration_logs
       where function_name = 'archive-odoo-files' and created_at < ${importEnded}`;
    assert.ok(
      during >= 2,
      `an archive call ran while the import stored files (${during} calls before its end)`,
    );
    assert.equal(archived + imported, done.length);
    assert.equal(summary.interrupted, false);

    // Every stored object holds its file's bytes.
    for (const f of done) {
      const bytes = new Uint8Array(await new Response(await store.get(f.storage_path!)).arrayBuffer());
      assert.equal(sha1Hex(bytes), f.checksum ?? EMPTY_SHA1, f.storage_path!);
    }

    // The links and the orphan (its lead deleted in Odoo: the sync had read every lead) are in the
    // status document with their real reason, and on the terminal.
    const doc = await readStatus(db.sql);
    assert.equal(doc.file_exceptions!.links.count, links.length);
    assert.match(doc.file_exceptions!.links.items[0].reason, /is a link|link \(type url\)/);
    assert.equal(doc.file_exceptions!.orphans.count, 1);
    const orphan = attachments.find((a) => a.name === "orphelin.pdf")!;
    assert.equal(doc.file_exceptions!.orphans.items[0].odoo_id, orphan.id);
    assert.match(
      doc.file_exceptions!.orphans.items[0].reason,
      new RegExp(`crm.lead ${orphan.res_id}\\) was deleted in Odoo`),
    );
    // Not a failure of the import: skipped, with the same reason.
    assert.ok(!summary.failures.some((x) => x.odooId === orphan.id));
    assert.match(summary.skipped.find((x) => x.odooId === orphan.id)!.message, /was deleted in Odoo/);
    const screen = renderTerminal(doc);
    assert.match(screen, /2 links not stored: links \(url attachments\), not files/);
    assert.match(screen, /1 orphan not stored: attachments whose lead was deleted in Odoo/);
  } finally {
    await stack.stop();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
