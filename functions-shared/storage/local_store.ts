/**
 * `localStore()`: the ObjectStore on a local directory, the embedded default. The directory mirrors the
 * bucket (`<dir>/<bucket>/odoo-archive/12/345-devis.pdf`) so an operator can browse it; content types live
 * in sidecars under `<dir>/.meta/`, bodies are written to `<dir>/.tmp/` and moved into place, so a killed
 * process never leaves a half-written file under a final key.
 *
 * It refuses what Supabase Storage refuses, with the same error codes (keys, duplicates, size limit,
 * signing), so code tried locally behaves the same once pointed at Supabase. One difference remains: a
 * key cannot be both an object and a folder here (`a` and `a/b`), which Storage allows; Passerelle's keys
 * never do that.
 */
import { PasserelleError } from "../errors.ts";
import type { ObjectInfo, ObjectStore, PutOptions, SignedUrlOptions } from "./object_store.ts";
import { assertSignableKey, assertValidKey } from "./storage_error.ts";

/** Options of `localStore()`. */
export interface LocalStoreOptions {
  /** Root directory; created when missing (`checkBucket()` fails when it cannot be). */
  dir: string;
  /** Bucket name, a folder under `dir`. */
  bucket: string;
  /** Largest object accepted, in bytes (a bucket's `file_size_limit`); none by default. */
  fileSizeLimit?: number;
}

// Paths are built by hand: shared code imports only relative and npm: modules (see deps.ts).
function join(...parts: string[]): string {
  return parts.join("/").replace(/\/{2,}/g, "/");
}

function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function fileUrl(absolute: string): string {
  return `file://${absolute.split("/").map(encodeURIComponent).join("/")}`;
}

interface Sidecar {
  contentType: string;
  size: number;
  createdAt: string;
}

const FALLBACK_TYPE = "application/octet-stream";

/** What a streamed put holds at once: a read of the source and a write in progress, with room to spare. */
const STREAMED_BYTES = 1 << 20;

function isNotFound(e: unknown): boolean {
  return e instanceof Deno.errors.NotFound;
}

function fsError(op: string, key: string, e: unknown): PasserelleError {
  if (e instanceof PasserelleError) return e;
  if (e instanceof Deno.errors.NotADirectory || e instanceof Deno.errors.IsADirectory) {
    return new PasserelleError(
      "storage_error",
      `Local storage could not ${op} "${key}": a folder and an object would share a name`,
      false,
      { cause: e },
    );
  }
  const message = e instanceof Error ? e.message : String(e);
  return new PasserelleError("storage_error", `Local storage could not ${op} "${key}": ${message}`, false, {
    cause: e,
  });
}

/** Counts bytes on the way to disk, refusing a body over `limit` or different from `expected`. */
function byteGuard(op: string, key: string, limit: number | undefined, expected: number | undefined) {
  let seen = 0;
  const stream = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, ctrl) {
      seen += chunk.byteLength;
      if (limit !== undefined && seen > limit) {
        throw new PasserelleError(
          "storage_too_large",
          `Local storage could not ${op} "${key}": the object exceeded the maximum allowed size (${limit} bytes)`,
        );
      }
      if (expected !== undefined && seen > expected) throw sizeMismatch(op, key, expected, seen);
      ctrl.enqueue(chunk);
    },
    flush() {
      if (expected !== undefined && seen !== expected) throw sizeMismatch(op, key, expected, seen);
    },
  });
  return { stream, bytes: () => seen };
}

function sizeMismatch(op: string, key: string, expected: number, seen: number): PasserelleError {
  const got = seen > expected ? `more than ${expected}` : String(seen);
  return new PasserelleError(
    "storage_error",
    `Local storage could not ${op} "${key}": ${expected} bytes were announced, the body holds ${got}`,
  );
}

/**
 * The ObjectStore on a directory.
 *
 * @example
 * const store = localStore({ dir: ".stack/storage", bucket: "estimation-files" });
 * await store.put("odoo-archive/1/2-devis.pdf", bytes, { contentType: "application/pdf" });
 */
