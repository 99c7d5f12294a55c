/**
 * Resumable (TUS 1.0.0) uploads to Supabase Storage, for bodies over 6 MB or of unknown size.
 *
 * supabase-js has no TUS client, and the standard upload path is capped by `UPLOAD_FILE_SIZE_LIMIT_STANDARD`
 * (50 MB upstream) while TUS goes to the global limit. Chunks are exactly 6 MiB except the last, the size
 * Supabase requires ("it must be set to 6MB (for now)": S3 multipart parts must be at least 5 MiB), and
 * they are read into two reused buffers (the next read while the last is sent), so memory stays flat
 * whatever the body's size.
 *
 * Protocol (storage.md section 10): `POST /storage/v1/upload/resumable` with `upload-metadata`
 * (bucketName, objectName, contentType, cacheControl; base64), `upload-length` or
 * `upload-defer-length: 1` → 201 + `location`; then `PATCH` each chunk with
 * `upload-offset` and `content-type: application/offset+octet-stream` → 204 + new `upload-offset`
 * (`tus-complete: 1` on the last). A chunk that fails on the network is resumed once from the offset a
 * `HEAD` reports; an upload that fails is terminated (`DELETE`) so it leaves nothing behind.
 *
 * `x-upsert` goes with every request, as tus-js-client (Supabase's guide) sends its headers: Storage
 * checks it on each PATCH and DELETE, and answers 409 "The resource already exists" to those of an
 * upload replacing an object when only the POST said upsert (storage.md section 11).
 *
 * Why not tus-js-client itself: measured on a 50 MB upload to the stand-in (one process per upload,
 * RSS sampled every 8 MiB), it was no faster (371-776 ms against 558-646 ms here) and held more
 * (peak RSS 138-145 MB against 122-127 MB), brings 20 npm packages, and in Deno it runs on node:http,
 * past the `fetch` this module is given (the one tests fail on purpose, or a caller wraps).
 */
import { PasserelleError } from "../errors.ts";
import { ChunkReader } from "./chunk_reader.ts";
import { failureFromResponse, storageError } from "./storage_error.ts";

/** Supabase's required TUS chunk size. */
export const TUS_CHUNK_BYTES = 6 * 1024 * 1024;

/** What `tusUpload()` needs. */
export interface TusUploadOptions {
  fetch: typeof fetch;
  /** `${projectUrl}/storage/v1` */
  storageUrl: string;
  apiKey: string;
  bucket: string;
  key: string;
  contentType: string;
  upsert: boolean;
  /** Total bytes when known; otherwise the length is sent with the last chunk. */
  size?: number;
  chunkBytes?: number;
}

function b64(s: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(s)));
}

function networkError(key: string, e: unknown): PasserelleError {
  return storageError("upload", key, {
    name: "StorageUnknownError",
    message: e instanceof Error ? e.message : String(e),
  }, e);
}

function sizeError(key: string, expected: number, got: string): PasserelleError {
  return new PasserelleError(
    "storage_error",
    `Storage could not upload "${key}": ${expected} bytes were announced, the body holds ${got}`,
  );
}

/**
 * Uploads `reader`'s bytes by TUS. `buf` (one chunk long) may already hold the first `filled` bytes, read
 * while deciding between a standard and a resumable upload.
 */
