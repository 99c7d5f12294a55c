/**
 * Errors are data: a stable `code` callers branch on, a message a person can act
 * on, and whether trying again may help. Responses carry `{ code, message }`
 * only, never `cause`, SQL or parameters.
 */
export type ErrorCode =
  | "config_invalid"
  | "auth_missing"
  | "auth_invalid"
  | "forbidden"
  | "bad_request"
  | "not_found"
  | "conflict"
  | "odoo_unavailable"
  | "odoo_auth_failed"
  | "odoo_access_denied"
  | "odoo_error"
  | "odoo_malformed"
  | "odoo_timeout"
  | "storage_invalid_key"
  | "storage_duplicate"
  | "storage_not_found"
  | "storage_forbidden"
  | "storage_too_large"
  | "storage_unavailable"
  | "storage_error"
  | "storage_bucket_missing"
  | "checksum_mismatch"
  | "attachment_missing"
  | "attachment_url"
  | "lead_missing"
  | "import_invalid"
  | "import_duplicate_file"
  | "backup_invalid"
  | "budget_exhausted"
  | "body_too_large"
  | "db_unavailable"
  | "internal"
  | "attachment_unsafe_path"
  | "attachment_in_database";

export class PasserelleError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable: boolean = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "PasserelleError";
  }

  /** What an HTTP answer or a log row may show: never the cause. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** Wraps anything thrown into a PasserelleError, keeping the original as `cause`. */
export function asPasserelleError(e: unknown): PasserelleError {
  if (e instanceof PasserelleError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new PasserelleError("internal", message, false, { cause: e });
}

/** True where trying the same thing again later may succeed. */
export function isRetryable(e: unknown): boolean {
  return e instanceof PasserelleError && e.retryable;
}
