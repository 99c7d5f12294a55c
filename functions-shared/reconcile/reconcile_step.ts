/**
 * The step of `reconcile-odoo` (README, "Reconcile"): continues the reconcile
 * run in progress, phase by phase, over as many budgeted calls as it needs,
 * each phase's progress written with its work (`public.reconcile_runs`):
 *
 * 1. `leads` (listing): crm.lead in keyset pages (archived ones too), staged as Odoo sent them; at the
 *    same time ids, checksum and size of ir.attachment on crm.lead, ids of mail.activity on crm.lead
 *    once `sync-odoo-activities` has run a pass, and ids of mail.message on crm.lead once
 *    `sync-odoo-messages` has (four requests in flight, each with its cursor);
 * 3. `compare`: one SQL function compares both sides set-based and marks deletions;
 * 4. `storage`: each stored file's object is checked (size; sha1 of every byte in deep mode).
 *
 * Decided: deletions are found here, by comparing the full id sets of a run, rather than in the
 * incremental sync: Odoo says nothing of a deleted row (search_read of `write_date >=` cannot
 * return it), so the sync would have to list every id at every call to see one; a reconcile reads
 * the ids once per run, in the pages it reads anyway.
 */
import { createHash } from "node:crypto";
import type { Sql } from "../deps.ts";
import type { StepResult } from "../engine/batch_result.ts";
import type { Budget } from "../engine/budget.ts";
import { mapLimit } from "../engine/map_limit.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { LEAD_FIELDS } from "../sync/lead_sync.ts";
import type { Domain, OdooReader } from "../sync/odoo_reader.ts";

/** What the comparison needs of an attachment: no bytes, no names. */
export const RECONCILE_FILE_FIELDS = ["id", "res_id", "checksum", "file_size", "type"];

/** Activities: which exist, on which lead, and when they were written (for repair's pass). */
export const RECONCILE_ACTIVITY_FIELDS = ["id", "res_id", "write_date"];

/** Messages (the chatter): the same three, no body. */
export const RECONCILE_MESSAGE_FIELDS = ["id", "res_id", "write_date"];

/** Archived leads are part of the CRM: they are compared too. */
const ALL = { active_test: false };

export interface ReconcileOptions {
  /** Leads per Odoo page. */
  leadPage?: number;
  /** Attachments per Odoo page (five small fields each). */
  filePage?: number;
  /** Stored files checked per statement. */
  objectBatch?: number;
  /** Bytes read back per batch in deep mode (at least one file). */
  deepBatchBytes?: number;
  /** Objects checked at once (stat or read). */
  concurrency?: number;
}

export interface ReconcileRun {
  id: number;
  deep: boolean;
  phase: "leads" | "attachments" | "activities" | "compare" | "storage" | "done" | "failed";
  /** The leads' cursor while listing (then the stored files'); -1 once the listing is done. */
  cursor_id: number;
  file_cursor: number;
  activity_cursor: number;
  message_cursor: number;
}

interface StoredFile {
  id: number;
  storage_path: string;
  file_size: number | null;
  checksum: string | null;
}

/** A problem found with one stored object. */
export interface ObjectProblem {
  id: number;
  kind: "object_missing" | "object_size" | "object_sha1";
  size: number | null;
  sha1: string | null;
}

/** Checks one stored file against its row: by size, or by size and sha1 of every byte (`deep`). */
export async function checkObject(
  store: ObjectStore,
  f: StoredFile,
  deep: boolean,
): Promise<{ problem: ObjectProblem | null; bytes: number }> {
  if (!deep) {
    const info = await store.stat(f.storage_path);
    if (!info) return { problem: { id: f.id, kind: "object_missing", size: null, sha1: null }, bytes: 0 };
    const bad = f.file_size !== null && info.size !== Number(f.file_size);
    return { problem: bad ? { id: f.id, kind: "object_size", size: info.size, sha1: null } : null, bytes: 0 };
  }
  let stream: ReadableStream<Uint8Array>;
  try {
    stream = await store.get(f.storage_path);
  } catch (e) {
    if ((e as { code?: string }).code === "storage_not_found") {
      return { problem: { id: f.id, kind: "object_missing", size: null, sha1: null }, bytes: 0 };
    }
    throw e;
  }
  const hash = createHash("sha1");
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  const sha1 = hash.digest("hex");
  if (f.file_size !== null && size !== Number(f.file_size)) {
    return { problem: { id: f.id, kind: "object_size", size, sha1 }, bytes: size };
  }
  // An empty file has no checksum in Odoo's API: its size says it all.
  if (f.checksum && sha1 !== f.checksum) {
    return { problem: { id: f.id, kind: "object_sha1", size, sha1 }, bytes: size };
  }
  return { problem: null, bytes: size };
}

