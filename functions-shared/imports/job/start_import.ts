/**
 * Starting an import: the file (uploaded in the request, or already in
 * Storage under `imports/<company>/`) is hashed while it streams, stored at
 * `imports/<company>/<sha256>/<safe name>`, checked against the company's
 * earlier imports of the same bytes, and the job row inserted, all before
 * the 202. The continuation is queued in the job's own transaction with
 * `passerelle.invoke` (pg_net sends it only if the transaction commits, so
 * it is as durable as the job); the caller may also run a first batch
 * in-process (`EdgeRuntime.waitUntil`); the lease keeps the two apart.
 */
import { createHash } from "node:crypto";
import type { Sql } from "../../deps.ts";
import { PasserelleError } from "../../errors.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import { type JobKind, parseJobOptions } from "./import_job.ts";

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
  upload?: { name: string; stream: ReadableStream<Uint8Array>; type?: string };
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

/** Starts an import; returns the new job's id. Throws `forbidden`, `bad_request`, `not_found` or `import_duplicate_file`. */
export async function startImport(d: StartDeps, who: Starter, req: StartRequest): Promise<{ jobId: string }> {
  const owner = who.kind === "user" ? who.userId : who.ownerId;
  if (who.kind === "user" && d.kind === "leads") {
    const [{ admin }] = await d.sql<
      { admin: boolean }[]
    >`select public.has_role(${owner}::uuid, 'admin') as admin`;
    if (!admin) throw new PasserelleError("forbidden", "Importing leads needs the admin role");
  }
  const options = parseJobOptions(req.options);
  const companyId = Number(req.companyId);
  if (!Number.isSafeInteger(companyId) || companyId <= 0) {
    throw new PasserelleError("bad_request", "companyId must be a company's id");
  }
  const [company] = await d.sql`select id from public.companies where id = ${companyId}`;
  if (!company) throw new PasserelleError("not_found", `Company ${companyId} does not exist`);

  let sha256: string, size: number, path: string, name: string;
  if (req.upload) {
    name = typeof req.name === "string" && req.name ? req.name : req.upload.name;
    const h = hashing(req.upload.stream);
    const tmp = `imports/${companyId}/incoming/${crypto.randomUUID()}/${safeFileName(name)}`;
    await d.store.put(tmp, h.out, { contentType: req.upload.type || "application/octet-stream" });
    ({ sha256, size } = h.result());
    path = `imports/${companyId}/${sha256}/${safeFileName(name)}`;
    if (!(await d.store.exists(path))) await d.store.copy(tmp, path);
    await d.store.remove([tmp]);
  } else if (typeof req.path === "string" && req.path) {
    // Only the company's own import area: a user must not import another's stored files.
    if (!req.path.startsWith(`imports/${companyId}/`) || req.path.includes("..")) {
      throw new PasserelleError("forbidden", `file.path must be under imports/${companyId}/`);
    }
    path = req.path;
    name = typeof req.name === "string" && req.name ? req.name : path.split("/").pop()!;
    const h = hashing(await d.store.get(path));
    for await (const _ of h.out) { /* hashing as it flows */ }
    ({ sha256, size } = h.result());
  } else {
    throw new PasserelleError("bad_request", `Send the file as multipart field "file" or give file.path`);
  }

  return await d.sql.begin(async (tx) => {
    // One start per company and file at a time, so two starts of the same bytes cannot both pass.
    await tx`select pg_advisory_xact_lock(hashtextextended(${`${companyId}:${sha256}`}, 0))`;
    if (!options.force) {
      const [earlier] = await tx<{ id: string; status: string; created_at: Date }[]>`
        select id, status, created_at from public.import_jobs
         where company_id = ${companyId} and file_sha256 = ${sha256}
           and status not in ('failed', 'cancelled') and undone_at is null
         order by created_at limit 1`;
      if (earlier) {
        throw new PasserelleError(
          "import_duplicate_file",
          `This file was already imported by job ${earlier.id} (${earlier.status}, ${earlier.created_at.toISOString()}): send options.force = true to import it again`,
        );
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
