/**
 * The parse step of an import: from the job's checkpoint, read the file in
 * batches (CSV from a byte offset, XLSX from a row number), validate every
 * row, and store the rows in `import_rows` with the checkpoint, counts,
 * progress, rate and ETA in the SAME transaction, every `flushRows` rows
 * (default 5,000; 2,500 for a workbook). A call stopped at any point leaves the job at its last
 * flush, from which the next call goes on: nothing is stored twice or lost,
 * and at most one flush of rows is read again. (Not every 500 rows, as the
 * first design had it: each checkpoint is a transaction, and at 500 rows the
 * parse of a million took 66 s instead of 22 s, for a saving of at most
 * 4,500 rows read again after a crash, about 40 ms of CPU.)
 *
 * The first call sniffs the file (format, encoding, delimiter, header row)
 * and maps its columns; the last marks duplicates in SQL, writes the error
 * report to Storage and moves the job on to review or commit.
 */
import type { Sql } from "../../deps.ts";
import { isRetryable, PasserelleError } from "../../errors.ts";
import type { Budget } from "../../engine/budget.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import { activityRowValidator } from "../activity_row.ts";
import { type ColumnMapping, columnSummary, type ExplicitMapping, mapColumns } from "../columns.ts";
import { readCsvRows } from "../csv_reader.ts";
import { errorReportStream, type ReportEntry } from "../error_report.ts";
import { ImportError } from "../import_error.ts";
import { type LeadRowResult, leadRowValidator } from "../lead_row.ts";
import type { Issue } from "../messages.ts";
import { SNIFF_BYTES, sniffFile } from "../sniff.ts";
import { readOdsHeader, readOdsRows } from "../ods_reader.ts";
import { openWorkbookZip, workbookKind } from "../workbook_zip.ts";
import { readXlsxHeader, readXlsxRows } from "../xlsx_reader.ts";
import { copyIn } from "../../copy_in.ts";
import { COPY_COLUMNS, CopyBatch } from "./copy_batch.ts";
import { type Checkpoint, type ImportJob, parserKind, type ParseState } from "./import_job.ts";
import { cancelJob, failJob, issueText } from "./job_outcome.ts";
import { readBytes, storeSource } from "./store_source.ts";
import { dropStagedStrings, stagedStrings, stageSharedStrings } from "./staged_strings.ts";

/** CPU kept for the end of a parse (see `parseStep`). */
const END_PARSE_CPU_MS = 500;

/** What the parse step needs. */
export interface ParseDeps {
  sql: Sql;
  store: ObjectStore;
  /** Rows per transaction; default 5,000. */
  flushRows?: number;
  /** Flushes in flight at once (each on its own connection); default 2. */
  flights?: number;
  /** XLSX shared strings per transaction while staging them; default 50,000 (`stageSharedStrings`). */
  flushStrings?: number;
  /** Test hook: runs after each flush's transaction committed (throw to simulate a crash there). */
  afterFlush?: (checkpoint: Checkpoint) => void | Promise<void>;
  /** Monotonic clock in ms, for rows/s. */
  now?: () => number;
  /** Bench hook: names each moment of the parse's end as it passes. */
  trace?: (what: string) => void;
}

/** How a flush ended: stored (`go`), or not to be followed by more (`cancel`: cancelled, or the job left parsing). */
type Flight = "go" | "cancel";

/** What one parse call did. */
export interface ParseOutcome {
  rows: number;
  /** The job left the parse (done, failed or cancelled). */
  finished: boolean;
}

/** Reads the first `SNIFF_BYTES` of a stored file. */
function head(store: ObjectStore, key: string): Promise<Uint8Array> {
  return readBytes(store, key, 0, SNIFF_BYTES);
}

/** The explicit mapping of a job: the user's, plus the `by_column` assignment column. */
function explicitMapping(job: ImportJob): ExplicitMapping | undefined {
  const m: ExplicitMapping = { ...(job.options.mapping ?? {}) };
  const col = job.options.assignment?.mode === "by_column" ? job.options.assignment.column : undefined;
  if (col) m[col] = job.kind === "leads" ? "salesperson" : "assignedTo";
  return Object.keys(m).length ? m : undefined;
}

