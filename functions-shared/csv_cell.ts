/**
 * A cell of a CSV that people open in a spreadsheet (an import's error
 * report, a backup import's failures): made inert where a spreadsheet would
 * run it as a formula (CSV injection), and quoted where RFC 4180 needs it.
 *
 * Quoting alone does not protect: a spreadsheet told to split on another
 * delimiter than ours (`,` where the report uses `;`) ignores quotes that are
 * not at its own field starts, so a cell `x,=cmd|' /C calc'!A0` would split
 * into a second cell starting with `=`. Every place a spreadsheet may start a
 * cell (the start, after `,` `;` tab `|` or a line break, spaces allowed
 * before the formula) gets its formula character made inert.
 */

const FORMULA_START = /^[=+\-@\t\r]/;
/** A formula character where some spreadsheet may start a cell, past the cell's own start. */
const FORMULA_AFTER_SPLIT = /([,;\t|\r\n][ ]*)([=+\-@])/g;

/**
 * `v`, made inert for spreadsheets: a leading `=`, `+`, `-`, `@`, tab or CR,
 * and a `=`, `+`, `-` or `@` after `,` `;` tab `|` or a line break, get a `'` before them.
 */
export function neutralizeCell(v: string): string {
  const inner = v.replace(FORMULA_AFTER_SPLIT, "$1'$2");
  return FORMULA_START.test(inner) ? "'" + inner : inner;
}

/** `v` neutralized, then quoted when it holds the delimiter, a quote or a line break. */
export function csvCell(v: string, delimiter: string): string {
  const s = neutralizeCell(v);
  return s.includes(delimiter) || s.includes('"') || s.includes("\n") || s.includes("\r")
    ? `"${s.replaceAll('"', '""')}"`
    : s;
}
