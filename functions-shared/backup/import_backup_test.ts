/**
 * importBackup() end to end: a backup made of the machine's own pg_dump output (a database holding
 * Odoo's ir_attachment with hostile names) and a 5,000-file filestore, zipped as Odoo zips it, imported
 * into a migrated database through a local store that counts what it is asked to write.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createTestDatabase, testClusterUrl } from "../../scripts/testing/test_database.ts";
import type { Sql } from "../deps.ts";
import { PasserelleError } from "../errors.ts";
import { localStore } from "../storage/local_store.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { archiveKey } from "../storage/safe_key.ts";
import { openBackup } from "./backup_source.ts";
import { importBackup, type ImportDeps, type ImportSummary } from "./import_backup.ts";
import { parseMappingCsv } from "./mapping_csv.ts";
import {
  manifest,
  noise,
  type OdooAttachmentRow,
  pgDumpOdoo,
  sha1Hex,
  storeFnameOf,
  writeFilestore,
  zipFolder,
} from "./testdata/odoo_backup.ts";
import { seedOdooLeads } from "../../scripts/testing/seed.ts";

const FILES = 5000;
const DUPLICATES = 100;
const LEADS = 250;
const HOSTILE = [
  "Devis\tn°7\nété \\ back\\\\slash.pdf",
  "\\N",
  "../../etc/passwd.txt",
  "Résumé — œuvre (copie) [1].docx",
  "a\rb\u0001c.txt",
];

/** Attachments whose lead_files row exists from the start; the last 100 of the 5,000 have none. */
const LINKED = FILES - 100;

interface Fixture {
  dir: string;
  folder: string;
  zip: string;
  rows: OdooAttachmentRow[];
  contents: Map<number, Uint8Array>;
  /** odoo ids of special cases */
  special: Record<string, number>;
}

let fixture: Promise<Fixture> | null = null;

function getFixture(): Promise<Fixture> {
  fixture ??= buildFixture();
  return fixture;
}