/** Starts a run (or returns the one in progress); `deep` reads every stored object back. */
export async function startReconcile(sql: Sql, deep: boolean): Promise<number> {
  const [{ id }] = await sql<{ id: number }[]>`select passerelle.start_reconcile(${deep})::int as id`;
  return id;
}

/** Builds the step: `odoo` reads Odoo's side, `store` the stored objects. */
export function reconcileOdoo(d: { odoo: OdooReader; store: ObjectStore; options?: ReconcileOptions }) {
  const leadPage = d.options?.leadPage ?? 2000;
  const filePage = d.options?.filePage ?? 5000;
  const objectBatch = d.options?.objectBatch ?? 200;
  const concurrency = d.options?.concurrency ?? 16;
  const deepBatchBytes = d.options?.deepBatchBytes ?? 64 * 1024 * 1024;

  return async (
    ctx: { sql: Sql; budget: Budget; body?: Record<string, unknown>; sampleMemory?: () => void },
  ): Promise<StepResult> => {
    const { sql, budget } = ctx;
    if (ctx.body?.start === true) await startReconcile(sql, ctx.body.deep === true);
    const [found] = await sql<ReconcileRun[]>`
      update public.reconcile_runs set calls = calls + 1, updated_at = now()
       where phase not in ('done', 'failed')
      returning id::int, deep, phase, cursor_id::int, file_cursor::int, activity_cursor::int,
                message_cursor::int`;
    // No run asked for: nothing to do, and nothing to chain.
    if (!found) {
      return { migrated: 0, failed: 0, remaining: 0, more: false, errors: [], details: { run: null } };
    }
    let run = found;
    let read = 0, checked = 0, differences = 0;
    let activitiesSynced: boolean | null = null;
    let messagesSynced: boolean | null = null;
    let steps = 0;

    const setPhase = async (phase: ReconcileRun["phase"]) => {
      await sql`update public.reconcile_runs set phase = ${phase}, cursor_id = 0, updated_at = now()
                 where id = ${run.id}`;
      run = { ...run, phase, cursor_id: 0 };
    };

    while (!budget.spent() && run.phase !== "done") {
      steps++;
      if (run.phase === "leads" || run.phase === "attachments" || run.phase === "activities") {
        // The three listings at once, each from its cursor (-1: done). An empty page ends a listing (a
        // short one does not: a row that vanished between Odoo's search and its read shortens it).
        if (activitiesSynced === null) {
          // Activities are compared once their sync has run: before, each would be "missing".
          [{ activitiesSynced, messagesSynced }] = await sql<
            { activitiesSynced: boolean; messagesSynced: boolean }[]
          >`select passerelle.activities_synced() as "activitiesSynced",
                   passerelle.messages_synced() as "messagesSynced"`;
        }
        const page = (model: string, domain: Domain, fields: string[], limit: number, cursor: number) =>
          cursor < 0
            ? Promise.resolve(null)
            : d.odoo.searchRead<{ id: number }>(model, [...domain, ["id", ">", cursor]], {
              fields,
              order: "id asc",
              limit,
              context: ALL,
            });
        const onLeads: Domain = [["res_model", "=", "crm.lead"]];
        const [leads, files, activities, messages] = await Promise.all([
          page("crm.lead", [], LEAD_FIELDS, leadPage, run.cursor_id),
          page("ir.attachment", onLeads, RECONCILE_FILE_FIELDS, filePage, run.file_cursor),
          activitiesSynced
            ? page("mail.activity", onLeads, RECONCILE_ACTIVITY_FIELDS, filePage, run.activity_cursor)
            : Promise.resolve(run.activity_cursor < 0 ? null : []),
          messagesSynced
            ? page(
              "mail.message",
              [["model", "=", "crm.lead"]],
              RECONCILE_MESSAGE_FIELDS,
              filePage,
              run.message_cursor,
            )
            : Promise.resolve(run.message_cursor < 0 ? null : []),
        ]);
        const next = (rows: { id: number }[] | null, cursor: number) =>
          rows === null ? cursor : rows.length ? rows[rows.length - 1].id : -1;
        run = {
          ...run,
          cursor_id: next(leads, run.cursor_id),
          file_cursor: next(files, run.file_cursor),
          activity_cursor: next(activities, run.activity_cursor),
          message_cursor: next(messages, run.message_cursor),
        };
        if (leads) {
          await sql`select passerelle.reconcile_stage_leads(${run.id}, ${
            sql.json(leads as never)
          }, ${run.cursor_id})`;
        }
        if (files) {
          await sql`select passerelle.reconcile_stage_files(${run.id}, ${
            sql.json(files as never)
          }, ${run.file_cursor})`;
        }
        if (activities) {
          await sql`select passerelle.reconcile_stage_activities(${run.id}, ${sql.json(activities as never)},
                                                               ${run.activity_cursor})`;
        }
        if (messages) {
          await sql`select passerelle.reconcile_stage_messages(${run.id}, ${sql.json(messages as never)},
                                                             ${run.message_cursor})`;
        }
        read += (leads?.length ?? 0) + (files?.length ?? 0) + (activities?.length ?? 0) +
          (messages?.length ?? 0);
        if (run.cursor_id < 0 && run.file_cursor < 0 && run.activity_cursor < 0 && run.message_cursor < 0) {
          await setPhase("compare");
        }
      } else if (run.phase === "compare") {
        const tagRows = await d.odoo.searchRead<{ id: number; name: string }>("crm.tag", [], {
          fields: ["id", "name"],
          order: "id asc",
          context: ALL,
        });
        const tags = Object.fromEntries(tagRows.map((t) => [String(t.id), t.name]));
        const [r] = await sql<{ n: number }[]>`
          select passerelle.reconcile_compare(${run.id}, ${sql.json(tags)}) as n`;
        const [a] = await sql<
          { n: number }[]
        >`select passerelle.reconcile_compare_activities(${run.id}) as n`;
        const [m] = await sql<{ n: number }[]>`select passerelle.reconcile_compare_messages(${run.id}) as n`;
        differences += r.n + a.n + m.n;
        run = { ...run, phase: "storage", cursor_id: 0 };
      } else if (run.phase === "storage") {
        // In deep mode a batch also stops at `deepBatchBytes` (its first file always goes), so that a
        // call checks its budget between reads of a bounded size, whatever the files weigh.
        const files = await sql<StoredFile[]>`
          select id, storage_path, file_size, checksum from (
            select id::int, storage_path, file_size::float8 as file_size, checksum,
                   sum(coalesce(file_size, 0)) over (order by id) - coalesce(file_size, 0) as before
              from public.lead_files
             where status = 'done' and source_deleted_at is null and id > ${run.cursor_id}
             order by id limit ${objectBatch}) b
           where not ${run.deep} or b.before < ${deepBatchBytes} order by id`;
        if (files.length === 0) {
          await sql`select passerelle.reconcile_finish(${run.id})`;
          run = { ...run, phase: "done" };
          continue;
        }
        const t0 = performance.now();
        const results = await mapLimit(files, concurrency, (f) => checkObject(d.store, f, run.deep));
        const ms = Math.round(performance.now() - t0);
        const problems = results.flatMap((r) => (r.problem ? [r.problem] : []));
        const bytes = results.reduce((s, r) => s + r.bytes, 0);
        const last = files[files.length - 1].id;
        await sql`select passerelle.reconcile_record_objects(${run.id}, ${
          sql.json(problems as never)
        }, ${last},
                                                           ${files.length}, ${bytes}, ${ms})`;
        run = { ...run, cursor_id: last };
        checked += files.length;
        differences += problems.length;
      }
      ctx.sampleMemory?.();
    }
    return {
      migrated: read + checked,
      failed: 0,
      remaining: null,
      more: run.phase !== "done",
      // Every turn of the loop read a page, compared or checked objects, or moved the run's phase: a call
      // that took one advanced the run and may chain; one whose budget was spent before did not.
      worked: steps > 0,
      errors: [],
      details: { run: run.id, phase: run.phase, read, checked, differences },
    };
  };
}
