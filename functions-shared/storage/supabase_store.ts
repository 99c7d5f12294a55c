/**
 * `supabaseStore()`: the ObjectStore on Supabase Storage, through supabase-js for everything but big
 * uploads, which go by TUS (`tus_upload.ts`).
 *
 * Keys are checked before any request (`isValidStorageKey`): Storage would refuse some (`InvalidKey`) and,
 * worse, silently store others under another name (storage.md section 3). supabase-js puts the key in the
 * URL unencoded, so the adapter encodes what a URL would misread (space, `%`, `?`, `#`) and nothing more:
 * Storage signs `decodeURI(path)`, which leaves reserved characters encoded, so encoding `:` or `@` would
 * produce signed URLs that never match their object.
 *
 * Network failures (`StorageUnknownError: fetch failed`, seen right after a 413 tears the connection down)
 * are retried once; other answers become PasserelleErrors (`storage_error.ts`).
 */
import { createClient } from "../deps.ts";
import { PasserelleError } from "../errors.ts";
import { ChunkReader } from "./chunk_reader.ts";
import type { ObjectInfo, ObjectStore, PutOptions, SignedUrlOptions } from "./object_store.ts";
import {
  assertSignableKey,
  assertValidKey,
  BUCKET_SEEN_MS,
  bucketMissingError,
  failureFromResponse,
  isNetworkFailure,
  storageError,
  type StorageFailure,
} from "./storage_error.ts";
import { TUS_CHUNK_BYTES, tusUpload } from "./tus_upload.ts";

/** Options of `supabaseStore()`. */
export interface SupabaseStoreOptions {
  /** Project URL (`SUPABASE_URL`); Storage is at `${url}/storage/v1`. */
  url: string;
  serviceRoleKey: string;
  bucket: string;
  fetch?: typeof fetch;
  /** Bodies above this go by TUS, in chunks of this size (Supabase requires 6 MiB). */
  chunkBytes?: number;
}

/**
 * Chunk buffers kept for reuse: two, for a TUS upload or two bodies read whole (import-dump's 6 MiB
 * budget admits two bodies over half a chunk at once, or one TUS upload alone).
 */
const POOL_KEEP = 2;
/**
 * Bodies read whole above this size (half a chunk) take a kept buffer; smaller ones get their own. From
 * 1 MiB, five files of 1–2 MiB at once each took a 6 MiB buffer (30 MB where 6 were sent).
 */
const POOLED_FROM = 3 << 20;

type Result<T> = { data: T; error: null } | { data: null | T; error: StorageFailure & Error };

