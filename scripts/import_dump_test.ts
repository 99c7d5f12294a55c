/**
 * The `import-dump` command as a user runs it: a child process reading its settings from the
 * environment, stopped with Ctrl-C (SIGINT) part-way, then run again to the end.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { createTestDatabase, testClusterUrl } from "./testing/test_database.ts";
import {
  manifest,
  noise,
  type OdooAttachmentRow,
  pgDumpOdoo,
  sha1Hex,
  storeFnameOf,
  writeFilestore,
  zipFolder,
} from "../functions-shared/backup/testdata/odoo_backup.ts";
import { seedOdooLeads } from "./testing/seed.ts";

const FILES = 600;

async function run(
  args: string[],
  env: Record<string, string>,
  opts: { interruptOnOutput?: boolean; cwd?: string } = {},
) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./import_dump.ts", import.meta.url).pathname, ...args],
    cwd: opts.cwd,
    env: { ...env, PATH: Deno.env.get("PATH") ?? "", HOME: Deno.env.get("HOME") ?? "", NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  let signalled = false;
  const errDone = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
      stderr += chunk;
      if (opts.interruptOnOutput && !signalled) {
        signalled = true;
        child.kill("SIGINT");
      }
    }
  })();
  const stdout = new TextDecoder().decode(await new Response(child.stdout).arrayBuffer());
  await errDone;
  const { code } = await child.status;
  return { code, stdout, stderr };
}

Deno.test("import-dump: Ctrl-C stops it with a summary and exit 130; the same command then finishes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "passerelle-import-dump-" });
  const db = await createTestDatabase("import_dump_cli");
  try {
    const rows: OdooAttachmentRow[] = [];
    const files = new Map<string, Uint8Array>();
    for (let i = 1; i <= FILES; i++) {
      const bytes = noise(i, 2000 + i);
      files.set(storeFnameOf(bytes), bytes);
      rows.push({
        id: i,
        name: `pièce ${i}.pdf`,
        res_model: "crm.lead",
        res_id: 1 + (i % 20),
        store_fname: storeFnameOf(bytes),
        file_size: bytes.length,
        checksum: sha1Hex(bytes),
        mimetype: "application/pdf",
      });
    }
    const folder = join(dir, "backup");
    await Deno.mkdir(folder);
    await pgDumpOdoo(testClusterUrl(), rows, join(folder, "dump.sql"));
    await Deno.writeTextFile(join(folder, "manifest.json"), manifest());
    await writeFilestore(folder, files);
    const zip = join(dir, "backup.zip");
    await zipFolder(folder, zip, { level: 1 });

    const [{ id: company }] = await db.sql<{ id: number }[]>`
      insert into public.companies (name) values ('Odoo') returning id`;
    await seedOdooLeads(db.sql, company, 20);
    const env = {
      SUPABASE_DB_URL: db.url,
      STORAGE_KIND: "local",
      STORAGE_LOCAL_DIR: join(dir, "storage"),
      STORAGE_BUCKET: "estimation-files",
      SUPABASE_URL: "http://127.0.0.1:9",
      SUPABASE_SERVICE_ROLE_KEY: "unused-with-local-storage",
    };

    const bad = await run([zip], { ...env, SUPABASE_DB_URL: "", STORAGE_LOCAL_DIR: "" });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /SUPABASE_DB_URL \(or DATABASE_URL\) is missing; STORAGE_LOCAL_DIR is missing/);

    const dry = await run([zip, "--dry-run", "--create-missing"], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Dry run: nothing was written/);
    assert.match(dry.stdout, /lead_files rows to create +600/);

    const first = await run([zip, "--create-missing"], env, { interruptOnOutput: true });
    assert.equal(first.code, 130, first.stderr);
    assert.match(first.stderr, /stopping: no new files/);
    assert.match(first.stdout, /Interrupted\.[\s\S]*Run the same command again to resume/);

    const failuresPath = join(dir, "failures.csv");
    const second = await run(
      [zip, "--create-missing", "--concurrency", "3", "--failures", failuresPath],
      env,
    );
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /Import finished\./);
    assert.equal(
      await Deno.readTextFile(failuresPath),
      "odoo_id,lead_file_id,lead_id,name,store_fname,code,message\r\n",
    );
    const [{ done, total }] = await db.sql<{ done: number; total: number }[]>`
      select count(*) filter (where status = 'done')::int as done, count(*)::int as total from public.lead_files`;
    assert.deepEqual({ done, total }, { done: FILES, total: FILES });
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("import-dump: links and attachments of deleted leads are skipped with their reason, not failures; a dry run writes no file; one count everywhere", async () => {
  const dir = await Deno.makeTempDir({ prefix: "passerelle-import-dump-skips-" });
  const db = await createTestDatabase("import_dump_skips");
  try {
    const rows: OdooAttachmentRow[] = [];
    const files = new Map<string, Uint8Array>();
    for (let i = 1; i <= 30; i++) {
      const bytes = noise(i, 500 + i);
      files.set(storeFnameOf(bytes), bytes);
      rows.push({
        id: i,
        name: `pièce ${i}.pdf`,
        res_model: "crm.lead",
        // Leads 1-10; lead 5 was deleted in Odoo (its attachments stayed, as a deletion in SQL leaves them).
        res_id: 1 + (i % 10),
        store_fname: storeFnameOf(bytes),
        file_size: bytes.length,
        checksum: sha1Hex(bytes),
        mimetype: "application/pdf",
      });
    }
    // A link (fixture odoo/44: type url, no file).
    rows.push({
      id: 31,
      name: "Plaquette en ligne",
      res_model: "crm.lead",
      res_id: 2,
      type: "url",
      url: "https://www.example.com/plaquette.pdf",
      store_fname: null,
      file_size: 0,
      checksum: null,
      mimetype: "application/pdf",
    });
    const folder = join(dir, "backup");
    await Deno.mkdir(folder);
    await pgDumpOdoo(testClusterUrl(), rows, join(folder, "dump.sql"));
    await Deno.writeTextFile(join(folder, "manifest.json"), manifest());
    await writeFilestore(folder, files);
    const [{ id: company }] = await db.sql<{ id: number }[]>`
      insert into public.companies (name) values ('Odoo') returning id`;
    await seedOdooLeads(db.sql, company, 10);
    await db.sql`delete from public.leads where odoo_id = 5`;
    // The lead sync finished a pass: it read every lead Odoo had, and lead 5 was not among them.
    await db
      .sql`insert into public.sync_state (source, company_id, passes) values ('odoo_leads', ${company}, 1)`;
    const env = {
      SUPABASE_DB_URL: db.url,
      STORAGE_KIND: "local",
      STORAGE_LOCAL_DIR: join(dir, "storage"),
      STORAGE_BUCKET: "estimation-files",
      SUPABASE_URL: "http://127.0.0.1:9",
      SUPABASE_SERVICE_ROLE_KEY: "unused-with-local-storage",
    };
    const cwd = join(dir, "cwd");
    await Deno.mkdir(cwd);
    const deletedLead = rows.filter((r) => r.res_id === 5).length;

    const dry = await run([folder, "--dry-run", "--create-missing"], env, { cwd });
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Dry run: nothing was written/);
    assert.match(dry.stdout, /skipped by reason: lead_deleted 3 \(their lead was deleted in Odoo\)/);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(cwd)), [], "a dry run writes no failures file");

    const plain = await run([folder], env, { cwd });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(
      plain.stdout,
      new RegExp(
        `${31 - deletedLead} crm\\.lead attachments have no lead_files row: run again with --create-missing`,
      ),
      "the advice counts only attachments whose lead is here",
    );

    const full = await run([folder, "--create-missing"], env, { cwd });
    assert.equal(full.code, 0, `links and deleted leads are no failures: ${full.stdout}`);
    assert.match(full.stdout, / {2}failed +0\n/);
    assert.match(
      full.stdout,
      /skipped by reason: lead_deleted 3 \(their lead was deleted in Odoo\), attachment_url 1 \(links: no file to store\)|skipped by reason: attachment_url 1 \(links: no file to store\), lead_deleted 3 \(their lead was deleted in Odoo\)/,
    );
    assert.doesNotMatch(full.stdout, /--create-missing/, "no advice that cannot help");
    assert.match(full.stderr.trim().split("\n").at(-1)!, / 0 errors$/);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(cwd)), [], "no failures file without failures");

    // A real failure: a stored file's row back to pending, its file gone from the filestore.
    const lost = rows.find((r) => r.id === 1)!;
    await db.sql`update public.lead_files set status = 'pending', storage_path = null, file_url = null
                  where odoo_id = 1`;
    await Deno.remove(join(folder, "filestore", lost.store_fname!));
    const failing = await run([folder, "--failures", join(dir, "failures.csv")], env, { cwd });
    assert.equal(failing.code, 1, failing.stdout);
    assert.match(failing.stdout, / {2}failed +1\n/);
    assert.match(
      failing.stderr.trim().split("\n").at(-1)!,
      / 1 error$/,
      "the progress line counts as the summary",
    );
    const csv = await Deno.readTextFile(join(dir, "failures.csv"));
    assert.equal(csv.trim().split("\r\n").length, 2, "the failures file lists the real failure only");
    assert.match(csv, /attachment_missing/);
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