/** The column mapping, or the issues that keep the file from being imported. */
function mapping(job: ImportJob, headers: string[]) {
  return mapColumns(headers, parserKind(job.kind), explicitMapping(job), job.file_name);
}

/** Sniffs the file and maps its columns; fails the job when the file cannot be imported. */
async function sniff(d: ParseDeps, job: ImportJob): Promise<ImportJob | null> {
  const locale = job.options.locale ?? "fr";
  try {
    const s = sniffFile(await head(d.store, job.file_path), job.file_name, { fileSize: job.file_size });
    let headers = s.headers, dataRow = s.dataRow, format = s.format;
    if (format !== "csv") {
      // A zip is what its central directory says (the head may show only its first entry).
      const source = storeSource(d.store, job.file_path, job.file_size);
      format = await workbookKind(await openWorkbookZip(source, { fileName: job.file_name }));
      const h = await (format === "ods" ? readOdsHeader : readXlsxHeader)(source, {
        fileName: job.file_name,
      });
      headers = h.headers;
      dataRow = h.dataRow;
    }
    const m = mapping(job, headers);
    if (!m.ok) {
      await failJob(d.sql, job, m.issues.map((i) => issueText(i, locale)).join(" ; "), { issues: m.issues });
      return null;
    }
    const parse: ParseState = { format, delimiter: s.delimiter, headers, dataRow };
    const checkpoint: Checkpoint = {
      offset: s.dataOffset,
      row: dataRow,
      ascii: s.ascii,
      encoding: s.encoding,
    };
    const [j] = await d.sql<ImportJob[]>`
      update public.import_jobs set status = 'parsing', step = 'parse', file_format = ${format},
             checkpoint = ${d.sql.json(checkpoint as never)},
             payload = coalesce(payload, '{}'::jsonb) || ${
      d.sql.json({ parse, columns: columnSummary(m.mapping) } as never)
    },
             updated_at = now()
       where id = ${job.id} and status = 'queued'
      returning *`;
    return j ?? null;
  } catch (e) {
    if (e instanceof ImportError) {
      await failJob(d.sql, job, issueText(e.issue, locale), { issue: e.issue });
      return null;
    }
    throw e;
  }
}

