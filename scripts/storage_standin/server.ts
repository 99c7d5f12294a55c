/**
 * A stand-in for Supabase Storage (v1.70.6 behind the `/storage/v1` gateway) that answers as the real one
 * does, down to status codes and error bodies, as observed against the real server (Storage v1.70.6 with
 * supabase-js 2.119.1) and read in its source:
 *
 * - almost every error is HTTP 400 with the real status as a STRING in `statusCode`; route-not-found is a
 *   404, crashes are 500, fastify URL errors carry a numeric `statusCode`;
 * - object names pass the server's whitelist (`InvalidKey` otherwise); a segment over 255 bytes fails like
 *   the file backend (500 InternalError);
 * - the service-role JWT is verified with the project's JWT secret (jose's messages, as Storage uses jose);
 *   other roles meet a private bucket without policies: uploads refused by RLS, downloads `NoSuchKey`,
 *   lists empty;
 * - signed URLs are HS256 JWTs `{url, scope, iat, exp}` whose `url` is the decodeURI'd request path, as
 *   `ObjectStorage.signObjectUrl` computes it;
 * - TUS resumable uploads (`/upload/resumable`) with the creation, creation-with-upload,
 *   creation-defer-length and termination extensions; TUS errors are plain text with the real status;
 *   `x-upsert` is asked of every PATCH and DELETE, not only of the POST;
 * - where it once differed (storage.md section 11, each point tested in server_test.ts): a refused key
 *   on the routes that also serve public buckets, 416 bodies, HEAD on finished uploads, TUS content
 *   types and upload ids, fastify's own 404, whole rows from copy, headers (JSON charset, accept-ranges,
 *   no-cache, HTML served as text).
 *
 * Bytes live on disk (a temp dir unless `dir` is given) and are streamed both ways, never held whole in
 * memory; the catalogue (buckets, object rows, uploads in progress) lives in memory, as the real server
 * keeps it in PostgreSQL. Not modelled: image transforms, the S3 protocol, versions.
 */
import { createHash, type Hash } from "node:crypto";
import { join } from "node:path";
import { jose } from "../../functions-shared/deps.ts";
import { isServerValidKey, MAX_SEGMENT_BYTES } from "../../functions-shared/storage/safe_key.ts";

/** A bucket created at start. */
export interface BucketSeed {
  name: string;
  public?: boolean;
  /** Bytes, or a string with a unit as the API takes it (`"1MB"`). */
  fileSizeLimit?: number | string;
  allowedMimeTypes?: string[];
}

/** Options of `startStorageStandin()`. */
export interface StandinOptions {
  /** The project's JWT secret (HS256): verifies API keys, signs URLs. */
  jwtSecret: string;
  /**
   * The service-role key callers present. A JWT is verified like any other; an opaque key
   * (`sb_secret_...`) is accepted as service role when it matches exactly, as the gateway does.
   */
  serviceRoleKey?: string;
  /** Where bytes are kept; a temp dir (removed on close) by default. */
  dir?: string;
  port?: number;
  hostname?: string;
  /** `UPLOAD_FILE_SIZE_LIMIT`, 500 MB as in the recorded setup. */
  globalFileSizeLimit?: number;
  buckets?: BucketSeed[];
}

/** What the stand-in saw, for tests that check how a client talked to it. */
export interface StandinStats {
  requests: number;
  /** Requests per `METHOD /route`, e.g. `"POST /object/:bucket/*"`, `"PATCH /upload/resumable/:id"`. */
  byRoute: Record<string, number>;
  /** Object bytes received (uploads and TUS chunks). */
  bytesReceived: number;
}

/** A running stand-in. */
export interface StorageStandin {
  /** Project URL: Storage answers under `${url}/storage/v1/`. */
  url: string;
  dir: string;
  stats: StandinStats;
  close(): Promise<void>;
}

interface Bucket {
  id: string;
  name: string;
  owner: string;
  public: boolean;
  file_size_limit: number | null;
  allowed_mime_types: string[] | null;
  created_at: string;
  updated_at: string;
}

interface StoredObject {
  id: string;
  bucket_id: string;
  name: string;
  version: string;
  blob: string;
  size: number;
  mimetype: string;
  cacheControl: string;
  eTag: string;
  created_at: string;
  updated_at: string;
  last_accessed_at: string;
  user_metadata: Record<string, unknown>;
}

interface TusUpload {
  id: string;
  bucket: string;
  key: string;
  contentType: string;
  cacheControl: string;
  length: number | null;
  offset: number;
  file: string;
  md5: Hash;
  userMetadata: Record<string, unknown>;
}

/** `unauthenticated`: a key that failed verification on a route that serves public buckets without one. */
type Role = "service_role" | "authenticated" | "anon" | "unauthenticated";

const TUS_HEADERS = {
  "tus-resumable": "1.0.0",
  "tus-version": "1.0.0",
  "tus-extension": "creation,creation-with-upload,creation-defer-length,termination,expiration",
};

const encoder = new TextEncoder();

/** Signs an HS256 JWT with `claims`, e.g. a service-role key for tests. */
export async function mintJwt(
  jwtSecret: string,
  claims: Record<string, unknown>,
  expiresInS = 3600,
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt(now)
    .setExpirationTime(now + expiresInS)
    .sign(encoder.encode(jwtSecret));
}

/** A JSON answer as Storage (fastify) sends it: `application/json; charset=utf-8` (storage.md 11.7). */
function json(body: unknown, init: ResponseInit = {}): Response {
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { ...init, headers });
}

/** Storage's JSON error: HTTP 400 unless the real status is a 5xx, the status as a string in the body. */
function storageError(statusCode: number, error: string, message: string, code: string): Response {
  const body = { statusCode: String(statusCode), error, message, code };
  return json(body, { status: statusCode >= 500 ? statusCode : 400 });
}

