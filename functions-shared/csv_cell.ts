/**
 * A cell of a CSV that people open in a spreadsheet (an import's error
 * report, a backup import's failures): made inert where a spreadsheet would
 * run it as a formula (CSV injection), and quoted where RFC 4180 needs it.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

/** `v`, made inert for spreadsheets: a leading `=`, `+`, `-`, `@`, tab or CR gets a `'` before it. */
export function neutralizeCell(v: string): string {
  return FORMULA_START.test(v) ? "'" + v : v;
}

/** `v` neutralized, then quoted when it holds the delimiter, a quote or a line break. */
export function csvCell(v: string, delimiter: string): string {
  const s = neutralizeCell(v);
  return s.includes(delimiter) || s.includes('"') || s.includes("\n") || s.includes("\r")
    ? `"${s.replaceAll('"', '""')}"`
    : s;
}
