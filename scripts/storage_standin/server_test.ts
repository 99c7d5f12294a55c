/**
 * The stand-in answers as Supabase Storage v1.70.6 did when observed with supabase-js 2.119.1: each test
 * replays an observation (section numbers are storage.md's) and checks status codes and bodies verbatim.
 */
import assert from "node:assert/strict";
import { createClient } from "../../functions-shared/deps.ts";
import { mintJwt, startStorageStandin, type StorageStandin } from "./server.ts";

const SECRET = "standin-test-jwt-secret-at-least-32-chars";
const B = "estimation-files";
const enc = (s: string) => new TextEncoder().encode(s);

type Client = ReturnType<typeof client>;

interface Ctx {
  s: StorageStandin;
  key: string;
  /** supabase-js client with the service-role key. */
  sb: Client;
  files: ReturnType<Client["storage"]["from"]>;
  /** Raw request to `${url}/storage/v1${path}` with the service-role key unless headers say otherwise. */
  raw(path: string, init?: RequestInit): Promise<Response>;
}

function client(url: string, key: string) {
  return createClient(url, key, { auth: { persistSession: false, autoRefreshToken: false } });
}

function test(name: string, fn: (c: Ctx) => Promise<void>) {
  Deno.test(`storage stand-in: ${name}`, async () => {
    const s = await startStorageStandin({ jwtSecret: SECRET, buckets: [{ name: B }] });
    try {
      const key = await mintJwt(SECRET, { role: "service_role" });
      const sb = client(s.url, key);
      await fn({
        s,
        key,
        sb,
        files: sb.storage.from(B),
        raw: (path, init = {}) =>
          fetch(`${s.url}/storage/v1${path}`, {
            ...init,
            headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string> ?? {}) },
          }),
      });
    } finally {
      await s.close();
    }
  });
}

/** The supabase-js error as `JSON.stringify(error)` shows it. */
function errorJson(e: unknown) {
  return JSON.parse(JSON.stringify(e));
}

async function body(res: Response) {
  return [res.status, await res.text()] as const;
}

// ---- 1. buckets --------------------------------------------------------------------------------

test("§1 buckets: create, duplicate, too big, get, delete when not empty, empty, delete", async ({ sb, files }) => {
  assert.deepEqual(await sb.storage.createBucket("reports", { public: false }), {
    data: { name: "reports" },
    error: null,
  });
  const dup = await sb.storage.createBucket("reports", { public: false });
  assert.deepEqual(errorJson(dup.error), {
    name: "StorageApiError",
    message: "The resource already exists",
    status: 400,
    statusCode: "409",
    code: "BucketAlreadyExists",
  });
  const big = await sb.storage.createBucket("too-big", { public: false, fileSizeLimit: "1GB" });
  assert.deepEqual(errorJson(big.error), {
    name: "StorageApiError",
    message: "The object exceeded the maximum allowed size",
    status: 400,
    statusCode: "413",
    code: "EntityTooLarge",
  });
  assert.equal((await sb.storage.createBucket("Bad Name!", { public: false })).error, null);
  const got = await sb.storage.getBucket("reports");
  assert.equal(got.data?.owner, "");
  assert.equal(got.data?.public, false);
  assert.equal(got.data?.file_size_limit, null);
  assert.equal(got.data?.allowed_mime_types, null);
  assert.deepEqual(errorJson((await sb.storage.getBucket("no-such-bucket")).error), {
    name: "StorageApiError",
    message: "Bucket not found",
    status: 400,
    statusCode: "404",
    code: "NoSuchBucket",
  });
  await files.upload("x.txt", enc("x"));
  assert.deepEqual(errorJson((await sb.storage.deleteBucket(B)).error), {
    name: "StorageApiError",
    message: "The bucket you tried to delete is not empty",
    status: 400,
    statusCode: "409",
    code: "ResourceNotEmpty",
  });
  assert.deepEqual((await sb.storage.emptyBucket(B)).data, {
    message: "Empty bucket has been queued. Completion may take up to an hour.",
  });
  assert.deepEqual((await sb.storage.deleteBucket(B)).data, { message: "Successfully deleted" });
});

test("§1 raw bodies of duplicate and missing buckets", async ({ raw }) => {
  const create = () =>
    raw("/bucket", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: B, name: B, public: false }),
    });
  assert.deepEqual(
    await body(await create()),
    [
      400,
      '{"statusCode":"409","error":"Duplicate","message":"The resource already exists","code":"BucketAlreadyExists"}',
    ],
  );
  assert.deepEqual(
    await body(await raw("/bucket/no-such-bucket")),
    [
      400,
      '{"statusCode":"404","error":"Bucket not found","message":"Bucket not found","code":"NoSuchBucket"}',
    ],
  );
});

// ---- 2. upload ---------------------------------------------------------------------------------

