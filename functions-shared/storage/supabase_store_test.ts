import assert from "node:assert/strict";
import { mintJwt, startStorageStandin, type StorageStandin } from "../../scripts/storage_standin/server.ts";
import { objectStoreContract, patternStream, rejectsWith } from "./object_store_contract.ts";
import { supabaseStore } from "./supabase_store.ts";

const JWT_SECRET = "test-jwt-secret-with-at-least-32-characters";
const BUCKETS = [{ name: "estimation-files" }, { name: "limited", fileSizeLimit: 1000 }];
const MiB = 1024 * 1024;
const text = (s: ReadableStream<Uint8Array>) => new Response(s).text();
const bytes = (s: string) => new TextEncoder().encode(s);

objectStoreContract("supabaseStore", async () => {
  const standin = await startStorageStandin({ jwtSecret: JWT_SECRET, buckets: BUCKETS });
  const serviceRoleKey = await mintJwt(JWT_SECRET, { role: "service_role" });
  return {
    store: supabaseStore({ url: standin.url, serviceRoleKey, bucket: "estimation-files" }),
    limited: supabaseStore({ url: standin.url, serviceRoleKey, bucket: "limited" }),
    missing: supabaseStore({ url: standin.url, serviceRoleKey, bucket: "no-such-bucket" }),
    close: () => standin.close(),
  };
});

async function withStandin(
  fn: (s: StorageStandin, serviceRoleKey: string) => Promise<void>,
  extraBuckets: { name: string; allowedMimeTypes?: string[] }[] = [],
) {
  const standin = await startStorageStandin({
    jwtSecret: JWT_SECRET,
    buckets: [...BUCKETS, ...extraBuckets],
  });
  try {
    await fn(standin, await mintJwt(JWT_SECRET, { role: "service_role" }));
  } finally {
    await standin.close();
  }
}

/** A fetch that fails (as undici/Deno do: TypeError "fetch failed") on the calls `when` picks. */
function flakyFetch(when: (req: Request, n: number) => "before" | "after" | "pass"): typeof fetch {
  let n = 0;
  return async (input, init) => {
    const req = new Request(input, init);
    const mode = when(req, n++);
    if (mode === "before") {
      await req.body?.cancel();
      throw new TypeError("fetch failed");
    }
    const res = await fetch(req);
    if (mode === "after") {
      await res.body?.cancel();
      throw new TypeError("fetch failed");
    }
    return res;
  };
}

Deno.test("supabaseStore.put() sends up to 6 MiB as one upload and more by TUS in 6 MiB chunks", async () => {
  await withStandin(async (standin, serviceRoleKey) => {
    const store = supabaseStore({ url: standin.url, serviceRoleKey, bucket: "estimation-files" });
    await store.put("small.bin", patternStream(6 * MiB), { contentType: "application/octet-stream" });
    assert.equal(standin.stats.byRoute["POST /object/:bucket/*"], 1);
    assert.equal(standin.stats.byRoute["POST /upload/resumable"], undefined);
    await store.put("big.bin", patternStream(13 * MiB), { contentType: "application/octet-stream" });
    assert.equal(standin.stats.byRoute["POST /upload/resumable"], 1);
    assert.equal(standin.stats.byRoute["PATCH /upload/resumable/:id"], 3);
    assert.deepEqual(await store.stat("big.bin"), {
      size: 13 * MiB,
      contentType: "application/octet-stream",
    });
  });
});

Deno.test("supabaseStore retries once after a network failure", async () => {
  await withStandin(async (standin, serviceRoleKey) => {
    const store = supabaseStore({
      url: standin.url,
      serviceRoleKey,
      bucket: "estimation-files",
      fetch: flakyFetch((_, n) => (n === 0 || n === 2 ? "before" : "pass")),
    });
    await store.put("a.txt", bytes("a"), { contentType: "text/plain" }); // calls 0 (lost) and 1
    assert.equal(await text(await store.get("a.txt")), "a"); // calls 2 (lost) and 3
  });
});

