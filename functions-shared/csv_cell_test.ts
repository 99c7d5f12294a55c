import assert from "node:assert/strict";
import { csvCell, neutralizeCell } from "./csv_cell.ts";
import { errorReportCsv } from "./imports/error_report.ts";

const ATTACK = "x,=cmd|' /C calc'!A0";

/** The cells a spreadsheet splitting naively on `delimiter` would make of `line` (quotes opening a cell honoured). */
function naiveCells(line: string, delimiter: string): string[] {
  return line.split(delimiter).map((c) => c.trimStart().replace(/^"/, ""));
}

Deno.test("neutralizeCell() makes a formula inert wherever a spreadsheet may start a cell", () => {
  assert.equal(neutralizeCell(ATTACK), "x,'=cmd|' /C calc'!A0");
  assert.equal(neutralizeCell("a;+1\tb\t-2|@x\n=y, =z"), "a;'+1\tb\t'-2|'@x\n'=y, '=z");
  for (const v of ["Émilie", "1 234,56", "a=b", "Dupont - Durand", "06 12 34 56 78", ""]) {
    assert.equal(neutralizeCell(v), v, "text without a formula start stays as it is");
  }
});

Deno.test("an error report holding a formula after a comma stays inert in a spreadsheet splitting on , ; tab or |", () => {
  const report = errorReportCsv([{
    row: 2,
    issues: [{ row: 2, field: "email", code: "email_invalid", params: { value: ATTACK } }],
    values: [ATTACK, "=1+1", "Dupont, =2+2", "tab\t@SUM(A1)"],
  }], { headers: ["Nom", "Courriel", "Société", "Note"] });
  for (const delimiter of [",", ";", "\t", "|"]) {
    for (const line of report.slice(1).split("\r\n").filter(Boolean)) {
      for (const cell of naiveCells(line, delimiter)) {
        assert.doesNotMatch(cell, /^[=+\-@]/, `split on ${JSON.stringify(delimiter)}: ${cell}`);
      }
    }
  }
  assert.equal(csvCell(ATTACK, ";"), "x,'=cmd|' /C calc'!A0", "quoting is still the delimiter's business");
});
