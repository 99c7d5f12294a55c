/**
 * The ObjectStore contract: one suite, run by `local_store_test.ts` and `supabase_store_test.ts` (the
 * latter against the Storage stand-in), so both adapters are held to the same behaviour, which is
 * Supabase Storage's as recorded in storage.md.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { PasserelleError } from "../errors.ts";
import type { ObjectStore } from "./object_store.ts";
import { archiveKey } from "./safe_key.ts";

/** A fresh store (empty bucket) for one test, and how to dispose of it. */
export interface ContractSubject {
  store: ObjectStore;
  /** The same kind of store on a bucket limited to 1000 bytes per object. */
  limited: ObjectStore;
  /** The same kind of store on a bucket that does not exist. */
  missing: ObjectStore;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

/** Deterministic bytes, streamed in 64 KiB chunks (never held whole). */
export function patternStream(total: number, opts: { failAfter?: number } = {}): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream<Uint8Array>({
    pull(ctrl) {
      if (opts.failAfter !== undefined && sent >= opts.failAfter) {
        ctrl.error(new Error("source broke half-way"));
        return;
      }
      if (sent >= total) {
        ctrl.close();
        return;
      }
      const n = Math.min(64 * 1024, total - sent);
      const chunk = new Uint8Array(n);
      for (let i = 0; i < n; i++) chunk[i] = (sent + i) * 31 % 251;
      sent += n;
      ctrl.enqueue(chunk);
    },
  });
}

/** Size and SHA-256 of a stream, read chunk by chunk. */
export async function digest(stream: ReadableStream<Uint8Array>): Promise<{ size: number; sha256: string }> {
  const h = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    h.update(chunk);
    size += chunk.byteLength;
  }
  return { size, sha256: h.digest("hex") };
}

async function text(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

/** Asserts that `p` rejects with a PasserelleError of `code` whose message names `mention`. */
export async function rejectsWith(p: Promise<unknown>, code: string, mention?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PasserelleError, `expected a PasserelleError, got ${e}`);
    assert.equal(e.code, code, e.message);
    if (mention !== undefined) {
      assert.ok(e.message.includes(mention), `"${e.message}" should name ${mention}`);
    }
    return true;
  });
}

const bytes = (s: string) => new TextEncoder().encode(s);
const PDF = { contentType: "application/pdf" };

/** Keys Storage refuses (InvalidKey) or would store under another name; from storage.md section 3. */
export const HOSTILE_KEYS = [
  "",
  "odoo-archive/1/11-résumé é.pdf",
  "odoo-archive/1/12-📄rapport.pdf",
  "odoo-archive/1/13-l'offre (copie) [1].pdf",
  "odoo-archive/1/15-no#1.pdf",
  "odoo-archive/1/16-100%.pdf",
  "odoo-archive/1/17-a%20b.pdf",
  "odoo-archive/1/../18-escape.pdf",
  "../19-escape.pdf",
  "./20-here.pdf",
  "odoo-archive/1/23-a\\b.pdf",
  "odoo-archive/1//25-double.pdf",
  "odoo-archive/1/26-dir/",
  "/odoo-archive/1/27-leading.pdf",
  "odoo-archive/1/30-tab\there.pdf",
  "odoo-archive/1/31-line\nbreak.pdf",
  `odoo-archive/1/${"x".repeat(256)}`,
  `${"a/".repeat(520)}b`,
];

/** Keys Storage stores exactly as given. */
export const FAITHFUL_KEYS = [
  "odoo-archive/1/13-devis final  v2.pdf",
  "odoo-archive/1/14-what?.pdf",
  "odoo-archive/1/24-a+b&c=d.pdf",
  "odoo-archive/1/24-a:b*c.pdf",
  "odoo-archive/1/28-l'offre (copie).pdf",
  "odoo-archive/1/29-x@y;z,$!.txt",
  `odoo-archive/1/${"y".repeat(255)}`,
  "odoo-archive/1/..hidden..",
];

