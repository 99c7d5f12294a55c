/**
 * Every format of the same rows imports to the same leads: a CSV, and Excel's « Texte Unicode »
 * (UTF-16 LE and BE with BOM, tab-separated), each read over several budgeted calls.
 */
import assert from "node:assert/strict";
import { generateLeadCsv } from "../testdata/lead_csv.ts";
import { importAs, utf16 } from "../../../scripts/testing/format_kit.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";

Deno.test("Excel's « Texte Unicode » (UTF-16 LE and BE, tabs) imports to the leads of the same CSV", async () => {
  const kit = await importKit("imp_utf16");
  try {
    const text = await new Response(generateLeadCsv({ rows: 6_000, seed: 15, delimiter: "\t" })).text();
    const csv = await importAs(kit, "leads.csv", new TextEncoder().encode(text));
    assert.equal(csv.job.status, "completed", csv.job.error_message);
    assert.ok(csv.leads.length > 5_000);
    for (const encoding of ["utf-16le", "utf-16be"] as const) {
      const got = await importAs(kit, `leads-${encoding}.txt`, utf16(text, encoding));
      assert.equal(got.job.status, "completed", got.job.error_message);
      assert.ok(got.calls > 3, `${got.calls} calls: resumed by byte offset`);
      assert.deepEqual(
        { ...got.job, leads: got.leads },
        { ...csv.job, leads: csv.leads },
        encoding,
      );
    }
  } finally {
    await kit.close();
  }
});