test("§2 upload, duplicate, upsert keeping the id, update creating, exists, info", async ({ files, raw }) => {
  const up = await files.upload("odoo-archive/2/1-a.txt", enc("one"), { contentType: "text/plain" });
  assert.equal(up.data?.path, "odoo-archive/2/1-a.txt");
  assert.equal(up.data?.fullPath, `${B}/odoo-archive/2/1-a.txt`);
  const dup = await files.upload("odoo-archive/2/1-a.txt", enc("two"), { contentType: "text/plain" });
  assert.deepEqual(errorJson(dup.error), {
    name: "StorageApiError",
    message: "The resource already exists",
    status: 400,
    statusCode: "409",
    code: "KeyAlreadyExists",
  });
  const rawDup = await raw(`/object/${B}/odoo-archive/2/1-a.txt`, { method: "POST", body: "x" });
  assert.deepEqual(
    await body(rawDup),
    [
      400,
      '{"statusCode":"409","error":"Duplicate","message":"The resource already exists","code":"KeyAlreadyExists"}',
    ],
  );
  const upsert = await files.upload("odoo-archive/2/1-a.txt", enc("three"), { upsert: true });
  assert.equal(upsert.data?.id, up.data?.id);
  assert.equal(await (await files.download("odoo-archive/2/1-a.txt")).data?.text(), "three");
  assert.equal((await files.update("odoo-archive/2/new.txt", enc("new"))).error, null);
  assert.deepEqual(await files.exists("odoo-archive/2/new.txt"), { data: true, error: null });
  const missing = await files.exists("odoo-archive/2/none.txt");
  assert.equal(missing.data, false);
  assert.equal(errorJson(missing.error).code, "NoSuchKey");
  assert.equal(errorJson(missing.error).statusCode, "404");
  const info = await files.info("odoo-archive/2/1-a.txt");
  assert.equal(info.data?.size, 5);
  assert.equal(info.data?.cacheControl, "max-age=3600");
  assert.equal(info.data?.bucketId, B);
  assert.deepEqual(info.data?.metadata, {});
  const res = await raw(`/object/${B}/raw.txt`, {
    method: "POST",
    body: "r",
    headers: { "content-type": "text/plain" },
  });
  const json = await res.json();
  assert.deepEqual(Object.keys(json), ["Key", "Id"]);
  assert.equal(json.Key, `${B}/raw.txt`);
});

// ---- 3. keys -----------------------------------------------------------------------------------

test("§3 keys: what supabase-js's raw paths do on the way to the server", async ({ files, raw }) => {
  const put = (key: string) => files.upload(key, enc("k"), { contentType: "text/plain" });
  const invalid = await put("odoo-archive/1/11-résumé é.pdf");
  assert.deepEqual(errorJson(invalid.error), {
    name: "StorageApiError",
    message: "Invalid key: odoo-archive/1/11-résumé é.pdf",
    status: 400,
    statusCode: "400",
    code: "InvalidKey",
  });
  for (const k of ["odoo-archive/1/12-📄rapport.pdf", "odoo-archive/1/13-l'offre (copie) [1].pdf"]) {
    assert.equal(errorJson((await put(k)).error).code, "InvalidKey", k);
  }
  assert.equal(
    (await put("odoo-archive/1/13-devis final  v2.pdf")).data?.path,
    "odoo-archive/1/13-devis final  v2.pdf",
  );
  assert.equal((await put("odoo-archive/1/14-what?.pdf")).data?.fullPath, `${B}/odoo-archive/1/14-what`);
  assert.equal((await put("odoo-archive/1/15-no#1.pdf")).data?.fullPath, `${B}/odoo-archive/1/15-no`);
  const pct = await raw(`/object/${B}/odoo-archive/1/16-100%.pdf`, { method: "POST", body: "k" });
  assert.deepEqual(await body(pct), [
    400,
    `{"error":"Bad Request","code":"FST_ERR_BAD_URL","message":"'/object/${B}/odoo-archive/1/16-100%.pdf' is not a valid url component","statusCode":400}`,
  ]);
  assert.equal((await put("odoo-archive/1/17-a%20b.pdf")).data?.fullPath, `${B}/odoo-archive/1/17-a b.pdf`);
  assert.equal(
    (await put("odoo-archive/1/../18-escape.pdf")).data?.fullPath,
    `${B}/odoo-archive/18-escape.pdf`,
  );
  const escape = await raw(`/object/${B}/../19-escape.pdf`, { method: "POST", body: "k" });
  assert.deepEqual(await body(escape), [
    404,
    '{"statusCode":"404","error":"Not Found","message":"Route POST:/object/19-escape.pdf not found","code":"InvalidRequest"}',
  ]);
  assert.equal((await put("odoo-archive/1/23-a\\b.pdf")).data?.fullPath, `${B}/odoo-archive/1/23-a/b.pdf`);
  assert.equal((await put("odoo-archive/1/24-a+b&c=d.pdf")).error, null);
  assert.equal((await put("odoo-archive/1//25-double.pdf")).data?.path, "odoo-archive/1/25-double.pdf");
  assert.equal(errorJson((await files.download("odoo-archive/1//25-double.pdf")).error).code, "NoSuchKey");
  assert.equal(
    (await put("odoo-archive/1/30-tab\there.pdf")).data?.fullPath,
    `${B}/odoo-archive/1/30-tabhere.pdf`,
  );
  assert.equal((await put(`odoo-archive/1/${"x".repeat(255)}`)).error, null);
  const long = await raw(`/object/${B}/odoo-archive/1/${"x".repeat(256)}`, { method: "POST", body: "k" });
  assert.deepEqual(await body(long), [
    500,
    '{"statusCode":"500","error":"Internal","message":"Internal Server Error","code":"InternalError"}',
  ]);
  const k1025 = Array.from({ length: 9 }, () => "s".repeat(113)).join("/");
  assert.equal(k1025.length, 1025);
  assert.equal((await put(k1025)).error, null);
});

