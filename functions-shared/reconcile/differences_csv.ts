/**
 * A reconcile run's differences as a CSV (`deno task reconcile --csv out.csv`), one line each, with
 * what to do about it; cells made inert for spreadsheets (`csv_cell.ts`).
 */
import { csvCell } from "../csv_cell.ts";

/** A row of `public.reconcile_differences` as the CSV shows it. */
export interface Difference {
  kind: string;
  open: boolean;
  odoo_id: number | null;
  lead_id: number | string | null;
  lead_file_id: number | string | null;
  import_job_id: string | null;
  row_number: number | null;
  detail: string;
  action: string;
}

export const DIFFERENCE_COLUMNS = [
  "kind",
  "open",
  "odoo_id",
  "lead_id",
  "lead_file_id",
  "import_job_id",
  "row_number",
  "detail",
  "action",
] as const;

/** The CSV text (comma-separated, CRLF line ends as RFC 4180 has them). */
export function differencesCsv(rows: Difference[]): string {
  const line = (cells: string[]) => cells.map((c) => csvCell(c, ",")).join(",") + "\r\n";
  return line([...DIFFERENCE_COLUMNS]) +
    rows.map((r) => line(DIFFERENCE_COLUMNS.map((c) => (r[c] === null ? "" : String(r[c]))))).join("");
}