const E = {
  invalidKey: (key: string) => storageError(400, "InvalidKey", `Invalid key: ${key}`, "InvalidKey"),
  noSuchKey: () => storageError(404, "not_found", "Object not found", "NoSuchKey"),
  noSuchBucket: () => storageError(404, "Bucket not found", "Bucket not found", "NoSuchBucket"),
  keyExists: () => storageError(409, "Duplicate", "The resource already exists", "KeyAlreadyExists"),
  bucketExists: () => storageError(409, "Duplicate", "The resource already exists", "BucketAlreadyExists"),
  tooLarge: () =>
    storageError(413, "Payload too large", "The object exceeded the maximum allowed size", "EntityTooLarge"),
  mime: (t: string) =>
    storageError(415, "invalid_mime_type", `mime type ${t} is not supported`, "InvalidMimeType"),
  internal: () => storageError(500, "Internal", "Internal Server Error", "InternalError"),
  rls: () => storageError(403, "Unauthorized", "new row violates row-level security policy", "AccessDenied"),
  accessDenied: (message: string) => storageError(403, "Unauthorized", message, "AccessDenied"),
  invalidJwt: (message: string) => storageError(400, "InvalidJWT", message, "InvalidJWT"),
  /** Schema validation failures (ajv through fastify). */
  schema: (message: string) => storageError(400, "Error", message, "InvalidRequest"),
  notEmpty: () =>
    storageError(409, "ResourceNotEmpty", "The bucket you tried to delete is not empty", "ResourceNotEmpty"),
  invalidBucketName: () => storageError(400, "Invalid Input", "Bucket name invalid", "InvalidBucketName"),
};

/**
 * A route that does not exist. Storage's REST prefixes (`/object`, `/bucket`, ...) answer in its error
 * format; elsewhere fastify's default answers, with a numeric statusCode and no code (storage.md 11.5).
 */
function routeNotFound(method: string, url: string): Response {
  const message = `Route ${method}:${url} not found`;
  if (/^\/(object|bucket|render|cdn|vector)(\/|$|\?)/.test(url)) {
    return json({ statusCode: "404", error: "Not Found", message, code: "InvalidRequest" }, { status: 404 });
  }
  return json({ message, error: "Not Found", statusCode: 404 }, { status: 404 });
}

function badUrl(url: string): Response {
  return json(
    {
      error: "Bad Request",
      code: "FST_ERR_BAD_URL",
      message: `'${url}' is not a valid url component`,
      statusCode: 400,
    },
    { status: 400 },
  );
}

function tusText(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, {
    status,
    headers: { "tus-resumable": "1.0.0", "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

/** `src/storage/limits.ts` `parseFileSizeToBytes`. */
function parseFileSize(v: unknown): number | null | "invalid" {
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return Number.isFinite(v) && v >= 0 ? v : "invalid";
  const m = /(^[0-9]+(?:\.[0-9]+)?)(gb|mb|kb|b)$/i.exec(String(v));
  if (!m) return "invalid";
  const value = +parseFloat(m[1]).toPrecision(3);
  const unit = m[2].toUpperCase();
  return unit === "GB" ? value * 1e9 : unit === "MB" ? value * 1e6 : unit === "KB" ? value * 1000 : value;
}

function isValidBucketName(name: unknown): name is string {
  return typeof name === "string" && name.length > 0 && name.length < 101 &&
    /^[A-Za-z0-9_!.*'() &$@=;:+,?-]*$/.test(name);
}

function mimeAllowed(allowed: string[] | null, type: string): boolean {
  if (!allowed || allowed.length === 0) return true;
  return allowed.some((a) => a === type || (a.endsWith("/*") && type.startsWith(a.slice(0, -1))));
}

function segmentTooLong(key: string): boolean {
  return key.split("/").some((s) => encoder.encode(s).length > MAX_SEGMENT_BYTES);
}

function b64decode(s: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0)));
}

function b64url(s: string): string {
  return btoa(String.fromCharCode(...encoder.encode(s))).replace(/\+/g, "-").replace(/\//g, "_").replace(
    /=+$/,
    "",
  );
}

/** Counts (and md5s) bytes on their way to disk; `limit` exceeded → the stream errors with `TooLarge`. */
class TooLarge extends Error {}

function meter(hash: Hash, limit: number, onBytes: (n: number) => void) {
  let seen = 0;
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, ctrl) {
      seen += chunk.byteLength;
      if (seen > limit) throw new TooLarge();
      onBytes(chunk.byteLength);
      hash.update(chunk);
      ctrl.enqueue(chunk);
    },
  });
}

interface Part {
  name: string;
  filename: string | null;
  type: string | null;
  data: Uint8Array;
}

/**
 * A small multipart/form-data reader: Deno's `formData()` drops parts with an empty name, which is how
 * supabase-js sends a Blob (`form.append("", blob)`), while Storage's @fastify/multipart keeps them.
 */
function parseMultipart(body: Uint8Array, contentType: string): Part[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  if (!boundary) return [];
  const latin1 = new TextDecoder("latin1").decode(body); // one char per byte: indexes match bytes
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  const parts: Part[] = [];
  let at = latin1.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    if (latin1.startsWith("--", start)) break;
    const next = latin1.indexOf(`\r\n${delimiter}`, start);
    if (next === -1) break;
    const headerEnd = latin1.indexOf("\r\n\r\n", start);
    const head = latin1.slice(start + 2, headerEnd);
    const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? "";
    parts.push({
      name: /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? "",
      filename: /\bfilename="([^"]*)"/i.exec(disposition)?.[1] ?? null,
      type: /content-type:\s*([^\r\n]*)/i.exec(head)?.[1]?.trim() ?? null,
      data: body.subarray(headerEnd + 4, next),
    });
    at = next + 2;
  }
  return parts;
}

async function readJson(req: Request): Promise<Record<string, unknown> | null> {
  try {
    const v = await req.json();
    return v && typeof v === "object" ? v : null;
  } catch {
    return null;
  }
}

/**
 * Starts the stand-in on 127.0.0.1 (a random port by default).
 *
 * @example
 * const storage = await startStorageStandin({ jwtSecret, buckets: [{ name: "estimation-files" }] });
 * const key = await mintJwt(jwtSecret, { role: "service_role" });
 * // createClient(storage.url, key).storage.from("estimation-files").upload(...)
 * await storage.close();
 */