/** Advances the parse of `job` within `budget`. */
export async function parseStep(d: ParseDeps, job: ImportJob, budget: Budget): Promise<ParseOutcome> {
  if (job.status === "queued") {
    const sniffed = await sniff(d, job);
    if (!sniffed) return { rows: 0, finished: true };
    job = sniffed;
  }
  const parse = job.payload!.parse!;
  const locale = job.options.locale ?? "fr";
  const m = mapping(job, parse.headers);
  if (!m.ok) throw new Error("the mapping that passed at sniffing no longer does");
  const validate = job.kind === "leads"
    ? leadRowValidator(m.mapping as ColumnMapping<never>)
    : activityRowValidator(m.mapping as ColumnMapping<never>, explicitMapping(job), job.file_name);
  // A workbook's rows cost about 3 times a CSV's (inflate and XML): smaller flushes, and a larger
  // reserve before the budget's end, keep its calls within their CPU as a CSV's are.
  const workbook = parse.format !== "csv";
  const flushRows = d.flushRows ?? (workbook ? 2_500 : 5_000);
  const now = d.now ?? (() => performance.now());
  const t0 = now();
  let cp: Checkpoint = job.checkpoint;
  let rowsThisCall = 0;
  let batch = new CopyBatch(job.id);
  let latest: Checkpoint = cp;
  // Flushes in flight: their transactions run in PostgreSQL while the next
  // rows are parsed here, so that the function's CPU and the database's
  // work overlap, and with two of them the database works on two cores.
  // Each commits only after the one before it did (and rolls back if that
  // one did not), so the stored rows never have a gap and the checkpoint
  // only ever moves forward.
  const depth = Math.max(1, d.flights ?? 2);
  const flights: Promise<Flight>[] = [];

  /** Waits for every flush in flight; "cancel" when the job was cancelled or left parsing meanwhile. */
  const settle = async (): Promise<Flight> => {
    let outcome: Flight = "go";
    while (flights.length) if ((await flights.shift()!) === "cancel") outcome = "cancel";
    return outcome;
  };

  /** Stores the batch with the checkpoint `next`, in the background; "cancel" as `settle` says. */
  const flush = async (next: Checkpoint): Promise<Flight> => {
    while (flights.length >= depth) {
      if ((await flights.shift()!) === "cancel") return await settle().then(() => "cancel" as const);
    }
    const before = flights.at(-1);
    const rows = batch;
    batch = new CopyBatch(job.id);
    rowsThisCall += rows.rows;
    const seconds = Math.max(0.001, (now() - t0) / 1000);
    const rate = rowsThisCall / seconds;
    // (a workbook's: how far into the file its sheet's deflated data has been read, about)
    const at = parse.format === "csv" ? next.offset : next.sheet ? next.sheet.entry.bit / 8 : 0;
    const fraction = Math.min(1, at / Math.max(1, job.file_size));
    const doneRows = job.processed_rows + rowsThisCall;
    const eta = fraction > 0 && rate > 0 ? (doneRows / fraction - doneRows) / rate : null;
    const progress = Math.min(49.99, fraction * 50);
    const write = d.sql.begin(async (tx) => {
      // COPY, not INSERT … SELECT from a JSON array: 2.5 times faster per row here (22 µs against 55).
      await copyIn(
        tx`copy public.import_rows (${tx(COPY_COLUMNS as unknown as string[])}) from stdin`,
        rows.bytes(),
      );
      // After the flush before this one, or not at all (its failure fails this one too).
      if (before && (await before) === "cancel") throw new Error("job left parsing");
      const [j] = await tx<{ cancel_requested: boolean }[]>`
        update public.import_jobs set
               checkpoint = checkpoint || ${tx.json(next as never)},
               processed_rows = processed_rows + ${rows.rows},
               valid_rows = valid_rows + ${rows.valid},
               invalid_rows = invalid_rows + ${rows.rows - rows.valid},
               warned_rows = warned_rows + ${rows.warned},
               progress = ${Math.round(progress * 100) / 100},
               rows_per_s = ${Math.round(rate)}, eta_s = ${eta === null ? null : Math.round(eta)},
               attempts = 0, updated_at = now()
         where id = ${job.id} and status = 'parsing'
        returning cancel_requested`;
      // Gone or no longer parsing (a user deleted it): roll back rather than write rows of nothing.
      if (!j) throw new Error("job left parsing");
      return j.cancel_requested ? "cancel" as const : "go" as const;
    }).then(async (result) => {
      cp = next;
      await d.afterFlush?.(next);
      return result;
    }, (e) => {
      if (e instanceof Error && e.message === "job left parsing") return "cancel" as const;
      throw e;
    });
    write.catch(() => {}); // (its failure is met when it is settled, never unhandled meanwhile)
    flights.push(write);
    return "go";
  };

  const keep = (rowNumber: number, values: string[]) => {
    const r = validate(values, rowNumber);
    if (r.ok && job.kind === "leads") {
      // A lead's values, its warnings, and the keys its duplicates are found by.
      const l = r as Extract<LeadRowResult, { ok: true }>;
      batch.add({
        n: rowNumber,
        d: l.value,
        e: l.warnings,
        s: "valid",
        em: l.emailKey,
        ph: l.phoneKey,
        x: l.value.externalId,
      });
    } else if (r.ok) {
      const v = r.value as unknown as Record<string, unknown>;
      batch.add({
        n: rowNumber,
        // Activities keep their cells too: the commit may still refuse a row (unknown lead) and report it.
        d: job.kind === "activities" ? { ...v, values } : v,
        e: null,
        s: "valid",
        em: (v.email as string | null) ?? null,
        ph: (v.phone as string | null) ?? (v.mobile as string | null) ?? null,
        x: (v.externalId as string | null) ?? null,
      });
    } else {
      batch.add({ n: rowNumber, d: { values }, e: r.issues, s: "invalid", em: null, ph: null, x: null });
    }
  };

  let finished = true;
  try {
    if (parse.format === "xlsx" && cp.strings !== "staged") {
      // The shared strings first, staged once in a table that each batch of rows looks up.
      const staged = await stageSharedStrings(d, job, cp, budget);
      if (staged === "cancel") return await cancelled(d, job, 0);
      if (staged === "later") return { rows: 0, finished: false };
      cp = latest = job.checkpoint = staged;
    }
    for await (const b of fileBatches(d, job, cp)) {
      for (const r of b.rows) keep(r.rowNumber, r.values);
      // A turn of the event loop: the flushes in flight talk to the database only in such turns, and
      // reading a stream that has data buffered never takes one.
      if (flights.length) await new Promise((r) => setTimeout(r, 0));
      latest = b.next;
      if (b.done || batch.rows >= flushRows) {
        if ((await flush(b.next)) === "cancel") return await cancelled(d, job, rowsThisCall);
        if (b.done) break;
        if (!budget.allows({ wallMs: 2_000, cpuMs: workbook ? 500 : 300 })) {
          finished = false;
          break;
        }
      }
    }
    if (finished && batch.rows) await flush(latest);
    if ((await settle()) === "cancel") return await cancelled(d, job, rowsThisCall);
  } catch (e) {
    if (e instanceof ImportError) {
      await settle(); // (the rows before the bad one stay stored: the checkpoint says where it stopped)
      await failJob(d.sql, job, issueText(e.issue, locale), { issue: e.issue, checkpoint: cp });
      return { rows: rowsThisCall, finished: true };
    }
    throw e;
  }
  if (!finished) return { rows: rowsThisCall, finished: false };
  // The end of the parse (duplicates marked, the report written) cost about 400 ms of CPU for 1M rows
  // (`deno task bench imports`: the call that read the last rows and ended the parse took 1.63 s): when this
  // call has no room left for it, the next one, which finds no row left to read, ends the parse.
  if (rowsThisCall > 0 && !budget.allows({ wallMs: 2_000, cpuMs: END_PARSE_CPU_MS })) {
    return { rows: rowsThisCall, finished: false };
  }
  await endParse(d, job, { ...parse, lastRow: cp.row - 1 });
  return { rows: rowsThisCall, finished: true };
}