Deno.test("supabaseStore.put() counts an upload whose answer was lost as done", async () => {
  await withStandin(async (standin, serviceRoleKey) => {
    const store = supabaseStore({
      url: standin.url,
      serviceRoleKey,
      bucket: "estimation-files",
      fetch: flakyFetch((_, n) => (n === 0 ? "after" : "pass")),
    });
    await store.put("landed.pdf", bytes("%PDF-1.7"), { contentType: "application/pdf" });
    assert.deepEqual(await store.stat("landed.pdf"), { size: 8, contentType: "application/pdf" });
  });
});

Deno.test("supabaseStore gives up after two network failures with a retryable storage_unavailable", async () => {
  await withStandin(async (standin, serviceRoleKey) => {
    const store = supabaseStore({
      url: standin.url,
      serviceRoleKey,
      bucket: "estimation-files",
      fetch: flakyFetch(() => "before"),
    });
    await assert.rejects(store.put("down.txt", bytes("x"), { contentType: "text/plain" }), (e: Error) => {
      assert.equal((e as { code?: string }).code, "storage_unavailable");
      assert.equal((e as { retryable?: boolean }).retryable, true);
      assert.match(e.message, /down\.txt.*fetch failed/);
      return true;
    });
    await rejectsWith(store.exists("down.txt"), "storage_unavailable", "down.txt");
    await rejectsWith(
      store.put("big.bin", patternStream(7 * MiB), { contentType: "text/plain" }),
      "storage_unavailable",
    );
  });
});

Deno.test("supabaseStore resumes a TUS chunk lost on the network from the server's offset", async () => {
  await withStandin(async (standin, serviceRoleKey) => {
    let patches = 0;
    const store = supabaseStore({
      url: standin.url,
      serviceRoleKey,
      bucket: "estimation-files",
      fetch: flakyFetch((req) => {
        if (req.method !== "PATCH") return "pass";
        patches++;
        return patches === 1 ? "after" : patches === 3 ? "before" : "pass";
      }),
    });
    await store.put("resumed.bin", patternStream(20 * MiB), { contentType: "application/octet-stream" });
    assert.deepEqual(await store.stat("resumed.bin"), {
      size: 20 * MiB,
      contentType: "application/octet-stream",
    });
    // 4 chunks: the 1st arrived though its answer was lost, the 3rd was lost on the way and sent again;
    // each loss was settled by asking the server where it stands.
    assert.equal(patches, 5);
    assert.equal(standin.stats.byRoute["PATCH /upload/resumable/:id"], 4);
    assert.equal(standin.stats.byRoute["HEAD /upload/resumable/:id"], 2);
  });
});

Deno.test("supabaseStore reports a TUS offset conflict as retryable, leaving nothing stored", async () => {
  await withStandin(async (standin, serviceRoleKey) => {
    let patches = 0;
    const store = supabaseStore({
      url: standin.url,
      serviceRoleKey,
      bucket: "estimation-files",
      fetch: (input, init) => {
        const req = new Request(input, init);
        if (req.method === "PATCH" && ++patches === 2) req.headers.set("upload-offset", "0"); // another writer's view
        return fetch(req);
      },
    });
    await assert.rejects(store.put("conflict.bin", patternStream(13 * MiB), { contentType: "text/plain" }), {
      code: "storage_unavailable",
      retryable: true,
      message: /conflict\.bin.*Upload-Offset conflict at byte 6291456/,
    });
    assert.equal(await store.exists("conflict.bin"), false);
    assert.equal(standin.stats.byRoute["DELETE /upload/resumable/:id"], 1);
  });
});

