import assert from "node:assert/strict";
import { localStore } from "../storage/local_store.ts";
import { sha1Hex } from "../archive/archive_step.ts";
import { checkObject } from "./reconcile_step.ts";

const enc = (s: string) => new TextEncoder().encode(s);

Deno.test("checkObject() sees a missing object and another size by stat, other bytes of the same size only when deep", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = localStore({ dir, bucket: "estimation-files" });
    await store.put("odoo-archive/1/1-a.txt", enc("hello"), { contentType: "text/plain" });
    const good = {
      id: 1,
      storage_path: "odoo-archive/1/1-a.txt",
      file_size: 5,
      checksum: sha1Hex(enc("hello")),
    };
    assert.deepEqual(await checkObject(store, good, false), { problem: null, bytes: 0 });
    assert.deepEqual(await checkObject(store, good, true), { problem: null, bytes: 5 });

    const missing = { ...good, id: 2, storage_path: "odoo-archive/1/2-b.txt" };
    for (const deep of [false, true]) {
      assert.equal((await checkObject(store, missing, deep)).problem?.kind, "object_missing");
    }
    const longer = { ...good, id: 3, file_size: 6 };
    assert.deepEqual((await checkObject(store, longer, false)).problem, {
      id: 3,
      kind: "object_size",
      size: 5,
      sha1: null,
    });
    // Same size, other bytes (Odoo's checksum is another content's): a stat cannot tell, a read can.
    const other = { ...good, id: 4, checksum: sha1Hex(enc("world")) };
    assert.equal((await checkObject(store, other, false)).problem, null);
    assert.deepEqual((await checkObject(store, other, true)).problem, {
      id: 4,
      kind: "object_sha1",
      size: 5,
      sha1: good.checksum,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
