/**
 * Starting an import: the caller must be a member of the company (an admin
 * of it for leads); the file (uploaded in the request, or already in Storage
 * under the caller's own upload folder `imports/<company>/<user id>/`) is
 * hashed while it streams, stored at
 * `imports/<company>/<user id>/<sha256>/<safe name>`, checked against the
 * company's earlier imports of the same bytes, and the job row inserted,
 * all before the 202. The continuation is queued in the job's own
 * transaction with `passerelle.invoke` (pg_net sends it only if the
 * transaction commits, so it is as durable as the job); the caller may also
 * run a first batch in-process (`EdgeRuntime.waitUntil`); the lease keeps
 * the two apart.
 */
import { createHash } from "node:crypto";
import type { Sql } from "../../deps.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import type { Locale } from "../messages.ts";
import { apiError } from "./api_error.ts";
import { type JobKind, type JobOptions, parseJobOptions } from "./import_job.ts";
import { MAX_NAME, parseBody, startSchema } from "./request_schema.ts";

/** Who starts the import. */
export type Starter = { kind: "service"; ownerId: string; email?: string } | {
  kind: "user";
  userId: string;
  email?: string;
};

/** The request, read by the HTTP adapter. */
export interface StartRequest {
  companyId: unknown;
  name?: unknown;
  options?: unknown;
  /** A file already in Storage. */
  path?: unknown;
  /** A file sent in the request. */
  upload?: {
    name: string;
    stream: ReadableStream<Uint8Array>;
    type?: string;
    /** Called once the bytes are stored, before the job exists: throws if the request is wrong after all. */
    end?: () => Promise<void>;
  };
}

/** What starting needs. */
export interface StartDeps {
  sql: Sql;
  store: ObjectStore;
  kind: JobKind;
  /** The function to queue the continuation of (`import-leads`, `batch-import-activities`). */
  functionName: string;
  /** Queue the continuation through pg_net (off where Vault holds no key, as in tests). */
  chain: boolean;
}

/** A file name safe as the last part of a Storage key. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const clean = base.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z0-9._-]+/g, "_")
    .replace(/^[._]+/, "").slice(-120);
  return clean || "fichier";
}

/** Bytes of `stream` passed on while counting them and hashing them. */
function hashing(stream: ReadableStream<Uint8Array>) {
  const hash = createHash("sha256");
  let size = 0;
  const out = stream.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, c) {
        hash.update(chunk);
        size += chunk.length;
        c.enqueue(chunk);
      },
    }),
  );
  return { out, result: () => ({ sha256: hash.digest("hex") as string, size }) };
}

/** The folder a user's own files live in: a start may only name a file under it. */
export const uploadFolder = (companyId: number, userId: string) => `imports/${companyId}/${userId}/`;

/**
 * Who may start an import into `companyId`: a user must be a member of it
 * (an admin for leads); the service role acts for any company that exists.
 */
async function checkStarter(d: StartDeps, who: Starter, companyId: number, locale: Locale) {
  if (who.kind === "user") {
    const [{ role }] = await d.sql<{ role: string | null }[]>`
      select public.company_role(${who.userId}::uuid, ${companyId}) as role`;
    // A non-member learns nothing of the company, not even whether it exists.
    if (!role) throw apiError("forbidden", "not_member", { company: companyId }, locale);
    if (d.kind === "leads" && role !== "admin") {
      throw apiError("forbidden", "leads_need_admin", { company: companyId }, locale);
    }
    return;
  }
  const [company] = await d.sql`select id from public.companies where id = ${companyId}`;
  if (!company) throw apiError("not_found", "company_missing", { company: companyId }, locale);
}

/** Assignment targets must be members of the company (else the commit would fail or leak leads). */
async function checkAssignees(d: StartDeps, options: JobOptions, companyId: number, locale: Locale) {
  const ids = [
    ...(options.assignment.userId ? [options.assignment.userId] : []),
    ...(options.assignment.userIds ?? []),
  ].map((u) => u.toLowerCase());
  if (!ids.length) return;
  const [missing] = await d.sql<{ id: string }[]>`
    select u.id::text as id from unnest(${ids}::uuid[]) with ordinality as u (id, n)
     where not exists (select 1 from public.company_members m where m.company_id = ${companyId} and m.user_id = u.id)
     order by u.n limit 1`;
  if (missing) {
    throw apiError("bad_request", "assignee_not_member", { user: missing.id, company: companyId }, locale);
  }
}

/** `path` checked: a file (not a folder) under the folder the starter may read. */
function checkPath(path: string, folder: string, locale: Locale): string {
  // A folder is never a file, whoever asks (and saying so tells nothing of what is stored).
  if (path.endsWith("/")) throw apiError("bad_request", "path_folder", { path }, locale);
  const parts = path.split("/");
  if (!path.startsWith(folder) || parts.some((p) => p === ".." || p === ".") || path.includes("//")) {
    throw apiError("forbidden", "path_outside", { folder, path }, locale);
  }
  return path;
}