test("§3 keys: encodeURIComponent per segment keeps ? and refuses #, % and \\", async ({ files }) => {
  const put = (name: string) =>
    files.upload(`odoo-archive/1/${encodeURIComponent(name)}`, enc("k"), { contentType: "text/plain" });
  assert.equal((await put("14-what?.pdf")).data?.fullPath, `${B}/odoo-archive/1/14-what?.pdf`);
  for (const name of ["15-no#1.pdf", "16-100%.pdf", "17-a%20b.pdf", "23-a\\b.pdf", "30-tab\there.pdf"]) {
    assert.equal(errorJson((await put(name)).error).code, "InvalidKey", name);
  }
  assert.equal(
    (await put("13-devis final  v2.pdf")).data?.fullPath,
    `${B}/odoo-archive/1/13-devis final  v2.pdf`,
  );
});

// ---- 4. content types --------------------------------------------------------------------------

test("§4 content types: supabase-js default, Blob parts win, exact mime match", async ({ sb, files }) => {
  const typeOf = async (k: string) => (await files.info(k)).data?.contentType;
  await files.upload("t/none", enc("x"));
  assert.equal(await typeOf("t/none"), "text/plain;charset=UTF-8");
  await files.upload("t/csv", enc("x"), { contentType: "text/csv; charset=utf-8" });
  assert.equal(await typeOf("t/csv"), "text/csv; charset=utf-8");
  await files.upload("t/blob", new Blob(["x"], { type: "application/pdf" }), { contentType: "text/csv" });
  assert.equal(await typeOf("t/blob"), "application/pdf");
  await files.upload("t/untyped", new Blob(["x"]), { contentType: "text/csv" });
  assert.equal(await typeOf("t/untyped"), "application/octet-stream");
  await files.upload("t/stream", ReadableStream.from([enc("x")]), { contentType: "application/pdf" });
  assert.equal(await typeOf("t/stream"), "application/pdf");
  await sb.storage.createBucket("limited", {
    public: false,
    allowedMimeTypes: ["text/csv", "application/pdf"],
  });
  const refused = await sb.storage.from("limited").upload("a.csv", enc("x"), {
    contentType: "text/csv; charset=utf-8",
  });
  assert.deepEqual(errorJson(refused.error), {
    name: "StorageApiError",
    message: "mime type text/csv; charset=utf-8 is not supported",
    status: 400,
    statusCode: "415",
    code: "InvalidMimeType",
  });
  assert.equal(
    errorJson((await sb.storage.from("limited").upload("b.csv", enc("x"))).error).statusCode,
    "415",
  );
});

// ---- 5. size limits ----------------------------------------------------------------------------

test("§5 a bucket's file size limit answers 413 EntityTooLarge", async ({ sb, key, s }) => {
  await sb.storage.createBucket("small", { public: false, fileSizeLimit: "1MB" });
  const res = await fetch(`${s.url}/storage/v1/object/small/two-mb.bin`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/octet-stream" },
    body: new Uint8Array(2_000_000),
  });
  assert.deepEqual(await body(res), [
    400,
    '{"statusCode":"413","error":"Payload too large","message":"The object exceeded the maximum allowed size","code":"EntityTooLarge"}',
  ]);
  assert.equal((await sb.storage.from("small").upload("fits.bin", new Uint8Array(1_000_000))).error, null);
});

// ---- 6. copy / move ----------------------------------------------------------------------------

test("§6 copy answers bucket-prefixed paths, never overwrites; move", async ({ sb, files }) => {
  await files.upload("src.txt", enc("hello"));
  assert.deepEqual((await files.copy("src.txt", "odoo-archive/2/10-hello.txt")).data, {
    path: `${B}/odoo-archive/2/10-hello.txt`,
  });
  const onto = await files.copy("src.txt", "odoo-archive/2/10-hello.txt");
  assert.equal(errorJson(onto.error).statusCode, "409");
  assert.equal(errorJson(onto.error).code, "KeyAlreadyExists");
  assert.deepEqual(errorJson((await files.copy("missing.txt", "x.txt")).error), {
    name: "StorageApiError",
    message: "Object not found",
    status: 400,
    statusCode: "404",
    code: "NoSuchKey",
  });
  await sb.storage.createBucket("other", { public: false });
  assert.deepEqual((await files.copy("src.txt", "copied.csv", { destinationBucket: "other" })).data, {
    path: "other/copied.csv",
  });
  assert.deepEqual((await files.move("src.txt", "moved.txt")).data, { message: "Successfully moved" });
  assert.equal((await files.exists("src.txt")).data, false);
  assert.equal(await (await files.download("moved.txt")).data?.text(), "hello");
});

