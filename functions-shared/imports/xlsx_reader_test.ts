import assert from "node:assert/strict";
import {
  bytesSource,
  readXlsxHeader,
  readXlsxRows,
  type XlsxBatch,
  type XlsxReadOptions,
} from "./xlsx_reader.ts";
import { ImportError } from "./import_error.ts";
import { buildXlsx, streamedZip, xlsxParts, zip } from "./testdata/xlsx_writer.ts";

async function rowsOf(bytes: Uint8Array, opts: Partial<XlsxReadOptions> = {}) {
  const batches: XlsxBatch[] = [];
  for await (const b of readXlsxRows(bytesSource(bytes), { startRow: 1, ...opts })) batches.push(b);
  return { rows: batches.flatMap((b) => b.rows), batches };
}

async function refusal(p: Promise<unknown>, code: string): Promise<ImportError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ImportError, String(e));
    assert.equal(e.issue.code, code, e.message);
    return e;
  }
  assert.fail(`expected ${code}`);
}

Deno.test("readXlsxRows() gives cells as strings: shared and inline text, numbers, booleans, errors", async () => {
  const bytes = buildXlsx({
    rows: [
      ["Nom", "Montant", "Actif", "Note", "Erreur"],
      ["Lefèvre & fils <SARL>", 1234.5, true, { inline: "ligne 1\rligne 2" }, { error: "#N/A" }],
      [null, 1e21, false, "", null],
      ["Côté", 33612345678],
    ],
  });
  const { rows, batches } = await rowsOf(bytes);
  assert.deepEqual(rows, [
    { rowNumber: 1, values: ["Nom", "Montant", "Actif", "Note", "Erreur"] },
    { rowNumber: 2, values: ["Lefèvre & fils <SARL>", "1234.5", "TRUE", "ligne 1\rligne 2", "#N/A"] },
    { rowNumber: 3, values: ["", "1e+21", "FALSE"] },
    { rowNumber: 4, values: ["Côté", "33612345678"] },
  ]);
  assert.equal(batches.at(-1)!.done, true);
  assert.equal(batches.at(-1)!.nextRow, 5);
});

Deno.test("readXlsxRows() turns date cells into ISO dates, 1900 bug and 1904 system included", async () => {
  const rows = [["Créé"], [{ date: 45366 }], [{ date: 45366.5 }], [{ date: 59 }], [{ date: 61 }], [{
    percent: 0.125,
  }]];
  const got = (await rowsOf(buildXlsx({ rows }))).rows.map((r) => r.values[0]);
  assert.deepEqual(got, ["Créé", "2024-03-15", "2024-03-15T12:00:00", "1900-02-28", "1900-03-01", "12.5%"]);
  const mac =
    (await rowsOf(buildXlsx({ rows: [["d"], [{ date: 43904 }]], date1904: true }))).rows[1].values[0];
  assert.equal(mac, "2024-03-15");
});

Deno.test("readXlsxRows() gives a formula's cached value, and names the cell of one never computed", async () => {
  const ok = await rowsOf(
    buildXlsx({ rows: [["a", "b"], [{ formula: "1+1", value: 2 }, { formula: 'A1&"x"', value: "ax" }]] }),
  );
  assert.deepEqual(ok.rows[1].values, ["2", "ax"]);
  const e = await refusal(
    rowsOf(buildXlsx({ rows: [["a", "b"], ["x", { formula: "SUM(A1:A3)" }]] }), { fileName: "leads.xlsx" }),
    "xlsx_formula_no_value",
  );
  assert.equal(e.issue.row, 2);
  assert.match(e.message, /^leads\.xlsx, row 2, cell B2: formula without a computed value \(=SUM\(A1:A3\)\)/);
});

Deno.test("readXlsxRows() resumes at a row: the pieces give the rows of one read", async () => {
  const rows = [["Nom", "N"], ...Array.from({ length: 500 }, (_, i) => [`nom ${i}`, i])];
  const bytes = buildXlsx({ rows, firstRow: 3 });
  const whole = (await rowsOf(bytes)).rows;
  assert.equal(whole[0].rowNumber, 3);
  const pieces = [];
  let next = 1;
  for (;;) {
    const { rows: got, batches } = await rowsOf(bytes, { startRow: next, maxRows: 77 });
    pieces.push(...got);
    if (!batches.length || batches.at(-1)!.done || !got.length) break;
    next = batches.at(-1)!.nextRow;
  }
  assert.deepEqual(pieces, whole);
});

