/**
 * The `ObjectStore` port: where archived Odoo attachments, backup files and import error reports go.
 * Two adapters implement it, `supabaseStore()` (Supabase Storage through supabase-js) and `localStore()`
 * (a directory, the embedded default), and both pass the same contract suite
 * (`object_store_contract.ts`), so code written against the port behaves the same on either.
 *
 * Every method throws a `PasserelleError` whose code says what happened:
 * `storage_invalid_key`, `storage_duplicate`, `storage_not_found`, `storage_forbidden`,
 * `storage_too_large`, `storage_unavailable` (retryable), `storage_error`, or, from `checkBucket()`,
 * `storage_bucket_missing`.
 */

/** How an object is written. */
export interface PutOptions {
  /** Stored as is and served back on download (e.g. `application/pdf`, `text/csv; charset=utf-8`). */
  contentType: string;
  /**
   * Byte length when known. A body that turns out shorter or longer is refused (`storage_error`) and
   * nothing is stored; a known size also lets big bodies go up without first being measured.
   */
  size?: number;
  /** Replace an existing object instead of failing with `storage_duplicate`. */
  upsert?: boolean;
}

/** How an object is read. */
export interface GetOptions {
  /** First byte to give (0-based); default 0. */
  offset?: number;
}

/** What is known of a stored object. */
export interface ObjectInfo {
  size: number;
  contentType: string;
}

/** Options of a signed download URL. */
export interface SignedUrlOptions {
  /**
   * Serve as an attachment under this name (use an ASCII name: Storage double-encodes others when
   * supabase-js builds the URL, see storage.md section 7).
   */
  download?: string;
}

/** A bucket of objects addressed by key (`odoo-archive/12/345-devis.pdf`). */
export interface ObjectStore {
  /** The bucket every key lives in. */
  readonly bucket: string;

  /**
   * Checks that the bucket is there before a call starts work that needs it, so that nothing is read
   * (from Odoo, from a backup) only to be refused: `storage_bucket_missing`, naming the bucket and how
   * to create it, when it is not; Storage's own error when it cannot tell (a refused key, Storage
   * down). A bucket found is taken as there for a minute (one request per call, not per file); a
   * missing one is asked again each time, so creating it takes effect at the next call.
   */
  checkBucket(): Promise<void>;

  /**
   * Writes an object. A `ReadableStream` body is streamed, never held whole in memory. Without `upsert`,
   * an existing key fails with `storage_duplicate` and keeps its content. A body that fails half-way
   * leaves nothing under the key.
   */
  put(key: string, body: Uint8Array | ReadableStream<Uint8Array>, opts: PutOptions): Promise<void>;

  /**
   * Most bytes a `put` of a body of this size holds in memory at once (what a caller bounding its
   * uploads' memory counts): a store that buffers a chunk says so, one that streams says its read
   * size. Absent: the whole body up to 6 MiB.
   */
  putBufferBytes?(size: number): number;

  /** Copies an object within the bucket; never overwrites (`storage_duplicate`). */
  copy(fromKey: string, toKey: string): Promise<void>;

  /** True when an object is stored under `key`. */
  exists(key: string): Promise<boolean>;

  /** Size and content type of an object, or null when there is none. */
  stat(key: string): Promise<ObjectInfo | null>;

  /**
   * The object's bytes as a stream (`storage_not_found` when missing). With `offset`, from that byte on
   * (an import resumes a CSV at its checkpoint's byte offset); an offset at or past the end gives no bytes.
   */
  get(key: string, opts?: GetOptions): Promise<ReadableStream<Uint8Array>>;

  /** Deletes objects; keys that do not exist are ignored, as Storage does. */
  remove(keys: string[]): Promise<void>;

  /**
   * A URL that serves the object without credentials for `expiresInS` seconds (whole seconds, at least 1).
   * Keys holding `?` cannot be signed (`storage_invalid_key`): Storage signs the still-encoded name.
   */
  signedUrl(key: string, expiresInS: number, opts?: SignedUrlOptions): Promise<string>;

  /**
   * The stable address to record as `file_url`: the authenticated Storage URL, or a `file:` URL for the
   * local adapter. Makes no request; the object need not exist.
   */
  publicPath(key: string): string;
}
