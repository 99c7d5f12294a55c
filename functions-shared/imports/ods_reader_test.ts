import assert from "node:assert/strict";
import { ImportError } from "./import_error.ts";
import { readOdsHeader, readOdsRows } from "./ods_reader.ts";
import { streamedZip, zip } from "./testdata/xlsx_writer.ts";
import { bytesSource } from "./workbook_zip.ts";
import type { XlsxReadOptions, XlsxRow } from "./xlsx_reader.ts";

/** An .ods of one table whose rows are `rows` (XML of <table:table-row> elements), as LibreOffice zips it. */
function ods(rows: string, opts: { stored?: boolean } = {}): Uint8Array {
  const content = `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.3"><office:body><office:spreadsheet><table:table table:name="Leads"><table:table-column table:number-columns-repeated="3"/>${rows}</table:table><table:table table:name="Autre"><table:table-row><table:table-cell office:value-type="string"><text:p>non</text:p></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>`;
  const parts = {
    "mimetype": "application/vnd.oasis.opendocument.spreadsheet",
    "content.xml": content,
    "META-INF/manifest.xml": "<manifest:manifest/>",
  };
  return opts.stored ? zip(parts, 0) : streamedZip(parts);
}

const s = (t: string) =>
  `<table:table-cell office:value-type="string"><text:p>${t}</text:p></table:table-cell>`;
const row = (cells: string, repeat = 1) =>
  `<table:table-row${repeat > 1 ? ` table:number-rows-repeated="${repeat}"` : ""}>${cells}</table:table-row>`;

async function rowsOf(bytes: Uint8Array, opts: Partial<XlsxReadOptions> = {}): Promise<XlsxRow[]> {
  const out: XlsxRow[] = [];
  for await (const b of readOdsRows(bytesSource(bytes), { startRow: 1, ...opts })) out.push(...b.rows);
  return out;
}

Deno.test("readOdsRows() gives the first table's cells as strings: floats, dates, percents, booleans, text", async () => {
  const bytes = ods(
    row(s("Nom") + s("Montant") + s("Date")) +
      row(
        s("Lefèvre &amp; fils") +
          '<table:table-cell office:value-type="float" office:value="1234.5"><text:p>1 234,50</text:p></table:table-cell>' +
          '<table:table-cell office:value-type="date" office:date-value="2024-03-15"><text:p>15/03/24</text:p></table:table-cell>' +
          '<table:table-cell office:value-type="percentage" office:value="0.125"><text:p>12,5 %</text:p></table:table-cell>' +
          '<table:table-cell office:value-type="boolean" office:boolean-value="true"><text:p>VRAI</text:p></table:table-cell>',
      ) +
      row(
        '<table:table-cell table:formula="of:=[.B2]*2" office:value-type="float" office:value="2469"><text:p>2469</text:p></table:table-cell>' +
          '<table:table-cell office:value-type="date" office:date-value="2024-03-15T10:30:00"><text:p>x</text:p></table:table-cell>' +
          '<table:table-cell office:value-type="string"><text:p>a<text:s text:c="2"/>b<text:tab/>c</text:p><text:p><text:span>ligne</text:span> 2</text:p><office:annotation><text:p>note</text:p></office:annotation></table:table-cell>',
      ),
  );
  assert.deepEqual(await rowsOf(bytes), [
    { rowNumber: 1, values: ["Nom", "Montant", "Date"] },
    { rowNumber: 2, values: ["Lefèvre & fils", "1234.5", "2024-03-15", "12.5%", "TRUE"] },
    { rowNumber: 3, values: ["2469", "2024-03-15T10:30:00", "a  b\tc\nligne 2"] },
  ]);
});

Deno.test("readOdsRows() counts repeated rows and cells, never materializing LibreOffice's million empty ones", async () => {
  const bytes = ods(
    row(
      '<table:table-cell office:value-type="string" table:number-columns-spanned="3"><text:p>Export des leads</text:p></table:table-cell><table:covered-table-cell table:number-columns-repeated="2"/><table:table-cell table:number-columns-repeated="16381"/>',
    ) +
      row(s("Nom") + s("Ville") + '<table:table-cell table:number-columns-repeated="16382"/>') +
      row('<table:table-cell table:number-columns-repeated="16384"/>', 3) +
      row(s("Dupont") + '<table:table-cell table:number-columns-repeated="2"/>' + s("loin"), 2) +
      row('<table:table-cell table:number-columns-repeated="2"/>' + s("x") + s("y"), 1) +
      row('<table:table-cell table:number-columns-repeated="16384"/>', 1_048_000),
  );
  const rows = await rowsOf(bytes, { width: 2 });
  assert.deepEqual(rows, [
    { rowNumber: 1, values: ["Export des leads", ""] },
    { rowNumber: 2, values: ["Nom", "Ville"] },
    { rowNumber: 6, values: ["Dupont", "", "", "loin"] },
    { rowNumber: 7, values: ["Dupont", "", "", "loin"] },
    { rowNumber: 8, values: ["", "", "x", "y"] },
  ]);
  // The table ends after its last row with a value, not after LibreOffice's million blank ones.
  const batches = [];
  for await (const b of readOdsRows(bytesSource(bytes), { startRow: 1 })) batches.push(b);
  assert.equal(batches.at(-1)!.nextRow, 9);
  // Resumed at any row, the pieces are the rows of one read.
  for (const start of [3, 6, 7, 8, 9]) {
    assert.deepEqual(
      await rowsOf(bytes, { startRow: start, width: 2 }),
      rows.filter((r) => r.rowNumber >= start),
    );
  }
  assert.deepEqual(await readOdsHeader(bytesSource(bytes)), {
    sheetName: "",
    headerRow: 2,
    headers: ["Nom", "Ville"],
    dataRow: 3,
  });
});

Deno.test("readOdsRows() refuses a zip bomb by its real inflated size, and a content.xml cut short", async () => {
  const bomb = ods(row(s("Nom")) + row("<table:table-cell/>".repeat(1)) + " ".repeat(30 << 20), {
    stored: false,
  });
  await assert.rejects(
    rowsOf(bomb, { fileName: "bombe.ods", limits: { maxRatio: 50, ratioFloorBytes: 1 << 20 } }),
    (e: unknown) => e instanceof ImportError && e.issue.code === "xlsx_zip_bomb",
  );
  const cut = ods(row(s("Nom")) + row(s("x"))).slice();
  const at = new TextDecoder("latin1").decode(cut).indexOf("content.xml") + 40;
  for (let i = at; i < at + 30; i++) cut[i] ^= 0x55;
  await assert.rejects(
    rowsOf(cut),
    (e: unknown) => e instanceof ImportError && e.issue.code === "xlsx_corrupt",
  );
});