// ---- 7. signed URLs ----------------------------------------------------------------------------

test("§7 signed URLs: token claims, download without auth, download names", async ({ s, files }) => {
  const csv = "ligne;erreur\n1;é\n";
  await files.upload("reports/run-1/errors.csv", enc(csv), { contentType: "text/csv" });
  const signed = await files.createSignedUrl("reports/run-1/errors.csv", 60);
  const url = signed.data!.signedUrl;
  assert.ok(url.startsWith(`${s.url}/storage/v1/object/sign/${B}/reports/run-1/errors.csv?token=`), url);
  const claims = JSON.parse(
    atob(new URL(url).searchParams.get("token")!.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
  );
  assert.equal(claims.url, `${B}/reports/run-1/errors.csv`);
  assert.equal(claims.exp - claims.iat, 60);
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("content-type"), "text/csv");
  assert.match(res.headers.get("etag") ?? "", /^"[0-9a-f]{32}"$/);
  assert.equal(await res.text(), csv);
  const head = await fetch(url, { method: "HEAD" });
  assert.equal(head.status, 200);
  const asFile = await files.createSignedUrl("reports/run-1/errors.csv", 60, { download: true });
  const attached = await fetch(asFile.data!.signedUrl);
  await attached.body?.cancel();
  assert.equal(attached.headers.get("content-disposition"), "attachment;");
  const named = await files.createSignedUrl("reports/run-1/errors.csv", 60, {
    download: "rapport erreurs é.csv",
  });
  const renamed = await fetch(named.data!.signedUrl);
  await renamed.body?.cancel();
  assert.equal(
    renamed.headers.get("content-disposition"),
    "attachment; filename=rapport%20erreurs%20%25C3%25A9.csv; filename*=UTF-8''rapport%20erreurs%20%25C3%25A9.csv",
  );
});

test("§7 signed URLs: expired, tampered, no token, expiresIn 0, missing object, several", async ({ s, files }) => {
  await files.upload("r/e.csv", enc("x"), { contentType: "text/csv" });
  const base = `${s.url}/storage/v1/object/sign/${B}/r/e.csv`;
  const expired = await mintJwt(SECRET, { url: `${B}/r/e.csv` }, -10);
  assert.deepEqual(await body(await fetch(`${base}?token=${expired}`)), [
    400,
    '{"statusCode":"400","error":"InvalidJWT","message":"\\"exp\\" claim timestamp check failed","code":"InvalidJWT"}',
  ]);
  const good = (await files.createSignedUrl("r/e.csv", 60)).data!.signedUrl;
  const tampered = good.slice(0, -3) + (good.endsWith("AAA") ? "BBB" : "AAA");
  assert.deepEqual(await body(await fetch(tampered)), [
    400,
    '{"statusCode":"400","error":"InvalidJWT","message":"signature verification failed","code":"InvalidJWT"}',
  ]);
  assert.deepEqual(await body(await fetch(base)), [
    400,
    `{"statusCode":"400","error":"Error","message":"querystring must have required property 'token'","code":"InvalidRequest"}`,
  ]);
  const zero = await files.createSignedUrl("r/e.csv", 0);
  assert.equal(errorJson(zero.error).message, "body/expiresIn must be >= 1");
  assert.equal(errorJson(zero.error).code, "InvalidRequest");
  assert.equal(errorJson((await files.createSignedUrl("r/none.csv", 60)).error).code, "NoSuchKey");
  const many = await files.createSignedUrls(["r/e.csv", "r/none.csv"], 60);
  assert.equal(many.data?.[0].error, null);
  assert.ok(many.data?.[0].signedUrl?.startsWith(`${s.url}/storage/v1/object/sign/${B}/r/e.csv?token=`));
  assert.deepEqual(many.data?.[1], {
    error: "Either the object does not exist or you do not have access to it",
    path: "r/none.csv",
    signedURL: null,
    signedUrl: null,
  });
  const upload = await files.createSignedUploadUrl("r/up.csv");
  assert.equal(upload.error, null);
  assert.equal((await files.uploadToSignedUrl("r/up.csv", upload.data!.token, enc("u"))).error, null);
  const publicUrl = files.getPublicUrl("r/e.csv").data.publicUrl;
  assert.deepEqual(await body(await fetch(publicUrl)), [
    400,
    '{"statusCode":"404","error":"Bucket not found","message":"Bucket not found","code":"NoSuchBucket"}',
  ]);
});

// ---- 8. list / remove --------------------------------------------------------------------------

