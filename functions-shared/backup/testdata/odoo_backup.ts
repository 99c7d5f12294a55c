/**
 * Test backups made the way Odoo makes them: a real PostgreSQL database holding a table shaped like
 * Odoo 17's `ir_attachment` (plus a table before it and one after it, as in a real dump), dumped by the
 * machine's own `pg_dump` in plain format, and a filestore of files named by their sha1, zipped with
 * `dump.sql` first as Odoo's database manager does. Used by the tests and the benchmark; takes the
 * cluster URL as an argument (nothing here reads the environment).
 */
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { connectDb } from "../../db.ts";
import { type Sql, Zip, ZipDeflate, ZipPassThrough, zipSync } from "../../deps.ts";

/** One `ir_attachment` row. */
export interface OdooAttachmentRow {
  id: number;
  name: string;
  res_model: string | null;
  res_id: number | null;
  res_field?: string | null;
  type?: "binary" | "url";
  url?: string | null;
  store_fname: string | null;
  file_size: number | null;
  checksum: string | null;
  mimetype: string | null;
  index_content?: string | null;
  db_datas?: Uint8Array | null;
}

/** sha1 of bytes, hex. */
export function sha1Hex(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}

/** Odoo's filestore name for content: `ab/ab12...`. */
export function storeFnameOf(bytes: Uint8Array): string {
  const h = sha1Hex(bytes);
  return `${h.slice(0, 2)}/${h}`;
}

/** The `pg_dump` of the newest PostgreSQL installed (it can dump any older server). */
export async function pgDumpPath(): Promise<string> {
  const versions: number[] = [];
  for await (const e of Deno.readDir("/usr/lib/postgresql")) {
    if (/^\d+$/.test(e.name)) versions.push(Number(e.name));
  }
  versions.sort((a, b) => b - a);
  for (const v of versions) {
    const p = `/usr/lib/postgresql/${v}/bin/pg_dump`;
    try {
      await Deno.stat(p);
      return p;
    } catch { /* next */ }
  }
  throw new Error("no pg_dump under /usr/lib/postgresql/*/bin");
}

/**
 * Creates a database on `clusterUrl` with Odoo's `ir_attachment` (column order as an upgraded Odoo has
 * it, so that nothing may assume it), fills it, writes `pg_dump`'s plain output to `out`, and drops it.
 * `account_note` comes before it in the dump, with a data line that reads like ir_attachment's COPY line
 * followed by lines that would read as rows; `mail_message` comes after it.
 */