export function localStore(options: LocalStoreOptions): ObjectStore {
  const { dir, bucket, fileSizeLimit } = options;
  if (!bucket || bucket.startsWith(".") || /[/\\]/.test(bucket)) {
    throw new PasserelleError("config_invalid", `Local storage bucket name "${bucket}" is not usable`);
  }
  const base = dir.startsWith("/") ? dir : join(Deno.cwd(), dir);
  const root = join(base, bucket);
  const metaRoot = join(base, ".meta", bucket);
  const tmpRoot = join(base, ".tmp");
  const dataPath = (key: string) => join(root, key);
  // Same relative path as the data: a name that fits one tree fits the other.
  const metaPath = (key: string) => join(metaRoot, key);

  async function readSidecar(key: string): Promise<Sidecar | null> {
    try {
      return JSON.parse(await Deno.readTextFile(metaPath(key))) as Sidecar;
    } catch {
      return null;
    }
  }

  async function fileSize(key: string): Promise<number | null> {
    try {
      const st = await Deno.stat(dataPath(key));
      return st.isFile ? st.size : null;
    } catch (e) {
      if (isNotFound(e) || e instanceof Deno.errors.NotADirectory) return null;
      throw e;
    }
  }

  async function tempFile(): Promise<string> {
    await Deno.mkdir(tmpRoot, { recursive: true });
    return join(tmpRoot, crypto.randomUUID());
  }

  /** Removes folders emptied by a delete, so the tree shows only what the bucket holds. */
  async function prune(from: string, stopAt: string): Promise<void> {
    let d = dirname(from);
    while (d.startsWith(stopAt) && d !== stopAt) {
      try {
        await Deno.remove(d); // fails unless empty
      } catch {
        return;
      }
      d = dirname(d);
    }
  }

  /**
   * Moves a finished temp file under `key`. Without upsert, `link` refuses an existing name atomically,
   * so two writers of the same key cannot both win. The sidecar follows the data: a crash in between
   * leaves the bytes with the fallback content type, never a sidecar without bytes.
   */
  async function commit(op: string, key: string, tmp: string, meta: Sidecar, upsert: boolean) {
    const target = dataPath(key);
    for (let attempt = 0;; attempt++) {
      await Deno.mkdir(dirname(target), { recursive: true });
      try {
        if (upsert) {
          await Deno.rename(tmp, target);
        } else {
          await Deno.link(tmp, target);
          await Deno.remove(tmp);
        }
        break;
      } catch (e) {
        if (e instanceof Deno.errors.AlreadyExists) {
          throw new PasserelleError(
            "storage_duplicate",
            `Local storage could not ${op} "${key}": the resource already exists`,
            false,
            { cause: e },
          );
        }
        // A concurrent remove() may prune the folder between mkdir and link: try once more.
        if (isNotFound(e) && attempt === 0) continue;
        throw e;
      }
    }
    const metaTmp = `${tmp}.json`;
    await Deno.writeTextFile(metaTmp, JSON.stringify(meta));
    await Deno.mkdir(dirname(metaPath(key)), { recursive: true });
    await Deno.rename(metaTmp, metaPath(key));
  }

  async function writeBody(
    op: string,
    key: string,
    body: Uint8Array | ReadableStream<Uint8Array>,
    size: number | undefined,
  ): Promise<{ tmp: string; bytes: number }> {
    if (size !== undefined && fileSizeLimit !== undefined && size > fileSizeLimit) {
      throw new PasserelleError(
        "storage_too_large",
        `Local storage could not ${op} "${key}": the object exceeded the maximum allowed size (${fileSizeLimit} bytes)`,
      );
    }
    const tmp = await tempFile();
    try {
      const source = body instanceof Uint8Array ? ReadableStream.from([body]) : body;
      const guard = byteGuard(op, key, fileSizeLimit, size);
      const file = await Deno.open(tmp, { write: true, createNew: true });
      await source.pipeThrough(guard.stream).pipeTo(file.writable);
      return { tmp, bytes: guard.bytes() };
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
      throw e;
    }
  }

  async function mustExist(op: string, key: string): Promise<void> {
    if ((await fileSize(key)) === null) {
      throw new PasserelleError(
        "storage_not_found",
        `Local storage could not ${op} "${key}": object not found`,
      );
    }
  }

  return {
    bucket,

    async checkBucket() {
      // The directory stands for the bucket. It is made when missing, as put() always made it (a fresh
      // STORAGE_LOCAL_DIR works at once); what cannot be made or is not a directory is a missing bucket.
      let problem: unknown = null;
      try {
        await Deno.mkdir(root, { recursive: true });
        if (!(await Deno.stat(root)).isDirectory) problem = "not a directory";
      } catch (e) {
        problem = e;
      }
      if (problem === null) return;
      throw new PasserelleError(
        "storage_bucket_missing",
        `Local storage directory "${root}" (bucket "${bucket}") cannot be made (${
          problem instanceof Error ? problem.message : problem
        }): nothing was read or stored. Fix STORAGE_LOCAL_DIR`,
        false,
        { cause: problem },
      );
    },

    // A stream is written as it comes, a chunk at a time: the body's reads are all it holds.
    putBufferBytes: (size) => Math.min(size, STREAMED_BYTES),

    async put(key, body, opts: PutOptions) {
      assertValidKey("upload", key);
      try {
        if (!opts.upsert && (await fileSize(key)) !== null) {
          throw new PasserelleError(
            "storage_duplicate",
            `Local storage could not upload "${key}": the resource already exists`,
          );
        }
        const { tmp, bytes } = await writeBody("upload", key, body, opts.size);
        try {
          const meta = { contentType: opts.contentType, size: bytes, createdAt: new Date().toISOString() };
          await commit("upload", key, tmp, meta, Boolean(opts.upsert));
        } finally {
          await Deno.remove(tmp).catch(() => {});
        }
      } catch (e) {
        if (body instanceof ReadableStream) await body.cancel().catch(() => {});
        throw fsError("upload", key, e);
      }
    },

    async copy(fromKey, toKey) {
      assertValidKey("copy", fromKey);
      assertValidKey("copy to", toKey);
      try {
        await mustExist("copy", fromKey);
        if ((await fileSize(toKey)) !== null) {
          throw new PasserelleError(
            "storage_duplicate",
            `Local storage could not copy to "${toKey}": the resource already exists`,
          );
        }
        const source = await Deno.open(dataPath(fromKey), { read: true });
        const { tmp, bytes } = await writeBody("copy", toKey, source.readable, undefined);
        try {
          const meta = await readSidecar(fromKey);
          await commit("copy", toKey, tmp, {
            contentType: meta?.contentType ?? FALLBACK_TYPE,
            size: bytes,
            createdAt: new Date().toISOString(),
          }, false);
        } finally {
          await Deno.remove(tmp).catch(() => {});
        }
      } catch (e) {
        throw fsError("copy", fromKey, e);
      }
    },

    async exists(key) {
      assertValidKey("check", key);
      try {
        return (await fileSize(key)) !== null;
      } catch (e) {
        throw fsError("check", key, e);
      }
    },

    async stat(key): Promise<ObjectInfo | null> {
      assertValidKey("read info of", key);
      try {
        const size = await fileSize(key);
        if (size === null) return null;
        return { size, contentType: (await readSidecar(key))?.contentType ?? FALLBACK_TYPE };
      } catch (e) {
        throw fsError("read info of", key, e);
      }
    },

    async get(key, opts) {
      assertValidKey("download", key);
      try {
        await mustExist("download", key);
        const file = await Deno.open(dataPath(key), { read: true });
        if (opts?.offset) await file.seek(opts.offset, Deno.SeekMode.Start);
        return file.readable;
      } catch (e) {
        if (isNotFound(e)) {
          throw new PasserelleError(
            "storage_not_found",
            `Local storage could not download "${key}": object not found`,
          );
        }
        throw fsError("download", key, e);
      }
    },

    async remove(keys) {
      for (const key of keys) assertValidKey("remove", key);
      for (const key of keys) {
        try {
          await Deno.remove(dataPath(key));
          await prune(dataPath(key), root);
        } catch (e) {
          if (
            !isNotFound(e) && !(e instanceof Deno.errors.NotADirectory) &&
            !(e instanceof Deno.errors.IsADirectory)
          ) {
            throw fsError("remove", key, e);
          }
        }
        await Deno.remove(metaPath(key)).then(() => prune(metaPath(key), metaRoot), () => {});
      }
    },

    async signedUrl(key, expiresInS, _opts?: SignedUrlOptions) {
      assertSignableKey(key);
      if (!Number.isInteger(expiresInS) || expiresInS < 1) {
        throw new PasserelleError(
          "storage_error",
          `Local storage could not sign "${key}": expiresIn must be a whole number >= 1 (got ${expiresInS})`,
        );
      }
      await mustExist("sign", key);
      // A file URL has no expiry and no download name: the local default serves a single operator.
      return fileUrl(dataPath(key));
    },

    publicPath(key) {
      assertValidKey("address", key);
      return fileUrl(dataPath(key));
    },
  };
}
