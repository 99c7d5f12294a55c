/**
 * The commit of a leads job while it is parsed (issue 18): a job committed
 * when parsed (`autoCommit`) under `skip` or `create` has each flush's rows
 * labelled in the flush's own transaction (`passerelle.import_mark_rows`:
 * duplicates of existing leads and of earlier rows of the file, the labels
 * the end-of-file marking gives), and each range of the commit grid is
 * committed (`passerelle.import_commit_leads`, recorded in
 * `passerelle.import_commits`) as soon as its last row is stored, on its own
 * connection, while the call goes on parsing: PostgreSQL writes the leads on
 * one core while the function parses on the other.
 *
 * Off by default (`streamCommit`, `IMPORT_COMMIT_WHILE_PARSING`): measured
 * slower (200,000 rows: 46.9 s against 19.3 s parsed then committed, same
 * machine, load lower in the streamed run). Labelling in each flush costs
 * about 60 µs per row (three index probes against the leads, a probe and an
 * insert per key) in the flush's transaction, which the next flush waits
 * for: the flushes, not the parse, set the pace.
 *
 * Nothing partial stays: a job that fails or is cancelled after some ranges
 * landed is undone (`failJob`, `cancelJob`: its undo starts at once and runs
 * in the next calls). A job under `update` changes existing leads as it goes
 * and would then match rows against its own changes: it is marked and
 * committed once the whole file is parsed, as is a job under review.
 */
import type { Sql, TransactionSql } from "../../deps.ts";
import type { ImportJob } from "./import_job.ts";

/** What a streamed commit needs. */
export interface StreamedCommitDeps {
  sql: Sql;
  /** Rows per commit range; default 20,000 (a job keeps the size it started with). */
  commitRows?: number;
  /** Ranges committed at once while parsing; default 1 (the parse takes the other core). */
  streamParallel?: number;
  /**
   * Commit while parsing the jobs it suits (`IMPORT_COMMIT_WHILE_PARSING`); default off: measured slower
   * than marking the whole file at its end and committing then (200,000 rows: 46.9 s against 19.3 s).
   */
  streamCommit?: boolean;
  /** Test hook: runs after each range committed (throw to simulate a crash there). */
  afterRange?: (nextRow: number) => void | Promise<void>;
}

/** The commit of a job's ranges as its rows are stored. */
export interface StreamedCommit {
  /** Labels rows `from`..`to` just stored, in the flush's transaction `tx` (before its checkpoint). */
  mark(tx: TransactionSql, from: number, to: number): Promise<void>;
  /** Rows before `nextRow` are stored and labelled: commits the ranges they complete. */
  stored(nextRow: number): void;
  /** Waits for the ranges started; throws the first failure. */
  settle(): Promise<void>;
}

/** Whether `job` may be committed while it is parsed. */
export function streamsCommit(job: ImportJob): boolean {
  return job.kind === "leads" && job.auto_commit && job.duplicate_strategy !== "update";
}

/**
 * The streamed commit of `job` (null when it is committed after its parse),
 * from its checkpoint: ranges stored before it by an earlier call and not
 * recorded (that call died) are committed with the first ones this call
 * completes.
 */
export async function streamedCommit(d: StreamedCommitDeps, job: ImportJob): Promise<StreamedCommit | null> {
  // A job is streamed from its first row or not at all (`checkpoint.streamed`, whatever later calls say):
  // rows stored unlabelled are labelled with the whole file at its end, which a streamed job never is.
  if (!streamsCommit(job)) return null;
  if (!job.checkpoint.streamed && !(d.streamCommit && job.processed_rows === 0)) return null;
  const first = job.payload!.parse!.dataRow;
  let size = job.checkpoint.commitSize;
  if (size === undefined || !job.checkpoint.streamed) {
    // One grid per job, whatever later calls are given (its ranges are recorded by their first row).
    size = d.commitRows ?? 20_000;
    const [j] = await d.sql<{ size: number }[]>`
      update public.import_jobs set checkpoint = checkpoint || jsonb_build_object('streamed', true,
               'commitSize', coalesce((checkpoint ->> 'commitSize')::int, ${size}::int))
       where id = ${job.id} returning (checkpoint ->> 'commitSize')::int as size`;
    size = j?.size ?? size;
  }
  const recorded = new Set(
    (await d.sql<{ from_row: number }[]>`
      select from_row from passerelle.import_commits where job_id = ${job.id}`).map((r) => r.from_row),
  );
  const matchOn = job.options.matchOn ?? ["email", "phone", "external_id"];
  const width = Math.max(1, d.streamParallel ?? 1);
  const queue: [number, number][] = [];
  let next = first; // first row of the next range not queued
  let running = 0;
  let failure: unknown = null;
  const inFlight = new Set<Promise<void>>();

  const pump = () => {
    while (running < width && queue.length && failure === null) {
      const [from, to] = queue.shift()!;
      running++;
      const p = (async () => {
        await d.sql`select passerelle.import_commit_leads(${job.id}, ${from}, ${to})`;
        await d.afterRange?.(to + 1);
      })().catch((e) => {
        failure ??= e;
      }).finally(() => {
        running--;
        inFlight.delete(p);
        pump();
      });
      inFlight.add(p);
    }
  };

  return {
    async mark(tx, from, to) {
      if (to < from) return;
      await tx`select passerelle.import_mark_rows(${job.id}, ${from}, ${to}, ${matchOn}::text[])`;
    },
    stored(nextRow) {
      while (next + size! - 1 < nextRow) {
        if (!recorded.has(next)) queue.push([next, next + size! - 1]);
        next += size!;
      }
      pump();
    },
    async settle() {
      while (inFlight.size) await Promise.all([...inFlight]);
      if (failure !== null) throw failure;
    },
  };
}