Deno.test("readXlsxRows() resumed at a batch's cursor gives the rest of the rows, reading only the bytes after it", async () => {
  // Shared and inline strings, numbers, dates: 12,000 rows, a sheet of many deflate blocks.
  const rows = [
    ["Nom", "Ville", "Note", "Montant", "Date"],
    ...Array.from({ length: 12_000 }, (_, i) => [
      `nom ${i} é`,
      ["Paris", "Lyon", "Nîmes"][i % 3],
      { inline: `note ${i} & co` },
      1000 + i / 4,
      { date: 45_000 + (i % 50) },
    ]),
  ];
  const bytes = buildXlsx({ rows });
  const whole = (await rowsOf(bytes)).rows;
  const { batches } = await rowsOf(bytes, { cursors: true, batchRows: 500 });
  assert.deepEqual(batches.flatMap((b) => b.rows), whole);
  const cursors = batches.filter((b) => b.cursor);
  assert.equal(cursors.length, batches.length - 1, "every batch but the last has a cursor");
  assert.ok(cursors.length >= 8, `${cursors.length} cursors`);
  for (const [k, b] of cursors.entries()) {
    if (k % 3) continue;
    const cursor = JSON.parse(JSON.stringify(b.cursor)); // (as a job's checkpoint keeps it)
    let read = 0;
    const source = bytesSource(bytes);
    const counted = {
      size: source.size,
      read: (o: number, n: number) => source.read(o, n).then((r) => (read += r.length, r)),
    };
    const rest: typeof whole = [];
    for await (const r of readXlsxRows(counted, { startRow: 1, cursor, cursors: true })) rest.push(...r.rows);
    assert.deepEqual(rest, whole.filter((r) => r.rowNumber >= b.nextRow), `resumed at row ${b.nextRow}`);
    // The central directory, the small parts and the shared strings, then the sheet from the cursor on.
    const sheetLeft = bytes.length - cursor.entry.bit / 8;
    assert.ok(read < sheetLeft + 200_000, `${read} bytes read for ${sheetLeft} left`);
  }
});

Deno.test("readXlsxRows() reads sheets written with a namespace prefix, without styles or shared strings", async () => {
  const bytes = buildXlsx({
    rows: [[{ inline: "Nom" }, { inline: "N" }], [{ inline: "Zoé" }, 12]],
    prefix: "x",
    omit: ["xl/styles.xml", "xl/sharedStrings.xml"],
  });
  assert.deepEqual((await rowsOf(bytes)).rows.map((r) => r.values), [["Nom", "N"], ["Zoé", "12"]]);
  // A shared string the workbook lacks is damage, not an empty cell.
  const missing = buildXlsx({ rows: [["Nom"]], omit: ["xl/sharedStrings.xml"] });
  assert.equal((await refusal(rowsOf(missing), "xlsx_corrupt")).issue.params?.detail, "shared_string");
});

Deno.test("readXlsxHeader() skips title rows and refuses a sheet with only a header", async () => {
  const bytes = buildXlsx({
    rows: [["Export du 12/03/2024"], [], ["Prénom", "Nom", "Courriel"], ["A", "B", "a@x.fr"]],
  });
  assert.deepEqual(await readXlsxHeader(bytesSource(bytes)), {
    sheetName: "Feuil1",
    headerRow: 3,
    headers: ["Prénom", "Nom", "Courriel"],
    dataRow: 4,
  });
  await refusal(readXlsxHeader(bytesSource(buildXlsx({ rows: [["Prénom", "Nom"]] }))), "file_header_only");
  await refusal(readXlsxHeader(bytesSource(buildXlsx({ rows: [] }))), "file_blank");
});

Deno.test("readXlsxRows() stops a zip bomb by the bytes it inflates, whatever the headers claim", async () => {
  const parts = xlsxParts({ rows: [["Nom"], ["x"]] });
  const bomb = `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${
    "<row/>".repeat(2_000_000)
  }</sheetData></worksheet>`;
  const bytes = zip({ ...parts, "xl/worksheets/sheet1.xml": bomb }, 9);
  const e = await refusal(
    rowsOf(bytes, { fileName: "bombe.xlsx", limits: { maxRatio: 50, ratioFloorBytes: 1024 * 1024 } }),
    "xlsx_zip_bomb",
  );
  assert.match(e.message, /^bombe\.xlsx: the workbook expands to more than/);
  await refusal(rowsOf(bytes, { limits: { maxEntryBytes: 1024 * 1024 } }), "xlsx_zip_bomb");
});

Deno.test("readXlsxRows() refuses truncated, damaged and incomplete workbooks", async () => {
  const good = buildXlsx({ rows: [["Nom"], ["x"]] });
  await refusal(rowsOf(good.subarray(0, good.length - 30)), "xlsx_corrupt");
  const damaged = good.slice();
  // Scramble the compressed sheet data (the largest entry sits before the directory).
  const at = new TextDecoder("latin1").decode(damaged).indexOf("xl/worksheets/sheet1.xml") + 30;
  for (let i = at; i < at + 40; i++) damaged[i] ^= 0x5a;
  await refusal(rowsOf(damaged), "xlsx_corrupt");
  const e = await refusal(rowsOf(buildXlsx({ rows: [["a"]], omit: ["xl/workbook.xml"] })), "xlsx_corrupt");
  assert.equal(e.issue.params?.detail, "missing_part");
});