test("§8 list: one level, folders, pages, search, missing prefix and bucket", async ({ sb, files }) => {
  for (let i = 0; i < 7; i++) await files.upload(`odoo-archive/0${i}-f.txt`, enc("f"));
  await files.upload("odoo-archive/sub/inner.txt", enc("i"));
  const names = async (opts: Record<string, unknown>, prefix = "odoo-archive") =>
    (await files.list(prefix, opts)).data?.map((o) => o.name);
  assert.deepEqual(await names({ limit: 3, offset: 0 }), ["00-f.txt", "01-f.txt", "02-f.txt"]);
  assert.deepEqual(await names({ limit: 3, offset: 3 }), ["03-f.txt", "04-f.txt", "05-f.txt"]);
  assert.deepEqual(await names({ limit: 3, offset: 6 }), ["06-f.txt", "sub"]);
  assert.deepEqual(await names({}, "odoo-archive/"), await names({}, "odoo-archive"));
  const all = (await files.list("odoo-archive")).data!;
  assert.deepEqual(all.at(-1), {
    name: "sub",
    id: null,
    updated_at: null,
    created_at: null,
    last_accessed_at: null,
    metadata: null,
  });
  assert.deepEqual(Object.keys(all[0].metadata!), [
    "eTag",
    "size",
    "mimetype",
    "cacheControl",
    "lastModified",
    "contentLength",
    "httpStatusCode",
  ]);
  assert.equal((await names({ search: "0" }))?.length, 7);
  assert.deepEqual(await names({}, "odoo-archive/pa"), []);
  assert.deepEqual(await names({}, "nothing-here"), []);
  assert.deepEqual((await sb.storage.from("no-such-bucket").list("x")).data, []);
  assert.equal(
    errorJson((await files.list("odoo-archive", { limit: 0 })).error).message,
    "body/limit must be >= 1",
  );
});

test("§8 remove answers the deleted rows only, never recursive", async ({ files }) => {
  await files.upload("d/a.txt", enc("a"));
  await files.upload("d/b.txt", enc("b"));
  await files.upload("d/sub/c.txt", enc("c"));
  const removed = await files.remove(["d/a.txt", "d/b.txt", "d/missing.txt"]);
  assert.deepEqual(removed.data?.map((r) => r.name), ["d/a.txt", "d/b.txt"]);
  assert.deepEqual((await files.remove(["d/missing.txt"])).data, []);
  assert.deepEqual((await files.remove(["d/sub"])).data, []);
  assert.equal((await files.exists("d/sub/c.txt")).data, true);
  assert.equal(
    errorJson((await files.remove([])).error).message,
    "body/prefixes must NOT have fewer than 1 items",
  );
});

// ---- 9. missing things, auth -------------------------------------------------------------------

test("§9 missing object and bucket bodies", async ({ raw, sb }) => {
  assert.deepEqual(await body(await raw(`/object/${B}/none.pdf`)), [
    400,
    '{"statusCode":"404","error":"not_found","message":"Object not found","code":"NoSuchKey"}',
  ]);
  assert.deepEqual(await body(await raw("/object/no-such-bucket/x.pdf", { method: "POST", body: "x" })), [
    400,
    '{"statusCode":"404","error":"Bucket not found","message":"Bucket not found","code":"NoSuchBucket"}',
  ]);
  assert.equal(
    errorJson((await sb.storage.from("no-such-bucket").download("x.pdf")).error).code,
    "NoSuchBucket",
  );
});

test("§9 auth: other secret, not a JWT, expired key, anon role, no header", async ({ s, files }) => {
  const other = await mintJwt("another-secret-that-is-32-characters-long", { role: "service_role" });
  const asOther = await client(s.url, other).storage.from(B).upload("x.txt", enc("x"));
  assert.deepEqual(errorJson(asOther.error), {
    name: "StorageApiError",
    message: "signature verification failed",
    status: 400,
    statusCode: "403",
    code: "AccessDenied",
  });
  const rawOther = await fetch(`${s.url}/storage/v1/bucket`, {
    headers: { authorization: `Bearer ${other}` },
  });
  assert.deepEqual(await body(rawOther), [
    400,
    '{"statusCode":"403","error":"Unauthorized","message":"signature verification failed","code":"AccessDenied"}',
  ]);
  const notJwt = await client(s.url, "not-a-jwt").storage.listBuckets();
  assert.equal(errorJson(notJwt.error).message, "Invalid Compact JWS");
  assert.equal(errorJson(notJwt.error).statusCode, "403");
  const expired = await mintJwt(SECRET, { role: "service_role" }, -10);
  const late = await client(s.url, expired).storage.listBuckets();
  assert.equal(errorJson(late.error).message, '"exp" claim timestamp check failed');
  assert.equal(errorJson(late.error).statusCode, "403");

  await files.upload("private.txt", enc("p"));
  const anon = client(s.url, await mintJwt(SECRET, { role: "anon" })).storage;
  assert.deepEqual(errorJson((await anon.from(B).upload("a.txt", enc("a"))).error), {
    name: "StorageApiError",
    message: "new row violates row-level security policy",
    status: 400,
    statusCode: "403",
    code: "AccessDenied",
  });
  assert.equal(errorJson((await anon.from(B).download("private.txt")).error).code, "NoSuchKey");
  assert.deepEqual((await anon.from(B).list("")).data, []);
  assert.equal(errorJson((await anon.createBucket("anon-bucket")).error).statusCode, "403");

  const bare = await fetch(`${s.url}/storage/v1/object/${B}/private.txt`);
  assert.deepEqual(await body(bare), [
    400,
    `{"statusCode":"400","error":"Error","message":"headers must have required property 'authorization'","code":"InvalidRequest"}`,
  ]);
});

