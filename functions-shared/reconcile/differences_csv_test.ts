import assert from "node:assert/strict";
import { differencesCsv } from "./differences_csv.ts";

Deno.test("differencesCsv() writes one line per difference, quoting commas and neutralising formulas", () => {
  const csv = differencesCsv([
    {
      kind: "lead_stale",
      open: true,
      odoo_id: 20,
      lead_id: 7,
      lead_file_id: null,
      import_job_id: null,
      row_number: null,
      detail: "Odoo lead 20 differs: phone, title",
      action: "repair: the sync reads it again",
    },
    {
      kind: "import_row_unaccounted",
      open: true,
      odoo_id: null,
      lead_id: null,
      lead_file_id: null,
      import_job_id: "6f1c",
      row_number: 3,
      detail: "=HYPERLINK(1)",
      action: "check",
    },
  ]);
  assert.deepEqual(csv.split("\r\n"), [
    "kind,open,odoo_id,lead_id,lead_file_id,import_job_id,row_number,detail,action",
    'lead_stale,true,20,7,,,,"Odoo lead 20 differs: phone, title",repair: the sync reads it again',
    "import_row_unaccounted,true,,,,6f1c,3,'=HYPERLINK(1),check",
    "",
  ]);
});
