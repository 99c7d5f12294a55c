import assert from "node:assert/strict";
import { buildCorpus, type CorpusFile } from "./corpus.ts";
import { SNIFF_BYTES, sniffFile } from "../sniff.ts";
import { readCsvRows } from "../csv_reader.ts";
import { bytesSource, readXlsxHeader, readXlsxRows } from "../xlsx_reader.ts";
import { mapColumns } from "../columns.ts";
import { leadRowValidator } from "../lead_row.ts";
import { activityRowValidator } from "../activity_row.ts";
import { ImportError } from "../import_error.ts";
import { openWorkbookZip, workbookKind } from "../workbook_zip.ts";
import { readOdsHeader, readOdsRows } from "../ods_reader.ts";
import { type Issue, message } from "../messages.ts";

/** Runs a file through the whole parse and validation, as an import does; its first issue, or null. */
async function firstIssue(f: CorpusFile): Promise<Issue | null> {
  try {
    const s = sniffFile(f.bytes.subarray(0, SNIFF_BYTES), f.name, { fileSize: f.bytes.length });
    let headers: string[];
    let rows: AsyncIterable<{ rows: { rowNumber: number; values: string[] }[] }>;
    if (s.format !== "csv") {
      const source = bytesSource(f.bytes);
      const ods = (await workbookKind(await openWorkbookZip(source, { fileName: f.name }))) === "ods";
      const h = await (ods ? readOdsHeader : readXlsxHeader)(source, { fileName: f.name });
      headers = h.headers;
      rows = (ods ? readOdsRows : readXlsxRows)(source, {
        startRow: h.dataRow,
        fileName: f.name,
        width: h.headers.length,
      });
    } else {
      headers = s.headers;
      rows = readCsvRows(new Blob([f.bytes.slice(s.dataOffset)]).stream(), {
        encoding: s.encoding,
        delimiter: s.delimiter,
        startOffset: s.dataOffset,
        startRow: s.dataRow,
        asciiSoFar: s.ascii,
        fileName: f.name,
        headers,
      });
    }
    const mapped = mapColumns(headers, f.kind, undefined, f.name);
    if (!mapped.ok) return mapped.issues[0];
    const validate = f.kind === "lead"
      ? leadRowValidator(mapped.mapping as never)
      : activityRowValidator(mapped.mapping as never, undefined, f.name);
    for await (const batch of rows) {
      for (const r of batch.rows) {
        const v = validate(r.values, r.rowNumber);
        if (!v.ok) return v.issues[0];
        // A value the import cannot read warns, the row imported all the same (README, "Validity policy").
        if ("warnings" in v && v.warnings) return v.warnings[0];
      }
    }
    return null;
  } catch (e) {
    if (e instanceof ImportError) return e.issue;
    throw e;
  }
}

const corpus = buildCorpus();

Deno.test("the corpus holds at least 30 malformed files with distinct names", () => {
  assert.ok(corpus.length >= 30, `${corpus.length} files`);
  assert.equal(new Set(corpus.map((f) => f.name)).size, corpus.length);
});

for (const f of corpus) {
  Deno.test(`an import of ${f.about} (${f.name}) ends with ${f.expect.code}`, async () => {
    const issue = await firstIssue(f);
    assert.ok(issue, "imported without an issue");
    const fr = message(issue), en = message(issue, "en");
    assert.equal(issue.code, f.expect.code, fr);
    assert.ok(fr.includes(f.expect.fragment), `« ${fr} » lacks « ${f.expect.fragment} »`);
    if (f.expect.row !== undefined) assert.equal(issue.row, f.expect.row, fr);
    if (f.expect.field !== undefined) assert.equal(issue.field, f.expect.field, fr);
    if (issue.field !== undefined && issue.row !== undefined) {
      // A row issue: the error report shows its row; the message names the field.
      assert.ok(
        fr.startsWith("«") || issue.code === "lead_identity_missing" || issue.code === "row_field_count",
        fr,
      );
    } else {
      // A file issue stands alone: it names the file, in both languages.
      assert.ok(fr.includes(f.name) && en.includes(f.name), `${fr} / ${en}`);
      if (issue.row !== undefined) {
        assert.ok(fr.includes(`ligne ${issue.row}`) && en.includes(`row ${issue.row}`), fr);
      }
    }
  });
}
