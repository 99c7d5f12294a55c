/**
 * `deno task import-dump` on a backup that holds the leads' chatter and activities, as a user runs it: a
 * child process, its settings from the environment.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeDatasetBackup } from "../functions-shared/backup/testdata/dataset_backup.ts";
import { startBudget } from "../functions-shared/engine/budget.ts";
import { processCpuMs } from "../functions-shared/engine/usage.ts";
import { createOdooClient } from "../functions-shared/odoo/client.ts";
import { leadSync } from "../functions-shared/sync/lead_sync.ts";
import { generateDataset } from "./odoo_simulator/dataset.ts";
import { startOdooSimulator } from "./odoo_simulator/server.ts";
import { createTestDatabase, testClusterUrl } from "./testing/test_database.ts";

async function importDump(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./import_dump.ts", import.meta.url).pathname, ...args],
    env: { ...env, PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "", NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("import-dump brings the leads' chatter and activities with the files, says how many, and a rerun writes nothing", async () => {
  const dataset = generateDataset({ leads: 80, attachments: 40, activities: 30, seed: 59 });
  const dir = await Deno.makeTempDir({ prefix: "passerelle-import-dump-chatter-" });
  const db = await createTestDatabase("import_dump_chatter");
  const odoo = await startOdooSimulator({ dataset });
  try {
    const backup = await writeDatasetBackup(testClusterUrl(), dataset, dir, { zip: true, chatter: true });
    const env = {
      SUPABASE_DB_URL: db.url,
      STORAGE_KIND: "local",
      STORAGE_LOCAL_DIR: join(dir, "storage"),
      STORAGE_BUCKET: "estimation-files",
      SUPABASE_URL: "http://127.0.0.1:9",
      SUPABASE_SERVICE_ROLE_KEY: "unused-with-local-storage",
    };
    // Before the leads: nothing of the chatter can go anywhere, and the command says what to do.
    const early = await importDump([backup.zip!, "--skip-chatter"], env);
    assert.doesNotMatch(early.stdout, /^messages:/m, "--skip-chatter leaves it");
    const tooEarly = await importDump([backup.zip!], env);
    assert.equal(tooEarly.code, 1);
    assert.match(tooEarly.stderr, /sync the leads first/);

    const client = createOdooClient(
      {
        url: odoo.url,
        db: "crm_src",
        login: "admin",
        secret: "admin",
        transport: "jsonrpc",
        timeoutMs: 5_000,
      },
      { fetch, sleep: () => Promise.resolve() },
    );
    const sync = leadSync(client, { companyName: "Odoo" });
    const budget = () =>
      startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });
    while ((await sync({ sql: db.sql, budget: budget() })).more) { /* pages */ }

    const messages = dataset.table("mail.message").size;
    const activities = dataset.table("mail.activity").size;
    const first = await importDump([backup.zip!, "--create-missing"], env);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(
      first.stdout,
      new RegExp(`^messages: ${messages} read, ${messages} new, 0 updated, 0 unchanged$`, "m"),
    );
    assert.match(
      first.stdout,
      new RegExp(`^activities: ${activities} read, ${activities} new, 0 updated, 0 unchanged$`, "m"),
    );
    const [counts] = await db.sql`
      select (select count(*)::int from public.lead_messages where lead_id is not null) as messages,
             (select count(*)::int from public.activities where lead_id is not null) as activities,
             (select count(*)::int from public.lead_message_files where storage_path is not null) as files`;
    const withFiles = dataset.table("mail.message").rows.reduce(
      (n, m) => n + (m.attachment_ids as number[]).length,
      0,
    );
    assert.deepEqual(counts, { messages, activities, files: withFiles });

    const again = await importDump([backup.zip!], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stdout,
      new RegExp(`^messages: ${messages} read, 0 new, 0 updated, ${messages} unchanged$`, "m"),
    );
  } finally {
    await odoo.close();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