Deno.test("supabaseStore maps Storage's answers to error codes", async () => {
  await withStandin(async (standin, serviceRoleKey) => {
    const wrongKey = await mintJwt("another-secret-that-is-long-enough-for-hs256", { role: "service_role" });
    const stranger = supabaseStore({
      url: standin.url,
      serviceRoleKey: wrongKey,
      bucket: "estimation-files",
    });
    await rejectsWith(
      stranger.put("x.txt", bytes("x"), { contentType: "text/plain" }),
      "storage_forbidden",
      "x.txt",
    );
    // The real server reads a refused key on GET /object/info/... as no key: "Bucket not found"
    // (storage.md 11.1); checkBucket() asks /bucket/<id>, which says forbidden (test below).
    await rejectsWith(stranger.exists("x.txt"), "storage_not_found", "Bucket not found");
    await rejectsWith(
      stranger.put("big.bin", patternStream(7 * MiB), { contentType: "text/plain" }),
      "storage_forbidden",
    );

    const nowhere = supabaseStore({ url: standin.url, serviceRoleKey, bucket: "no-such-bucket" });
    await rejectsWith(nowhere.put("x.txt", bytes("x"), { contentType: "text/plain" }), "storage_not_found");
    await rejectsWith(nowhere.exists("x.txt"), "storage_not_found", "x.txt");
    await rejectsWith(
      nowhere.put("big.bin", patternStream(7 * MiB), { contentType: "text/plain" }),
      "storage_not_found",
    );

    const csvOnly = supabaseStore({ url: standin.url, serviceRoleKey, bucket: "csv-only" });
    await csvOnly.put("ok.csv", bytes("a;b"), { contentType: "text/csv" });
    await rejectsWith(
      csvOnly.put("bad.csv", bytes("a;b"), { contentType: "text/csv; charset=utf-8" }),
      "storage_error",
      "mime type text/csv; charset=utf-8 is not supported",
    );
  }, [{ name: "csv-only", allowedMimeTypes: ["text/csv"] }]);
});

Deno.test("supabaseStore treats a 5xx as retryable storage_unavailable", async () => {
  const answer503: typeof fetch = async (input, init) => {
    await new Request(input, init).body?.cancel();
    return Response.json(
      {
        statusCode: "503",
        error: "DatabaseConnectionLimit",
        message: "too many connections",
        code: "DatabaseConnectionLimit",
      },
      { status: 503 },
    );
  };
  const store = supabaseStore({
    url: "http://127.0.0.1:9",
    serviceRoleKey: "k",
    bucket: "b",
    fetch: answer503,
  });
  await assert.rejects(store.get("x.txt"), { code: "storage_unavailable", retryable: true });
});

Deno.test("supabaseStore.signedUrl() names the download once, readably", async () => {
  await withStandin(async (standin, serviceRoleKey) => {
    const store = supabaseStore({ url: standin.url, serviceRoleKey, bucket: "estimation-files" });
    await store.put("reports/run 1/errors.csv", bytes("a;b"), { contentType: "text/csv" });
    const url = await store.signedUrl("reports/run 1/errors.csv", 60, { download: "erreurs import.csv" });
    assert.ok(
      url.startsWith(
        `${standin.url}/storage/v1/object/sign/estimation-files/reports/run%201/errors.csv?token=`,
      ),
    );
    const res = await fetch(url);
    assert.equal(
      res.headers.get("content-disposition"),
      "attachment; filename=erreurs%20import.csv; filename*=UTF-8''erreurs%20import.csv",
    );
    assert.equal(res.headers.get("content-type"), "text/csv");
    assert.equal(await res.text(), "a;b");
  });
});

Deno.test("supabaseStore.publicPath() is the authenticated object URL", () => {
  const store = supabaseStore({
    url: "https://abc.supabase.co/",
    serviceRoleKey: "k",
    bucket: "estimation-files",
  });
  assert.equal(
    store.publicPath("odoo-archive/12/345-devis v2.pdf"),
    "https://abc.supabase.co/storage/v1/object/authenticated/estimation-files/odoo-archive/12/345-devis%20v2.pdf",
  );
});

