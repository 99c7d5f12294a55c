/**
 * The error report a user downloads after an import: a CSV with one line per
 * issue (row number, field, message) followed by the row's original values,
 * so the user can fix the rows in a spreadsheet and import them again.
 *
 * It opens right in Excel: UTF-8 with a BOM (without it Excel reads UTF-8 as
 * Windows-1252 and shows `Ã©` for `é`), `;` between cells (French Excel's list
 * separator), CRLF line ends. And it is safe to open: a cell starting with
 * `=`, `+`, `-`, `@`, tab or CR would be run as a formula by a spreadsheet
 * (CSV injection, OWASP), so such cells get a leading `'`, which spreadsheets
 * show as text.
 */
import { fieldLabel, type Issue, type Locale, message } from "./messages.ts";
import { csvCell } from "../csv_cell.ts";

/** One row's issues and its values as the file had them. */
export interface ReportEntry {
  /** Row number; absent for issues about the whole file. */
  row?: number;
  issues: readonly Issue[];
  /** The row's cells, in the file's column order. */
  values: readonly string[];
}

/** How to write the report. */
export interface ReportOptions {
  /** The file's headers, written after the report's own columns. */
  headers: readonly string[];
  /** Default `fr`. */
  locale?: Locale;
  /** Default `;`. */
  delimiter?: "," | ";" | "\t";
}

/** One CSV line (with its CRLF) of neutralized, quoted-where-needed cells. */
function line(cells: readonly string[], delimiter: string): string {
  return cells.map((c) => csvCell(c, delimiter)).join(delimiter) + "\r\n";
}

/** The report's lines, header first, without the BOM. */
function* lines(entries: Iterable<ReportEntry>, opts: ReportOptions): Generator<string> {
  const locale = opts.locale ?? "fr";
  const d = opts.delimiter ?? ";";
  const own = locale === "fr" ? ["Ligne", "Champ", "Erreur"] : ["Row", "Field", "Error"];
  yield line([...own, ...opts.headers], d);
  for (const e of entries) yield* entryLines(e, locale, d);
}

function* entryLines(e: ReportEntry, locale: Locale, d: string): Generator<string> {
  for (const issue of e.issues) {
    const row = issue.row ?? e.row;
    const field = issue.params?.column !== undefined
      ? String(issue.params.column)
      : issue.field
      ? fieldLabel(issue.field, locale)
      : "";
    yield line([row === undefined ? "" : String(row), field, message(issue, locale), ...e.values], d);
  }
}

/**
 * The whole report as a string, BOM included: for reports that fit in memory
 * (the import keeps at most a bounded number of issues).
 *
 * @example
 * errorReportCsv([{ row: 4, issues: [{ row: 4, field: "email", code: "email_invalid",
 *   params: { value: "x" } }], values: ["Jean", "x"] }], { headers: ["Prénom", "Courriel"] })
 * // "\ufeffLigne;Champ;Erreur;Prénom;Courriel\r\n4;Courriel;« Courriel » : adresse invalide (valeur « x »);Jean;x\r\n"
 */
export function errorReportCsv(entries: Iterable<ReportEntry>, opts: ReportOptions): string {
  let out = "\ufeff";
  for (const l of lines(entries, opts)) out += l;
  return out;
}

/**
 * The report as a stream of UTF-8 bytes, BOM first, for uploading to Storage
 * while the entries are read (from `import_rows`, say) page by page.
 */
export function errorReportStream(
  entries: Iterable<ReportEntry> | AsyncIterable<ReportEntry>,
  opts: ReportOptions,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const locale = opts.locale ?? "fr";
  const d = opts.delimiter ?? ";";
  const iterator = (Symbol.asyncIterator in entries)
    ? (entries as AsyncIterable<ReportEntry>)[Symbol.asyncIterator]()
    : (entries as Iterable<ReportEntry>)[Symbol.iterator]();
  let started = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        const head = lines([], opts).next().value as string;
        controller.enqueue(encoder.encode("\ufeff" + head));
        return;
      }
      // About 64 KB per chunk: few enqueues, flat memory.
      let chunk = "";
      while (chunk.length < 65536) {
        const r = await iterator.next();
        if (r.done) {
          if (chunk) controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        for (const l of entryLines(r.value, locale, d)) chunk += l;
      }
      controller.enqueue(encoder.encode(chunk));
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}