Deno.test("readXlsxRows() reads zips by their central directory: data descriptors, zip64, entries in any order", async () => {
  const spec = { rows: [["Nom", "Ville"], ["Lefèvre", "Besançon"], ["Dupont", "Lyon"]] };
  const parts = xlsxParts(spec);
  const expected = (await rowsOf(buildXlsx(spec))).rows;
  assert.equal(expected.length, 3);
  // The sheet first, the workbook last: nothing depends on where a part sits.
  const order = Object.keys(parts).reverse();
  for (const opts of [{}, { zip64: true }, { order }, { zip64: true, order }]) {
    assert.deepEqual((await rowsOf(streamedZip(parts, opts))).rows, expected, JSON.stringify(opts));
  }
});

Deno.test("a workbook whose data does not match its CRC-32 is refused as damaged", async () => {
  const bytes = streamedZip(xlsxParts({ rows: [["Nom"], ["Dupont"]] }));
  // Flip the CRC-32 of the sheet in the central directory (the data itself stays valid deflate).
  const cd = new TextDecoder("latin1").decode(bytes).lastIndexOf("PK\x01\x02");
  const view = new DataView(bytes.buffer);
  view.setUint32(cd + 16, view.getUint32(cd + 16, true) ^ 1, true);
  const e = await refusal(rowsOf(bytes, { fileName: "abime.xlsx" }), "xlsx_corrupt");
  assert.equal(e.issue.params?.detail, "checksum");
});

Deno.test("readXlsxRows() finds sheets by the workbook's relationships, and reads <c> and <row> without r", async () => {
  const parts = xlsxParts({ rows: [["ignoré"]] });
  // Two sheets: the first one's part is clients.xml, and its relationship is listed last.
  parts["xl/workbook.xml"] = String(parts["xl/workbook.xml"]).replace(
    /<sheets>.*<\/sheets>/,
    '<sheets><sheet name="Clients" sheetId="7" r:id="rId9"/><sheet name="Autre" sheetId="1" r:id="rId1"/></sheets>',
  );
  parts["xl/_rels/workbook.xml.rels"] = String(parts["xl/_rels/workbook.xml.rels"]).replace(
    "</Relationships>",
    '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/clients.xml"/></Relationships>',
  );
  parts["xl/worksheets/clients.xml"] =
    `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
    `<row><c t="inlineStr"><is><t>Nom</t></is></c><c t="inlineStr"><is><t>Ville</t></is></c></row>` +
    `<row><c t="inlineStr"><is><t>Lefèvre</t></is></c><c><v>75001</v></c></row>` +
    `<row r="5"><c r="B5" t="inlineStr"><is><t>Lyon</t></is></c><c t="inlineStr"><is><t>après B</t></is></c></row>` +
    `</sheetData></worksheet>`;
  const bytes = streamedZip(parts);
  assert.deepEqual((await rowsOf(bytes)).rows, [
    { rowNumber: 1, values: ["Nom", "Ville"] },
    { rowNumber: 2, values: ["Lefèvre", "75001"] },
    { rowNumber: 5, values: ["", "Lyon", "après B"] },
  ]);
  assert.equal((await readXlsxHeader(bytesSource(bytes))).sheetName, "Clients");
  assert.deepEqual((await rowsOf(bytes, { sheet: "Autre" })).rows, [{ rowNumber: 1, values: ["ignoré"] }]);
});

Deno.test("a zip bomb in an XLSX is refused by its real inflated size, with memory flat while it inflates", async () => {
  // 300 MiB of XML spaces in a sheet entry that deflates to about 1 MB; its header says so honestly,
  // so a header-only check with a 1 GiB limit would let it through.
  const spaces = new Uint8Array(300 << 20).fill(0x20);
  const parts = xlsxParts({ rows: [["Nom"], ["x"]] });
  const bytes = zip({ ...parts, "xl/worksheets/sheet1.xml": spaces }, 1);
  assert.ok(bytes.length < 4 << 20, `${bytes.length} bytes`);
  const before = Deno.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => peak = Math.max(peak, Deno.memoryUsage().rss), 5);
  try {
    // Past the ratio floor, 200 inflated bytes per compressed byte is the most a workbook may have.
    const e = await refusal(
      rowsOf(bytes, { fileName: "bombe.xlsx", limits: { ratioFloorBytes: 256 << 20 } }),
      "xlsx_zip_bomb",
    );
    assert.equal(e.issue.params?.entry, "xl/worksheets/sheet1.xml");
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, Deno.memoryUsage().rss);
  assert.ok(
    peak - before < 128 << 20,
    `RSS grew by ${Math.round((peak - before) / 1048576)} MB inflating 256 MB`,
  );
});

Deno.test("a row that never ends is refused once it passes 8 MB of text, not held whole", async () => {
  const parts = xlsxParts({ rows: [["Nom"], ["x"]] });
  const sheet =
    `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">${
      " ".repeat(40 << 20)
    }</row></sheetData></worksheet>`;
  const bytes = zip({ ...parts, "xl/worksheets/sheet1.xml": sheet }, 1);
  const e = await refusal(
    rowsOf(bytes, { fileName: "ligne.xlsx", limits: { ratioFloorBytes: 1 << 30 } }),
    "xlsx_corrupt",
  );
  assert.equal(e.issue.params?.detail, "xml");
});
