import assert from "node:assert/strict";
import { mapColumns } from "../columns.ts";
import { ACTIVITY_CSV_HEADERS, generateOdooActivityCsv } from "./activity_csv.ts";

const LEADS = { odoo: 150_000, crm: 46_000, numericCrm: 50, imported: 2_000, shared: 1_000 };

Deno.test("generateOdooActivityCsv() writes the same Odoo-shaped file for the same seed, and says which rows are which", () => {
  const a = generateOdooActivityCsv({ rows: 5_000, leads: LEADS, seed: 3 });
  const b = generateOdooActivityCsv({ rows: 5_000, leads: LEADS, seed: 3 });
  assert.deepEqual(a.bytes, b.bytes);
  const text = new TextDecoder().decode(a.bytes);
  assert.ok(text.startsWith(ACTIVITY_CSV_HEADERS.join(";") + "\r\n"));
  const m = mapColumns(ACTIVITY_CSV_HEADERS, "activity");
  assert.ok(m.ok && m.mapping.ignored.length === 0, "every column of the export maps");
  assert.equal(a.linked + a.ambiguous.length + a.unknown.length, 5_000);
  assert.ok(a.ambiguous.length > 50 && a.unknown.length > 200, `${a.ambiguous.length} / ${a.unknown.length}`);
  assert.ok(
    a.types["Téléverser un document"] > 500 && a.types["Relance devis"] > 400,
    JSON.stringify(a.types),
  );
  assert.ok(text.includes('"Rappeler avant 10h; demander ""le"" devis signé\nsecond paragraphe"'));
});
