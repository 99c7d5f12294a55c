import assert from "node:assert/strict";
import { generateLeadCsv, LEAD_CSV_HEADERS } from "./lead_csv.ts";
import { sniffFile } from "../sniff.ts";
import { readCsvRows } from "../csv_reader.ts";
import { mapColumns } from "../columns.ts";
import { leadRowValidator } from "../lead_row.ts";

async function bytesOf(s: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(s).arrayBuffer());
}

Deno.test("generateLeadCsv() gives the same bytes for the same seed, and others for another", async () => {
  const a = await bytesOf(generateLeadCsv({ rows: 500, seed: 3 }));
  assert.deepEqual(await bytesOf(generateLeadCsv({ rows: 500, seed: 3 })), a);
  assert.notDeepEqual(await bytesOf(generateLeadCsv({ rows: 500, seed: 4 })), a);
});

Deno.test("generateLeadCsv() writes French leads that import, with some duplicates and unreadable values", async () => {
  for (const encoding of ["utf-8", "utf-8-bom", "windows-1252"] as const) {
    const bytes = await bytesOf(generateLeadCsv({ rows: 5000, seed: 1, encoding, delimiter: ";" }));
    const s = sniffFile(bytes.subarray(0, 65536), "leads.csv", { fileSize: bytes.length });
    assert.equal(s.encoding, encoding);
    assert.deepEqual(s.headers, LEAD_CSV_HEADERS);
    const mapped = mapColumns(s.headers, "lead");
    assert.ok(mapped.ok);
    const validate = leadRowValidator(mapped.mapping);
    let valid = 0, invalid = 0, warned = 0;
    const emails = new Map<string, number>();
    let accented = 0;
    for await (
      const b of readCsvRows(new Blob([bytes.slice(s.dataOffset)]).stream(), {
        ...s,
        startOffset: s.dataOffset,
        startRow: s.dataRow,
      })
    ) {
      for (const r of b.rows) {
        const v = validate(r.values, r.rowNumber);
        if (!v.ok) {
          invalid++;
          continue;
        }
        valid++;
        if (v.warnings) warned++;
        const e = v.value.email!;
        emails.set(e, (emails.get(e) ?? 0) + 1);
        if (/[^ -~]/.test(e)) accented++;
      }
    }
    assert.equal(valid + invalid, 5000, encoding);
    // Its unreadable values (an email without a domain, a phone "12 34", an amount in words…) only warn.
    assert.equal(invalid, 0, encoding);
    assert.ok(warned > 10 && warned < 150, `${warned} rows with a warning`);
    assert.ok([...emails.values()].some((n) => n > 1), "no duplicate email");
    assert.ok(accented > 50, `${accented} accented emails`);
  }
});