/** A batch of a file's rows, whatever its format, and the checkpoint after it. */
interface FileBatch {
  rows: { rowNumber: number; values: string[] }[];
  next: Checkpoint;
  /** No rows after these. */
  done: boolean;
}

/**
 * The rows of the job's file from checkpoint `cp` on: a CSV from its byte offset, an XLSX or ODS from
 * the cursor inside its deflated sheet (a deflate block boundary, `SheetCursor`), its shared strings
 * looked up in the job's staged table.
 */
async function* fileBatches(d: ParseDeps, job: ImportJob, cp: Checkpoint): AsyncGenerator<FileBatch> {
  const parse = job.payload!.parse!;
  if (parse.format === "csv") {
    const stream = await d.store.get(job.file_path, { offset: cp.offset });
    for await (
      const b of readCsvRows(stream, {
        encoding: cp.encoding ?? "utf-8",
        delimiter: parse.delimiter,
        startOffset: cp.offset,
        startRow: cp.row,
        asciiSoFar: cp.ascii,
        fileName: job.file_name,
        headers: parse.headers,
        batchRows: 1000,
      })
    ) {
      const next = { offset: b.endOffset, row: b.nextRow, ascii: b.asciiSoFar, encoding: b.encoding };
      yield { rows: b.rows, next, done: b.done };
    }
    return;
  }
  if (cp.sheetDone) {
    yield { rows: [], next: cp, done: true }; // (a call stopped after the last flush)
    return;
  }
  // From the cursor of the last flush: inside the deflated sheet, never inflated from its start again.
  const source = storeSource(d.store, job.file_path, job.file_size);
  for await (
    const b of (parse.format === "ods" ? readOdsRows : readXlsxRows)(source, {
      startRow: cp.row,
      cursor: cp.sheet ?? undefined,
      cursors: true,
      strings: parse.format === "xlsx" ? stagedStrings(d.sql, job.id) : undefined,
      fileName: job.file_name,
      width: parse.headers.length,
      batchRows: 1000,
    })
  ) {
    const { sheet: _, ...rest } = cp;
    const next: Checkpoint = b.done
      ? { ...rest, offset: 0, row: b.nextRow, sheetDone: true }
      // (`sheet: null` when the batch has no cursor: the flush merges checkpoints, and an older
      // cursor left in place would send the next call back to rows already stored)
      : { ...rest, offset: 0, row: b.nextRow, sheet: b.cursor ?? null };
    yield { rows: b.rows, next, done: b.done };
  }
}

