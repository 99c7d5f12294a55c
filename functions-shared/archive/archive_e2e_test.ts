/**
 * archive-odoo-files as it runs for real: the functions server in a child
 * process, calls fired with the cron job's own SQL (`passerelle.invoke`) and
 * chained through pg_net, Odoo simulated, files in a local bucket directory.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startFunctionStack } from "../../scripts/testing/function_stack.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { isValidStorageKey } from "../storage/safe_key.ts";
import { supabaseStore } from "../storage/supabase_store.ts";
import { sha1Hex } from "./archive_step.ts";

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 180_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`timed out: ${what}`);
}

async function syncLeads(
  call: (n: string, b?: unknown) => Promise<{ status: number; body: Record<string, unknown> }>,
) {
  for (let i = 0; i < 20; i++) {
    const r = await call("sync-odoo-leads");
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (!r.body.remainingFlag) return;
  }
  throw new Error("sync did not finish");
}

const sha1 = async (path: string) => createHash("sha1").update(await Deno.readFile(path)).digest("hex");

Deno.test("2,000 attachments archived by chained calls: every good one stored once and verified, every broken one failed with its reason", async () => {
  const dataset = generateDataset({
    leads: 1_500,
    attachments: 2_000,
    activities: 0,
    seed: 21,
    attachmentBytes: { min: 200, max: 200_000 },
    largeAttachments: { count: 3, bytes: 20_000_000 },
  });
  const db = await createTestDatabase("archive2k");
  const stack = await startFunctionStack({
    dbUrl: db.url,
    dataset,
    env: { BATCH_WALL_MS: "8000", PARALLEL_WORKERS: "2", LEASE_S: "30" },
  });
  try {
    await syncLeads(stack.call);
    const attachments = dataset.table("ir.attachment").rows.filter((a) => a.res_model === "crm.lead");
    // A short first call lists the attachments (and archives the first files, in id order);
    // then a few of the last ones break.
    const binaries = attachments.filter((a) => a.type === "binary" && (a.file_size as number) > 0);
    const corrupted = binaries.slice(-6, -3).map((a) => a.id as number);
    // Odoo's checksum does not match the bytes it serves (as for images it resized).
    for (const a of binaries.slice(-6, -3)) a.checksum = "0".repeat(40);
    const first = await stack.call("archive-odoo-files", { budget: { wallMs: 1_500 } });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.equal(first.body.remainingFlag, true, "a call whose budget ran out says work remains");
    const deleted = binaries.slice(-3, -1).map((a) => a.id as number);
    for (const id of deleted) dataset.deleteAttachment(id);
    // The orphan (its lead deleted in Odoo) only exists in a backup: the backup import creates its row.
    const orphan = dataset.table("ir.attachment").rows.find((a) => a.name === "orphelin.pdf")!;
    await db.sql`insert into public.lead_files (lead_id, odoo_id, name, mimetype, checksum, file_size)
                 select min(id), ${orphan.id as number}, 'orphelin.pdf', 'application/pdf',
                        ${dataset.contentChecksum(orphan.id as number) as string},
                        ${orphan.file_size as number} from public.leads`;

    await db.sql`select passerelle.invoke('archive-odoo-files', '{"trigger": "cron"}'::jsonb)`;
    await until("the archive to finish", async () => {
      const [r] = await db.sql`select count(*) filter (where status in ('pending', 'claimed'))::int as open,
                                      count(*)::int as all from public.lead_files`;
      return r.open === 0 && r.all > 0 ? r : undefined;
    });

    const files = await db.sql`select odoo_id, status, storage_path, error_code, attempts, checksum
                                 from public.lead_files order by odoo_id`;
    const failed = new Map(files.filter((f) => f.status === "failed").map((f) => [f.odoo_id, f.error_code]));
    for (const id of corrupted) assert.equal(failed.get(id), "checksum_mismatch");
    for (const id of deleted) assert.equal(failed.get(id), "attachment_missing");
    assert.equal(failed.get(orphan.id), "lead_missing");
    for (const a of attachments.filter((a) => a.type === "url")) {
      assert.equal(failed.get(a.id), "attachment_url");
    }
    assert.equal(
      failed.size,
      corrupted.length + deleted.length + 1 + attachments.filter((a) => a.type === "url").length,
    );

    const done = files.filter((f) => f.status === "done");
    assert.equal(done.length + failed.size, files.length);
    // Every attachment on a lead has its row: those discovered, and the orphan the backup added.
    assert.equal(files.length, attachments.length);
    const paths = new Set<string>();
    for (const f of done) {
      assert.ok(isValidStorageKey(f.storage_path), f.storage_path);
      assert.match(f.storage_path, /^odoo-archive\/\d+\/\d+-/);
      paths.add(f.storage_path);
      const stored = `${stack.storageDir}/estimation-files/${f.storage_path}`;
      if (f.checksum) assert.equal(await sha1(stored), f.checksum, `sha1 of ${f.storage_path}`);
    }
    assert.equal(paths.size, done.length, "one object per file");
    assert.equal(Math.max(...files.map((f) => f.attempts)), 1, "no file was processed twice");
    let objects = 0;
    const walk = async (dir: string) => {
      for await (const e of Deno.readDir(dir)) {
        if (e.isDirectory) await walk(`${dir}/${e.name}`);
        else objects++;
      }
    };
    await walk(`${stack.storageDir}/estimation-files`);
    assert.equal(objects, done.length, "nothing stored twice, nothing stray");

    const logs = await db
      .sql`select count(*)::int as calls, count(*) filter (where status <> 'success')::int as bad
                                from public.migration_logs where function_name = 'archive-odoo-files'`;
    assert.ok(logs[0].calls > 2, "the work took several chained calls");
    assert.equal(logs[0].bad, 0);
    const reads = stack.odoo.stats.byMethod["ir.attachment.read"] ?? 0;
    assert.ok(reads <= (done.length / 100) * 5, `${reads} Odoo reads for ${done.length} files`);
  } finally {
    await stack.stop();
    await db.drop();
  }
});

Deno.test("the functions server killed mid-batch: after restart the leased files come back and nothing is lost or doubled", async () => {
  const dataset = generateDataset({ leads: 200, attachments: 400, activities: 0, seed: 8 });
  const db = await createTestDatabase("archive_kill");
  const stack = await startFunctionStack({
    dbUrl: db.url,
    dataset,
    latencyMs: 30,
    env: { LEASE_S: "3", CHAIN: "off", BATCH_WALL_MS: "60000" },
  });
  try {
    await syncLeads(stack.call);
    // The kill lands moments after a batch is seen in flight; the batch may just have ended in
    // between (then nothing is leased): the scenario is tried again, three times at most.
    let held = 0;
    for (let attempt = 0; attempt < 3 && held === 0; attempt++) {
      if (attempt > 0) await stack.functions.restart();
      const inFlight = stack.call("archive-odoo-files").catch((e) => e);
      await until("some files stored and a batch in flight", async () => {
        const [s] = await db.sql`select count(*) filter (where status = 'done')::int as done,
                                        count(*) filter (where status = 'claimed')::int as claimed
                                   from public.lead_files`;
        return s.done > 20 && s.claimed > 0 ? s : undefined;
      }, 60_000);
      await stack.functions.kill();
      assert.ok((await inFlight) instanceof Error, "the call died with the server");
      [{ held }] = await db
        .sql<
        { held: number }[]
      >`select count(*)::int as held from public.lead_files where status = 'claimed'`;
    }
    assert.ok(held > 0, "the killed call left leased files behind");

    await stack.functions.restart();
    await new Promise((r) => setTimeout(r, 3_500)); // the lease runs out
    for (let i = 0; i < 10; i++) {
      const r = await stack.call("archive-odoo-files");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (!r.body.remainingFlag) break;
    }
    const [s] = await db.sql`
      select count(*) filter (where status = 'done')::int as done, count(*) filter (where status = 'failed')::int as failed,
             count(*) filter (where status in ('pending', 'claimed'))::int as open, max(attempts)::int as max_attempts,
             count(distinct storage_path)::int as paths
        from public.lead_files`;
    assert.equal(s.open, 0, "nothing lost");
    assert.equal(s.paths, s.done, "nothing doubled");
    assert.ok(s.max_attempts <= 2);
    const failedCodes = await db
      .sql`select distinct error_code from public.lead_files where status = 'failed'`;
    assert.deepEqual(failedCodes.map((r) => r.error_code), ["attachment_url"], "only the links fail");
  } finally {
    await stack.stop();
    await db.drop();
  }
});

Deno.test("through Supabase Storage's HTTP API (the stand-in): hostile names stored under their exact safe keys, big files by TUS", async () => {
  const dataset = generateDataset({
    leads: 100,
    attachments: 120,
    activities: 0,
    seed: 31,
    largeAttachments: { count: 1, bytes: 9_000_000 },
  });
  const db = await createTestDatabase("archive_standin");
  const stack = await startFunctionStack({ dbUrl: db.url, dataset, storage: "standin" });
  try {
    await syncLeads(stack.call);
    for (let i = 0; i < 10; i++) {
      const r = await stack.call("archive-odoo-files");
      assert.equal(r.status, 200, JSON.stringify(r.body));
      if (!r.body.remainingFlag) break;
    }
    const files = await db.sql`select name, status, storage_path, checksum, error_code, file_size
                                 from public.lead_files order by id`;
    const done = files.filter((f) => f.status === "done");
    assert.deepEqual(
      [...new Set(files.filter((f) => f.status !== "done").map((f) => f.error_code))],
      ["attachment_url"],
      "only links fail",
    );
    const store = supabaseStore({
      url: stack.storage!.url,
      serviceRoleKey: stack.serviceRoleKey,
      bucket: "estimation-files",
    });
    for (const f of done) {
      const bytes = new Uint8Array(await new Response(await store.get(f.storage_path)).arrayBuffer());
      if (f.checksum) assert.equal(sha1Hex(bytes), f.checksum, `${f.name} → ${f.storage_path}`);
    }
    const hostile = done.filter((f) => /[?#\\]|\.\.\/|[^\x20-\x7e]/.test(f.name));
    assert.ok(hostile.length >= 4, "the hostile names of the dataset are there");
    for (const f of hostile) assert.ok(isValidStorageKey(f.storage_path), f.storage_path);
    assert.ok(done.some((f) => Number(f.file_size) >= 9_000_000), "the big file was stored");
    const routes = Object.entries(stack.storage!.stats.byRoute);
    const calls = (prefix: string) =>
      routes.filter(([r]) => r.startsWith(prefix)).reduce((n, [, c]) => n + c, 0);
    assert.ok(calls("PATCH /upload/resumable") >= 2, `it went up by TUS chunks: ${JSON.stringify(routes)}`);
    assert.ok(calls("POST /object/copy") >= 1, `identical content was copied: ${JSON.stringify(routes)}`);
  } finally {
    await stack.stop();
    await db.drop();
  }
});
