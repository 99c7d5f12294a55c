/**
 * The HTTP face of both import functions (`import-leads`,
 * `batch-import-activities`): user actions (start, status, cancel, retry,
 * commit, undo, delete) answered here, and continuation calls (no action, or
 * `{trigger: "cron" | "chain"}`, service role only) handed to `serveBatch`
 * with the `advanceImports` step. The caller is authenticated before the body
 * is read; a JSON body is capped (1 MiB), a multipart upload streamed to
 * Storage. Errors answer `{ code, message }`, the message in French or
 * English (the job's locale, else the request's `options.locale`, else
 * `Accept-Language`, else French).
 */
import type { Config } from "../../config.ts";
import { type Sql, z } from "../../deps.ts";
import { authenticate, type Caller } from "../../engine/auth.ts";
import { startBudget } from "../../engine/budget.ts";
import { processCpuMs } from "../../engine/usage.ts";
import { serveBatch } from "../../engine/serve_batch.ts";
import { asPasserelleError } from "../../errors.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import { type AdvanceDeps, advanceImports, importStep } from "./advance_imports.ts";
import type { JobKind } from "./import_job.ts";
import {
  type Actor,
  cancelImport,
  commitImport,
  deleteImport,
  jobStatus,
  retryImport,
  undoImport,
} from "./manage_import.ts";
import { type Starter, startImport, type StartRequest } from "./start_import.ts";
import { acceptLocale, type Locale } from "../messages.ts";
import { ApiError, apiError } from "./api_error.ts";
import { boundaryOf, MultipartError, multipartParts } from "./multipart_stream.ts";
import { JOB_ACTIONS, jobActionSchema, parseBody, startSchema } from "./request_schema.ts";

/** What the handler needs. */
export interface ImportHandlerDeps {
  name: string;
  kind: JobKind;
  config: Pick<
    Config,
    "serviceRoleKey" | "secretKey" | "jwtSecret" | "budget" | "workers" | "chain" | "resend"
  >;
  sql: Sql;
  store: ObjectStore;
  /** `EdgeRuntime.waitUntil` where there is one: the first batch runs after the 202. */
  waitUntil?: (p: Promise<unknown>) => void;
  fetch?: typeof fetch;
  /** Rows from which an ending job emails its owner; default 10,000. */
  emailMinRows?: number;
  /** Passed to `advanceImports` (tests shrink batches, inject a clock). */
  advance?: Partial<Omit<AdvanceDeps, "sql" | "store" | "kind">>;
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

const STATUS: Partial<Record<string, number>> = {
  bad_request: 400,
  auth_missing: 401,
  auth_invalid: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  import_duplicate_file: 409,
  storage_not_found: 404,
  storage_forbidden: 403,
};

/** Builds the HTTP handler of an import function. */
export function importHandler(d: ImportHandlerDeps): (req: Request) => Promise<Response> {
  const email = { resend: d.config.resend, fetch: d.fetch, minRows: d.emailMinRows };
  const advanceDeps = { sql: d.sql, store: d.store, kind: d.kind, email, ...d.advance };
  const batch = serveBatch({
    name: d.name,
    config: d.config,
    sql: d.sql,
    step: importStep(advanceDeps),
    secrets: d.config.resend ? [d.config.resend.apiKey] : [],
  });

  const firstBatch = (jobId: string) => {
    if (!d.waitUntil) return;
    const budget = startBudget(d.config.budget, { now: () => performance.now(), cpu: processCpuMs });
    d.waitUntil(
      advanceImports(advanceDeps, budget, jobId).catch((e) =>
        console.error(
          `[${d.name}] first batch of ${jobId} stopped; cron goes on:`,
          asPasserelleError(e).code,
          String(e),
        )
      ),
    );
  };

  return async (req: Request) => {
    const locale = acceptLocale(req.headers.get("accept-language"));
    const type = req.headers.get("content-type") ?? "";
    let caller: Caller;
    try {
      // Authenticated before a byte of the body is read. A refused call goes to serveBatch unread,
      // which answers and logs it as every function does.
      caller = await authenticate(req, d.config);
    } catch {
      return batch(req);
    }
    let body: Record<string, unknown> = {};
    let text = "";
    try {
      if (type.startsWith("multipart/form-data")) {
        return await multipartStart(req, caller, locale);
      }
      text = await readCapped(req, MAX_JSON_BYTES, locale);
      const parsed = text ? JSON.parse(text) : {};
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw apiError("bad_request", "body_invalid");
      }
      body = parsed;
    } catch (e) {
      return answer(e instanceof SyntaxError ? apiError("bad_request", "body_invalid") : e, locale);
    }

    if (body.action === undefined) {
      // A continuation call: serveBatch authenticates (service role only), budgets, logs and chains.
      return batch(
        new Request(req.url, { method: req.method, headers: req.headers, body: text || undefined }),
      );
    }
    try {
      if (body.action === "start") {
        const start = parseBody(startSchema, body, requestLocale(body, locale));
        return await started(caller, start, undefined, locale);
      }
      if (typeof body.action !== "string" || !(JOB_ACTIONS as readonly string[]).includes(body.action)) {
        throw apiError("bad_request", "action_unknown", { action: String(body.action).slice(0, 20) });
      }
      const { action, jobId } = parseBody(jobActionSchema, body, locale);
      const actor: Actor = caller.kind === "user"
        ? { kind: "user", userId: caller.userId }
        : { kind: "service" };
      const m = { sql: d.sql, store: d.store, kind: d.kind };
      switch (action) {
        case "status":
          return json(await jobStatus(m, actor, jobId));
        case "cancel":
          return json(await cancelImport(m, actor, jobId));
        case "retry": {
          const r = await retryImport(m, actor, jobId);
          firstBatch(jobId);
          return json(r);
        }
        case "commit": {
          const r = await commitImport(m, actor, jobId);
          firstBatch(jobId);
          return json(r);
        }
        case "undo":
          return json(await undoImport(m, actor, jobId));
        case "delete":
          return json(await deleteImport(m, actor, jobId));
      }
    } catch (e) {
      return answer(e, locale);
    }
  };