/** The key as it must appear in a URL path: see the module comment for why so little is encoded. */
export function encodeKeyPath(key: string): string {
  return encodeURI(key).replace(/\?/g, "%3F").replace(/#/g, "%23");
}

/**
 * The ObjectStore on a Supabase Storage bucket (which must exist).
 *
 * @example
 * const store = supabaseStore({ url: config.supabaseUrl, serviceRoleKey: config.serviceRoleKey,
 *   bucket: "estimation-files" });
 * await store.put(archiveKey(12, 345, "devis.pdf"), bytes, { contentType: "application/pdf" });
 */
export function supabaseStore(options: SupabaseStoreOptions): ObjectStore {
  const url = options.url.replace(/\/+$/, "");
  const storageUrl = `${url}/storage/v1`;
  const doFetch = options.fetch ?? fetch;
  const chunkBytes = options.chunkBytes ?? TUS_CHUNK_BYTES;
  const { bucket, serviceRoleKey } = options;
  const client = createClient(url, serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: doFetch },
  });
  const files = () => client.storage.from(bucket);
  let bucketSeenAt = -Infinity;
  /**
   * Chunk buffers kept for the next uploads (a TUS upload takes two, a body over 1 MiB one): a fresh
   * 6 MiB buffer per file is garbage that lives long enough to reach V8's old generation, freed only by
   * a full collection, so a stream of big files piled them up (tens of MB of RSS).
   */
  const pool: Uint8Array<ArrayBuffer>[] = [];
  const take = () => pool.pop() ?? new Uint8Array(chunkBytes);
  const give = (...bufs: Uint8Array<ArrayBuffer>[]) => {
    for (const b of bufs) if (pool.length < POOL_KEEP) pool.push(b);
  };

  /** Runs a supabase-js call, once more after a network failure, and maps its error. */
  async function call<T>(op: string, key: string, fn: () => Promise<Result<T>>): Promise<T> {
    let r = await fn();
    if (r.error && isNetworkFailure(r.error)) r = await fn();
    if (r.error) throw storageError(op, key, r.error, r.error);
    return r.data as T;
  }

  /**
   * Bytes from `offset` on: an HTTP Range request on the authenticated download, which Storage answers
   * with 206 and Content-Range (416 when the offset is past the end, read here as no bytes). supabase-js
   * has no range option, hence the plain fetch.
   */
  async function rangeGet(key: string, offset: number): Promise<ReadableStream<Uint8Array>> {
    const attempt = () =>
      doFetch(`${storageUrl}/object/authenticated/${bucket}/${encodeKeyPath(key)}`, {
        headers: {
          authorization: `Bearer ${serviceRoleKey}`,
          apikey: serviceRoleKey,
          range: `bytes=${offset}-`,
        },
      });
    let res: Response;
    try {
      res = await attempt();
    } catch {
      res = await attempt().catch((e) => {
        throw storageError("download", key, { message: String(e), name: "StorageUnknownError" } as never, e);
      });
    }
    if (res.status === 416) {
      await res.body?.cancel();
      return new ReadableStream({ start: (c) => c.close() });
    }
    if (!res.ok) throw storageError("download", key, await failureFromResponse(res));
    const stream = res.body ?? new ReadableStream({ start: (c) => c.close() });
    if (res.status === 206) return stream;
    // A server that ignores Range sends the whole object: skip to the offset.
    let skip = offset;
    return stream.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, c) {
          if (skip >= chunk.length) {
            skip -= chunk.length;
            return;
          }
          c.enqueue(skip ? chunk.subarray(skip) : chunk);
          skip = 0;
        },
      }),
    );
  }

  async function stat(key: string): Promise<ObjectInfo | null> {
    assertValidKey("read info of", key);
    const attempt = () =>
      files().info(encodeKeyPath(key)) as Promise<Result<{ size?: number; contentType?: string }>>;
    let r = await attempt();
    if (r.error && isNetworkFailure(r.error)) r = await attempt();
    if (r.error) {
      const e = r.error;
      if (e.code === "NoSuchKey" || (String(e.statusCode) === "404" && e.code === undefined)) return null;
      throw storageError("read info of", key, e, e);
    }
    return { size: r.data?.size ?? 0, contentType: r.data?.contentType ?? "application/octet-stream" };
  }

  async function uploadSmall(key: string, bytes: Uint8Array, opts: PutOptions): Promise<void> {
    const send = () =>
      files().upload(encodeKeyPath(key), bytes, {
        contentType: opts.contentType,
        upsert: Boolean(opts.upsert),
      }) as Promise<Result<unknown>>;
    const first = await send();
    if (!first.error) return;
    if (!isNetworkFailure(first.error)) throw storageError("upload", key, first.error, first.error);
    const second = await send();
    if (!second.error) return;
    // The first try may have landed before its answer was lost: the same bytes are there, it is done.
    if (second.error.code === "KeyAlreadyExists") {
      const info = await stat(key);
      if (info && info.size === bytes.byteLength && info.contentType === opts.contentType) return;
    }
    throw storageError("upload", key, second.error, second.error);
  }

  function checkSize(key: string, expected: number | undefined, got: number, more: boolean) {
    if (expected !== undefined && (got !== expected || more)) {
      throw new PasserelleError(
        "storage_error",
        `Storage could not upload "${key}": ${expected} bytes were announced, the body holds ${
          more ? `more than ${got}` : got
        }`,
      );
    }
  }

  return {
    bucket,

    async checkBucket() {
      if (performance.now() - bucketSeenAt < BUCKET_SEEN_MS) return;
      // GET /bucket/<id> (storage.md section 1): 200 with the bucket, 400 NoSuchBucket when missing;
      // a refused key answers 403 AccessDenied here, so a wrong key is not mistaken for a missing bucket.
      const attempt = () => client.storage.getBucket(bucket) as Promise<Result<unknown>>;
      let r = await attempt();
      if (r.error && isNetworkFailure(r.error)) r = await attempt();
      if (r.error) {
        if (r.error.code === "NoSuchBucket") throw bucketMissingError(bucket, r.error);
        throw storageError("check bucket", bucket, r.error, r.error);
      }
      bucketSeenAt = performance.now();
    },

    // A body up to one chunk is read whole and sent; a bigger one goes by TUS, two chunks at a time.
    putBufferBytes: (size) => (size <= chunkBytes ? size : 2 * chunkBytes),

    async put(key, body, opts) {
      assertValidKey("upload", key);
      if (body instanceof Uint8Array) {
        checkSize(key, opts.size, body.byteLength, false);
        if (body.byteLength <= chunkBytes) return await uploadSmall(key, body, opts);
      }
      const size = body instanceof Uint8Array ? body.byteLength : opts.size;
      const reader = new ChunkReader(body);
      try {
        const tus = { fetch: doFetch, storageUrl, apiKey: serviceRoleKey, bucket, key, chunkBytes };
        const upsert = Boolean(opts.upsert);
        if (size !== undefined && size > chunkBytes) {
          const [a, b] = [take(), take()];
          try {
            return await tusUpload({ ...tus, contentType: opts.contentType, upsert, size }, reader, a, 0, b);
          } finally {
            give(a, b);
          }
        }
        // Small or unknown: read up to one chunk; a body that ends there goes the standard way.
        const pooled = size === undefined || size > POOLED_FROM ? take() : null;
        try {
          const buf = pooled ? pooled.subarray(0, size ?? chunkBytes) : new Uint8Array(size!);
          const n = await reader.fill(buf);
          const more = n === buf.byteLength && await reader.more();
          if (size !== undefined) {
            checkSize(key, size, n, more);
            return await uploadSmall(key, buf, opts);
          }
          if (!more) return await uploadSmall(key, buf.subarray(0, n), opts);
          const second = take();
          try {
            await tusUpload({ ...tus, contentType: opts.contentType, upsert }, reader, pooled!, n, second);
          } finally {
            give(second);
          }
        } finally {
          if (pooled) give(pooled);
        }
      } catch (e) {
        await reader.cancel(e);
        throw e;
      }
    },

    async copy(fromKey, toKey) {
      assertValidKey("copy", fromKey);
      assertValidKey("copy to", toKey);
      // Keys travel in the JSON body here: no URL encoding.
      await call(
        "copy",
        `${fromKey}" to "${toKey}`,
        () => files().copy(fromKey, toKey) as Promise<Result<unknown>>,
      );
    },

    async exists(key) {
      return (await stat(key)) !== null;
    },

    stat,

    async get(key, opts) {
      assertValidKey("download", key);
      const offset = opts?.offset ?? 0;
      if (offset > 0) return await rangeGet(key, offset);
      const stream = await call(
        "download",
        key,
        () =>
          files().download(encodeKeyPath(key)).asStream() as unknown as Promise<
            Result<ReadableStream<Uint8Array>>
          >,
      );
      return stream;
    },

    async remove(keys) {
      for (const key of keys) assertValidKey("remove", key);
      if (keys.length === 0) return; // Storage answers 400 to an empty list
      await call("remove", keys.join(", "), () => files().remove(keys) as Promise<Result<unknown>>);
    },

    async signedUrl(key, expiresInS, opts?: SignedUrlOptions) {
      assertSignableKey(key);
      const data = await call(
        "sign",
        key,
        () =>
          files().createSignedUrl(encodeKeyPath(key), expiresInS) as Promise<Result<{ signedUrl: string }>>,
      );
      // supabase-js would encode the download name twice (storage.md section 7): add it ourselves.
      const download = opts?.download === undefined ? "" : `&download=${encodeURIComponent(opts.download)}`;
      return data.signedUrl + download;
    },

    publicPath(key) {
      assertValidKey("address", key);
      return `${storageUrl}/object/authenticated/${bucket}/${encodeKeyPath(key)}`;
    },
  };
}