async function cancelled(d: ParseDeps, job: ImportJob, rows: number): Promise<ParseOutcome> {
  await cancelJob(d.sql, job);
  await dropStagedStrings(d.sql, job.id);
  return { rows, finished: true };
}

/**
 * After the last row: duplicates marked, counts settled, the error report
 * written, and the job moved on (to commit, to review, or failed when no
 * row at all is valid).
 */
async function endParse(d: ParseDeps, job: ImportJob, parse: ParseState): Promise<void> {
  const locale = job.options.locale ?? "fr";
  await dropStagedStrings(d.sql, job.id); // (an XLSX's: every row has its strings now)
  const matchOn = job.kind === "leads" ? job.options.matchOn ?? ["email", "phone", "external_id"] : [];
  // The counts of valid and invalid rows are the job's own, kept by each flush with its rows
  // (counting a million stored rows again took most of a second).
  const [c] = await d.sql<{ valid: number; invalid: number; warned: number; duplicate: number }[]>`
    select j.valid_rows as valid, j.invalid_rows as invalid, j.warned_rows as warned,
           passerelle.import_mark_duplicates(j.id, ${matchOn}::text[]) as duplicate
      from public.import_jobs j where j.id = ${job.id}`;
  d.trace?.(`duplicates marked (${c.duplicate})`);
  // The report lists every row the user should look at: refused, imported with a warning, or a duplicate.
  // A leads job committed now has it written when its commit ends (which may find more duplicates): not
  // twice (0.3 s of a 200,000-row job's end, `deno task bench imports`).
  const commitsNow = job.kind === "leads" && job.auto_commit && c.valid > 0;
  const reportPath = c.invalid + c.warned + c.duplicate > 0 && !commitsNow
    ? await writeErrorReport(d, job, parse.headers)
    : null;
  if (reportPath) d.trace?.("error report written");
  if (c.valid === 0) {
    const [first] = await d.sql<{ errors: Issue[] }[]>`
      select errors from public.import_rows where job_id = ${job.id} and status = 'invalid'
       order by row_number limit 1`;
    const issue = first?.errors?.[0];
    const text = issue
      ? (locale === "en" ? "No valid row. " : "Aucune ligne valide. ") + issueText(issue, locale)
      : (locale === "en" ? "No row to import" : "Aucune ligne à importer");
    await d.sql`update public.import_jobs set error_report_path = ${reportPath}, total_rows = ${c.invalid},
                  valid_rows = 0, invalid_rows = ${c.invalid}, duplicate_rows = 0,
                  payload = payload || ${d.sql.json({ parse } as never)} where id = ${job.id}`;
    await failJob(d.sql, job, text, { issue: issue ?? null });
    return;
  }
  const commit = job.auto_commit;
  await d.sql`
    update public.import_jobs set
           status = ${commit ? "committing" : "ready"}, step = ${commit ? "commit" : "review"},
           total_rows = ${c.valid + c.invalid}, valid_rows = ${c.valid}, invalid_rows = ${c.invalid},
           duplicate_rows = ${c.duplicate}, progress = 50, error_report_path = ${reportPath},
           checkpoint = checkpoint || ${d.sql.json({ commitRow: parse.dataRow } as never)},
           payload = payload || ${d.sql.json({ parse } as never)}, eta_s = null, updated_at = now()
     where id = ${job.id} and status = 'parsing'`;
}

/** Key of a job's error report, beside its file. */
export function errorReportKey(job: ImportJob): string {
  return `${job.file_path.replace(/\/[^/]*$/, "")}/rapport-${job.id}.csv`;
}

/** A row of `import_rows` as the report reads it. */
interface FindingRow {
  row_number: number;
  status: string;
  data: Record<string, unknown> & { values?: string[]; extra?: Record<string, string> };
  errors: Issue[] | null;
  dedup_key: string | null;
  dedup_on: string | null;
  target_id: string | null;
  target_row: number | null;
  email: string | null;
  phone: string | null;
  external_id: string | null;
}

/**
 * The issue that says what a duplicate row duplicates (the earlier row, or
 * the existing lead) and what the commit does with it under `strategy`.
 */
