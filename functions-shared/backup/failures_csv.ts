/**
 * The failures of an import as a CSV an operator opens in a spreadsheet: one line per attachment not
 * stored, with its ids, names and the error code and message.
 */
import { csvCell } from "../csv_cell.ts";

/** An attachment the import could not store. */
export interface ImportFailure {
  /** `ir_attachment.id`. */
  odooId: number;
  /** The `lead_files` row, when there is one. */
  leadFileId: number | null;
  leadId: number | null;
  name: string;
  storeFname: string | null;
  code: string;
  message: string;
}

export const FAILURE_COLUMNS = [
  "odoo_id",
  "lead_file_id",
  "lead_id",
  "name",
  "store_fname",
  "code",
  "message",
];

/** One CSV field: text made inert and quoted as `csvCell` does; numbers as they are (a `-1` is no formula). */
export function csvField(v: string | number | null): string {
  if (v === null) return "";
  return typeof v === "number" ? String(v) : csvCell(v, ",");
}

/** The CSV text (header included, CRLF line ends as RFC 4180 says). */
export function failuresCsv(failures: ImportFailure[]): string {
  const lines = [FAILURE_COLUMNS.join(",")];
  for (const f of failures) {
    lines.push(
      [f.odooId, f.leadFileId, f.leadId, f.name, f.storeFname, f.code, f.message].map(csvField).join(","),
    );
  }
  return lines.join("\r\n") + "\r\n";
}
