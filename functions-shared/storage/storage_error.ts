/**
 * Storage's answers, as PasserelleErrors callers can branch on.
 *
 * Storage answers almost every error with HTTP 400 and puts the real status as a STRING in the body's
 * `statusCode` (`"409"`, `"404"`, ...), with a `code` such as `KeyAlreadyExists`; supabase-js copies both
 * onto its `StorageApiError` (`status` is the HTTP number, useless here). Route-not-found comes as HTTP 404,
 * crashes as 500, fastify URL errors as 400 with a numeric `statusCode`, and network failures as
 * `StorageUnknownError` without any status (storage.md section 0). TUS answers carry the real HTTP status
 * and a plain-text body. So: read `code` first, then `statusCode`, then the HTTP status.
 */
import { type ErrorCode, PasserelleError } from "../errors.ts";
import { storageKeyProblem } from "./safe_key.ts";

/** The parts of a Storage failure the mapping reads (a supabase-js error or a parsed response). */
export interface StorageFailure {
  /** `StorageApiError`, `StorageUnknownError`, ... */
  name?: string;
  /** HTTP status, absent for network failures. */
  status?: number;
  /** The body's `statusCode`: a string from Storage, a number from fastify. */
  statusCode?: string | number;
  /** Storage's error code (`NoSuchKey`, `KeyAlreadyExists`, `InvalidKey`, ...). */
  code?: string;
  message?: string;
}

const BY_CODE: Record<string, ErrorCode> = {
  InvalidKey: "storage_invalid_key",
  KeyAlreadyExists: "storage_duplicate",
  BucketAlreadyExists: "storage_duplicate",
  ResourceAlreadyExists: "storage_duplicate",
  NoSuchKey: "storage_not_found",
  NoSuchBucket: "storage_not_found",
  NoSuchUpload: "storage_not_found",
  AccessDenied: "storage_forbidden",
  InvalidJWT: "storage_forbidden",
  InvalidSignature: "storage_forbidden",
  EntityTooLarge: "storage_too_large",
};

function byStatus(status: number): ErrorCode {
  if (status === 409) return "storage_duplicate";
  if (status === 404) return "storage_not_found";
  if (status === 401 || status === 403) return "storage_forbidden";
  if (status === 413) return "storage_too_large";
  if (status === 408 || status === 423 || status === 429 || status >= 500) return "storage_unavailable";
  return "storage_error";
}

/** True for failures where no answer came back (supabase-js `StorageUnknownError`, fetch's TypeError). */
export function isNetworkFailure(f: StorageFailure | undefined | null): boolean {
  if (!f) return false;
  return f.name === "StorageUnknownError" || (f.status === undefined && f.statusCode === undefined);
}

/**
 * Maps a Storage failure of `op` on `key` to a PasserelleError: message naming the key, the original kept
 * as `cause`, `retryable` only for `storage_unavailable` (5xx, 423, 429, network).
 *
 * @example
 * storageError("upload", "odoo-archive/1/2-a.pdf", { status: 400, statusCode: "409", code: "KeyAlreadyExists",
 *   message: "The resource already exists" }).code; // "storage_duplicate"
 */
export function storageError(op: string, key: string, f: StorageFailure, cause?: unknown): PasserelleError {
  let code: ErrorCode;
  if (isNetworkFailure(f)) {
    code = "storage_unavailable";
  } else if (f.code && BY_CODE[f.code]) {
    code = BY_CODE[f.code];
  } else {
    const fromBody = Number(f.statusCode);
    code = byStatus(Number.isInteger(fromBody) && fromBody >= 100 ? fromBody : f.status ?? 0);
  }
  const detail = [f.code, f.statusCode ?? f.status].filter((x) => x !== undefined && x !== "").join(" ");
  const reason = (f.message ?? "").trim() || "no message";
  const message = `Storage could not ${op} "${key}": ${reason}${detail ? ` (${detail})` : ""}`;
  return new PasserelleError(code, message, code === "storage_unavailable", { cause: cause ?? f });
}

/** How long a bucket found by `checkBucket()` is taken as there. */
export const BUCKET_SEEN_MS = 60_000;

/**
 * What `checkBucket()` throws when the bucket is not there: the bucket, how to create it, and that the
 * call stopped before reading anything.
 *
 * @example
 * bucketMissingError("estimation-files").code; // "storage_bucket_missing"
 */
export function bucketMissingError(bucket: string, cause?: unknown): PasserelleError {
  return new PasserelleError(
    "storage_bucket_missing",
    `Storage bucket "${bucket}" does not exist: nothing was read or stored. Create it with \`supabase db push\` ` +
      `(the migration 20261201110000_estimation_files_bucket.sql creates "estimation-files" where Supabase Storage ` +
      `runs) or in the dashboard (Storage, New bucket, private), or set STORAGE_BUCKET to the bucket you use`,
    false,
    { cause },
  );
}

/** The error both adapters throw, before any request, for a key Storage would refuse or alter. */
export function invalidKeyError(op: string, key: string): PasserelleError | null {
  const problem = storageKeyProblem(key);
  if (problem === null) return null;
  return new PasserelleError(
    "storage_invalid_key",
    `Storage could not ${op} "${key}": invalid key, ${problem} (build keys with safeKeySegment())`,
  );
}

/** Throws `invalidKeyError()` when there is one. */
export function assertValidKey(op: string, key: string): void {
  const e = invalidKeyError(op, key);
  if (e) throw e;
}

/** Throws unless `key` can be signed: a valid key, without the `?` a signed URL cannot carry. */
export function assertSignableKey(key: string): void {
  assertValidKey("sign", key);
  if (key.includes("?")) {
    throw new PasserelleError(
      "storage_invalid_key",
      `Storage could not sign "${key}": a key holding "?" cannot be served by a signed URL`,
    );
  }
}

/** Turns a raw HTTP answer (TUS, or anything supabase-js does not wrap) into a `StorageFailure`. */
export async function failureFromResponse(res: Response): Promise<StorageFailure> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text);
    if (body && typeof body === "object") {
      return {
        status: res.status,
        statusCode: body.statusCode ?? res.status,
        code: typeof body.code === "string" ? body.code : undefined,
        message: typeof body.message === "string" ? body.message : text,
      };
    }
  } catch {
    // TUS answers with plain text, e.g. "Upload-Offset conflict\n".
  }
  return { status: res.status, statusCode: res.status, message: text || res.statusText };
}