/** Registers the contract's tests for the adapter `name`. */
export function objectStoreContract(name: string, make: () => Promise<ContractSubject>): void {
  const test = (title: string, fn: (s: ContractSubject) => Promise<void>) =>
    Deno.test(`${name}: ${title}`, async () => {
      const subject = await make();
      try {
        await fn(subject);
      } finally {
        await subject.close();
      }
    });

  test("put() then get() gives back the bytes; stat() their size and content type", async ({ store }) => {
    const key = "odoo-archive/7/1-hello.txt";
    await store.put(key, bytes("bonjour été"), { contentType: "text/csv; charset=utf-8" });
    assert.equal(await text(await store.get(key)), "bonjour été");
    assert.deepEqual(await store.stat(key), { size: 13, contentType: "text/csv; charset=utf-8" });
    assert.equal(await store.exists(key), true);
  });

  test("get() with an offset gives the bytes from there on (an import resumes a CSV so)", async ({ store }) => {
    const key = "imports/1/abc/leads.csv";
    await store.put(key, bytes("Prénom;Nom\r\nÉmilie;Lefèvre\r\n"), { contentType: "text/csv" });
    assert.equal(await text(await store.get(key, { offset: 13 })), "Émilie;Lefèvre\r\n");
    assert.equal(await text(await store.get(key, { offset: 0 })), "Prénom;Nom\r\nÉmilie;Lefèvre\r\n");
    assert.equal(await text(await store.get(key, { offset: 31 })), "", "at the end: no bytes");
    assert.equal(await text(await store.get(key, { offset: 1000 })), "", "past the end: no bytes");
    await rejectsWith(store.get("imports/1/abc/none.csv", { offset: 5 }), "storage_not_found");
    const big = "imports/1/abc/big.bin";
    await store.put(big, patternStream(3 * MiB), { contentType: "application/octet-stream" });
    const tail = await digest(await store.get(big, { offset: MiB + 7 }));
    assert.equal(tail.size, 2 * MiB - 7);
  });

  test("put() without upsert refuses an existing key and keeps its content", async ({ store }) => {
    const key = "odoo-archive/7/2-devis.pdf";
    await store.put(key, bytes("first"), PDF);
    await rejectsWith(store.put(key, bytes("second"), PDF), "storage_duplicate", key);
    await rejectsWith(store.put(key, patternStream(10), PDF), "storage_duplicate", key);
    assert.equal(await text(await store.get(key)), "first");
    await store.put(key, bytes("third!"), { ...PDF, upsert: true });
    assert.equal(await text(await store.get(key)), "third!");
    assert.deepEqual(await store.stat(key), { size: 6, contentType: "application/pdf" });
  });

  test("put() streams bodies of known and unknown size, small and over one 6 MiB chunk", async ({ store }) => {
    for (const size of [0, 1000, 7 * MiB + 5, 12 * MiB]) {
      const expected = await digest(patternStream(size));
      const known = `big/known-${size}.bin`;
      const unknown = `big/unknown-${size}.bin`;
      await store.put(known, patternStream(size), { contentType: "application/octet-stream", size });
      await store.put(unknown, patternStream(size), { contentType: "application/octet-stream" });
      assert.deepEqual(await digest(await store.get(known)), expected, known);
      assert.deepEqual(await digest(await store.get(unknown)), expected, unknown);
      assert.deepEqual(await store.stat(unknown), { size, contentType: "application/octet-stream" });
    }
  });

  test("put() of a Uint8Array over one chunk stores it whole", async ({ store }) => {
    const body = new Uint8Array(6 * MiB + 3).map((_, i) => i % 256);
    await store.put("big/array.bin", body, { contentType: "application/zip" });
    const got = await digest(await store.get("big/array.bin"));
    assert.deepEqual(got, await digest(ReadableStream.from([body])));
  });

  test("put() refuses a body whose size differs from the announced one, storing nothing", async ({ store }) => {
    const cases: [string, Uint8Array | ReadableStream<Uint8Array>, number][] = [
      ["short-array.bin", bytes("12345"), 10],
      ["long-array.bin", bytes("1234567890"), 5],
      ["short-stream.bin", patternStream(5), 10],
      ["long-stream.bin", patternStream(10), 5],
      ["short-big-stream.bin", patternStream(6 * MiB + 100), 7 * MiB],
      ["long-big-stream.bin", patternStream(8 * MiB), 7 * MiB],
    ];
    for (const [key, body, size] of cases) {
      await rejectsWith(
        store.put(key, body, { contentType: "application/octet-stream", size }),
        "storage_error",
        key,
      );
      assert.equal(await store.exists(key), false, key);
    }
  });

  test("a body that fails half-way leaves nothing under the key", async ({ store }) => {
    for (const [key, failAfter] of [["broken-small.bin", 100_000], ["broken-big.bin", 7 * MiB]] as const) {
      await assert.rejects(
        store.put(key, patternStream(10 * MiB, { failAfter }), { contentType: "text/plain" }),
      );
      assert.equal(await store.exists(key), false, key);
      await store.put(key, bytes("retry"), { contentType: "text/plain" }); // the key is still free
      assert.equal(await text(await store.get(key)), "retry");
    }
  });

  test("a missing object: exists() false, stat() null, get/copy/signedUrl storage_not_found", async ({ store }) => {
    const key = "odoo-archive/9/404-none.pdf";
    assert.equal(await store.exists(key), false);
    assert.equal(await store.stat(key), null);
    await rejectsWith(store.get(key), "storage_not_found", key);
    await rejectsWith(store.copy(key, "odoo-archive/9/copy.pdf"), "storage_not_found", key);
    await rejectsWith(store.signedUrl(key, 60), "storage_not_found", key);
    await store.put("odoo-archive/9/folder/inside.pdf", bytes("x"), PDF);
    assert.equal(await store.exists("odoo-archive/9/folder"), false, "a folder is not an object");
  });

  test("keys Storage would refuse or alter are refused with storage_invalid_key, nothing written", async ({ store }) => {
    await store.put("ok.txt", bytes("ok"), { contentType: "text/plain" });
    for (const key of HOSTILE_KEYS) {
      await rejectsWith(
        store.put(key, bytes("x"), { contentType: "text/plain" }),
        "storage_invalid_key",
        key,
      );
      await rejectsWith(
        store.put(key, patternStream(10), { contentType: "text/plain" }),
        "storage_invalid_key",
      );
      await rejectsWith(store.get(key), "storage_invalid_key", key);
      await rejectsWith(store.exists(key), "storage_invalid_key");
      await rejectsWith(store.stat(key), "storage_invalid_key");
      await rejectsWith(store.copy("ok.txt", key), "storage_invalid_key");
      await rejectsWith(store.remove([key]), "storage_invalid_key");
      await rejectsWith(store.signedUrl(key, 60), "storage_invalid_key");
      assert.throws(() => store.publicPath(key), PasserelleError);
    }
  });

  test("keys with any character Storage accepts are stored as given", async ({ store }) => {
    for (const key of FAITHFUL_KEYS) {
      await store.put(key, bytes(key), { contentType: "text/plain" });
      assert.equal(await text(await store.get(key)), key, key);
      assert.equal(await store.exists(key), true, key);
    }
    await store.copy(FAITHFUL_KEYS[2], "copies/a+b&c=d.pdf");
    assert.equal(await text(await store.get("copies/a+b&c=d.pdf")), FAITHFUL_KEYS[2]);
  });

  test("archiveKey() turns hostile Odoo names into keys that round-trip", async ({ store }) => {
    const names = [
      "Résumé été (copie) [1].pdf",
      "../../etc/passwd.txt",
      "a/b\\c:d*e|f.txt",
      "what?.txt",
      "facture #12.pdf",
      "100%.pdf",
      "📄📄.pdf",
      "tab\there\nnewline.pdf",
      "x".repeat(300) + ".pdf",
      "....",
    ];
    const keys = new Set<string>();
    for (const [i, n] of names.entries()) {
      const key = archiveKey(42, 1000 + i, n);
      keys.add(key);
      await store.put(key, bytes(n), { contentType: "application/octet-stream" });
      assert.equal(await text(await store.get(key)), n, key);
      assert.ok((await store.signedUrl(key, 60)).length > 0);
    }
    assert.equal(keys.size, names.length);
  });

  test("copy() duplicates an object with its content type and never overwrites", async ({ store }) => {
    await store.put("a/src.csv", bytes("x;y"), { contentType: "text/csv" });
    await store.put("a/taken.csv", bytes("taken"), { contentType: "text/csv" });
    await store.copy("a/src.csv", "b/dst.csv");
    assert.equal(await text(await store.get("b/dst.csv")), "x;y");
    assert.deepEqual(await store.stat("b/dst.csv"), { size: 3, contentType: "text/csv" });
    await rejectsWith(store.copy("a/src.csv", "a/taken.csv"), "storage_duplicate", "a/taken.csv");
    assert.equal(await text(await store.get("a/taken.csv")), "taken");
  });

  test("remove() deletes the listed keys, ignores missing ones, and frees the keys", async ({ store }) => {
    await store.put("r/1.txt", bytes("1"), { contentType: "text/plain" });
    await store.put("r/2.txt", bytes("2"), { contentType: "text/plain" });
    await store.put("r/deep/3.txt", bytes("3"), { contentType: "text/plain" });
    await store.remove(["r/1.txt", "r/missing.txt", "r/deep/3.txt"]);
    await store.remove([]);
    await store.remove(["r/never.txt"]);
    assert.equal(await store.exists("r/1.txt"), false);
    assert.equal(await store.exists("r/deep/3.txt"), false);
    assert.equal(await store.exists("r/2.txt"), true);
    await store.put("r/1.txt", bytes("again"), { contentType: "text/plain" });
    assert.equal(await text(await store.get("r/1.txt")), "again");
  });

  test("signedUrl() serves the bytes without credentials", async ({ store }) => {
    const key = "reports/run-1/errors (v2).csv";
    await store.put(key, bytes("ligne;erreur\n1;é\n"), { contentType: "text/csv" });
    const url = await store.signedUrl(key, 60, { download: "errors.csv" });
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ligne;erreur\n1;é\n");
  });

  test("signedUrl() refuses expiresIn below 1 s and keys holding ?", async ({ store }) => {
    await store.put("reports/x.csv", bytes("x"), { contentType: "text/csv" });
    await store.put("reports/what?.csv", bytes("x"), { contentType: "text/csv" });
    await rejectsWith(store.signedUrl("reports/x.csv", 0), "storage_error", "reports/x.csv");
    await rejectsWith(store.signedUrl("reports/x.csv", -5), "storage_error");
    await rejectsWith(store.signedUrl("reports/what?.csv", 60), "storage_invalid_key", "what?.csv");
  });

  test("a bucket's size limit refuses bigger objects with storage_too_large", async ({ limited }) => {
    await limited.put("fits.txt", new Uint8Array(1000), { contentType: "text/plain" });
    await rejectsWith(
      limited.put("array.txt", new Uint8Array(1001), { contentType: "text/plain" }),
      "storage_too_large",
      "array.txt",
    );
    await rejectsWith(
      limited.put("stream.txt", patternStream(5000), { contentType: "text/plain" }),
      "storage_too_large",
    );
    await rejectsWith(
      limited.put("sized.txt", patternStream(5000), { contentType: "text/plain", size: 5000 }),
      "storage_too_large",
    );
    await rejectsWith(
      limited.put("big.bin", patternStream(7 * MiB), { contentType: "text/plain" }),
      "storage_too_large",
    );
    for (const k of ["array.txt", "stream.txt", "sized.txt", "big.bin"]) {
      assert.equal(await limited.exists(k), false);
    }
  });

  test("checkBucket() passes on the bucket, and names a missing one and how to create it", async ({ store, missing }) => {
    await store.checkBucket();
    await store.checkBucket(); // (remembered: no second request needed, nothing changes)
    await rejectsWith(missing.checkBucket(), "storage_bucket_missing", missing.bucket);
    await rejectsWith(missing.checkBucket(), "storage_bucket_missing", "nothing was read or stored");
  });

  test("publicPath() is an address naming the bucket and key, with no request made", async ({ store }) => {
    const p = await Promise.resolve(store.publicPath("odoo-archive/3/4-devis v2.pdf"));
    assert.ok(URL.canParse(p), p);
    assert.ok(decodeURIComponent(p).endsWith(`${store.bucket}/odoo-archive/3/4-devis v2.pdf`), p);
  });
}