test("an opaque service key (sb_secret_...) is accepted when it is the configured one", async () => {
  const s = await startStorageStandin({
    jwtSecret: SECRET,
    serviceRoleKey: "sb_secret_abc",
    buckets: [{ name: B }],
  });
  try {
    const files = client(s.url, "sb_secret_abc").storage.from(B);
    assert.equal((await files.upload("k.txt", enc("k"))).error, null);
    const wrong = await client(s.url, "sb_secret_xyz").storage.from(B).upload("k2.txt", enc("k"));
    assert.equal(errorJson(wrong.error).message, "Invalid Compact JWS");
  } finally {
    await s.close();
  }
});

// ---- 10. TUS -----------------------------------------------------------------------------------

test("§10 TUS: OPTIONS, create with x-upsert, PATCH, HEAD, offset conflict", async ({ s, key, files, raw }) => {
  const options = await fetch(`${s.url}/storage/v1/upload/resumable`, { method: "OPTIONS" });
  assert.equal(options.status, 204);
  assert.equal(options.headers.get("tus-resumable"), "1.0.0");
  assert.equal(options.headers.get("tus-version"), "1.0.0");
  assert.equal(
    options.headers.get("tus-extension"),
    "creation,creation-with-upload,creation-defer-length,termination,expiration",
  );
  assert.equal(options.headers.get("tus-max-size"), "524288000");

  const meta = `bucketName ${btoa(B)},objectName ${btoa("tus/hello.txt")},contentType ${btoa("text/plain")}`;
  const tus = { "tus-resumable": "1.0.0" };
  const created = await raw("/upload/resumable", {
    method: "POST",
    headers: { ...tus, "upload-metadata": meta, "x-upsert": "true", "upload-length": "11" },
  });
  assert.equal(created.status, 201);
  const location = created.headers.get("location")!;
  const id = location.split("/").pop()!;
  assert.equal(location, `${s.url}/storage/v1/upload/resumable/${id}`);
  assert.match(
    atob(id.replace(/-/g, "+").replace(/_/g, "/")),
    new RegExp(`^${B}/tus/hello\\.txt/[0-9a-f-]{36}$`),
  );

  const patch = (offset: string, data: string) =>
    fetch(location, {
      method: "PATCH",
      headers: {
        ...tus,
        authorization: `Bearer ${key}`,
        "upload-offset": offset,
        "content-type": "application/offset+octet-stream",
      },
      body: data,
    });
  const first = await patch("0", "hello");
  assert.equal(first.status, 204);
  assert.equal(first.headers.get("upload-offset"), "5");
  const conflict = await patch("0", "hello");
  assert.deepEqual(await body(conflict), [409, "Upload-Offset conflict\n"]);
  const head = await fetch(location, { method: "HEAD", headers: { ...tus, authorization: `Bearer ${key}` } });
  assert.equal(head.headers.get("upload-offset"), "5");
  assert.equal(head.headers.get("upload-length"), "11");
  const last = await patch("5", " world");
  assert.equal(last.status, 204);
  assert.equal(last.headers.get("tus-complete"), "1");
  assert.equal(last.headers.get("upload-offset"), "11");
  assert.equal(await (await files.download("tus/hello.txt")).data?.text(), "hello world");

  const again = await raw("/upload/resumable", {
    method: "POST",
    headers: { ...tus, "upload-metadata": meta, "upload-length": "1" },
  });
  assert.deepEqual(await body(again), [409, "The resource already exists"]);
  const bare = await fetch(`${s.url}/storage/v1/upload/resumable`, { method: "POST", headers: tus });
  assert.equal(JSON.parse(await bare.text()).message, "headers must have required property 'authorization'");
});

test("§10 TUS with deferred length: the last PATCH announces it", async ({ s, key, files }) => {
  const auth = { authorization: `Bearer ${key}`, "tus-resumable": "1.0.0" };
  const meta = `bucketName ${btoa(B)},objectName ${btoa("tus/deferred.bin")},contentType ${
    btoa("application/pdf")
  }`;
  const created = await fetch(`${s.url}/storage/v1/upload/resumable`, {
    method: "POST",
    headers: { ...auth, "upload-metadata": meta, "upload-defer-length": "1" },
  });
  const location = created.headers.get("location")!;
  const head = await fetch(location, { method: "HEAD", headers: auth });
  assert.equal(head.headers.get("upload-defer-length"), "1");
  const patch = (offset: number, data: string, length?: number) =>
    fetch(location, {
      method: "PATCH",
      headers: {
        ...auth,
        "upload-offset": String(offset),
        "content-type": "application/offset+octet-stream",
        ...(length ? { "upload-length": String(length) } : {}),
      },
      body: data,
    });
  assert.equal((await patch(0, "abc")).headers.get("tus-complete"), null);
  const done = await patch(3, "def", 6);
  assert.equal(done.headers.get("tus-complete"), "1");
  assert.equal((await files.info("tus/deferred.bin")).data?.contentType, "application/pdf");
  assert.equal(await (await files.download("tus/deferred.bin")).data?.text(), "abcdef");
  assert.equal(s.stats.byRoute["PATCH /upload/resumable/:id"], 2);
});