  /** Starts a job (the file in Storage, or streamed from the request) and answers 202. */
  async function started(
    caller: Caller,
    start: z.output<typeof startSchema>,
    upload: StartRequest["upload"],
    locale: Locale,
  ): Promise<Response> {
    let who: Starter;
    if (caller.kind === "user" && start.ownerId !== undefined) {
      throw apiError("forbidden", "owner_user", {}, requestLocale(start, locale));
    }
    if (caller.kind === "user") who = { kind: "user", userId: caller.userId, email: caller.email };
    else if (start.ownerId) who = { kind: "service", ownerId: start.ownerId };
    else throw apiError("bad_request", "owner_required", {}, requestLocale(start, locale));
    const { jobId } = await startImport(
      { sql: d.sql, store: d.store, kind: d.kind, functionName: d.name, chain: d.config.chain },
      who,
      {
        companyId: start.companyId,
        name: start.name,
        options: start.options,
        path: start.file?.path,
        upload,
      },
      locale,
    );
    firstBatch(jobId);
    return json({ jobId, status: "queued" }, 202);
  }

  /**
   * A start sent as multipart: the fields (`companyId`, `name`, `options`, `ownerId`, or all of
   * them as JSON in `request`) come first, then `file`, whose bytes stream to Storage as they
   * arrive; a field after the file is refused before any job exists.
   */
  async function multipartStart(req: Request, caller: Caller, locale: Locale): Promise<Response> {
    const boundary = boundaryOf(req.headers.get("content-type") ?? "");
    if (!boundary || !req.body) throw apiError("bad_request", "body_invalid");
    const parts = multipartParts(req.body, boundary);
    const fields: Record<string, unknown> = { action: "start" };
    try {
      for (;;) {
        const next = await parts.next();
        if (next.done) {
          throw apiError("bad_request", "multipart_file_missing", {}, requestLocale(fields, locale));
        }
        const part = next.value;
        if (part.name !== "file" || part.filename === undefined) {
          const value = await readCapped(new Response(part.body), MAX_JSON_BYTES, locale);
          if (part.name === "request" || part.name === "json") Object.assign(fields, JSON.parse(value));
          else if (part.name === "options") fields.options = JSON.parse(value);
          else if (part.name === "action" && value === "start") continue;
          else fields[part.name] = value;
          continue;
        }
        if (fields.companyId === undefined) {
          await part.body.cancel();
          throw apiError("bad_request", "multipart_file_first", {}, requestLocale(fields, locale));
        }
        const start = parseBody(startSchema, fields, requestLocale(fields, locale));
        let cut = false;
        const upload: NonNullable<StartRequest["upload"]> = {
          name: part.filename,
          type: part.type,
          stream: part.body,
          async end() {
            // The file is stored: anything after it in the body would be a field read too late.
            const after = await parts.next();
            if (!after.done) {
              cut = true;
              await after.value.body.cancel();
              throw apiError("bad_request", "multipart_field_after_file", {
                field: after.value.name.slice(0, 40),
              }, requestLocale(fields, locale));
            }
          },
        };
        try {
          return await started(caller, start, upload, locale);
        } finally {
          if (!cut) await part.body.cancel().catch(() => {});
        }
      }
    } catch (e) {
      if (e instanceof SyntaxError || e instanceof MultipartError) {
        throw apiError("bad_request", "body_invalid");
      }
      throw e;
    } finally {
      await parts.return(undefined).catch(() => {});
    }
  }

  /** The error as an HTTP answer `{ code, message }`, the message in the caller's language. */
  function answer(e: unknown, locale: Locale): Response {
    const err = asPasserelleError(e);
    const status = STATUS[err.code] ?? (err.retryable ? 503 : 500);
    if (status >= 500) console.error(`[${d.name}] ${err.code}`, e);
    const message = err instanceof ApiError
      ? err.messageIn(locale)
      : status >= 500 && err.code === "internal"
      ? "Internal error"
      : err.message;
    return json({ code: err.code, message }, status);
  }
}

/** A JSON body's largest size: actions and options are small (a mapping of a few hundred headers). */
const MAX_JSON_BYTES = 1 << 20;

/** The request's locale: `options.locale` when it names one, else the one given. */
function requestLocale(body: Record<string, unknown>, locale: Locale): Locale {
  const o = body.options as { locale?: unknown } | undefined;
  return o && typeof o === "object" && (o.locale === "fr" || o.locale === "en") ? o.locale : locale;
}

/** The body as text, refused past `max` bytes without reading further. */
async function readCapped(r: Request | Response, max: number, locale: Locale): Promise<string> {
  if (!r.body) return "";
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const c of r.body) {
    n += c.length;
    if (n > max) throw apiError("bad_request", "body_too_large", { max }, locale);
    chunks.push(c);
  }
  const all = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}
