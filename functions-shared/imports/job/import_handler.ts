/**
 * The HTTP face of both import functions (`import-leads`,
 * `batch-import-activities`): user actions (start, status, cancel, retry,
 * commit, undo, delete) answered here, and continuation calls (no action, or
 * `{trigger: "cron" | "chain"}`, service role only) handed to `serveBatch`
 * with the `advanceImports` step. Errors answer `{ code, message }`.
 */
import type { Config } from "../../config.ts";
import { dbUnavailable, isDbUnavailable } from "../../db.ts";
import type { Sql } from "../../deps.ts";
import type { Caller } from "../../engine/auth.ts";
import {
  admit,
  cappedStream,
  DEFAULT_MAX_BODY_BYTES,
  readJsonObject,
  refuse,
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
    // Who calls is known from the headers before a byte of the body is read.
    const admitted = await admit(req, guard);
    if ("refused" in admitted) return admitted.refused;
    const caller: Caller = admitted.caller;
    const type = req.headers.get("content-type") ?? "";
    let body: Record<string, unknown> = {};
    let upload: StartRequest["upload"];
    try {
      if (type.startsWith("multipart/form-data")) {
        // A multipart upload has its own cap (MAX_UPLOAD_BYTES), checked as the bytes come.
        const capped = cappedStream(req, d.config.maxUploadBytes ?? 2 * 1024 ** 3);
        const form = await new Response(capped, { headers: { "content-type": type } }).formData();
        const file = form.get("file");
        if (!(file instanceof File)) {
          throw new PasserelleError("bad_request", `Multipart field "file" is missing`);
        }
        upload = { name: file.name, stream: file.stream(), type: file.type };
        const meta = form.get("request") ?? form.get("json");
        body = typeof meta === "string" ? JSON.parse(meta) : {};
        for (const k of ["action", "name", "companyId", "ownerId"]) {
          const v = form.get(k);
          if (typeof v === "string") body[k] = v;
        }
        const options = form.get("options");
        if (typeof options === "string") body.options = JSON.parse(options);
        body.action ??= "start";
      } else {
        body = await readJsonObject(req, d.config.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);
      }
    } catch (e) {
      if (e instanceof PasserelleError) return await refuse(guard, e);
      return await refuse(
        guard,
        new PasserelleError("bad_request", "The body must be JSON or multipart/form-data"),
      );
    }

    if (typeof body.action !== "string") {
      // A continuation call (cron, chain): the service role only; budgeted, logged and chained.
      if (caller.kind !== "service") {
        return await refuse(
          guard,
          new PasserelleError("forbidden", "This function is for the service role only"),
        );
      }
      return await batch({ caller, body });
    }

    try {
      const actor: Actor = caller.kind === "user"
        ? { kind: "user", userId: caller.userId }
        : { kind: "service" };
      const m = { sql: d.sql, store: d.store, kind: d.kind };
      switch (body.action) {
        case "start": {
          const file = (body.file && typeof body.file === "object" ? body.file : {}) as Record<
            string,
            unknown
          >;
          let who: Starter;
          if (caller.kind === "user") who = { kind: "user", userId: caller.userId, email: caller.email };
          else if (typeof body.ownerId === "string") who = { kind: "service", ownerId: body.ownerId };
          else throw new PasserelleError("bad_request", "A service-role start names the job's ownerId");
          const { jobId } = await startImport(
            { sql: d.sql, store: d.store, kind: d.kind, functionName: d.name, chain: d.config.chain },
            who,
            { companyId: body.companyId, name: body.name, options: body.options, path: file.path, upload },
          );
          firstBatch(jobId);
          return json({ jobId, status: "queued" }, 202);
        }
        case "status":
          return json(await jobStatus(m, actor, body.jobId));
        case "cancel":
          return json(await cancelImport(m, actor, body.jobId));
        case "retry": {
          const r = await retryImport(m, actor, body.jobId);
          firstBatch(String(body.jobId));
          return json(r);
        }
        case "commit": {
          const r = await commitImport(m, actor, body.jobId);
          firstBatch(String(body.jobId));
          return json(r);
        }
        case "undo":
          return json(await undoImport(m, actor, body.jobId));
        case "delete":
          return json(await deleteImport(m, actor, body.jobId, { undo: body.undo === true }));
        default:
          throw new PasserelleError("bad_request", `Unknown action "${String(body.action).slice(0, 20)}"`);
      }
    } catch (e) {
      const err = isDbUnavailable(e) ? dbUnavailable(e) : asPasserelleError(e);
      const status = STATUS[err.code] ?? (err.retryable ? 503 : 500);
      if (status >= 500) console.error(`[${d.name}] ${err.code}`, e);
      return json({
        code: err.code,
        message: status >= 500 && err.code === "internal" ? "Internal error" : err.message,
      }, status);
    }
  };
}