// ---- 11. where the stand-in once differed from the real server (storage.md section 11) ----------

const NO_SUCH_BUCKET =
  '{"statusCode":"404","error":"Bucket not found","message":"Bucket not found","code":"NoSuchBucket"}';

test("§11.1 a key signed by another secret: GET /object and /object/info say Bucket not found, the rest 403", async ({ s, files, sb }) => {
  await files.upload("k/a.txt", enc("a"), { contentType: "text/plain" });
  await sb.storage.createBucket("pub", { public: true });
  await sb.storage.from("pub").upload("p.txt", enc("p"), { contentType: "text/plain" });
  const other = await mintJwt("another-secret-that-is-32-characters-long", { role: "service_role" });
  const as = (path: string, init: RequestInit = {}) =>
    fetch(`${s.url}/storage/v1${path}`, {
      ...init,
      headers: { authorization: `Bearer ${other}`, ...(init.headers as Record<string, string> ?? {}) },
    });
  assert.deepEqual(await body(await as(`/object/${B}/k/a.txt`)), [400, NO_SUCH_BUCKET]);
  assert.deepEqual(await body(await as(`/object/info/${B}/k/a.txt`)), [400, NO_SUCH_BUCKET]);
  assert.deepEqual(await body(await as(`/object/pub/p.txt`)), [200, "p"], "a public bucket is served");
  const denied =
    '{"statusCode":"403","error":"Unauthorized","message":"signature verification failed","code":"AccessDenied"}';
  assert.deepEqual(await body(await as(`/object/authenticated/${B}/k/a.txt`)), [400, denied]);
  assert.deepEqual(await body(await as(`/object/info/authenticated/${B}/k/a.txt`)), [400, denied]);
  const copy = await as("/object/copy", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ bucketId: B, sourceKey: "k/a.txt", destinationKey: "k/b.txt" }),
  });
  assert.deepEqual(await body(copy), [400, denied]);
  const tus = await as("/upload/resumable", {
    method: "POST",
    headers: {
      "tus-resumable": "1.0.0",
      "upload-length": "1",
      "upload-metadata": `bucketName ${btoa(B)},objectName ${btoa("k/t.txt")}`,
    },
  });
  assert.deepEqual(await body(tus), [400, denied]);
  // Through supabase-js: exists() and info() see "Bucket not found", not "forbidden".
  const stranger = client(s.url, other).storage.from(B);
  await assert.rejects(stranger.exists("k/a.txt"), { code: "NoSuchBucket" }); // (exists() throws it)
  assert.equal(errorJson((await stranger.info("k/a.txt")).error).code, "NoSuchBucket");
});

test("§11.2 a range at or past the end: 416 InvalidRange, no content-range", async ({ files, raw }) => {
  await files.upload("r/ten.txt", enc("0123456789"), { contentType: "text/plain" });
  for (const range of ["bytes=10-", "bytes=20-"]) {
    const res = await raw(`/object/${B}/r/ten.txt`, { headers: { range } });
    assert.equal(res.headers.get("content-range"), null, range);
    assert.deepEqual(await body(res), [
      416,
      '{"statusCode":"416","error":"invalid_range","message":"invalid range provided","code":"InvalidRange"}',
    ]);
  }
  const part = await raw(`/object/${B}/r/ten.txt`, { headers: { range: "bytes=7-" } });
  assert.equal(part.headers.get("content-range"), "bytes 7-9/10");
  assert.deepEqual(await body(part), [206, "789"]);
});

/** Creates a TUS upload of `length` bytes for `key`; returns its URL. */
async function tusCreate(c: Ctx, key: string, length: number, headers: Record<string, string> = {}) {
  const res = await c.raw("/upload/resumable", {
    method: "POST",
    headers: {
      "tus-resumable": "1.0.0",
      "upload-length": String(length),
      "upload-metadata": `bucketName ${btoa(B)},objectName ${btoa(key)},contentType ${btoa("text/plain")}`,
      ...headers,
    },
  });
  assert.equal(res.status, 201, await res.text());
  return res.headers.get("location")!;
}

function tusRequest(
  c: Ctx,
  url: string,
  method: string,
  headers: Record<string, string> = {},
  data?: string,
) {
  return fetch(url, {
    method,
    headers: {
      authorization: `Bearer ${c.key}`,
      "tus-resumable": "1.0.0",
      ...(method === "PATCH" ? { "content-type": "application/offset+octet-stream" } : {}),
      ...headers,
    },
    body: data,
  });
}

test("§11.3 TUS HEAD on a finished upload: 200, upload-offset = its length", async (c) => {
  const url = await tusCreate(c, "tus/done.txt", 5);
  const last = await tusRequest(c, url, "PATCH", { "upload-offset": "0" }, "hello");
  assert.equal(last.headers.get("tus-complete"), "1");
  const head = await tusRequest(c, url, "HEAD");
  assert.equal(head.status, 200);
  assert.equal(head.headers.get("upload-offset"), "5");
  assert.equal(head.headers.get("upload-length"), "5");
});