/**
 * Starts an import; returns the new job's id. Throws `forbidden`,
 * `bad_request`, `not_found` or `import_duplicate_file`, with messages in the
 * request's locale (`options.locale`, else `locale`).
 */
export async function startImport(
  d: StartDeps,
  who: Starter,
  req: StartRequest,
  locale: Locale = "fr",
): Promise<{ jobId: string }> {
  const raw = req.options as { locale?: unknown } | undefined;
  if (raw && (raw.locale === "fr" || raw.locale === "en")) locale = raw.locale;
  const owner = who.kind === "user" ? who.userId : who.ownerId;
  const fields = parseBody(startSchema, {
    action: "start",
    companyId: req.companyId,
    ...(req.name !== undefined && req.name !== "" ? { name: req.name } : {}),
  }, locale);
  const companyId = fields.companyId;
  await checkStarter(d, who, companyId, locale);
  const options = parseJobOptions(req.options, locale);
  await checkAssignees(d, options, companyId, locale);

  const folder = uploadFolder(companyId, owner);
  let sha256: string, size: number, path: string, name: string;
  if (req.upload) {
    name = fields.name ?? req.upload.name.slice(-MAX_NAME);
    const h = hashing(req.upload.stream);
    const tmp = `${folder}incoming/${crypto.randomUUID()}/${safeFileName(name)}`;
    await d.store.put(tmp, h.out, { contentType: req.upload.type || "application/octet-stream" });
    await req.upload.end?.().catch(async (e) => {
      await d.store.remove([tmp]);
      throw e;
    });
    ({ sha256, size } = h.result());
    path = `${folder}${sha256}/${safeFileName(name)}`;
    if (!(await d.store.exists(path))) await d.store.copy(tmp, path);
    await d.store.remove([tmp]);
  } else if (typeof req.path === "string" && req.path) {
    // A user reads only their own folder, so a job never reads (nor, on delete, removes) a file its
    // owner could not; the service role, acting for the operator, any file of the company's area.
    path = checkPath(req.path, who.kind === "user" ? folder : `imports/${companyId}/`, locale);
    if (!(await d.store.stat(path))) throw apiError("not_found", "path_missing", { path }, locale);
    name = fields.name ?? path.split("/").pop()!.slice(-MAX_NAME);
    const h = hashing(await d.store.get(path));
    for await (const _ of h.out) { /* hashing as it flows */ }
    ({ sha256, size } = h.result());
  } else {
    throw apiError("bad_request", "file_required", {}, locale);
  }

  return await d.sql.begin(async (tx) => {
    // One start per company and file at a time, so two starts of the same bytes cannot both pass.
    await tx`select pg_advisory_xact_lock(hashtextextended(${`${companyId}:${sha256}`}, 0))`;
    if (!options.force) {
      const [earlier] = await tx<{ id: string; status: string; created_at: Date; visible: boolean }[]>`
        select id, status, created_at,
               (owner = ${owner}::uuid or ${who.kind === "service"}
                or public.company_role(${owner}::uuid, company_id) = 'admin') as visible
          from public.import_jobs
         where company_id = ${companyId} and file_sha256 = ${sha256}
           and status not in ('failed', 'cancelled') and undone_at is null
         order by created_at limit 1`;
      if (earlier) {
        // Another member's job is not the caller's to know: only that the company has the file.
        throw earlier.visible
          ? apiError("import_duplicate_file", "duplicate_file", {
            jobId: earlier.id,
            status: earlier.status,
            at: earlier.created_at.toISOString(),
          }, locale)
          : apiError("import_duplicate_file", "duplicate_file_other", {
            at: earlier.created_at.toISOString(),
          }, locale);
      }
    }
    const [job] = await tx<{ id: string }[]>`
      insert into public.import_jobs (owner, company_id, kind, file_path, file_name, file_sha256, file_size,
                                      options, duplicate_strategy, assignment_mode, auto_commit, payload)
      values (${owner}, ${companyId}, ${d.kind}, ${path}, ${name}, ${sha256}, ${size},
              ${tx.json(options as never)}, ${options.duplicateStrategy}, ${options.assignment.mode},
              ${options.autoCommit}, ${tx.json(who.email ? { notify: who.email } : {})})
      returning id`;
    if (d.chain) {
      // In a savepoint: without Vault secrets (a project not yet set up) the job still starts, and
      // the in-process first batch and the cron job carry it.
      await tx.savepoint((sp) =>
        sp`select passerelle.invoke(${d.functionName}, '{"trigger": "chain"}'::jsonb)`
      )
        .catch((e) => console.warn(`[${d.functionName}] continuation not queued:`, (e as Error).message));
    }
    return { jobId: job.id };
  });
}
