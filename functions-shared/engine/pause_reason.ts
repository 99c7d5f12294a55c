/**
 * Errors that no retry can cure: Odoo refusing the key or the rights,
 * Storage refusing the service key. Failing each claimed item for them would
 * fail a whole queue for one wrong setting (issue #13: 385 of 387 files moved
 * to `failed` by one call with a wrong ODOO_API_KEY). Instead the engine
 * leaves the items pending and pauses the function with a reason an operator
 * can act on; `passerelle.resume(fn)` goes on.
 */
import type { PasserelleError } from "../errors.ts";

const REASONS: Partial<Record<PasserelleError["code"], string>> = {
  odoo_auth_failed: "Odoo refused the key: fix ODOO_API_KEY (or ODOO_PASSWORD, ODOO_LOGIN), then resume",
  odoo_access_denied:
    "Odoo refused access to the records: give ODOO_LOGIN's user the rights it lacks (CRM, attachments), then resume",
  storage_forbidden:
    "Storage refused the key: fix SUPABASE_SERVICE_ROLE_KEY or the bucket's policies, then resume",
};

/** Whether `code` pauses the function rather than failing items. */
export function pausesWork(code: string): boolean {
  return code in REASONS;
}

/** What the status document shows while the function is paused for `err`. */
export function pauseReason(functionName: string, err: PasserelleError): string {
  const why = REASONS[err.code] ?? "a setting was refused, then resume";
  const said = err.message.length > 300 ? `${err.message.slice(0, 300)}…` : err.message;
  return `${why} (select passerelle.resume('${functionName}')). ${err.code}: ${said}`;
}