async function buildFixture(): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: "passerelle-backup-test-" });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
  const folder = join(dir, "backup");
  const rows: OdooAttachmentRow[] = [];
  const contents = new Map<number, Uint8Array>();
  const files = new Map<string, Uint8Array>();
  const lead = (i: number) => 1 + (i % LEADS);
  for (let i = 1; i <= FILES; i++) {
    const bytes = noise(i, 40 + (i * 7919) % 1500);
    const fname = storeFnameOf(bytes);
    files.set(fname, bytes);
    contents.set(i, bytes);
    const name = i % 10 === 0 ? `${HOSTILE[(i / 10) % HOSTILE.length]} ${i}` : `fichier-${i}.pdf`;
    rows.push({
      id: i,
      name,
      res_model: "crm.lead",
      res_id: lead(i),
      store_fname: fname,
      file_size: bytes.length,
      checksum: sha1Hex(bytes),
      mimetype: "application/pdf",
      index_content: i % 500 === 0 ? "texte\tindexé\n".repeat(2000) : null,
    });
  }
  // Attachments sharing content with another (Odoo stores identical files once).
  for (let k = 1; k <= DUPLICATES; k++) {
    const of = rows[k * 37];
    rows.push({ ...of, id: FILES + k, name: `copie ${k} de ${of.name}`, res_id: lead(k + 3) });
    contents.set(FILES + k, contents.get(of.id)!);
  }
  const special = {
    url: 6001,
    empty: 6002,
    unsafe: 6003,
    missing: 6004,
    damaged: 6005,
    inDatabase: 6006,
    noLead: 6007,
    partner: 6008,
    held: 6009,
    done: 6010,
  };
  const damaged = noise(99, 500);
  const damagedName = storeFnameOf(damaged);
  files.set(damagedName, noise(98, 500)); // bytes that do not match their name and checksum
  const ghost = noise(97, 300);
  rows.push(
    {
      id: special.url,
      name: "site.pdf",
      res_model: "crm.lead",
      res_id: 1,
      type: "url",
      url: "https://exemple.fr/site.pdf",
      store_fname: null,
      file_size: 0,
      checksum: null,
      mimetype: "application/pdf",
    },
    {
      id: special.empty,
      name: "vide.txt",
      res_model: "crm.lead",
      res_id: 2,
      store_fname: null,
      file_size: 0,
      checksum: null,
      mimetype: "text/plain",
    },
    {
      id: special.unsafe,
      name: "passwd",
      res_model: "crm.lead",
      res_id: 3,
      store_fname: "../../etc/passwd",
      file_size: 10,
      checksum: null,
      mimetype: "text/plain",
    },
    {
      id: special.missing,
      name: "perdu.pdf",
      res_model: "crm.lead",
      res_id: 4,
      store_fname: storeFnameOf(ghost),
      file_size: 300,
      checksum: sha1Hex(ghost),
      mimetype: "application/pdf",
    },
    {
      id: special.damaged,
      name: "abîmé.pdf",
      res_model: "crm.lead",
      res_id: 5,
      store_fname: damagedName,
      file_size: 500,
      checksum: sha1Hex(damaged),
      mimetype: "application/pdf",
    },
    {
      id: special.inDatabase,
      name: "en base.txt",
      res_model: "crm.lead",
      res_id: 6,
      store_fname: null,
      file_size: 5,
      checksum: sha1Hex(new TextEncoder().encode("hello")),
      mimetype: "text/plain",
      db_datas: new TextEncoder().encode("hello"),
    },
    {
      id: special.noLead,
      name: "orphelin.pdf",
      res_model: "crm.lead",
      res_id: 99_999,
      store_fname: rows[0].store_fname,
      file_size: rows[0].file_size,
      checksum: rows[0].checksum,
      mimetype: "application/pdf",
    },
    {
      id: special.partner,
      name: "logo.png",
      res_model: "res.partner",
      res_id: 1,
      res_field: "image_128",
      store_fname: rows[1].store_fname,
      file_size: rows[1].file_size,
      checksum: rows[1].checksum,
      mimetype: "image/png",
    },
    { ...rows[2], id: special.held, name: "tenu par l'archive.pdf" },
    { ...rows[3], id: special.done, name: "déjà archivé.pdf" },
  );
  contents.set(special.empty, new Uint8Array(0));
  await Deno.mkdir(folder, { recursive: true });
  await pgDumpOdoo(testClusterUrl(), rows, join(folder, "dump.sql"));
  await Deno.writeTextFile(join(folder, "manifest.json"), manifest());
  await writeFilestore(folder, files);
  const zip = join(dir, "odoo_backup.zip");
  await zipFolder(folder, zip, { level: 1 });
  return { dir, folder, zip, rows, contents, special };
}

/** Leads 1..250 (crm.lead ids) and the lead_files rows an API sync would have made. */
async function seed(sql: Sql, f: Fixture): Promise<void> {
  const [{ id: company }] = await sql<
    { id: number }[]
  >`insert into public.companies (name) values ('Odoo') returning id`;
  await seedOdooLeads(sql, company, LEADS);
  const linked = f.rows.filter((r) =>
    r.res_model === "crm.lead" && r.res_id! <= LEADS && (r.id <= LINKED || r.id > FILES)
  ).map((r) => ({
    odoo_id: r.id,
    res_id: r.res_id,
    name: r.name,
    mimetype: r.mimetype,
    file_size: r.file_size,
    odoo_type: r.type ?? "binary",
  }));
  await sql`insert into public.lead_files (lead_id, odoo_id, name, mimetype, file_size, odoo_type)
    select l.id, d.odoo_id, d.name, d.mimetype, d.file_size, d.odoo_type
      from jsonb_to_recordset(${
    sql.json(linked as never)
  }) as d(odoo_id int, res_id int, name text, mimetype text,
           file_size bigint, odoo_type text)
      join public.leads l on l.odoo_id = d.res_id`;
  await sql`update public.lead_files set status = 'claimed', leased_until = now() + interval '1 hour', attempts = 1
    where odoo_id = ${f.special.held}`;
  await sql`update public.lead_files set status = 'done', storage_path = 'odoo-archive/elsewhere.pdf',
    file_url = 'file:///elsewhere.pdf', done_at = now() where odoo_id = ${f.special.done}`;
}