Deno.test("supabaseStore.checkBucket() asks once a minute for a found bucket, each time for a missing one", async () => {
  await withStandin(async (standin, serviceRoleKey) => {
    const store = supabaseStore({ url: standin.url, serviceRoleKey, bucket: "estimation-files" });
    await store.checkBucket();
    await store.checkBucket();
    assert.equal(standin.stats.byRoute["GET /bucket/:id"], 1);
    const later = supabaseStore({ url: standin.url, serviceRoleKey, bucket: "later" });
    await rejectsWith(later.checkBucket(), "storage_bucket_missing", '"later"');
    await rejectsWith(later.checkBucket(), "storage_bucket_missing");
    assert.equal(standin.stats.byRoute["GET /bucket/:id"], 3);
    // Created (as the migration or the dashboard would): the next check passes.
    const res = await fetch(`${standin.url}/storage/v1/bucket`, {
      method: "POST",
      headers: { authorization: `Bearer ${serviceRoleKey}`, "content-type": "application/json" },
      body: JSON.stringify({ id: "later", name: "later", public: false }),
    });
    assert.equal(res.status, 200, await res.text());
    await later.checkBucket();
  });
});

Deno.test("supabaseStore.checkBucket() with a refused key says forbidden, not missing (storage.md section 9)", async () => {
  await withStandin(async (standin) => {
    const wrongKey = await mintJwt("another-secret-that-is-long-enough-for-hs256", { role: "service_role" });
    const store = supabaseStore({ url: standin.url, serviceRoleKey: wrongKey, bucket: "estimation-files" });
    await rejectsWith(store.checkBucket(), "storage_forbidden", "signature verification failed");
  });
});

Deno.test("supabaseStore.put() with upsert replaces an object over 6 MiB (x-upsert on every TUS request)", async () => {
  await withStandin(async (standin, serviceRoleKey) => {
    const store = supabaseStore({ url: standin.url, serviceRoleKey, bucket: "estimation-files" });
    const key = "imports/1/rapport-job.csv";
    const first = new Uint8Array(7 * MiB).fill(1);
    const second = new Uint8Array(7 * MiB + 5).fill(2);
    await store.put(key, first, { contentType: "text/csv; charset=utf-8", upsert: true });
    await store.put(key, ReadableStream.from([second]), {
      contentType: "text/csv; charset=utf-8",
      upsert: true,
    });
    const got = new Uint8Array(await new Response(await store.get(key)).arrayBuffer());
    assert.equal(got.byteLength, second.byteLength);
    assert.ok(got.every((b) => b === 2), "the second upload replaced the first");
    assert.equal(standin.stats.byRoute["POST /upload/resumable"], 2);
    // Without upsert the object stays as it is (storage.md section 2).
    await rejectsWith(
      store.put(key, patternStream(7 * MiB), { contentType: "text/csv; charset=utf-8" }),
      "storage_duplicate",
      key,
    );
    assert.equal((await store.stat(key))?.size, second.byteLength);
  });
});

Deno.test("supabaseStore counts a TUS upload whose last answer was lost as done (HEAD says complete)", async () => {
  await withStandin(async (standin, serviceRoleKey) => {
    let patches = 0;
    const store = supabaseStore({
      url: standin.url,
      serviceRoleKey,
      bucket: "estimation-files",
      fetch: flakyFetch((req) => (req.method === "PATCH" && ++patches === 2 ? "after" : "pass")),
    });
    await store.put("last-lost.bin", patternStream(7 * MiB), { contentType: "application/octet-stream" });
    assert.equal(patches, 2, "the last chunk was not sent again");
    assert.equal(standin.stats.byRoute["HEAD /upload/resumable/:id"], 1);
    assert.equal((await store.stat("last-lost.bin"))?.size, 7 * MiB);
  });
});
