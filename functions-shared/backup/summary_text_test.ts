import assert from "node:assert/strict";
import type { ImportSummary } from "./import_backup.ts";
import { formatSummary } from "./summary_text.ts";

const base: ImportSummary = {
  dryRun: false,
  interrupted: false,
  attachmentsRead: 17_400,
  matched: 17_366,
  created: 0,
  notLinked: 12,
  notSynced: 0,
  skippedDone: 0,
  skippedHeld: 1,
  uploaded: 17_000,
  copied: 360,
  alreadyStored: 0,
  failed: 5,
  abandoned: 0,
  bytesUploaded: 12e9,
  filestoreFiles: 40_000,
  elapsedMs: 3_725_000,
  skipped: [
    { odooId: 1, leadFileId: 2, leadId: 3, name: "a", storeFname: null, code: "attachment_url", message: "" },
  ],
  failures: [
    {
      odooId: 4,
      leadFileId: 5,
      leadId: 6,
      name: "b",
      storeFname: "ab/x",
      code: "checksum_mismatch",
      message: "",
    },
  ],
};

Deno.test("formatSummary() says what was done, what failed and where the list is", () => {
  const text = formatSummary(base, { failuresPath: "failures.csv" });
  assert.match(text, /^Import finished\. \(1h02m\)/);
  assert.match(text, / {2}uploaded +17,000 \(12\.0 GB\)/);
  assert.match(text, / {2}held by archive-odoo-files +1 \(skipped\)/);
  assert.match(text, /12 crm\.lead attachments have no lead_files row: run again with --create-missing/);
  assert.match(text, /skipped \(nothing to store\) +1/);
  assert.match(text, /skipped by reason: attachment_url 1 \(links: no file to store\)/);
  assert.match(text, /failures by reason: checksum_mismatch 1/);
  assert.match(text, /listed in failures\.csv/);
});

Deno.test("formatSummary() speaks in the conditional for a dry run and tells how to resume", () => {
  assert.match(
    formatSummary({ ...base, dryRun: true }),
    /^Dry run: nothing was written\.[\s\S]* {2}to upload +17,000/,
  );
  assert.match(
    formatSummary({ ...base, interrupted: true, abandoned: 4 }),
    /not done \(interrupted\) +4[\s\S]*Run the same command again to resume/,
  );
});