/** A store that counts the writes asked of it, per key, and can break after a put (a killed process). */
function countingStore(inner: ObjectStore) {
  const writes = new Map<string, number>();
  const counts = { put: 0, copy: 0, get: 0 };
  let afterPut: ((key: string) => void) | null = null;
  const store: ObjectStore = {
    ...inner,
    get(key, opts) {
      counts.get++;
      return inner.get(key, opts);
    },
    async put(key, body, opts) {
      await inner.put(key, body, opts);
      counts.put++;
      writes.set(key, (writes.get(key) ?? 0) + 1);
      afterPut?.(key);
    },
    async copy(from, to) {
      await inner.copy(from, to);
      counts.copy++;
      writes.set(to, (writes.get(to) ?? 0) + 1);
    },
  };
  return {
    store,
    counts,
    writes,
    breakAfterPut(f: ((key: string) => void) | null) {
      afterPut = f;
    },
  };
}

type State = Map<number, string>;

/** Every lead_files row, by odoo_id: status, key, file_url's key and error code. */
async function dbState(sql: Sql, storeDir: string): Promise<State> {
  const rows = await sql<
    {
      odoo_id: number;
      status: string;
      storage_path: string | null;
      file_url: string | null;
      error_code: string | null;
    }[]
  >`
    select odoo_id, status, storage_path, file_url, error_code from public.lead_files order by odoo_id`;
  const prefix = pathToFileURL(`${storeDir}/`).href;
  return new Map(rows.map((r) => [
    r.odoo_id,
    [r.status, r.storage_path, r.file_url?.replace(prefix, "") ?? null, r.error_code].join("|"),
  ]));
}

/** What every row must end as, derived from the fixture alone. */
async function expectedState(sql: Sql, f: Fixture, storeDir: string): Promise<State> {
  const prefix = pathToFileURL(`${storeDir}/`).href;
  const leads = new Map(
    (await sql<{ odoo_id: number; id: string }[]>`select odoo_id, id from public.leads`).map((
      r,
    ) => [r.odoo_id, Number(r.id)]),
  );
  const out: State = new Map();
  const failedAs: Record<number, string> = {
    [f.special.url]: "attachment_url",
    [f.special.unsafe]: "attachment_unsafe_path",
    [f.special.missing]: "attachment_missing",
    [f.special.damaged]: "checksum_mismatch",
    [f.special.inDatabase]: "attachment_in_database",
  };
  for (const r of f.rows) {
    if (r.res_model !== "crm.lead" || !leads.has(r.res_id!)) continue;
    const key = archiveKey(leads.get(r.res_id!)!, r.id, r.name);
    if (r.id === f.special.held) out.set(r.id, "claimed|||");
    else if (r.id === f.special.done) out.set(r.id, "done|odoo-archive/elsewhere.pdf|file:///elsewhere.pdf|");
    else if (failedAs[r.id]) out.set(r.id, `failed|||${failedAs[r.id]}`);
    else {out.set(
        r.id,
        `done|${key}|${pathToFileURL(join(storeDir, "estimation-files", key)).href.slice(prefix.length)}|`,
      );}
  }
  return out;
}

/** Every stored object's sha1, by key (temp files and sidecars aside). */
async function storeContents(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(join(dir, "estimation-files", rel))) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) await walk(r);
      else {out.set(
          r,
          createHash("sha1").update(await Deno.readFile(join(dir, "estimation-files", r))).digest("hex"),
        );}
    }
  };
  await walk("");
  return out;
}

function expectedContents(f: Fixture, state: State): Map<string, string> {
  const out = new Map<string, string>();
  for (const [odooId, s] of state) {
    const [status, key] = s.split("|");
    if (status === "done" && f.contents.has(odooId)) out.set(key, sha1Hex(f.contents.get(odooId)!));
  }
  return out;
}

