import assert from "node:assert/strict";
import { neutralizeCell } from "../csv_cell.ts";
import { errorReportCsv, errorReportStream, type ReportEntry } from "./error_report.ts";
import { readCsvRows } from "./csv_reader.ts";

const entries: ReportEntry[] = [
  {
    row: 4,
    issues: [
      {
        row: 4,
        field: "email",
        code: "email_invalid",
        params: { value: '=HYPERLINK("x")', column: "Adresse e-mail" },
      },
      { row: 4, field: "phone", code: "phone_invalid", params: { value: "+12" } },
    ],
    values: ["Émilie", '=HYPERLINK("x")', "+12", "@SUM(1)", "-3", "\tx", "ligne 1\nligne 2"],
  },
];
const headers = ["Prénom", "Adresse e-mail", "Téléphone", "A", "B", "C", "Note"];

Deno.test("neutralizeCell() makes cells a spreadsheet would run as formulas inert", () => {
  for (const v of ["=1+1", "+33", "-2", "@SUM(A1)", "\tx", "\rx"]) assert.equal(neutralizeCell(v), "'" + v);
  for (const v of ["Émilie", "1 234,56", "a=b", ""]) assert.equal(neutralizeCell(v), v);
});

Deno.test("errorReportCsv() writes one line per issue with the row's values, BOM first, in French", () => {
  const csv = errorReportCsv(entries, { headers });
  assert.ok(csv.startsWith("\ufeffLigne;Champ;Erreur;Prénom;Adresse e-mail;Téléphone;A;B;C;Note\r\n"));
  const lines = csv.slice(1).split("\r\n");
  assert.equal(
    lines[1],
    `4;Adresse e-mail;"« Adresse e-mail » : adresse invalide (valeur « =HYPERLINK(""x"") »)";Émilie;"'=HYPERLINK(""x"")";'+12;'@SUM(1);'-3;'\tx;"ligne 1\nligne 2"`,
  );
  assert.ok(
    lines[2].startsWith("4;Téléphone;« Téléphone » : numéro de téléphone invalide (valeur « +12 »);"),
  );
});

Deno.test("errorReportCsv() reads back as CSV with the values intact but for the leading quote", async () => {
  const csv = errorReportCsv(entries, { headers, locale: "en", delimiter: "," });
  const rows = [];
  const bytes = new TextEncoder().encode(csv);
  for await (
    const b of readCsvRows(new Blob([bytes]).stream(), {
      encoding: "utf-8-bom",
      delimiter: ",",
      startOffset: 0,
      startRow: 1,
    })
  ) rows.push(...b.rows);
  assert.deepEqual(rows[0].values.slice(0, 3), ["Row", "Field", "Error"]);
  assert.deepEqual(rows[1].values.slice(3), [
    "Émilie",
    '\'=HYPERLINK("x")',
    "'+12",
    "'@SUM(1)",
    "'-3",
    "'\tx",
    "ligne 1\nligne 2",
  ]);
});

Deno.test("errorReportStream() gives the same bytes as errorReportCsv(), from an async source", async () => {
  async function* source() {
    for (let i = 0; i < 3000; i++) yield { ...entries[0], row: i + 2 };
  }
  const streamed = await new Response(errorReportStream(source(), { headers })).text();
  const whole = errorReportCsv(Array.from({ length: 3000 }, (_, i) => ({ ...entries[0], row: i + 2 })), {
    headers,
  });
  // Response.text() drops the BOM when decoding; compare the bytes' text past it.
  assert.equal(streamed, whole.slice(1));
  const bytes = new Uint8Array(await new Response(errorReportStream([], { headers })).arrayBuffer());
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
});