export async function startStorageStandin(options: StandinOptions): Promise<StorageStandin> {
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? await Deno.makeTempDir({ prefix: "storage-standin-" });
  const blobs = join(dir, "blobs");
  const tusDir = join(dir, "tus");
  await Deno.mkdir(blobs, { recursive: true });
  await Deno.mkdir(tusDir, { recursive: true });
  const secret = encoder.encode(options.jwtSecret);
  const globalLimit = options.globalFileSizeLimit ?? 524_288_000;
  const buckets = new Map<string, Bucket>();
  const objects = new Map<string, Map<string, StoredObject>>();
  const uploads = new Map<string, TusUpload>();
  /** Lengths of finished uploads: `HEAD` still answers for them (storage.md 11.3). */
  const finished = new Map<string, number>();
  const stats: StandinStats = { requests: 0, byRoute: {}, bytesReceived: 0 };
  const countBytes = (n: number) => (stats.bytesReceived += n);

  function addBucket(seed: BucketSeed) {
    const now = new Date().toISOString();
    const limit = parseFileSize(seed.fileSizeLimit);
    buckets.set(seed.name, {
      id: seed.name,
      name: seed.name,
      owner: "",
      public: Boolean(seed.public),
      file_size_limit: limit === "invalid" ? null : limit,
      allowed_mime_types: seed.allowedMimeTypes ?? null,
      created_at: now,
      updated_at: now,
    });
    objects.set(seed.name, new Map());
  }
  for (const b of options.buckets ?? []) addBucket(b);

  const limitOf = (b: Bucket) => Math.min(globalLimit, b.file_size_limit ?? globalLimit);

  /**
   * The caller's role. `lenient` routes (GET /object/:bucket/* and /object/info/:bucket/*, which serve
   * public buckets without a key: `allowInvalidJwt` in Storage's routes) take a key that fails
   * verification as no key at all, so a private bucket is then "Bucket not found" (storage.md 11.1).
   */
  async function authenticate(req: Request, lenient = false): Promise<Role | Response> {
    const header = req.headers.get("authorization");
    if (header === null) return E.schema("headers must have required property 'authorization'");
    const token = header.replace(/^Bearer\s+/i, "");
    if (options.serviceRoleKey && token === options.serviceRoleKey && token.split(".").length !== 3) {
      return "service_role";
    }
    try {
      const { payload } = await jose.jwtVerify(token, secret, { algorithms: ["HS256"] });
      const role = payload.role;
      return role === "service_role" || role === "authenticated" ? role : "anon";
    } catch (e) {
      if (lenient) return "unauthenticated";
      return E.accessDenied(e instanceof Error ? e.message : String(e));
    }
  }

  function objectRow(o: StoredObject) {
    return {
      bucket_id: o.bucket_id,
      name: o.name,
      owner: "",
      owner_id: "",
      id: o.id,
      version: o.version,
      updated_at: o.updated_at,
      created_at: o.created_at,
      last_accessed_at: o.last_accessed_at,
      metadata: fileMetadata(o),
      user_metadata: o.user_metadata,
    };
  }

  function fileMetadata(o: StoredObject) {
    return {
      eTag: `"${o.eTag}"`,
      size: o.size,
      mimetype: o.mimetype,
      cacheControl: o.cacheControl,
      lastModified: o.updated_at,
      contentLength: o.size,
      httpStatusCode: 200,
    };
  }

  /** Puts a finished blob under `key`, keeping the object id on overwrite as Storage does. */
  async function commitObject(
    bucket: string,
    key: string,
    blob: string,
    fields: {
      size: number;
      mimetype: string;
      cacheControl: string;
      eTag: string;
      userMetadata?: Record<string, unknown>;
    },
  ): Promise<StoredObject> {
    const table = objects.get(bucket)!;
    const now = new Date().toISOString();
    const existing = table.get(key);
    const version = crypto.randomUUID();
    const finalBlob = join(blobs, version);
    await Deno.rename(blob, finalBlob);
    if (existing) await Deno.remove(existing.blob).catch(() => {});
    const row: StoredObject = {
      id: existing?.id ?? crypto.randomUUID(),
      bucket_id: bucket,
      name: key,
      version,
      blob: finalBlob,
      size: fields.size,
      mimetype: fields.mimetype,
      cacheControl: fields.cacheControl,
      eTag: fields.eTag,
      created_at: existing?.created_at ?? now,
      updated_at: now,
      last_accessed_at: now,
      user_metadata: fields.userMetadata ?? existing?.user_metadata ?? {},
    };
    table.set(key, row);
    return row;
  }

  async function deleteObject(bucket: string, key: string): Promise<StoredObject | null> {
    const table = objects.get(bucket);
    const row = table?.get(key);
    if (!table || !row) return null;
    table.delete(key);
    await Deno.remove(row.blob).catch(() => {});
    return row;
  }

  async function serveObject(req: Request, o: StoredObject, download: string | null): Promise<Response> {
    const headers: Record<string, string> = {
      // Never served as HTML, whatever it was stored as (its metadata keeps the type: storage.md 11.7).
      "content-type": o.mimetype.includes("text/html") ? "text/plain" : o.mimetype,
      "content-length": String(o.size),
      "accept-ranges": "bytes",
      "cache-control": o.cacheControl,
      etag: `"${o.eTag}"`,
      "last-modified": new Date(o.updated_at).toUTCString(),
    };
    if (download !== null) {
      // Storage encodes the (already decoded) name once more: see storage.md section 7.
      const name = encodeURIComponent(download);
      headers["content-disposition"] = download === ""
        ? "attachment;"
        : `attachment; filename=${name}; filename*=UTF-8''${name}`;
    }
    if (req.method === "HEAD") return new Response(null, { status: 200, headers });
    // Storage passes Range to S3: `bytes=N-` or `bytes=N-M` answers 206 with Content-Range; a start
    // past the end answers 416 (an import resumes a CSV at a byte offset this way).
    const range = req.headers.get("range")?.match(/^bytes=(\d+)-(\d*)$/);
    if (range) {
      const start = Number(range[1]);
      const end = range[2] === "" ? o.size - 1 : Math.min(Number(range[2]), o.size - 1);
      if (start >= o.size || end < start) {
        // storage.md 11.2: a 416 in Storage's format, without content-range.
        return json(
          {
            statusCode: "416",
            error: "invalid_range",
            message: "invalid range provided",
            code: "InvalidRange",
          },
          { status: 416 },
        );
      }
      const file = await Deno.open(o.blob, { read: true });
      await file.seek(start, Deno.SeekMode.Start);
      let left = end - start + 1;
      const body = file.readable.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, c) {
            if (left <= 0) return;
            const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
            left -= part.length;
            c.enqueue(part);
          },
        }),
      );
      return new Response(body, {
        status: 206,
        headers: {
          ...headers,
          "content-length": String(end - start + 1),
          "content-range": `bytes ${start}-${end}/${o.size}`,
        },
      });
    }
    const file = await Deno.open(o.blob, { read: true });
    return new Response(file.readable, { status: 200, headers });
  }

  // ---- objects -----------------------------------------------------------------------------------

  async function upload(req: Request, role: Role, bucketName: string, key: string, upsert: boolean) {
    const bucket = buckets.get(bucketName);
    if (!bucket) return E.noSuchBucket();
    if (role !== "service_role") return E.rls();
    let contentType = req.headers.get("content-type") ?? "text/plain;charset=UTF-8";
    // Without Cache-Control the object is served with `no-cache` (storage.md 11.7; supabase-js always
    // sends one, `max-age=3600` by default).
    let cacheControl = req.headers.get("cache-control") ?? "no-cache";
    let body: ReadableStream<Uint8Array> | null = req.body;
    let userMetadata: Record<string, unknown> | undefined;
    const xMeta = req.headers.get("x-metadata");
    if (xMeta) {
      try {
        userMetadata = JSON.parse(b64decode(xMeta));
      } catch { /* ignored, as a malformed header is */ }
    }
    if (contentType.startsWith("multipart/form-data")) {
      // supabase-js sends Blobs/Files as a form: the file part's own type wins over contentType.
      // A form is read whole (Passerelle's adapters never send one).
      const parts = parseMultipart(new Uint8Array(await req.arrayBuffer()), contentType);
      const file = parts.find((p) => p.filename !== null);
      if (!file) return E.schema("No content provided");
      contentType = file.type || "application/octet-stream";
      const cc = parts.find((p) => p.name === "cacheControl" && p.filename === null);
      if (cc) {
        const v = new TextDecoder().decode(cc.data);
        cacheControl = /^\d+$/.test(v) ? `max-age=${v}` : v;
      }
      body = ReadableStream.from([file.data]);
    } else if (/^\d+$/.test(cacheControl)) {
      cacheControl = `max-age=${cacheControl}`;
    }
    if (!mimeAllowed(bucket.allowed_mime_types, contentType)) return E.mime(contentType);
    const limit = limitOf(bucket);
    const declared = Number(req.headers.get("content-length") ?? NaN);
    // Storage answers before reading the body (and the client may see its connection dropped).
    if (Number.isFinite(declared) && declared > limit) return E.tooLarge();
    if (!isServerValidKey(key)) return E.invalidKey(key);
    const table = objects.get(bucketName)!;
    if (table.has(key) && !upsert) return E.keyExists();
    if (segmentTooLong(key)) return E.internal(); // ENAMETOOLONG from the file backend
    const tmp = join(blobs, `tmp-${crypto.randomUUID()}`);
    const hash = createHash("md5");
    let size = 0;
    try {
      const file = await Deno.open(tmp, { write: true, createNew: true });
      const source = body ?? ReadableStream.from<Uint8Array>([]);
      await source.pipeThrough(meter(hash, limit, (n) => {
        size += n;
        countBytes(n);
      })).pipeTo(file.writable);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      if (e instanceof TooLarge) return E.tooLarge();
      throw e;
    }
    if (table.has(key) && !upsert) {
      await Deno.remove(tmp).catch(() => {});
      return E.keyExists();
    }
    const row = await commitObject(bucketName, key, tmp, {
      size,
      mimetype: contentType,
      cacheControl,
      eTag: hash.digest("hex"),
      userMetadata,
    });
    return json({ Key: `${bucketName}/${key}`, Id: row.id });
  }

  function findObject(role: Role, bucketName: string, key: string): StoredObject | Response {
    if (!buckets.has(bucketName)) return E.noSuchBucket();
    if (role === "unauthenticated") {
      if (!buckets.get(bucketName)!.public) return E.noSuchBucket();
      role = "service_role"; // a public bucket is served as the super user serves it
    }
    if (!isServerValidKey(key)) return E.invalidKey(key);
    const row = objects.get(bucketName)!.get(key);
    if (!row || role !== "service_role") return E.noSuchKey(); // no RLS policy: invisible, not forbidden
    return row;
  }

  function info(o: StoredObject) {
    return json({
      id: o.id,
      name: o.name,
      version: o.version,
      bucket_id: o.bucket_id,
      size: o.size,
      content_type: o.mimetype,
      cache_control: o.cacheControl,
      etag: `"${o.eTag}"`,
      metadata: o.user_metadata,
      last_modified: o.updated_at,
      created_at: o.created_at,
    });
  }

  async function copyOrMove(req: Request, role: Role, move: boolean): Promise<Response> {
    const upsert = !move && req.headers.get("x-upsert") === "true";
    const body = await readJson(req);
    for (const p of ["bucketId", "sourceKey", "destinationKey"]) {
      if (!body || typeof body[p] !== "string") return E.schema(`body must have required property '${p}'`);
    }
    const bucketId = body!.bucketId as string;
    const sourceKey = body!.sourceKey as string;
    const destinationKey = body!.destinationKey as string;
    const destBucket = typeof body!.destinationBucket === "string" ? body!.destinationBucket : bucketId;
    if (!buckets.has(bucketId)) return E.noSuchBucket();
    if (!isServerValidKey(destinationKey)) return E.invalidKey(destinationKey);
    const source = objects.get(bucketId)!.get(sourceKey);
    if (!source || role !== "service_role") return E.noSuchKey();
    const target = buckets.get(destBucket);
    if (!target) return E.noSuchBucket();
    if (objects.get(destBucket)!.has(destinationKey) && !upsert) return E.keyExists();
    if (!mimeAllowed(target.allowed_mime_types, source.mimetype)) return E.mime(source.mimetype);
    if (source.size > limitOf(target)) return E.tooLarge();
    if (segmentTooLong(destinationKey)) return E.internal();
    const tmp = join(blobs, `tmp-${crypto.randomUUID()}`);
    await Deno.copyFile(source.blob, tmp);
    const row = await commitObject(destBucket, destinationKey, tmp, {
      size: source.size,
      mimetype: source.mimetype,
      cacheControl: source.cacheControl,
      eTag: source.eTag,
      userMetadata: source.user_metadata,
    });
    if (move) {
      await deleteObject(bucketId, sourceKey);
      return json({ message: "Successfully moved" });
    }
    // The whole object row after the deprecated Id and Key (storage.md 11.6).
    return json({ Id: row.id, Key: `${destBucket}/${destinationKey}`, ...objectRow(row) });
  }

  async function list(req: Request, role: Role, bucketName: string): Promise<Response> {
    const body = await readJson(req);
    if (!body || typeof body.prefix !== "string") {
      return E.schema("body must have required property 'prefix'");
    }
    const limit = body.limit === undefined ? 100 : Number(body.limit);
    const offset = body.offset === undefined ? 0 : Number(body.offset);
    if (!Number.isInteger(limit)) return E.schema("body/limit must be integer");
    if (limit < 1) return E.schema("body/limit must be >= 1");
    if (!Number.isInteger(offset) || offset < 0) return E.schema("body/offset must be >= 0");
    const table = objects.get(bucketName);
    if (!table || role !== "service_role") return json([]);
    let prefix = body.prefix as string;
    if (prefix.length > 0 && !prefix.endsWith("/")) prefix += "/";
    const search = typeof body.search === "string" ? body.search.toLowerCase() : "";
    const sortBy = (body.sortBy ?? {}) as { column?: string; order?: string };
    const files: StoredObject[] = [];
    const folders = new Set<string>();
    for (const [key, row] of table) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf("/");
      const name = slash === -1 ? rest : rest.slice(0, slash);
      if (!name.toLowerCase().startsWith(search)) continue;
      if (slash === -1) files.push(row);
      else folders.add(name);
    }
    type Item = { name: string; row?: StoredObject };
    const items: Item[] = [
      ...files.map((row) => ({ name: row.name.slice(prefix.length), row })),
      ...[...folders].map((name) => ({ name })),
    ];
    const column = sortBy.column ?? "name";
    const desc = (sortBy.order ?? "asc").toLowerCase() === "desc";
    const sortKey = (i: Item): string =>
      column === "name" ? i.name : String((i.row as unknown as Record<string, unknown>)?.[column] ?? "");
    items.sort((a, b) => {
      const x = sortKey(a), y = sortKey(b);
      const c = x < y ? -1 : x > y ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
      return desc ? -c : c;
    });
    return json(
      items.slice(offset, offset + limit).map((i) =>
        i.row
          ? {
            name: i.name,
            id: i.row.id,
            updated_at: i.row.updated_at,
            created_at: i.row.created_at,
            last_accessed_at: i.row.last_accessed_at,
            metadata: fileMetadata(i.row),
          }
          : {
            name: i.name,
            id: null,
            updated_at: null,
            created_at: null,
            last_accessed_at: null,
            metadata: null,
          }
      ),
    );
  }

  async function removeMany(req: Request, role: Role, bucketName: string): Promise<Response> {
    const body = await readJson(req);
    if (!body || !Array.isArray(body.prefixes)) {
      return E.schema("body must have required property 'prefixes'");
    }
    if (body.prefixes.length < 1) return E.schema("body/prefixes must NOT have fewer than 1 items");
    if (!buckets.has(bucketName) || role !== "service_role") return json([]);
    const deleted = [];
    for (const p of body.prefixes) {
      const row = typeof p === "string" ? await deleteObject(bucketName, p) : null;
      if (row) deleted.push(objectRow(row));
    }
    return json(deleted);
  }

  function expiresInProblem(body: Record<string, unknown> | null): string | null {
    if (!body || body.expiresIn === undefined) return "body must have required property 'expiresIn'";
    if (typeof body.expiresIn !== "number" || !Number.isInteger(body.expiresIn)) {
      return "body/expiresIn must be integer";
    }
    if (body.expiresIn < 1) return "body/expiresIn must be >= 1";
    return null;
  }

  async function signToken(url: string, expiresIn: number, extra: Record<string, unknown> = {}) {
    return await mintJwt(options.jwtSecret, { url, ...extra }, expiresIn);
  }

  async function sign(req: Request, role: Role, bucketName: string, key: string, rawAfterSign: string) {
    const body = await readJson(req);
    const problem = expiresInProblem(body);
    if (problem) return E.schema(problem);
    const found = findObject(role, bucketName, key);
    if (found instanceof Response) return found;
    // ObjectStorage.signObjectUrl signs decodeURI(request path): reserved characters stay encoded.
    const urlToSign = decodeURI(rawAfterSign);
    const token = await signToken(urlToSign, body!.expiresIn as number, { scope: "download" });
    return json({ signedURL: `/object/sign/${urlToSign}?token=${token}` });
  }

  async function signMany(req: Request, role: Role, bucketName: string) {
    const body = await readJson(req);
    const problem = expiresInProblem(body);
    if (problem) return E.schema(problem);
    if (!Array.isArray(body!.paths)) return E.schema("body must have required property 'paths'");
    const table = role === "service_role" ? objects.get(bucketName) : undefined;
    const out = [];
    for (const path of body!.paths as unknown[]) {
      if (typeof path === "string" && table?.has(path)) {
        const url = `${bucketName}/${path}`;
        const token = await signToken(url, body!.expiresIn as number, { scope: "download" });
        out.push({ error: null, path, signedURL: `/object/sign/${url}?token=${token}` });
      } else {
        out.push({
          error: "Either the object does not exist or you do not have access to it",
          path,
          signedURL: null,
        });
      }
    }
    return json(out);
  }

  async function verifyToken(token: string): Promise<Record<string, unknown> | Response> {
    try {
      return (await jose.jwtVerify(token, secret, { algorithms: ["HS256"] })).payload;
    } catch (e) {
      return E.invalidJwt(e instanceof Error ? e.message : String(e));
    }
  }

  async function getSigned(req: Request, u: URL, bucketName: string, key: string) {
    const token = u.searchParams.get("token");
    if (token === null) return E.schema("querystring must have required property 'token'");
    const payload = await verifyToken(token);
    if (payload instanceof Response) return payload;
    const url = String(payload.url ?? "");
    if (url !== `${bucketName}/${key}`) {
      return storageError(400, "InvalidSignature", "The url do not match the signature", "InvalidSignature");
    }
    const [b, ...parts] = url.split("/");
    const found = findObject("service_role", b, parts.join("/"));
    if (found instanceof Response) return found;
    return await serveObject(req, found, u.searchParams.get("download"));
  }

  async function createSignedUpload(req: Request, role: Role, bucketName: string, key: string) {
    if (!buckets.has(bucketName)) return E.noSuchBucket();
    if (!isServerValidKey(key)) return E.invalidKey(key);
    if (role !== "service_role") return E.rls();
    const upsert = req.headers.get("x-upsert") === "true";
    if (!upsert && objects.get(bucketName)!.has(key)) return E.keyExists();
    const url = `${bucketName}/${key}`;
    const token = await signToken(url, 7200, { upsert });
    return json({ url: `/object/upload/sign/${url}?token=${token}`, token });
  }

  async function uploadToSigned(req: Request, u: URL, bucketName: string, key: string) {
    const token = u.searchParams.get("token");
    if (token === null) return E.schema("querystring must have required property 'token'");
    const payload = await verifyToken(token);
    if (payload instanceof Response) return payload;
    if (payload.url !== `${bucketName}/${key}`) {
      return storageError(400, "InvalidSignature", "The url do not match the signature", "InvalidSignature");
    }
    return await upload(req, "service_role", bucketName, key, payload.upsert === true);
  }

  // ---- buckets -----------------------------------------------------------------------------------

  async function createBucket(req: Request, role: Role) {
    const body = await readJson(req);
    if (!body || typeof body.name !== "string") return E.schema("body must have required property 'name'");
    const id = typeof body.id === "string" ? body.id : body.name;
    if (role !== "service_role") return E.rls();
    if (!isValidBucketName(id)) return E.invalidBucketName();
    const limit = parseFileSize(body.file_size_limit);
    if (limit === "invalid") {
      return E.schema("Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B");
    }
    if (limit !== null && limit > globalLimit) return E.tooLarge();
    if (buckets.has(id)) return E.bucketExists();
    addBucket({
      name: id,
      public: Boolean(body.public),
      fileSizeLimit: limit ?? undefined,
      allowedMimeTypes: Array.isArray(body.allowed_mime_types)
        ? body.allowed_mime_types as string[]
        : undefined,
    });
    return json({ name: id });
  }

  async function updateBucket(req: Request, bucket: Bucket) {
    const body = (await readJson(req)) ?? {};
    if ("file_size_limit" in body) {
      const limit = parseFileSize(body.file_size_limit);
      if (limit === "invalid") return E.schema("Invalid file size format, hint: use 20GB / 20MB / 30KB / 3B");
      if (limit !== null && limit > globalLimit) return E.tooLarge();
      bucket.file_size_limit = limit;
    }
    if ("public" in body) bucket.public = Boolean(body.public);
    if ("allowed_mime_types" in body) {
      bucket.allowed_mime_types = Array.isArray(body.allowed_mime_types) ? body.allowed_mime_types : null;
    }
    bucket.updated_at = new Date().toISOString();
    return json({ message: "Successfully updated" });
  }

  // ---- TUS ---------------------------------------------------------------------------------------

  function parseTusMetadata(header: string | null): Record<string, string> | null {
    if (!header) return null;
    const out: Record<string, string> = {};
    for (const pair of header.split(",")) {
      const [k, v] = pair.trim().split(" ");
      if (!k) return null;
      try {
        out[k] = v === undefined ? "" : b64decode(v);
      } catch {
        return null;
      }
    }
    return out;
  }

  async function tusCreate(req: Request, u: URL, role: Role): Promise<Response> {
    if (req.headers.get("tus-resumable") !== "1.0.0") return tusText(412, "Unsupported version\n");
    const meta = parseTusMetadata(req.headers.get("upload-metadata"));
    if (!meta) return tusText(400, "Metadata header is required");
    const lengthHeader = req.headers.get("upload-length");
    const deferred = req.headers.get("upload-defer-length") === "1";
    const length = lengthHeader === null ? null : Number(lengthHeader);
    if ((length === null && !deferred) || (length !== null && (!Number.isInteger(length) || length < 0))) {
      return tusText(400, "Upload-Length or Upload-Defer-Length header required\n");
    }
    const bucketName = meta.bucketName ?? "";
    const key = meta.objectName ?? "";
    const bucket = buckets.get(bucketName);
    if (!bucket) return tusText(404, "Bucket not found");
    if (!isServerValidKey(key)) return tusText(400, `Invalid key: ${key}`);
    if (role !== "service_role") return tusText(403, "new row violates row-level security policy");
    const upsert = req.headers.get("x-upsert") === "true";
    if (!upsert && objects.get(bucketName)!.has(key)) return tusText(409, "The resource already exists");
    const contentType = meta.contentType || "application/octet-stream";
    if (!mimeAllowed(bucket.allowed_mime_types, contentType)) {
      return tusText(415, `mime type ${contentType} is not supported`);
    }
    if (length !== null && length > limitOf(bucket)) return tusText(413, "Maximum size exceeded\n");
    if (segmentTooLong(key)) return tusText(500, "Internal Server Error");
    const version = crypto.randomUUID();
    const id = b64url(`${bucketName}/${key}/${version}`);
    const file = join(tusDir, version);
    await Deno.writeFile(file, new Uint8Array());
    let userMetadata: Record<string, unknown> = {};
    try {
      if (meta.metadata) userMetadata = JSON.parse(meta.metadata);
    } catch { /* ignored */ }
    const up: TusUpload = {
      id,
      bucket: bucketName,
      key,
      contentType,
      cacheControl: /^\d+$/.test(meta.cacheControl ?? "") ? `max-age=${meta.cacheControl}` : "no-cache",
      length,
      offset: 0,
      file,
      md5: createHash("md5"),
      userMetadata,
    };
    uploads.set(id, up);
    const location = `${u.origin}/storage/v1/upload/resumable/${id}`;
    if (req.body && req.headers.get("content-type") === "application/offset+octet-stream") {
      const res = await tusWrite(req, up, upsert);
      const headers = new Headers(res.headers);
      headers.set("location", location);
      return new Response(null, { status: res.status === 204 ? 201 : res.status, headers });
    }
    return new Response(null, { status: 201, headers: { "tus-resumable": "1.0.0", location } });
  }

  /**
   * Appends a PATCH body to an upload; completes it when the announced length is reached. `upsert` is
   * this request's own `x-upsert`: Storage asks it of every request, not only of the POST.
   */
  async function tusWrite(req: Request, up: TusUpload, upsert: boolean): Promise<Response> {
    const bucket = buckets.get(up.bucket);
    if (!bucket) return tusText(404, "Bucket not found");
    const lengthHeader = req.headers.get("upload-length");
    if (lengthHeader !== null && up.length === null) {
      const length = Number(lengthHeader);
      if (!Number.isInteger(length) || length < up.offset) return tusText(400, "Invalid Upload-Length\n");
      if (length > limitOf(bucket)) return tusText(413, "Maximum size exceeded\n");
      up.length = length;
    }
    const room = (up.length ?? limitOf(bucket)) - up.offset;
    const before = up.offset;
    const file = await Deno.open(up.file, { write: true, append: true });
    try {
      await (req.body ?? ReadableStream.from<Uint8Array>([]))
        .pipeThrough(meter(up.md5, room, (n) => {
          up.offset += n;
          countBytes(n);
        }))
        .pipeTo(file.writable);
    } catch (e) {
      // A rejected chunk leaves the upload as it was before it.
      await Deno.truncate(up.file, before);
      up.offset = before;
      if (e instanceof TooLarge) {
        return tusText(413, up.length === null ? "Maximum size exceeded\n" : "upload's size exceeded\n");
      }
      throw e;
    }
    const headers: Record<string, string> = { "tus-resumable": "1.0.0", "upload-offset": String(up.offset) };
    if (up.length !== null && up.offset === up.length) {
      uploads.delete(up.id);
      finished.set(up.id, up.length);
      if (!upsert && objects.get(up.bucket)!.has(up.key)) {
        await Deno.remove(up.file).catch(() => {});
        return tusText(409, "The resource already exists");
      }
      await commitObject(up.bucket, up.key, up.file, {
        size: up.offset,
        mimetype: up.contentType,
        cacheControl: up.cacheControl,
        eTag: up.md5.digest("hex"),
        userMetadata: up.userMetadata,
      });
      headers["tus-complete"] = "1";
    }
    return new Response(null, { status: 204, headers });
  }

  /**
   * An upload id is `base64url(bucket/key/version)`; one that does not decode to that is refused before
   * anything is looked up (storage.md 11.4).
   */
  function validUploadId(id: string): boolean {
    let decoded: string;
    try {
      decoded = new TextDecoder("utf-8", { fatal: true }).decode(
        Uint8Array.from(atob(id.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)),
      );
    } catch {
      return false;
    }
    const parts = decoded.split("/");
    if (parts.length < 3) return false;
    const [bucket, ...rest] = parts;
    const version = rest.pop();
    return isValidBucketName(bucket) && isServerValidKey(rest.join("/")) && Boolean(version);
  }

  /**
   * Storage checks, on every request but HEAD, that this request may write the object: without its own
   * `x-upsert: true`, an object already under the key is a 409 (storage.md 11, "Replacing an object
   * over 6 MiB": the PATCH and the DELETE of an upload whose POST alone said upsert).
   */
  function tusMayWrite(req: Request, up: TusUpload): Response | null {
    const upsert = req.headers.get("x-upsert") === "true";
    if (!upsert && objects.get(up.bucket)?.has(up.key)) return tusText(409, "The resource already exists");
    return null;
  }

  async function tusPatch(req: Request, id: string): Promise<Response> {
    if (req.headers.get("tus-resumable") !== "1.0.0") return tusText(412, "Unsupported version\n");
    if (!validUploadId(id)) return tusText(400, "Invalid upload id");
    const up = uploads.get(id);
    if (!up) return tusText(404, "The file for this url was not found\n");
    const refused = tusMayWrite(req, up);
    if (refused) return refused;
    const offset = req.headers.get("upload-offset");
    if (offset === null) return tusText(403, "Upload-Offset header required\n");
    if (Number(offset) !== up.offset) return tusText(409, "Upload-Offset conflict\n");
    return await tusWrite(req, up, req.headers.get("x-upsert") === "true");
  }

  function tusHead(id: string): Response {
    if (!validUploadId(id)) return tusText(400, "Invalid upload id");
    const up = uploads.get(id);
    const done = finished.get(id);
    if (!up && done !== undefined) {
      // A finished upload still answers: complete, at its length (storage.md 11.3).
      return new Response(null, {
        status: 200,
        headers: {
          "tus-resumable": "1.0.0",
          "upload-offset": String(done),
          "upload-length": String(done),
          "cache-control": "no-store",
        },
      });
    }
    if (!up) return new Response(null, { status: 404, headers: { "tus-resumable": "1.0.0" } });
    const headers: Record<string, string> = {
      "tus-resumable": "1.0.0",
      "upload-offset": String(up.offset),
      "cache-control": "no-store",
    };
    if (up.length === null) headers["upload-defer-length"] = "1";
    else headers["upload-length"] = String(up.length);
    return new Response(null, { status: 200, headers });
  }

  async function tusDelete(req: Request, id: string): Promise<Response> {
    if (!validUploadId(id)) return tusText(400, "Invalid upload id");
    const up = uploads.get(id);
    if (!up) return tusText(404, "The file for this url was not found\n");
    const refused = tusMayWrite(req, up);
    if (refused) return refused;
    uploads.delete(id);
    await Deno.remove(up.file).catch(() => {});
    return new Response(null, { status: 204, headers: { "tus-resumable": "1.0.0" } });
  }

  // ---- routing -----------------------------------------------------------------------------------

  async function route(req: Request): Promise<Response> {
    const u = new URL(req.url);
    const method = req.method;
    if (!u.pathname.startsWith("/storage/v1/")) return routeNotFound(method, u.pathname + u.search);
    const path = u.pathname.slice("/storage/v1".length); // raw, still percent-encoded
    const url = path + u.search;
    try {
      decodeURIComponent(path);
    } catch {
      return badUrl(path);
    }
    const seg = path.split("/").slice(1);
    const dec = decodeURIComponent;
    const count = (
      name: string,
    ) => (stats.byRoute[`${method} ${name}`] = (stats.byRoute[`${method} ${name}`] ?? 0) + 1);
    /** bucket + wildcard after `n` leading segments, or null when the route needs a `/` that is missing. */
    const wild = (n: number) =>
      seg.length >= n + 2
        ? { bucket: dec(seg[n]), key: dec(seg.slice(n + 1).join("/")), raw: seg.slice(n).join("/") }
        : null;

    // TUS
    if (seg[0] === "upload" && seg[1] === "resumable") {
      if (method === "OPTIONS") {
        count("/upload/resumable");
        return new Response(null, {
          status: 204,
          headers: { ...TUS_HEADERS, "tus-max-size": String(globalLimit) },
        });
      }
      const id = seg.length === 3 ? seg[2] : null;
      if (seg.length > 3 || (id === null) !== (method === "POST")) return routeNotFound(method, url);
      count(id === null ? "/upload/resumable" : "/upload/resumable/:id");
      // The body's type is checked as it is parsed, before the key (storage.md 11.4).
      if (method === "PATCH" && req.headers.get("content-type") !== "application/offset+octet-stream") {
        return tusText(400, "Invalid content-type");
      }
      const role = await authenticate(req);
      if (role instanceof Response) return role;
      if (method === "POST") return await tusCreate(req, u, role);
      if (method === "HEAD") return tusHead(id!);
      if (method === "PATCH") return await tusPatch(req, id!);
      if (method === "DELETE") return await tusDelete(req, id!);
      return routeNotFound(method, url);
    }

    // Buckets
    if (seg[0] === "bucket") {
      const role = seg.length <= 3 ? await authenticate(req) : null;
      if (role instanceof Response) return role;
      if (seg.length === 1 && method === "GET") {
        count("/bucket");
        return json(role === "service_role" ? [...buckets.values()] : []);
      }
      if (seg.length === 1 && method === "POST") {
        count("/bucket");
        return await createBucket(req, role!);
      }
      if (seg.length === 2 || (seg.length === 3 && seg[2] === "empty" && method === "POST")) {
        count(seg.length === 2 ? "/bucket/:id" : "/bucket/:id/empty");
        const bucket = buckets.get(dec(seg[1]));
        if (!bucket || role !== "service_role") return E.noSuchBucket();
        if (seg.length === 3) {
          for (const key of [...objects.get(bucket.id)!.keys()]) await deleteObject(bucket.id, key);
          return json({
            message: "Empty bucket has been queued. Completion may take up to an hour.",
          });
        }
        if (method === "GET") return json(bucket);
        if (method === "PUT") return await updateBucket(req, bucket);
        if (method === "DELETE") {
          if (objects.get(bucket.id)!.size > 0) return E.notEmpty();
          buckets.delete(bucket.id);
          objects.delete(bucket.id);
          return json({ message: "Successfully deleted" });
        }
      }
      return routeNotFound(method, url);
    }

    if (seg[0] !== "object" || seg.length < 2) return routeNotFound(method, url);

    // Routes that need no Authorization header: signed and public downloads, signed uploads.
    if (seg[1] === "sign" && (method === "GET" || method === "HEAD")) {
      const w = wild(2);
      if (!w) return routeNotFound(method, url);
      count("/object/sign/:bucket/*");
      return await getSigned(req, u, w.bucket, w.key);
    }
    if (seg[1] === "public" && (method === "GET" || method === "HEAD")) {
      const w = wild(2);
      if (!w) return routeNotFound(method, url);
      count("/object/public/:bucket/*");
      const bucket = buckets.get(w.bucket);
      if (!bucket || !bucket.public) return E.noSuchBucket();
      const found = findObject("service_role", w.bucket, w.key);
      if (found instanceof Response) return found;
      return await serveObject(req, found, u.searchParams.get("download"));
    }
    if (seg[1] === "upload" && seg[2] === "sign" && method === "PUT") {
      const w = wild(3);
      if (!w) return routeNotFound(method, url);
      count("/object/upload/sign/:bucket/*");
      return await uploadToSigned(req, u, w.bucket, w.key);
    }

    // Everything else is authenticated; route existence is settled first, as fastify does.
    type Handler = (role: Role) => Promise<Response> | Response;
    let handler: Handler | null = null;
    let name = "";
    let lenient = false;
    if (seg[1] === "copy" && seg.length === 2 && method === "POST") {
      name = "/object/copy";
      handler = (role) => copyOrMove(req, role, false);
    } else if (seg[1] === "move" && seg.length === 2 && method === "POST") {
      name = "/object/move";
      handler = (role) => copyOrMove(req, role, true);
    } else if (seg[1] === "list" && seg.length === 3 && method === "POST") {
      name = "/object/list/:bucket";
      handler = (role) => list(req, role, dec(seg[2]));
    } else if (seg[1] === "sign" && seg.length === 3 && method === "POST") {
      name = "/object/sign/:bucket";
      handler = (role) => signMany(req, role, dec(seg[2]));
    } else if (seg[1] === "sign" && method === "POST" && wild(2)) {
      const w = wild(2)!;
      name = "/object/sign/:bucket/*";
      handler = (role) => sign(req, role, w.bucket, w.key, w.raw);
    } else if (seg[1] === "upload" && seg[2] === "sign" && method === "POST" && wild(3)) {
      const w = wild(3)!;
      name = "/object/upload/sign/:bucket/*";
      handler = (role) => createSignedUpload(req, role, w.bucket, w.key);
    } else if (seg[1] === "info" && method === "GET") {
      const n = seg[2] === "authenticated" || seg[2] === "public" ? 3 : 2;
      const w = wild(n);
      if (w) {
        name = "/object/info/:bucket/*";
        lenient = seg[2] !== "authenticated";
        handler = (role) => {
          const found = findObject(role, w.bucket, w.key);
          return found instanceof Response ? found : info(found);
        };
      }
    } else if (seg[1] === "authenticated" && (method === "GET" || method === "HEAD") && wild(2)) {
      const w = wild(2)!;
      name = "/object/authenticated/:bucket/*";
      handler = (role) => {
        const found = findObject(role, w.bucket, w.key);
        return found instanceof Response ? found : serveObject(req, found, u.searchParams.get("download"));
      };
    } else if (seg.length === 2 && method === "DELETE") {
      name = "/object/:bucket";
      handler = (role) => removeMany(req, role, dec(seg[1]));
    } else if (wild(1)) {
      const w = wild(1)!;
      name = "/object/:bucket/*";
      if (method === "POST" || method === "PUT") {
        const upsert = method === "PUT" || req.headers.get("x-upsert") === "true";
        handler = (role) => upload(req, role, w.bucket, w.key, upsert);
      } else if (method === "GET" || method === "HEAD") {
        lenient = true;
        handler = (role) => {
          const found = findObject(role, w.bucket, w.key);
          return found instanceof Response ? found : serveObject(req, found, u.searchParams.get("download"));
        };
      } else if (method === "DELETE") {
        handler = async (role) => {
          const found = findObject(role, w.bucket, w.key);
          if (found instanceof Response) return found;
          await deleteObject(w.bucket, w.key);
          return json({ message: "Successfully deleted" });
        };
      }
    }
    if (!handler) return routeNotFound(method, url);
    count(name);
    const role = await authenticate(req, lenient);
    if (role instanceof Response) return role;
    return await handler(role);
  }

  const server = Deno.serve({
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    onListen() {},
  }, async (req) => {
    stats.requests++;
    try {
      return await route(req);
    } catch (e) {
      console.error("storage stand-in:", e);
      return E.internal();
    }
  });
  const addr = server.addr as Deno.NetAddr;
  return {
    url: `http://${addr.hostname}:${addr.port}`,
    dir,
    stats,
    async close() {
      await server.shutdown();
      if (ownDir) await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

if (import.meta.main) {
  // deno run -A scripts/storage_standin/server.ts  (JWT_SECRET, STORAGE_PORT, STORAGE_DIR, STORAGE_BUCKETS)
  const jwtSecret = Deno.env.get("JWT_SECRET") ?? "super-secret-jwt-token-with-at-least-32-characters-long";
  const standin = await startStorageStandin({
    jwtSecret,
    serviceRoleKey: Deno.env.get("SUPABASE_SERVICE_ROLE_KEY"),
    port: Number(Deno.env.get("STORAGE_PORT") ?? 0),
    dir: Deno.env.get("STORAGE_DIR"),
    buckets: (Deno.env.get("STORAGE_BUCKETS") ?? "estimation-files").split(",").map((name) => ({ name })),
  });
  console.log(JSON.stringify({ url: standin.url, dir: standin.dir }));
  if (Deno.args.includes("--stdin-control")) {
    // Started by `standin_process.ts`: `stats` lines answered on stdout; stdin closed → stop.
    let buffered = "";
    for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      let i;
      while ((i = buffered.indexOf("\n")) >= 0) {
        if (buffered.slice(0, i).trim() === "stats") console.log(JSON.stringify(standin.stats));
        buffered = buffered.slice(i + 1);
      }
    }
    await standin.close();
  }
}