test("§11.4 TUS PATCH with a wrong content-type, and a bad upload id: 400", async (c) => {
  const url = await tusCreate(c, "tus/ct.txt", 5);
  const wrong = await tusRequest(c, url, "PATCH", {
    "upload-offset": "0",
    "content-type": "application/octet-stream",
  }, "hello");
  assert.deepEqual(await body(wrong), [400, "Invalid content-type"]);
  const bad = `${c.s.url}/storage/v1/upload/resumable/${btoa("nonsense")}`;
  for (const method of ["HEAD", "PATCH", "DELETE"]) {
    const res = await tusRequest(
      c,
      bad,
      method,
      { "upload-offset": "0" },
      method === "PATCH" ? "x" : undefined,
    );
    assert.equal(res.status, 400, method);
    if (method !== "HEAD") assert.equal(await res.text(), "Invalid upload id", method);
    else await res.body?.cancel();
  }
});

test("§11.5 a route outside /object that does not exist: fastify's 404, numeric statusCode, no code", async ({ raw }) => {
  assert.deepEqual(await body(await raw("/nothing/here")), [
    404,
    '{"message":"Route GET:/nothing/here not found","error":"Not Found","statusCode":404}',
  ]);
  // Under /object, Storage's own format (section 3 above).
  assert.equal(JSON.parse(await (await raw("/object")).text()).code, "InvalidRequest");
});

test('§11.6 copy answers the whole object row; remove rows have owner and owner_id ""', async ({ files, raw }) => {
  await files.upload("c/src.txt", enc("hello"), { contentType: "text/plain" });
  const res = await raw("/object/copy", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ bucketId: B, sourceKey: "c/src.txt", destinationKey: "c/dst.txt" }),
  });
  assert.equal(res.status, 200);
  const row = await res.json();
  assert.deepEqual(Object.keys(row).slice(0, 2), ["Id", "Key"]);
  assert.equal(row.Key, `${B}/c/dst.txt`);
  assert.equal(row.name, "c/dst.txt");
  assert.equal(row.bucket_id, B);
  assert.equal(row.owner, "");
  assert.equal(row.id, row.Id);
  assert.equal(typeof row.version, "string");
  assert.equal(row.metadata.size, 5);
  const removed = (await files.remove(["c/dst.txt"])).data![0];
  assert.equal(removed.owner, "");
  assert.equal((removed as unknown as { owner_id: string }).owner_id, "");
});

test("§11.7 headers: JSON charset, accept-ranges, no-cache without Cache-Control, HTML served as text", async ({ files, raw }) => {
  const missing = await raw(`/object/${B}/none.txt`);
  await missing.body?.cancel();
  assert.equal(missing.headers.get("content-type"), "application/json; charset=utf-8");
  const up = await raw(`/object/${B}/h/page.html`, {
    method: "POST",
    headers: { "content-type": "text/html" },
    body: "<p>hi</p>",
  });
  assert.equal(up.headers.get("content-type"), "application/json; charset=utf-8");
  await up.body?.cancel();
  const got = await raw(`/object/${B}/h/page.html`);
  assert.equal(got.headers.get("content-type"), "text/plain");
  assert.equal(got.headers.get("accept-ranges"), "bytes");
  assert.equal(got.headers.get("cache-control"), "no-cache");
  assert.equal(await got.text(), "<p>hi</p>");
  assert.equal(
    (await files.info("h/page.html")).data?.contentType,
    "text/html",
    "the metadata keeps text/html",
  );
});

test("§11.8 a missing bucket refuses uploads; a TUS upload over the 500 MB default limit is 413", async (c) => {
  assert.deepEqual(await body(await c.raw("/object/nowhere/x.txt", { method: "POST", body: "x" })), [
    400,
    NO_SUCH_BUCKET,
  ]);
  const big = await c.raw("/upload/resumable", {
    method: "POST",
    headers: {
      "tus-resumable": "1.0.0",
      "upload-length": String(600_000_000),
      "upload-metadata": `bucketName ${btoa(B)},objectName ${btoa("big.bin")}`,
    },
  });
  assert.deepEqual(await body(big), [413, "Maximum size exceeded\n"]);
});

test("§11 TUS replacing an object: upsert on the POST only is refused at the first PATCH and the DELETE", async (c) => {
  await c.files.upload("tus/r.txt", enc("old"), { contentType: "text/plain" });
  const url = await tusCreate(c, "tus/r.txt", 3, { "x-upsert": "true" });
  assert.deepEqual(await body(await tusRequest(c, url, "PATCH", { "upload-offset": "0" }, "new")), [
    409,
    "The resource already exists",
  ]);
  assert.deepEqual(await body(await tusRequest(c, url, "DELETE")), [409, "The resource already exists"]);
  // With x-upsert on every request, as tus-js-client sends its headers: replaced.
  const done = await tusRequest(c, url, "PATCH", { "upload-offset": "0", "x-upsert": "true" }, "new");
  assert.equal(done.status, 204);
  assert.equal(await (await c.files.download("tus/r.txt")).data?.text(), "new");
});
