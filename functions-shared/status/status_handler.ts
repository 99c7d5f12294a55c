/**
 * The `migration-status` function: the status document for admins.
 * Callers: the service-role key (cron, operators, `curl`), or a signed-in
 * user whose `has_role(uid, 'admin')` holds; anyone else gets 401 or 403.
 *
 *   GET|POST /functions/v1/migration-status            → the JSON document
 *   GET      /functions/v1/migration-status?stale=300  → with a 5-minute stale window
 *   GET      /functions/v1/migration-status?format=html → the status page, as a snapshot
 *
 * Hosted Supabase rewrites `text/html` answers of functions to `text/plain`
 * unless the project has a custom domain (edge-functions.md), so there the
 * HTML shows as source; `deno task status --web` serves the live page from
 * 127.0.0.1 with the key kept on the server side.
 */
import type { Sql } from "../deps.ts";
import { dbUnavailable, isDbUnavailable } from "../db.ts";
import type { AuthKeys } from "../engine/auth.ts";
import { admit, refuse } from "../engine/request_guard.ts";
import { asPasserelleError, PasserelleError } from "../errors.ts";
import { pageWithSnapshot } from "./page_snapshot.ts";
import { readStatus, type ReadStatusOptions } from "./read_status.ts";
import type { StatusDocument } from "./status_document.ts";

export interface StatusHandlerDeps {
  sql: Sql;
  keys: AuthKeys;
  /** `scripts/status_page/status.html`, where the deployment carries it; without it `?format=html` is 404. */
  page?: string;
  /** Reads the document (default `readStatus`); tests pin the clock through it. */
  read?: (sql: Sql, opts: ReadStatusOptions) => Promise<StatusDocument>;
}

const noStore = { "cache-control": "no-store" };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...noStore },
  });
}

const STATUS_OF: Partial<Record<PasserelleError["code"], number>> = {
  auth_missing: 401,
  auth_invalid: 401,
  forbidden: 403,
  bad_request: 400,
  not_found: 404,
};

/** Parses `?stale=<seconds>` (1 s to 1 day). */
function staleOf(url: URL): number | undefined {
  const v = url.searchParams.get("stale");
  if (v === null) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) {
    throw new PasserelleError(
      "bad_request",
      `stale must be a whole number of seconds from 1 to 86400 (got "${v}")`,
    );
  }
  return n;
}

/** Builds the handler. */
export function statusHandler(d: StatusHandlerDeps): (req: Request) => Promise<Response> {
  const read = d.read ?? readStatus;
  return async (req) => {
    if (req.method !== "GET" && req.method !== "POST") {
      return new Response(JSON.stringify({ code: "bad_request", message: "Use GET (or POST)" }), {
        status: 405,
        headers: { "content-type": "application/json", allow: "GET, POST" },
      });
    }
    // Refusals are counted (one row per reason and minute), never one log row per request.
    const guard = { name: "migration-status", sql: d.sql, keys: d.keys, allowUsers: true };
    const admitted = await admit(req, guard);
    if ("refused" in admitted) return admitted.refused;
    try {
      const caller = admitted.caller;
      if (caller.kind === "user") {
        const [{ admin }] = await d.sql<{ admin: boolean }[]>`
          select public.has_role(${caller.userId}::uuid, 'admin') as admin`;
        if (!admin) {
          return await refuse(
            guard,
            new PasserelleError("forbidden", "The migration status is for admins only"),
          );
        }
      }
      const url = new URL(req.url);
      const format = url.searchParams.get("format") ?? "json";
      if (format !== "json" && format !== "html") {
        throw new PasserelleError("bad_request", `format must be json or html (got "${format}")`);
      }
      const staleS = staleOf(url);
      if (format === "html" && !d.page) {
        throw new PasserelleError(
          "not_found",
          "The status page is not bundled with this function: run `deno task status --web` for the live page",
        );
      }
      const doc = await read(d.sql, { staleS });
      if (format === "html") {
        return new Response(pageWithSnapshot(d.page!, doc), {
          headers: { "content-type": "text/html; charset=utf-8", ...noStore },
        });
      }
      return json(doc);
    } catch (e) {
      const err = asPasserelleError(e);
      const status = STATUS_OF[err.code];
      if (status) return json({ code: err.code, message: err.message }, status);
      if (isDbUnavailable(e)) {
        const lost = dbUnavailable(e);
        console.error("[migration-status]", lost.message);
        return json({ code: lost.code, message: lost.message }, 503);
      }
      // A database error's text may carry SQL: it goes to the function's log only.
      console.error("[migration-status]", err.message);
      return json({ code: "internal", message: "Cannot read the migration status" }, 500);
    }
  };
}