export async function tusUpload(
  o: TusUploadOptions,
  reader: ChunkReader,
  buf: Uint8Array<ArrayBuffer>,
  filled = 0,
  /** The second buffer (as large as `buf`), when the caller reuses buffers across uploads. */
  second?: Uint8Array<ArrayBuffer>,
): Promise<void> {
  const auth = {
    authorization: `Bearer ${o.apiKey}`,
    apikey: o.apiKey,
    "tus-resumable": "1.0.0",
    "x-upsert": String(o.upsert),
  };
  const metadata = [
    ["bucketName", o.bucket],
    ["objectName", o.key],
    ["contentType", o.contentType],
    ["cacheControl", "3600"],
  ].map(([k, v]) => `${k} ${b64(v)}`).join(",");
  let res: Response;
  try {
    res = await o.fetch(`${o.storageUrl}/upload/resumable`, {
      method: "POST",
      headers: {
        ...auth,
        "upload-metadata": metadata,
        ...(o.size === undefined ? { "upload-defer-length": "1" } : { "upload-length": String(o.size) }),
      },
    });
  } catch (e) {
    throw networkError(o.key, e);
  }
  if (res.status !== 201) throw storageError("upload", o.key, await failureFromResponse(res));
  await res.body?.cancel();
  // The Location's origin may be wrong behind a gateway (https forced in production): keep only the id.
  const id = (res.headers.get("location") ?? "").replace(/\/+$/, "").split("/").pop();
  if (!id) {
    throw new PasserelleError(
      "storage_error",
      `Storage could not upload "${o.key}": no upload location returned`,
    );
  }
  const uploadUrl = `${o.storageUrl}/upload/resumable/${id}`;

  const patch = (chunk: Uint8Array<ArrayBuffer>, offset: number, length: number | null) =>
    o.fetch(uploadUrl, {
      method: "PATCH",
      headers: {
        ...auth,
        "upload-offset": String(offset),
        "content-type": "application/offset+octet-stream",
        ...(length === null ? {} : { "upload-length": String(length) }),
      },
      body: chunk,
    });

  /** Where the server stands after a chunk was lost on the network (null: unknown). */
  const serverOffset = async (): Promise<number | null> => {
    try {
      const head = await o.fetch(uploadUrl, { method: "HEAD", headers: auth });
      await head.body?.cancel();
      const v = Number(head.headers.get("upload-offset"));
      return head.ok && Number.isInteger(v) ? v : null;
    } catch {
      return null;
    }
  };

  /** Sends one chunk, resumed once from the server's offset after a network failure. */
  const send = async (chunk: Uint8Array<ArrayBuffer>, offset: number, end: number, length: number | null) => {
    let answer: Response | null = null;
    for (let attempt = 0; attempt < 2 && answer === null; attempt++) {
      try {
        answer = await patch(chunk, offset, length);
      } catch (e) {
        const at = await serverOffset();
        if (at === end) break; // the chunk arrived, only the answer was lost
        if (attempt === 1 || at !== offset) throw networkError(o.key, e);
      }
    }
    if (answer) {
      if (answer.status !== 204) {
        const f = await failureFromResponse(answer);
        if (answer.status === 409 && !/already exists/i.test(f.message ?? "")) {
          // "Upload-Offset conflict": another writer or a lost chunk; starting over later may succeed.
          throw new PasserelleError(
            "storage_unavailable",
            `Storage could not upload "${o.key}": ${(f.message ?? "").trim()} at byte ${offset}`,
            true,
            { cause: f },
          );
        }
        throw storageError("upload", o.key, f);
      }
      await answer.body?.cancel();
      const at = Number(answer.headers.get("upload-offset"));
      if (at !== end) {
        throw new PasserelleError(
          "storage_error",
          `Storage could not upload "${o.key}": the server is at byte ${at}, expected ${end}`,
        );
      }
    }
  };

  // Two buffers: the next chunk is read while the one before is on its way (reading and sending
  // overlap, about twice the throughput of one buffer), so an upload holds two chunks at most.
  let cur = buf;
  let spare: Uint8Array<ArrayBuffer> | null = second ?? null;
  let offset = 0;
  let n = filled > 0 ? filled : await reader.fill(cur);
  try {
    for (;;) {
      const end = offset + n;
      let last: boolean;
      if (o.size !== undefined) {
        if (end > o.size) throw sizeError(o.key, o.size, `more than ${o.size}`);
        if (n < cur.byteLength && end < o.size) throw sizeError(o.key, o.size, String(end));
        last = end === o.size;
        if (last && await reader.more()) throw sizeError(o.key, o.size, `more than ${o.size}`);
      } else {
        last = n < cur.byteLength || !(await reader.more());
      }
      const length = o.size === undefined && last ? end : null;
      const sending = send(cur.subarray(0, n), offset, end, length);
      if (last) {
        await sending;
        return;
      }
      spare ??= new Uint8Array(cur.byteLength);
      const next = spare;
      const [, got] = await Promise.all([sending, reader.fill(next)]);
      spare = cur;
      cur = next;
      offset = end;
      n = got;
    }
  } catch (e) {
    await reader.cancel(e);
    // Terminate the upload so no partial state lingers on the server; nothing was stored under the key.
    await o.fetch(uploadUrl, { method: "DELETE", headers: auth }).then((r) => r.body?.cancel(), () => {});
    throw e;
  }
}
