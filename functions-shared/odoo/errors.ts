/**
 * Odoo's failures as PasserelleErrors. Odoo reports server-side errors in the
 * body, not the status: JSON-RPC answers HTTP 200 with `error.data.name` (the
 * Python exception class), JSON-2 answers 4xx/5xx with the same object as the
 * whole body. So the class name decides the code, and the status only matters
 * when no Odoo error body came back (a proxy's 502, a 404 page).
 *
 * | Odoo says                                             | code               | retry |
 * |-------------------------------------------------------|--------------------|-------|
 * | odoo.exceptions.AccessError                           | odoo_access_denied | no    |
 * | odoo.exceptions.AccessDenied, werkzeug Unauthorized   | odoo_auth_failed   | no    |
 * | psycopg2 OperationalError, serialization failure,     | odoo_unavailable   | yes   |
 * | deadlock, lock timeout, odoo ConcurrencyError         |                    |       |
 * | anything else (ValueError, UserError, KeyError…)      | odoo_error         | no    |
 * | HTTP 429, 5xx without an Odoo body, network failure   | odoo_unavailable   | yes   |
 * | no answer within `timeoutMs`                          | odoo_timeout       | yes   |
 * | an answer that is not JSON or not the expected shape  | odoo_malformed     | no    |
 *
 * Messages carry Odoo's own `message`; the password or API key never appears
 * in them (every message goes through `redact`).
 */
import { PasserelleError } from "../errors.ts";

/** Odoo's serialized exception: JSON-RPC's `error.data`, or JSON-2's error body. */
export interface OdooErrorBody {
  name?: string;
  message?: string;
  arguments?: unknown[];
  context?: unknown;
  debug?: string;
}

/** PostgreSQL and ORM errors that a later try may not meet (Odoo retries these itself, then gives up). */
const TRANSIENT = new Set([
  "psycopg2.OperationalError",
  "psycopg2.InterfaceError",
  "psycopg2.extensions.TransactionRollbackError",
  "psycopg2.errors.SerializationFailure",
  "psycopg2.errors.DeadlockDetected",
  "psycopg2.errors.LockNotAvailable",
  "psycopg2.errors.QueryCanceled",
  "psycopg2.errors.AdminShutdown",
  "odoo.exceptions.ConcurrencyError",
]);

/** Replaces every occurrence of `secret` in `text`. */
export function redact(text: string, secret: string | undefined): string {
  if (!secret) return text;
  return text.split(secret).join("[redacted]");
}

/** Whether a value looks like an Odoo error body. */
export function isOdooErrorBody(v: unknown): v is OdooErrorBody {
  return typeof v === "object" && v !== null && typeof (v as OdooErrorBody).name === "string" &&
    typeof (v as OdooErrorBody).message === "string";
}

/**
 * Maps an Odoo error body to a PasserelleError. `what` names the call
 * ("crm.lead.search_read", "common.authenticate").
 */
export function fromOdooError(body: OdooErrorBody, what: string, secret?: string): PasserelleError {
  const name = body.name ?? "unknown";
  const message = (body.message ?? "").trim() || name;
  const say = (code: PasserelleError["code"], text: string, retryable = false) =>
    new PasserelleError(code, redact(text, secret), retryable, {
      cause: { name, message: redact(message, secret), debug: redact(body.debug ?? "", secret) },
    });
  if (name === "odoo.exceptions.AccessError") {
    return say("odoo_access_denied", `Odoo refused ${what}: ${message}`);
  }
  if (name === "odoo.exceptions.AccessDenied" || name === "werkzeug.exceptions.Unauthorized") {
    return say("odoo_auth_failed", `Odoo refused the credentials for ${what}: ${message}`);
  }
  if (TRANSIENT.has(name)) {
    // An unknown database is an OperationalError too, but no retry will create it.
    if (/database ".*" does not exist/.test(message)) {
      return say("odoo_error", `Odoo ${what} failed: ${message} (check ODOO_DB)`);
    }
    return say("odoo_unavailable", `Odoo ${what} failed for now (${name}): ${message}`, true);
  }
  return say("odoo_error", `Odoo ${what} failed (${name}): ${message}`);
}

/** Maps an HTTP status that came without an Odoo error body. */
export function fromHttpStatus(status: number, what: string, url: string, snippet: string): PasserelleError {
  const tail = snippet ? `: ${snippet}` : "";
  if (status === 429 || status >= 500) {
    return new PasserelleError(
      "odoo_unavailable",
      `Odoo answered HTTP ${status} to ${what} (${url})${tail}`,
      true,
    );
  }
  if (status === 401 || status === 403) {
    return new PasserelleError("odoo_auth_failed", `Odoo answered HTTP ${status} to ${what} (${url})${tail}`);
  }
  if (status === 404) {
    return new PasserelleError("odoo_error", `Nothing answers at ${url} (HTTP 404): check ODOO_URL${tail}`);
  }
  return new PasserelleError("odoo_error", `Odoo answered HTTP ${status} to ${what} (${url})${tail}`);
}

/** A short, single-line excerpt of a non-JSON body, for messages. */
export function excerpt(text: string, max = 160): string {
  const plain = text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim();
  return plain.length > max ? `${plain.slice(0, max)}…` : plain;
}
