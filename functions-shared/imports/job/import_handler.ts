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
import { dbUnavailable, isDbUnavailable } from "../../db.ts";
import { type Sql, z } from "../../deps.ts";
import type { Caller } from "../../engine/auth.ts";
import {
  admit,
  cappedStream,
  countRefusal,
  DEFAULT_MAX_BODY_BYTES,
  readCappedText,
} from "../../engine/request_guard.ts";
import { batchCall } from "../../engine/serve_batch.ts";
import { asPasserelleError, PasserelleError } from "../../errors.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import { type AdvanceDeps, importStep } from "./advance_imports.ts";
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
  config:
    & Pick<
      Config,
      "serviceRoleKey" | "secretKey" | "jwtSecret" | "budget" | "workers" | "chain" | "resend"
    >
    & Partial<Pick<Config, "maxBodyBytes" | "maxUploadBytes">>;
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
  body_too_large: 413,
};

/** Builds the HTTP handler of an import function. */
export function importHandler(d: ImportHandlerDeps): (req: Request) => Promise<Response> {
  const email = { resend: d.config.resend, fetch: d.fetch, minRows: d.emailMinRows };
  const advanceDeps = { sql: d.sql, store: d.store, kind: d.kind, email, ...d.advance };
  const batch = batchCall({
    name: d.name,
    config: d.config,
    sql: d.sql,
    step: importStep(advanceDeps),
    secrets: d.config.resend ? [d.config.resend.apiKey] : [],
  });
  const guard = { name: d.name, sql: d.sql, keys: d.config, allowUsers: true };

  // The first batch of a job is a call of its own (logged, and chaining while the job has work left).
  const firstBatch = (jobId: string) => {
    if (!d.waitUntil) return;
    d.waitUntil(
      batch({ caller: { kind: "service" }, body: { jobId }, trigger: "start" }).then(
        (res) => res.body?.cancel(),
        (e) => console.error(`[${d.name}] first batch of ${jobId} stopped; cron goes on:`, String(e)),
      ),
    );
  };

  return async (req: Request) => {
    const locale = acceptLocale(req.headers.get("accept-language"));
    // Who calls is known from the headers before a byte of the body is read; a refusal is counted.
    const admitted = await admit(req, guard);
    if ("refused" in admitted) return admitted.refused;
    const caller: Caller = admitted.caller;
    const type = req.headers.get("content-type") ?? "";
    let body: Record<string, unknown> = {};
    try {
      if (type.startsWith("multipart/form-data")) {
        // A multipart upload has its own cap (MAX_UPLOAD_BYTES), checked as the bytes come.
        const max = d.config.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
        return await multipartStart(cappedStream(req, max), type, max, caller, locale);
      }
      const max = d.config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
      const text = await readCappedText(req, max).catch((e) => {
        throw tooLarge(e, max);
      });
      const parsed = text.trim() ? JSON.parse(text) : {};
      if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
        throw apiError("bad_request", "body_invalid");
      }
      body = parsed;
    } catch (e) {
      const err = e instanceof SyntaxError ? apiError("bad_request", "body_invalid") : asPasserelleError(e);
      if (err.code === "bad_request" || err.code === "body_too_large") await countRefusal(d.sql, d.name, err);
      return answer(err, locale);
    }

    if (body.action === undefined) {
      // A continuation call (cron, chain): the service role only; budgeted, logged and chained.
      if (caller.kind !== "service") {
        const err = apiError("forbidden", "service_only");
        await countRefusal(d.sql, d.name, err);
        return answer(err, locale);
      }
      return await batch({ caller, body });
    }
    try {
      if (body.action === "start") {
        const start = parseBody(startSchema, body, requestLocale(body, locale));
        return await started(caller, start, undefined, locale);
      }
      if (typeof body.action !== "string" || !(JOB_ACTIONS as readonly string[]).includes(body.action)) {
        throw apiError("bad_request", "action_unknown", { action: String(body.action).slice(0, 20) });
      }
      const { action, jobId, undo } = parseBody(jobActionSchema, body, locale);
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
          return json(await deleteImport(m, actor, jobId, { undo: undo === true }));
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
  async function multipartStart(
    stream: ReadableStream<Uint8Array> | null,
    type: string,
    max: number,
    caller: Caller,
    locale: Locale,
  ): Promise<Response> {
    const boundary = boundaryOf(type);
    if (!boundary || !stream) throw apiError("bad_request", "body_invalid");
    const parts = multipartParts(stream, boundary);
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
      throw tooLarge(e, max);
    } finally {
      await parts.return(undefined).catch(() => {});
    }
  }

  /** The error as an HTTP answer `{ code, message }`, the message in the caller's language. */
  function answer(e: unknown, locale: Locale): Response {
    const err = isDbUnavailable(e) ? dbUnavailable(e) : asPasserelleError(e);
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

/** A multipart upload's default cap (`MAX_UPLOAD_BYTES`): streamed, never held whole. */
const DEFAULT_MAX_UPLOAD_BYTES = 2 * 1024 ** 3;

/** A multipart field's largest size (the request's JSON, options): as a JSON body's. */
const MAX_JSON_BYTES = DEFAULT_MAX_BODY_BYTES;

/** The engine's `body_too_large` (English, for logs) as an answer in the caller's language. */
function tooLarge(e: unknown, max: number): unknown {
  return e instanceof PasserelleError && e.code === "body_too_large" && !(e instanceof ApiError)
    ? apiError("body_too_large", "body_too_large", { max })
    : e;
}

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
    if (n > max) throw apiError("body_too_large", "body_too_large", { max }, locale);
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
