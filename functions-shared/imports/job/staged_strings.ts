/**
 * An XLSX's shared strings, staged once in `passerelle.import_shared_strings` by the first calls of
 * its parse, then looked up a batch of rows at a time. A sheet's cells name their strings by index
 * only; a million-row workbook holds millions of them, which no call can read again at every call
 * (the table is read once, over as many calls as it needs, each resuming inside the deflated
 * `xl/sharedStrings.xml` where the one before stopped: `readSharedStrings`'s cursors).
 *
 * Each flush copies its strings and moves the job's checkpoint (`strings`) in one transaction, so a
 * call stopped anywhere leaves every string staged once: the next call resumes at the last flush.
 */
import type { Sql } from "../../deps.ts";
import type { Budget } from "../../engine/budget.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import { copyIn } from "../../copy_in.ts";
import { readSharedStrings, type SharedStringLookup, type StringsCursor } from "../xlsx_reader.ts";
import type { Checkpoint, ImportJob } from "./import_job.ts";
import { storeSource } from "./store_source.ts";

/** What staging needs. */
export interface StageDeps {
  sql: Sql;
  store: ObjectStore;
  /** Strings per transaction; default 100,000. */
  flushStrings?: number;
  /** Test hook: runs after each flush's transaction committed (throw to simulate a crash there). */
  afterFlush?: (checkpoint: Checkpoint) => void | Promise<void>;
}

const encoder = new TextEncoder();

/** A value in COPY's text format: backslash, tab and line breaks escaped. */
function copyField(v: string): string {
  return /[\\\t\n\r]/.test(v)
    ? v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
    : v;
}

/**
 * Stages the job's shared strings from its checkpoint on, within `budget`. Returns the checkpoint
 * once every string is staged (`strings: "staged"`), `"later"` when the budget ran out first (a later
 * call goes on), `"cancel"` when the user cancelled (or the job left parsing). Throws `ImportError`
 * for a damaged table (the caller fails the job).
 */
export async function stageSharedStrings(
  d: StageDeps,
  job: ImportJob,
  cp: Checkpoint,
  budget: Budget,
): Promise<Checkpoint | "later" | "cancel"> {
  const flushStrings = d.flushStrings ?? 100_000;
  const source = storeSource(d.store, job.file_path, job.file_size);
  const from = typeof cp.strings === "object" ? cp.strings : undefined;
  let lines: string[] = [];
  let count = 0;
  const flush = async (cursor: StringsCursor | null): Promise<Checkpoint | "cancel"> => {
    const next: Checkpoint = { ...cp, strings: cursor ?? "staged" };
    const bytes = encoder.encode(lines.join(""));
    lines = [];
    count = 0;
    const go = await d.sql.begin(async (tx) => {
      if (bytes.length) {
        await copyIn(tx`copy passerelle.import_shared_strings (job_id, idx, value) from stdin`, bytes);
      }
      const [j] = await tx<{ cancel_requested: boolean }[]>`
        update public.import_jobs set checkpoint = ${tx.json(next as never)}, attempts = 0, updated_at = now()
         where id = ${job.id} and status = 'parsing' returning cancel_requested`;
      return j !== undefined && !j.cancel_requested;
    });
    if (!go) return "cancel"; // (cancelled, or the job left parsing meanwhile)
    cp = next;
    await d.afterFlush?.(next);
    return next;
  };
  for await (
    const p of readSharedStrings(source, { cursor: from, fileName: job.file_name, minStrings: 1000 })
  ) {
    for (let i = 0; i < p.strings.length; i++) {
      lines.push(`${job.id}\t${p.first + i}\t${copyField(p.strings[i])}\n`);
    }
    count += p.strings.length;
    if (p.cursor === null) return await flush(null);
    if (count >= flushStrings) {
      if ((await flush(p.cursor)) === "cancel") return "cancel";
      if (!budget.allows({ wallMs: 2_000, cpuMs: 300 })) return "later";
    }
  }
  throw new Error("the shared strings ended without their last piece");
}

/**
 * Looks up a batch's shared strings (indexes sorted, as `readXlsxRows` asks) in the job's staged table:
 * one statement per batch. Writers number strings in the order they first use them, so most of a
 * batch's indexes are one dense run, its new strings: read as a range of the key, which costs far less
 * than as many lookups; the older ones (a city, a stage) by key.
 */
export function stagedStrings(sql: Sql, jobId: string): SharedStringLookup {
  return {
    async get(indexes) {
      const n = indexes.length;
      if (!n) return [];
      // The longest run at the end at least half dense: indexes[p..] span at most twice their count.
      const max = indexes[n - 1];
      let p = n - 1;
      for (let k = n - 1; k >= 0; k--) if (2 * (n - k) >= max - indexes[k] + 1) p = k;
      const older = indexes.slice(0, p);
      const rows = await sql<{ idx: number; value: string }[]>`
        select idx, value from passerelle.import_shared_strings
         where job_id = ${jobId} and idx between ${indexes[p]} and ${max}
        union all
        select idx, value from passerelle.import_shared_strings
         where job_id = ${jobId} and idx = any(${older}::int[])`;
      const byIndex = new Map<number, string>();
      for (const r of rows) byIndex.set(r.idx, r.value);
      return indexes.map((i) => byIndex.get(i));
    },
  };
}

/** Removes the job's staged strings (once its parse ended). */
export async function dropStagedStrings(sql: Sql, jobId: string): Promise<void> {
  await sql`delete from passerelle.import_shared_strings where job_id = ${jobId}`;
}
