/**
 * The `estimation-files` bucket comes from the migrations: a fresh `supabase db push` (the real CLI) on
 * a database where `storage.buckets` exists as Supabase Storage v1.70.6 defines it
 * (scripts/fixtures/storage/storage_buckets_v1.70.6.sql, from its tenant migrations) creates the bucket
 * row; on a plain PostgreSQL (no storage schema: the local stack, the test cluster) the migration does
 * nothing and says why.
 */
import assert from "node:assert/strict";
import { connectDb } from "../../../functions-shared/db.ts";
import { installCompat, pushMigrations } from "../../../scripts/stack/database.ts";
import { createTestDatabase, testClusterUrl } from "../../../scripts/testing/test_database.ts";

const root = new URL("../../../", import.meta.url).pathname;
const MIGRATION = `${root}supabase/migrations/20261201110000_estimation_files_bucket.sql`;
const STORAGE_V1_70_6 = `${root}scripts/fixtures/storage/storage_buckets_v1.70.6.sql`;

async function psql(url: string, file: string): Promise<string> {
  const out = await new Deno.Command("psql", {
    args: [url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`psql -f ${file} failed:\n${text}`);
  return text;
}

Deno.test("a fresh supabase db push on a database with Supabase Storage creates the private estimation-files bucket", async () => {
  const base = testClusterUrl();
  const name = `t_bucket_push_${crypto.randomUUID().slice(0, 8)}`;
  const admin = connectDb(`${base}/postgres`, { max: 1 });
  await admin.unsafe(`create database "${name}"`);
  const url = `${base}/${name}`;
  const sql = connectDb(url, { max: 1 });
  try {
    // The compatibility layer as the test template has it (real Vault where it loads; pg_net's worker
    // serves only the postgres database, so any other gets the stand-in net).
    const template = connectDb(`${base}/passerelle_template`, { max: 1 });
    const [{ vault }] = await template<{ vault: boolean }[]>`
      select exists (select 1 from pg_extension where extname = 'supabase_vault') as vault`;
    await template.end();
    await installCompat(url, {
      supabase_vault: vault
        ? { mode: "real", version: "0.3.1" }
        : { mode: "compat", reason: "as the template" },
      pg_net: { mode: "compat", reason: "pg_net's worker serves the postgres database only" },
    });
    await psql(url, STORAGE_V1_70_6);
    await pushMigrations(url);
    const rows = await sql`
      select id, name, public, file_size_limit, allowed_mime_types, type::text, owner, owner_id
        from storage.buckets`;
    assert.deepEqual(rows.map((r) => ({ ...r })), [{
      id: "estimation-files",
      name: "estimation-files",
      public: false,
      file_size_limit: null,
      allowed_mime_types: null,
      type: "STANDARD",
      owner: null,
      owner_id: null,
    }]);

    // Applied again (a bucket made public in the dashboard): left as it is, with a warning.
    await sql`update storage.buckets set public = true, file_size_limit = 1000`;
    const again = await psql(url, MIGRATION);
    assert.match(again, /WARNING: {2}bucket "estimation-files" already exists and is public/);
    const [kept] = await sql`select public, file_size_limit from storage.buckets`;
    assert.deepEqual({ ...kept }, { public: true, file_size_limit: "1000" });
  } finally {
    await sql.end();
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
});

Deno.test("without a storage schema the bucket migration does nothing and says why", async () => {
  const db = await createTestDatabase("bucket_no_storage");
  try {
    // The template was pushed with this migration already: recorded, and no storage schema made.
    const [applied] = await db.sql`
      select count(*)::int as n from supabase_migrations.schema_migrations where version = '20261201110000'`;
    assert.equal(applied.n, 1);
    const out = await psql(db.url, MIGRATION);
    assert.match(out, /NOTICE: {2}no storage\.buckets table \(Supabase Storage is not on this database\)/);
    const [schema] = await db.sql`select to_regnamespace('storage') as s`;
    assert.equal(schema.s, null);
  } finally {
    await db.drop();
  }
});
