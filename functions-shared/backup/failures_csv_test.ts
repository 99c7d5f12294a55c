import assert from "node:assert/strict";
import { failuresCsv } from "./failures_csv.ts";

Deno.test("failuresCsv() writes one quoted line per failure, formulas defused", () => {
  const csv = failuresCsv([
    {
      odooId: 812,
      leadFileId: 4,
      leadId: 2,
      name: 'Devis "final",\nv2.pdf',
      storeFname: "ab/ab12",
      code: "checksum_mismatch",
      message: "damaged",
    },
    {
      odooId: 9,
      leadFileId: null,
      leadId: null,
      name: '=HYPERLINK("x")',
      storeFname: null,
      code: "lead_missing",
      message: "no lead",
    },
  ]);
  assert.equal(
    csv,
    "odoo_id,lead_file_id,lead_id,name,store_fname,code,message\r\n" +
      '812,4,2,"Devis ""final"",\nv2.pdf",ab/ab12,checksum_mismatch,damaged\r\n' +
      '9,,,"\'=HYPERLINK(""x"")",,lead_missing,no lead\r\n',
  );
});
