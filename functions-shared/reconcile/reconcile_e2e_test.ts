/**
 * reconcile-odoo as it runs for real: the functions server in a child process, Odoo simulated,
 * files in a local bucket directory; a small migration, then edits, deletions and a damaged
 * object in the simulator and in Storage, then repair.
 */
import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { type FunctionStack, startFunctionStack } from "../../scripts/testing/function_stack.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";

async function drain(stack: FunctionStack, name: string, body: Record<string, unknown> = {}) {
  for (let i = 0; i < 40; i++) {
    const r = await stack.call(name, i === 0 ? body : {});
    assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
    if (!r.body.remainingFlag) return r.body;
  }
  throw new Error(`${name} did not finish`);
}

/** `deno task reconcile` against the same database, Odoo and bucket. */
async function cli(stack: FunctionStack, dbUrl: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../scripts/reconcile.ts", import.meta.url).pathname, ...args],
    env: {
      SUPABASE_URL: "http://127.0.0.1:9",
      SUPABASE_SERVICE_ROLE_KEY: stack.serviceRoleKey,
      SUPABASE_DB_URL: dbUrl,
      STORAGE_KIND: "local",
      STORAGE_LOCAL_DIR: stack.storageDir,
      ODOO_URL: stack.odoo.url,
      ODOO_DB: "crm_src",
      ODOO_LOGIN: "admin",
      ODOO_PASSWORD: "admin",
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("reconcile: 0 differences after a migration; exactly the 8 made in Odoo and Storage; repair brings it back to 0 with the deletions kept and marked", async () => {
  const dataset = generateDataset({
    leads: 80,
    attachments: 160,
    activities: 0,
    seed: 19,
    attachmentBytes: { min: 100, max: 30_000 },
  });
  const db = await createTestDatabase("reconcile");
  const stack = await startFunctionStack({ dbUrl: db.url, dataset, env: { CHAIN: "off" } });
  const latest = async () => {
    const [run] = await db.sql`select * from public.reconcile_runs order by id desc limit 1`;
    const diffs = await db.sql<{ kind: string; open: boolean; odoo_id: number }[]>`
      select kind, open, odoo_id from public.reconcile_differences where run_id = ${run.id} order by kind, odoo_id`;
    return { run, diffs };
  };
  try {
    await drain(stack, "sync-odoo-leads");
    await drain(stack, "archive-odoo-files");

    // Nothing asked: a call does nothing and chains nothing.
    const idle = await stack.call("reconcile-odoo");
    assert.equal(idle.body.remainingFlag, false);
    assert.equal(idle.body.migrated, 0);

    await drain(stack, "reconcile-odoo", { start: true, deep: true });
    const clean = await latest();
    assert.deepEqual([...clean.diffs], [], JSON.stringify(clean.diffs));
    assert.equal(clean.run.phase, "done");
    assert.equal(clean.run.odoo_leads, dataset.table("crm.lead").rows.length);
    assert.ok(clean.run.objects_checked > 50, `${clean.run.objects_checked} objects read back`);

    // The changes. Stored files, by Odoo attachment id.
    const files = await db.sql<
      { odoo_id: number; lead_odoo: number; checksum: string; storage_path: string }[]
    >`
      select f.odoo_id, l.odoo_id as lead_odoo, f.checksum, f.storage_path from public.lead_files f
        join public.leads l on l.id = f.lead_id where f.status = 'done' order by f.odoo_id`;
    const leadsWithFiles = [...new Set(files.map((f) => f.lead_odoo))];
    const leadIds = dataset.table("crm.lead").rows.map((r) => r.id as number);
    // 3 leads deleted in Odoo: its unlink takes their attachments with them (one of them has some).
    const withoutFiles = leadIds.filter((id) => !leadsWithFiles.includes(id));
    const deletedLeads = [leadsWithFiles[0], withoutFiles[0], withoutFiles[1]];
    // 2 edits: lead A edited once; lead B edited, synced, then edited again within the same second
    // (Odoo renders write_date to the second, so B's write_date reads the same: the edit #16 loses).
    // No sync runs after: whether the sync would catch B (#16's fix) or not, the reconcile must.
    const [leadA, leadB] = leadsWithFiles.slice(-2);
    dataset.editLead(leadB, { phone: "+33 1 00 00 00 01" });
    await drain(stack, "sync-odoo-leads");
    const rowB = dataset.table("crm.lead").get(leadB)!;
    rowB.name = "Edited again in the same second";
    rowB.write_date = (rowB.write_date as string).slice(0, 19) + ".999999";
    dataset.editLead(leadA, { expected_revenue: 123456 });
    for (const id of deletedLeads) dataset.deleteLead(id);
    // 2 attachments deleted in Odoo (their leads stay).
    const kept = files.filter((f) =>
      !deletedLeads.includes(f.lead_odoo) && f.lead_odoo !== leadA && f.lead_odoo !== leadB
    );
    const uniqueSum = (f: { checksum: string }) =>
      files.filter((g) => g.checksum === f.checksum).length === 1;
    const deletedFiles = [kept[0].odoo_id, kept[1].odoo_id];
    for (const id of deletedFiles) dataset.deleteAttachment(id);
    // One stored object overwritten with other bytes of the same size (only a deep check sees it).
    const damaged = kept.slice(2).find(uniqueSum)!;
    const path = `${stack.storageDir}/estimation-files/${damaged.storage_path}`;
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.map((b) => b ^ 0xff));

    const first = await cli(stack, db.url, ["--deep", "--csv", `${stack.storageDir}/diff.csv`]);
    assert.equal(first.code, 1, first.stdout + first.stderr);
    const found = await latest();
    assert.deepEqual(
      found.diffs.map((d) => [d.kind, d.odoo_id, d.open]),
      [
        ...[...deletedFiles].sort((a, b) => a - b).map((id) => ["file_deleted", id, true]),
        ...[...deletedLeads].sort((a, b) => a - b).map((id) => ["lead_deleted", id, true]),
        ...[leadA, leadB].sort((a, b) => a - b).map((id) => ["lead_stale", id, true]),
        ["object_sha1", damaged.odoo_id, true],
      ],
    );
    assert.equal(found.run.differences, 8);
    assert.match(first.stdout, /8 difference\(s\)/);
    const csv = (await Deno.readTextFile(`${stack.storageDir}/diff.csv`)).trim().split("\r\n");
    assert.equal(csv.length, 9, "a header and 8 differences");
    const [stale] = await db.sql`select data from public.reconcile_differences
                                  where run_id = ${found.run.id} and odoo_id = ${leadB} and kind = 'lead_stale'`;
    assert.deepEqual(stale.data.fields, ["title"]);
    assert.equal(stale.data.odoo_newer, false, "the same write_date: only the values tell");
    // Marked, never deleted: the leads and their files are all still there.
    const [marked] = await db.sql`
      select (select count(*) from public.leads where source_deleted_at is not null)::int as leads,
             (select count(*) from public.lead_files where source_deleted_at is not null)::int as files,
             (select count(*) from public.leads)::int as all_leads`;
    const filesOfDeleted = files.filter((f) => deletedLeads.includes(f.lead_odoo)).length;
    assert.deepEqual(marked, { leads: 3, files: 2 + filesOfDeleted, all_leads: leadIds.length });

    const queued = await db.sql`select * from passerelle.repair(${found.run.id})`;
    assert.deepEqual(
      Object.fromEntries(queued.map((q) => [q.kind, q.queued])),
      {
        lead_stale: 2,
        lead_missing: 0,
        activity_missing: 0,
        message_missing: 0,
        file_missing: 0,
        object_sha1: 1,
      },
    );
    await drain(stack, "sync-odoo-leads");
    await drain(stack, "archive-odoo-files");

    const second = await cli(stack, db.url, ["--deep"]);
    assert.equal(second.code, 0, second.stdout + second.stderr);
    const after = await latest();
    assert.equal(after.run.differences, 0);
    assert.equal(after.run.deleted_kept, 5);
    assert.ok(after.diffs.every((d) => !d.open && d.kind.endsWith("_deleted")), JSON.stringify(after.diffs));
    const [b] = await db.sql`select title, phone from public.leads where odoo_id = ${leadB}`;
    assert.deepEqual(b, { title: "Edited again in the same second", phone: "+33 1 00 00 00 01" });
    const [a] = await db.sql`select expected_revenue from public.leads where odoo_id = ${leadA}`;
    assert.equal(a.expected_revenue, "123456.00");
    assert.deepEqual(await Deno.readFile(path), bytes, "the damaged object holds Odoo's bytes again");
  } finally {
    await stack.stop();
    await db.drop();
  }
});
