import assert from "node:assert/strict";
import { join } from "node:path";
import { zipSync } from "../deps.ts";
import { PasserelleError } from "../errors.ts";
import { type Backup, openBackup } from "./backup_source.ts";
import { noise, storeFnameOf, writeFilestore } from "./testdata/odoo_backup.ts";

const enc = new TextEncoder();
const read = async (s: ReadableStream<Uint8Array>) => new Uint8Array(await new Response(s).arrayBuffer());

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const a = noise(1, 1000);
const b = noise(2, 2000);
const dump = enc.encode("-- dump\n");

async function checkBackup(backup: Backup) {
  assert.deepEqual(await read(backup.dump()), dump);
  const { files, filestoreFiles } = await backup.locate([
    storeFnameOf(a),
    storeFnameOf(b),
    "ab/missing",
    "../dump.sql",
  ]);
  assert.equal(filestoreFiles, 2, "the checklist markers are not files of the filestore");
  assert.deepEqual([...files.keys()].sort(), [storeFnameOf(a), storeFnameOf(b)].sort());
  assert.deepEqual(await read(files.get(storeFnameOf(b))!.open()), b);
  assert.equal(files.get(storeFnameOf(a))!.size, a.length);
}

Deno.test("openBackup() reads an extracted folder: dump.sql and filestore/, never outside it", async () => {
  await withDir(async (dir) => {
    await Deno.writeFile(join(dir, "dump.sql"), dump);
    await writeFilestore(dir, new Map([[storeFnameOf(a), a], [storeFnameOf(b), b]]));
    const backup = await openBackup(dir);
    assert.equal(backup.kind, "folder");
    await checkBackup(backup);
    backup.close();
  });
});

Deno.test("openBackup() reads an Odoo zip, also when everything sits under one folder", async () => {
  await withDir(async (dir) => {
    for (const prefix of ["", "odoo_2026-11-24/"]) {
      const path = join(dir, `${prefix ? "nested" : "flat"}.zip`);
      await Deno.writeFile(
        path,
        zipSync({
          [`${prefix}dump.sql`]: dump,
          [`${prefix}manifest.json`]: enc.encode("{}"),
          [`${prefix}filestore/${storeFnameOf(a)}`]: a,
          [`${prefix}filestore/${storeFnameOf(b)}`]: b,
          [`${prefix}filestore/checklist/${storeFnameOf(a)}`]: new Uint8Array(0),
          "old/backup/dump.sql": enc.encode("not this one: deeper"),
        }),
      );
      const backup = await openBackup(path);
      assert.equal(backup.kind, "zip");
      if (!prefix) await checkBackup(backup);
      else assert.deepEqual(await read(backup.dump()), dump);
      backup.close();
    }
  });
});

Deno.test("openBackup() says what is missing", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      openBackup(dir),
      (e: unknown) =>
        e instanceof PasserelleError && e.code === "backup_invalid" &&
        /no filestore\/ folder/.test(e.message),
    );
    await assert.rejects(openBackup(join(dir, "nope.zip")), /nope\.zip: cannot be read/);
    const path = join(dir, "other.zip");
    await Deno.writeFile(path, zipSync({ "readme.txt": enc.encode("hi") }));
    await assert.rejects(openBackup(path), /holds neither dump\.sql nor filestore\//);
  });
});

Deno.test("openBackup() recognises a custom-format dump or a lone dump.sql given instead of a backup", async () => {
  await withDir(async (dir) => {
    const custom = join(dir, "odoo.dump");
    await Deno.writeFile(custom, enc.encode("PGDMP\u0001\u000e\u0000"));
    await assert.rejects(openBackup(custom), /custom-format file, which holds no filestore/);
    const plain = join(dir, "dump.sql");
    await Deno.writeFile(plain, enc.encode("--\n-- PostgreSQL database dump\n"));
    await assert.rejects(
      openBackup(plain),
      /a dump\.sql alone; give the folder that holds it and filestore\//,
    );
  });
});