function duplicateIssue(r: FindingRow, strategy: string, header: Record<string, string>): Issue {
  const on = r.dedup_on ?? "email";
  const field = on === "external_id" ? "externalId" : on;
  const value = on === "email" ? r.email : on === "phone" ? r.phone : r.external_id;
  const existing = r.dedup_key === "existing";
  const outcome = strategy === "create"
    ? "create"
    : strategy === "update" && existing
    ? (r.target_row === null ? "update" : "update_first")
    : "skip";
  const params: Record<string, string | number> = { on, value: value ?? "", outcome };
  if (header[field] !== undefined) params.column = header[field];
  if (r.target_row !== null) params.of = r.target_row;
  if (existing) params.lead = Number(r.target_id);
  return { code: existing ? "duplicate_of_lead" : "duplicate_of_row", row: r.row_number, field, params };
}

/**
 * The cells of a stored row in the file's column order: kept as they are for
 * a refused row, rebuilt from the lead's values for the others (typed values
 * as read: a phone in E.164, an amount with a decimal point).
 */
function cellsOf(r: FindingRow, m: ColumnMapping | null): string[] {
  if (r.data.values) return r.data.values;
  if (!m) return [];
  const cells: string[] = m.headers.map(() => "");
  for (const [field, i] of Object.entries(m.index) as [string, number][]) {
    const v = field === "tags" ? r.data.tagsText : r.data[field];
    if (v !== null && v !== undefined) cells[i] = String(v);
  }
  const extra = r.data.extra ?? {};
  for (const e of m.extra) if (extra[e.key] !== undefined) cells[e.index] = extra[e.key];
  for (const [field, i] of Object.entries(m.index) as [string, number][]) {
    const h = m.header[field as never] as string | undefined;
    if (h !== undefined && extra[h] !== undefined) cells[i] = extra[h]; // a value kept as written
  }
  return cells;
}

/**
 * Streams the rows to look at into the error report CSV in Storage (refused
 * rows, warnings, duplicates with what they duplicate); returns its key.
 */
export async function writeErrorReport(
  d: { sql: Sql; store: ObjectStore },
  job: ImportJob,
  headers: string[],
): Promise<string> {
  const sql = d.sql;
  const m = mapping(job, headers);
  const cm = m.ok ? m.mapping : null;
  const header = (cm?.header ?? {}) as Record<string, string>;
  const strategy = job.duplicate_strategy ?? job.options.duplicateStrategy ?? "skip";
  async function* entries(): AsyncGenerator<ReportEntry> {
    // (`import_rows_findings_idx` holds exactly these rows: no scan of the valid ones)
    for await (
      const rows of sql<FindingRow[]>`
        select row_number, status, data, errors, dedup_key, dedup_on, target_id, target_row, email, phone,
               external_id
          from public.import_rows
         where job_id = ${job.id} and (errors is not null or status = 'duplicate')
         order by row_number`.cursor(1000)
    ) {
      for (const r of rows) {
        const issues = [...(r.errors ?? [])];
        if (r.status === "duplicate") issues.push(duplicateIssue(r, strategy, header));
        yield { row: r.row_number, issues, values: cellsOf(r, cm) };
      }
    }
  }
  const key = errorReportKey(job);
  const locale = job.options.locale ?? "fr";
  try {
    await d.store.put(key, errorReportStream(entries(), { headers, locale }), {
      contentType: "text/csv; charset=utf-8",
      upsert: true,
    });
  } catch (e) {
    // The job's message says what Storage answered: at once when it will answer the same again,
    // else as the cause a job stopped after 5 tries shows (claim_import_job keeps error_message).
    const cause = e instanceof Error ? e.message : String(e);
    const text = locale === "en"
      ? `The error report could not be stored: ${cause}`
      : `Le rapport d'erreurs n'a pas pu être enregistré : ${cause}`;
    if (isRetryable(e)) {
      await sql`update public.import_jobs set error_message = ${text}
                 where id = ${job.id} and status in ('parsing', 'committing')`;
    } else {
      await failJob(sql, job, text, { code: e instanceof PasserelleError ? e.code : "internal", key });
    }
    throw e;
  }
  // Stored at last: a cause kept by an earlier try is no longer the job's message.
  await sql`update public.import_jobs set error_message = null
             where id = ${job.id} and status in ('parsing', 'committing') and error_message is not null`;
  return key;
}
