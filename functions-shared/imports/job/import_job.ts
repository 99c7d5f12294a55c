/**
 * An import job as the import functions read it from `import_jobs`, and the
 * options a user starts it with. One module for both kinds of import:
 * `leads` and `activities` differ only in their row validator, their commit
 * function and who may start them.
 */
import type { CsvDelimiter, CsvEncoding } from "../csv_reader.ts";
import type { ExplicitMapping, ImportKind } from "../columns.ts";
import type { Locale } from "../messages.ts";
import type { SheetCursor, StringsCursor } from "../xlsx_reader.ts";
import { jobOptionsSchema, parseBody } from "./request_schema.ts";

/** What a job imports. */
export type JobKind = "leads" | "activities";

/** The statuses of `import_jobs.status` (README, "import_jobs states"). */
export type JobStatus = "queued" | "parsing" | "ready" | "committing" | "completed" | "failed" | "cancelled";

/** The parser's kind for a job's kind. */
export const parserKind = (kind: JobKind): ImportKind => kind === "leads" ? "lead" : "activity";

/** Where the parse (then the commit) goes on from. */
export interface Checkpoint {
  /** Byte offset of the next CSV record (0 for XLSX). */
  offset: number;
  /** Row number of the next record (1-based, as a spreadsheet shows it). */
  row: number;
  /** Everything before `offset` was ASCII (see `readCsvRows`'s `asciiSoFar`). */
  ascii?: boolean;
  /** The encoding read with so far (a UTF-8 guess may have switched to Windows-1252). */
  encoding?: CsvEncoding;
  /**
   * First row the commit has not done. Activities move it range by range; a
   * leads commit keeps its ranges in `passerelle.import_commits` and sets
   * this past the last row once it completes.
   */
  commitRow?: number;
  /** Rows per commit range of the job, fixed by its first commit call. */
  commitSize?: number;
  /** XLSX: how far its shared strings are staged (a cursor inside their table), or all of them. */
  strings?: StringsCursor | "staged";
  /** XLSX and ODS: where the read of the sheet stopped, inside its deflated data (`readXlsxRows`). */
  sheet?: SheetCursor | null;
  /** XLSX and ODS: the sheet was read to its end. */
  sheetDone?: boolean;
}

/** What sniffing found, kept in `payload.parse` so that later calls need not sniff again. */
export interface ParseState {
  format: "csv" | "xlsx" | "ods";
  delimiter: CsvDelimiter;
  headers: string[];
  /** First data row. */
  dataRow: number;
  /** Last row number read, once the parse is done. */
  lastRow?: number;
}

/** How rows are assigned to users. */
export interface Assignment {
  mode: "none" | "single" | "round_robin" | "by_column";
  userId?: string;
  userIds?: string[];
  /** For `by_column`: the header holding a user's email (default: the salesperson/assignee column). */
  column?: string;
}

/** The options of a start request, checked. */
export interface JobOptions {
  mapping?: ExplicitMapping;
  duplicateStrategy: "skip" | "update" | "create";
  matchOn: ("email" | "phone" | "external_id")[];
  assignment: Assignment;
  locale: Locale;
  autoCommit: boolean;
  force: boolean;
}

/** The columns of `import_jobs` the import reads. */
export interface ImportJob {
  id: string;
  owner: string;
  company_id: number;
  kind: JobKind;
  file_path: string;
  file_name: string;
  file_sha256: string;
  file_size: number;
  file_format: "csv" | "xlsx" | "ods" | null;
  options: JobOptions;
  duplicate_strategy: JobOptions["duplicateStrategy"];
  status: JobStatus;
  step: string | null;
  checkpoint: Checkpoint;
  payload:
    | {
      parse?: ParseState;
      /** Where each column of the file went (`columnSummary`). */
      columns?: { header: string; to: string | null }[];
      email?: string;
      notify?: string;
      undo?: unknown;
      /** A delete asked with `{"undo": true}` waits for the undo to end. */
      deleteAfterUndo?: boolean;
    }
    | null;
  total_rows: number | null;
  processed_rows: number;
  valid_rows: number;
  invalid_rows: number;
  /** Valid rows imported with a warning. */
  warned_rows?: number;
  duplicate_rows: number;
  committed_rows: number;
  cancel_requested: boolean;
  auto_commit: boolean;
  error_report_path: string | null;
}

/**
 * Checks a start request's `options` (all optional) against
 * `jobOptionsSchema`: throws `bad_request` naming every wrong one, in
 * `locale`. Defaults: skip duplicates, match on email, phone and external id,
 * no assignment, French, commit when parsed.
 */
export function parseJobOptions(raw: unknown, locale: Locale = "fr"): JobOptions {
  const o = parseBody(jobOptionsSchema, raw ?? {}, locale, "options");
  return o as JobOptions;
}
