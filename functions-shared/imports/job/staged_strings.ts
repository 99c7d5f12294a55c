/**
 * An XLSX's shared strings, staged once in `passerelle.import_shared_strings` by the first calls of
 * its parse, then looked up a batch of rows at a time. A sheet's cells name their strings by index
 * only; a million-row workbook holds millions of them, which no call can read again at every call
 * (the table is read once, over as many calls as it needs, each resuming inside the deflated
 * `xl/sharedStrings.xml` where the one before stopped: `readSharedStrings`'s cursors).
 *
 * Each flush copies its strings and moves the job's checkpoint (`strings`) in one transaction, so a
 * call stopped anywhere leaves every string staged once: the next call resumes at the last flush. A
 * flush runs while the next strings are read (one at a time: each commits after the one before).
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
  /** Strings per transaction; default 50,000. */
  flushStrings?: number;
  /** Test hook: runs after each flush's transaction committed (throw to simulate a crash there). */
  afterFlush?: (checkpoint: Checkpoint) => void | Promise<void>;
}

const encoder = new TextEncoder();

/** The chunks one after the other. */
function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

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
  const flushStrings = d.flushStrings ?? 50_000;
  const source = storeSource(d.store, job.file_path, job.file_size);
  const from = typeof cp.strings === "object" ? cp.strings : undefined;
  // A flush's COPY data, one chunk of bytes per piece of strings (no long-lived string per line).
  let chunks: Uint8Array[] = [];
  let count = 0;
  const flush = async (cursor: StringsCursor | null): Promise<Checkpoint | "cancel"> => {
    const next: Checkpoint = { ...cp, strings: cursor ?? "staged" };
    const bytes = concat(chunks);
    chunks = [];
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
  // One flush in flight while the next strings are read (flushes still commit one after the other).
  let inFlight: Promise<Checkpoint | "cancel"> | undefined;
  const settle = async () => {
    const f = inFlight;
    inFlight = undefined;
    return f ? await f : undefined;
  };
  try {
    for await (
      const p of readSharedStrings(source, { cursor: from, fileName: job.file_name, minStrings: 1000 })
    ) {
      let text = "";
      for (let i = 0; i < p.strings.length; i++) {
        text += `${job.id}\t${p.first + i}\t${copyField(p.strings[i])}\n`;
      }
      chunks.push(encoder.encode(text));
      count += p.strings.length;
      if (p.cursor === null) {
        if ((await settle()) === "cancel") return "cancel";
        return await flush(null);
      }
      if (count >= flushStrings) {
        if ((await settle()) === "cancel") return "cancel";
        inFlight = flush(p.cursor);
        inFlight.catch(() => {}); // (met by `settle`)
        if (!budget.allows({ wallMs: 2_000, cpuMs: 300 })) {
          return (await settle()) === "cancel" ? "cancel" : "later";
        }
      }
    }
  } finally {
    await inFlight?.catch(() => {}); // (a read that failed: the flush before it still ends first)
  }
  throw new Error("the shared strings ended without their last piece");
}

/** Strings of the older indexes (a city, a stage, a first name) kept between batches. */
const KEPT_STRINGS = 20_000;

/**
 * Looks up a batch's shared strings (indexes sorted, as `readXlsxRows` asks) in the job's staged table.
 * Writers number strings in the order they first use them, so most of a batch's indexes are one dense
 * run, its new strings, just after the last batch's: each lookup also starts reading the run the next
 * batch will likely need (as many strings again, and a fifth more), which the reader does not wait for
 * while it parses that batch's XML; the older indexes (values that repeat) are kept, up to
 * `KEPT_STRINGS`. Only what neither holds is read then, one statement, a range of the key for the dense
 * run (far cheaper than as many lookups by key) and the rest by key. (Measured: a batch's lookup is
 * 1.5 ms in PostgreSQL but 65 ms seen from a busy call, once per 1,000 rows.)
 */
export function stagedStrings(sql: Sql, jobId: string): SharedStringLookup {
  const kept = new Map<number, string>();
  let ahead: { from: number; to: number; rows: Promise<{ idx: number; value: string }[]> } | undefined;
  const range = (from: number, to: number) =>
    sql<{ idx: number; value: string }[]>`
      select idx, value from passerelle.import_shared_strings
       where job_id = ${jobId} and idx between ${from} and ${to}`;
  return {
    async get(indexes) {
      const n = indexes.length;
      if (!n) return [];
      const byIndex = new Map<number, string>();
      if (ahead) {
        const a = ahead;
        ahead = undefined;
        if (indexes[n - 1] >= a.from && indexes[0] <= a.to) {
          for (const r of await a.rows) byIndex.set(r.idx, r.value);
        }
      }
      const missing = indexes.filter((i) => !byIndex.has(i) && !kept.has(i));
      if (missing.length) {
        // The longest run at the end at least half dense: missing[p..] span at most twice their count.
        const m = missing.length, max = missing[m - 1];
        let p = m - 1;
        for (let k = m - 1; k >= 0; k--) if (2 * (m - k) >= max - missing[k] + 1) p = k;
        const older = missing.slice(0, p);
        const rows = await sql<{ idx: number; value: string }[]>`
          select idx, value from passerelle.import_shared_strings
           where job_id = ${jobId} and idx between ${missing[p]} and ${max}
          union all
          select idx, value from passerelle.import_shared_strings
           where job_id = ${jobId} and idx = any(${older}::int[])`;
        for (const r of rows) byIndex.set(r.idx, r.value);
      }
      // The next batch's likely run, read while the reader parses it.
      const last = indexes[n - 1];
      let first = n - 1;
      while (first > 0 && indexes[first - 1] >= last - 2 * (n - first)) first--;
      const span = Math.max(1000, Math.ceil((last - indexes[first] + 1) * 1.2));
      const rows = range(last + 1, last + span);
      rows.catch(() => {}); // (met by the next lookup, or never: the last batch)
      ahead = { from: last + 1, to: last + span, rows };
      // Older indexes kept: those below this batch's run, which later batches may name again.
      const runFrom = indexes[first];
      const out = indexes.map((i) => {
        const v = byIndex.get(i) ?? kept.get(i);
        if (v !== undefined && i < runFrom) {
          kept.delete(i);
          kept.set(i, v); // (most recent last)
        }
        return v;
      });
      while (kept.size > KEPT_STRINGS) kept.delete(kept.keys().next().value!);
      return out;
    },
  };
}

/** Removes the job's staged strings (once its parse ended). */
export async function dropStagedStrings(sql: Sql, jobId: string): Promise<void> {
  await sql`delete from passerelle.import_shared_strings where job_id = ${jobId}`;
}