async function withImport(
  label: string,
  fn: (t: {
    sql: Sql;
    dir: string;
    counting: ReturnType<typeof countingStore>;
    f: Fixture;
    run: (o?: Partial<ImportDeps> & { path?: string }) => Promise<ImportSummary>;
  }) => Promise<void>,
) {
  const f = await getFixture();
  const db = await createTestDatabase(label);
  const dir = await Deno.makeTempDir({ prefix: "passerelle-store-" });
  const counting = countingStore(localStore({ dir, bucket: "estimation-files" }));
  try {
    await seed(db.sql, f);
    const run = async ({ path, ...o }: Partial<ImportDeps> & { path?: string } = {}) => {
      const backup = await openBackup(path ?? f.zip);
      try {
        return await importBackup({ sql: db.sql, store: counting.store, backup, createMissing: true, ...o });
      } finally {
        backup.close();
      }
    };
    await fn({ sql: db.sql, dir, counting, f, run });
  } finally {
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("importBackup() stores a real pg_dump backup's 5,000 files, then a second run uploads nothing", async () => {
  await withImport("backup_e2e", async ({ sql, dir, counting, f, run }) => {
    const s = await run();
    assert.equal(s.interrupted, false);
    assert.equal(s.attachmentsRead, f.rows.length);
    assert.equal(s.created, 100, "the 100 crm.lead attachments without a row got one");
    assert.equal(s.filestoreFiles, FILES + 1, "the checklist markers are not counted");
    assert.equal(s.skippedHeld, 1);
    assert.equal(s.skippedDone, 1);
    assert.equal(s.uploaded, FILES + 1, "each content once, the empty file included");
    assert.equal(s.copied, DUPLICATES, "identical content is copied within storage");
    assert.deepEqual(
      s.failures.map((x) => [x.odooId, x.code]).sort(),
      [
        [f.special.unsafe, "attachment_unsafe_path"],
        [f.special.missing, "attachment_missing"],
        [f.special.damaged, "checksum_mismatch"],
        [f.special.inDatabase, "attachment_in_database"],
        [f.special.noLead, "lead_missing"],
      ].sort(),
    );
    assert.deepEqual(
      s.skipped.map((x) => [x.odooId, x.code]),
      [[f.special.url, "attachment_url"]],
      "a link is skipped (nothing to store), not a failure",
    );
    assert.equal(s.failed, s.failures.length);
    assert.match(
      s.failures.find((x) => x.odooId === f.special.damaged)!.message,
      /has sha1 [0-9a-f]{40} but Odoo recorded/,
    );
    assert.match(
      s.failures.find((x) => x.odooId === f.special.missing)!.message,
      /is not in .*odoo_backup\.zip/,
    );

    const state = await dbState(sql, dir);
    assert.deepEqual(state, await expectedState(sql, f, dir));
    assert.deepEqual(await storeContents(dir), expectedContents(f, state));
    assert.ok(![...counting.writes.values()].some((n) => n > 1), "no key written twice");
    const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from public.lead_files
      where status = 'done' and (checksum is null or file_size is null or store_fname is null) and odoo_id <> ${f.special.done}
        and odoo_id <> ${f.special.empty}`;
    assert.equal(n, 0, "checksum, size and store_fname are recorded with each stored file");
    const [empty] =
      await sql`select checksum, file_size::int from public.lead_files where odoo_id = ${f.special.empty}`;
    assert.deepEqual(
      { ...empty },
      { checksum: null, file_size: 0 },
      "an empty file has no checksum, as archive-odoo-files records it (Odoo's false, fixture odoo/42)",
    );

    const before = { ...counting.counts };
    const again = await run();
    assert.deepEqual(counting.counts, before, "nothing uploaded or copied twice");
    assert.equal(again.uploaded + again.copied + again.alreadyStored, 0);
    assert.equal(again.skippedDone, FILES + DUPLICATES + 2);
    assert.deepEqual(await dbState(sql, dir), state);
  });
});

Deno.test("an import interrupted at random points and resumed ends in the same state, nothing uploaded twice", async () => {
  await withImport("backup_resume", async ({ sql, dir, counting, f, run }) => {
    let seed = 20261124;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const summaries: ImportSummary[] = [];
    /** Keys stored in the killed round at or after the kill: uploaded, never recorded. */
    const unrecorded = new Set<string>();
    // Interruptions after a random number of files, one of them a "kill" right after an upload
    // finished and before it was recorded.
    for (let round = 0; round < 5; round++) {
      const ctrl = new AbortController();
      const stopAt = 1 + Math.floor(random() * 1200);
      let seen = 0;
      if (round === 2) {
        counting.breakAfterPut((key) => {
          if (++seen >= stopAt) {
            unrecorded.add(key);
            ctrl.abort(new Error("killed"));
            throw new PasserelleError("storage_unavailable", "process killed", true);
          }
        });
      }
      const s = await run({
        signal: ctrl.signal,
        onProgress: (p) => {
          if (round !== 2 && p.phase === "storing" && p.filesDone >= stopAt) ctrl.abort(new Error("Ctrl-C"));
        },
      });
      counting.breakAfterPut(null);
      assert.equal(s.interrupted, true, `round ${round} was interrupted`);
      summaries.push(s);
    }
    const last = await run();
    assert.equal(last.interrupted, false);
    assert.ok(summaries.some((s) => s.abandoned > 0), "some uploads were abandoned in flight");
    assert.ok(unrecorded.size >= 1 && unrecorded.size <= 5, "the kill left at most the files in flight");

    const state = await dbState(sql, dir);
    assert.deepEqual(state, await expectedState(sql, f, dir));
    assert.deepEqual(await storeContents(dir), expectedContents(f, state));
    // The claim makes a row's key the import's alone: an upload stored but not recorded (the kill) is
    // stored again under its own key, never downloaded to compare; nothing else is written twice.
    const twice = [...counting.writes].filter(([, n]) => n > 1).map(([k]) => k);
    assert.ok(twice.every((k) => unrecorded.has(k)), `written twice: ${twice.join(", ")}`);
    assert.equal(counting.counts.put + counting.counts.copy, FILES + 1 + DUPLICATES + twice.length);
    assert.equal(counting.counts.get, 0, "no object read back");
    const [{ claimed }] = await sql<{ claimed: number }[]>`
      select count(*)::int as claimed from public.lead_files where status = 'claimed' and odoo_id <> ${f.special.held}`;
    assert.equal(claimed, 0, "every claim an interrupted run took was given back or recorded");
  });
});

Deno.test("a dry run says what it would do and writes nothing", async () => {
  await withImport("backup_dry", async ({ sql, dir, counting, f, run }) => {
    const before = await dbState(sql, dir);
    const s = await run({ dryRun: true });
    assert.equal(s.dryRun, true);
    assert.equal(s.created, 100);
    // A dry run reads no file, so the damaged one is still counted as an upload.
    assert.equal(s.uploaded, FILES + 2);
    assert.equal(s.copied, DUPLICATES);
    assert.deepEqual(
      s.failures.map((x) => x.code).sort(),
      [
        "attachment_in_database",
        "attachment_missing",
        "attachment_unsafe_path",
        "lead_missing",
      ],
    );
    assert.deepEqual(counting.counts, { put: 0, copy: 0, get: 0 });
    assert.deepEqual(await dbState(sql, dir), before);
    assert.equal((await storeContents(dir).catch(() => new Map())).size, 0);
    void f;
  });
});

Deno.test("an extracted folder with the seed's mapping CSV imports the rows it names", async () => {
  await withImport("backup_mapping", async ({ sql, dir, f, run, counting }) => {
    const picked = f.rows.filter((r) => r.id <= 40 || r.id === f.special.damaged || r.id === f.special.empty);
    const csv = "id,store_fname,name,mimetype\n" +
      picked.map((r) =>
        [r.id, r.store_fname ?? "", `"${r.name.replace(/"/g, '""')}"`, r.mimetype ?? ""].join(",")
      ).join("\n");
    // Something else already sits under row 7's key (same size, other bytes), and row 8's bytes sit
    // under its key as a run killed before recording would leave them: the key is the row's own, so the
    // claimed row's verified file replaces whatever is there, without reading it back.
    const expected = await expectedState(sql, f, dir);
    const keyOf = (id: number) => expected.get(id)!.split("|")[1];
    const other = noise(12345, f.contents.get(7)!.length);
    await counting.store.put(keyOf(7), other, { contentType: "application/pdf" });
    await counting.store.put(keyOf(8), f.contents.get(8)!, { contentType: "application/pdf" });

    const s = await run({ path: f.folder, mapping: parseMappingCsv(csv), createMissing: false });
    assert.equal(s.attachmentsRead, picked.length);
    assert.equal(s.uploaded, 41);
    assert.equal(counting.counts.get, 0, "nothing downloaded to compare");
    const codes = new Map(s.failures.map((x) => [x.odooId, x.code]));
    assert.deepEqual(codes, new Map([[f.special.damaged, "checksum_mismatch"]]));
    assert.equal((await storeContents(dir)).get(keyOf(7)), sha1Hex(f.contents.get(7)!), "row 7's own file");
    const state = await dbState(sql, dir);
    for (const r of picked) {
      assert.equal(state.get(r.id), expected.get(r.id), `row ${r.id}`);
    }
    assert.equal(state.get(41), "pending|||", "rows the mapping does not name are left alone");
  });
});
