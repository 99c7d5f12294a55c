import assert from "node:assert/strict";
import { join } from "node:path";
import { localStore } from "./local_store.ts";
import { objectStoreContract, patternStream, rejectsWith } from "./object_store_contract.ts";

objectStoreContract("localStore", async () => {
  const dir = await Deno.makeTempDir({ prefix: "local-store-" });
  return {
    store: localStore({ dir, bucket: "estimation-files" }),
    limited: localStore({ dir, bucket: "limited", fileSizeLimit: 1000 }),
    // A directory that cannot be made: under a file.
    missing: localStore({ dir: `${Deno.makeTempFileSync({ dir })}/storage`, bucket: "estimation-files" }),
    close: () => Deno.remove(dir, { recursive: true }),
  };
});

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "local-store-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function tree(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await tree(p, base));
    else out.push(p.slice(base.length + 1));
  }
  return out.sort();
}

Deno.test("localStore() mirrors the bucket as plain files an operator can browse", async () => {
  await withDir(async (dir) => {
    const store = localStore({ dir, bucket: "estimation-files" });
    await store.put("odoo-archive/12/345-devis.pdf", new TextEncoder().encode("%PDF"), {
      contentType: "application/pdf",
    });
    assert.equal(
      await Deno.readTextFile(join(dir, "estimation-files/odoo-archive/12/345-devis.pdf")),
      "%PDF",
    );
    assert.equal(
      store.publicPath("odoo-archive/12/345-devis.pdf"),
      `file://${dir}/estimation-files/odoo-archive/12/345-devis.pdf`,
    );
  });
});

Deno.test("localStore() leaves no temp file and no empty folder behind", async () => {
  await withDir(async (dir) => {
    const store = localStore({ dir, bucket: "b" });
    await store.put("x/y/z.txt", patternStream(1000), { contentType: "text/plain" });
    await assert.rejects(store.put("x/y/broken.txt", patternStream(10_000, { failAfter: 5000 }), {
      contentType: "text/plain",
    }));
    await rejectsWith(
      store.put("x/y/z.txt", patternStream(10), { contentType: "text/plain" }),
      "storage_duplicate",
    );
    assert.deepEqual(await tree(dir), [".meta/b/x/y/z.txt", "b/x/y/z.txt"]);
    await store.remove(["x/y/z.txt"]);
    assert.deepEqual(await tree(dir), []);
  });
});

Deno.test("localStore() lets one of two concurrent writers of a key win, never both", async () => {
  await withDir(async (dir) => {
    const store = localStore({ dir, bucket: "b" });
    const results = await Promise.allSettled(
      ["one", "two", "three"].map((s) =>
        store.put("race.txt", new TextEncoder().encode(s), { contentType: "text/plain" })
      ),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") assert.equal(r.reason.code, "storage_duplicate");
    }
  });
});

Deno.test("localStore() reports a key that is both folder and object as storage_error", async () => {
  await withDir(async (dir) => {
    const store = localStore({ dir, bucket: "b" });
    await store.put("a", new Uint8Array([1]), { contentType: "text/plain" });
    await rejectsWith(
      store.put("a/b", new Uint8Array([1]), { contentType: "text/plain" }),
      "storage_error",
      "a/b",
    );
  });
});

Deno.test("localStore() refuses a bucket name that would leave its folder", () => {
  assert.throws(() => localStore({ dir: "/tmp/x", bucket: "../up" }), { code: "config_invalid" });
  assert.throws(() => localStore({ dir: "/tmp/x", bucket: ".meta" }), { code: "config_invalid" });
});