export async function pgDumpOdoo(
  clusterUrl: string,
  rows: OdooAttachmentRow[],
  out: string,
  /** More of Odoo's tables (`chatter_dump.ts`), in place of the one-column `mail_message`. */
  extra?: (sql: Sql) => Promise<void>,
): Promise<void> {
  const name = `odoo_src_${crypto.randomUUID().slice(0, 8)}`;
  const admin = connectDb(`${clusterUrl}/postgres`, { max: 1 });
  await admin.unsafe(`create database "${name}" encoding 'UTF8' template template0`);
  const sql = connectDb(`${clusterUrl}/${name}`, { max: 1 });
  try {
    await sql.unsafe(`
      create table account_note (line text);
      create table ir_attachment (
        id serial primary key,
        res_id integer,
        company_id integer,
        file_size integer,
        original_id integer,
        create_uid integer,
        write_uid integer,
        name varchar not null,
        res_model varchar,
        res_field varchar,
        type varchar not null,
        url varchar(1024),
        access_token varchar,
        store_fname varchar,
        checksum varchar(40),
        mimetype varchar,
        description text,
        index_content text,
        public boolean,
        create_date timestamp without time zone default now(),
        write_date timestamp without time zone default now(),
        db_datas bytea
      );
      create index ir_attachment_res_idx on ir_attachment (res_model, res_id);
      insert into account_note (line) values
        ('COPY public.ir_attachment (id, name) FROM stdin;'), ('9999'), ('9998');`);
    if (extra) await extra(sql);
    else {
      // A partner's message (none of a lead's), with Odoo's key columns.
      await sql.unsafe(`create table mail_message (
          id serial primary key, model varchar, res_id integer, message_type varchar not null, body text);
        insert into mail_message (model, res_id, message_type, body)
        values ('res.partner', 3, 'comment', 'after ir_attachment');`);
    }
    for (let i = 0; i < rows.length; i += 500) {
      const batch = rows.slice(i, i + 500).map((r) => ({
        id: r.id,
        name: r.name,
        res_model: r.res_model,
        res_id: r.res_id,
        res_field: r.res_field ?? null,
        type: r.type ?? "binary",
        url: r.url ?? null,
        store_fname: r.store_fname,
        file_size: r.file_size,
        checksum: r.checksum,
        mimetype: r.mimetype,
        index_content: r.index_content ?? null,
        db_datas: r.db_datas ?? null,
        company_id: 1,
        create_uid: 2,
        write_uid: 2,
        public: false,
      }));
      await sql`insert into ir_attachment ${sql(batch)}`;
    }
    await sql.unsafe(`select setval('ir_attachment_id_seq', (select max(id) from ir_attachment))`);
  } finally {
    await sql.end();
  }
  try {
    const url = new URL(`${clusterUrl}/${name}`);
    const r = await new Deno.Command(await pgDumpPath(), {
      args: [
        "--no-owner",
        "--format=plain",
        "-h",
        url.hostname,
        "-p",
        url.port,
        "-U",
        decodeURIComponent(url.username),
        "-f",
        out,
        name,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) throw new Error(`pg_dump failed: ${new TextDecoder().decode(r.stderr)}`);
  } finally {
    await admin.unsafe(`drop database "${name}" with (force)`);
    await admin.end();
  }
}

/** Writes files under `<dir>/filestore/` by store_fname, plus Odoo's empty `checklist/` markers. */
export async function writeFilestore(dir: string, files: Map<string, Uint8Array>): Promise<void> {
  for (const [fname, bytes] of files) {
    const p = join(dir, "filestore", fname);
    await Deno.mkdir(dirname(p), { recursive: true });
    await Deno.writeFile(p, bytes);
  }
  const some = [...files.keys()].slice(0, 3);
  for (const fname of some) {
    const p = join(dir, "filestore", "checklist", fname);
    await Deno.mkdir(dirname(p), { recursive: true });
    await Deno.writeFile(p, new Uint8Array(0));
  }
}

/**
 * Zips an extracted backup folder as Odoo does (`dump.sql` first, then `manifest.json` and
 * `filestore/`, deflated), in memory: for test-sized backups only (see `zipFolderStreaming`).
 */
export async function zipFolder(
  dir: string,
  out: string,
  opts: { level?: 0 | 1 | 6 | 9 } = {},
): Promise<void> {
  const entries: Record<string, Uint8Array> = {};
  for (const name of await listFiles(dir)) entries[name] = await Deno.readFile(join(dir, name));
  const ordered: Record<string, [Uint8Array, { level: 0 | 1 | 6 | 9 }]> = {};
  for (const name of sortOdooStyle(Object.keys(entries))) {
    ordered[name] = [entries[name], { level: opts.level ?? 6 }];
  }
  await Deno.writeFile(out, zipSync(ordered));
}

/**
 * Zips a folder to `out` entry by entry and chunk by chunk (fflate's streaming `Zip`), so a backup of
 * any size is written with flat memory. `level` 0 stores entries; other levels deflate them.
 */
export async function zipFolderStreaming(
  dir: string,
  out: string,
  opts: { level?: 0 | 1 | 6 } = {},
): Promise<void> {
  const file = await Deno.open(out, { write: true, create: true, truncate: true });
  const writer = file.writable.getWriter();
  let failed: unknown = null;
  let pending: Promise<void> = Promise.resolve();
  let ended: () => void = () => {};
  const done = new Promise<void>((r) => (ended = r));
  const zip = new Zip((err, chunk, final) => {
    if (err) failed = err;
    else pending = pending.then(() => writer.write(chunk));
    if (final || err) pending.then(() => ended());
  });
  for (const name of sortOdooStyle(await listFiles(dir))) {
    const entry = (opts.level ?? 6) === 0
      ? new ZipPassThrough(name)
      : new ZipDeflate(name, { level: opts.level });
    zip.add(entry);
    const src = await Deno.open(join(dir, name), { read: true });
    const buf = new Uint8Array(1 << 20);
    for (;;) {
      const n = await src.read(buf);
      if (n === null) break;
      entry.push(buf.slice(0, n));
      await pending; // back-pressure: never more than one chunk waits for the disk
    }
    src.close();
    entry.push(new Uint8Array(0), true);
    await pending;
  }
  zip.end();
  await done;
  await writer.close();
  if (failed) throw failed;
}

/** Odoo's zip order: dump.sql first, the rest sorted. */
function sortOdooStyle(names: string[]): string[] {
  return [...names].sort((
    a,
    b,
  ) => (a === "dump.sql" ? -1 : b === "dump.sql" ? 1 : a < b ? -1 : a > b ? 1 : 0));
}

async function listFiles(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await listFiles(dir, rel));
    else if (e.isFile) out.push(rel);
  }
  return out;
}

/** Deterministic pseudo-random bytes (xorshift), incompressible like the PDFs and photos of a CRM. */
export function noise(seed: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Odoo's `manifest.json` of a backup. */
export function manifest(): string {
  return JSON.stringify(
    {
      odoo_dump: "1",
      db_name: "odoo",
      version: "17.0",
      version_info: [17, 0, 0, "final", 0, ""],
      major_version: "17.0",
      pg_version: "15.0",
      modules: { base: "17.0.1.3", crm: "17.0.1.9" },
    },
    null,
    4,
  );
}
