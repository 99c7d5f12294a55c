import assert from "node:assert/strict";
import { buildXlsx, streamedZip, xlsxParts } from "../testdata/xlsx_writer.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";
import { startImport } from "./start_import.ts";

Deno.test("an XLSX file imports over several calls, resuming where the last one stopped, read by ranges from Storage", async () => {
  const kit = await importKit("imp_xlsx");
  try {
    const rows = Array.from({ length: 3_000 }, (_, i) => [
      `Prénom${i}`,
      `Nom${i}`,
      i === 1_500 ? "pas-un-email" : `p${i}@exemple.fr`,
      { date: 45_000 + (i % 300) },
      1000 + i,
    ]);
    const bytes = buildXlsx({
      rows: [["Prénom", "Nom", "Courriel", "Date de création", "Montant"], ...rows],
    });
    const path = await kit.put("leads.xlsx", bytes);
    const { jobId } = await startImport(
      { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
      { kind: "user", userId: kit.admin },
      { companyId: kit.company, path },
    );
    // One flush per call (a budget that allows nothing more), so the parse resumes from the checkpoint's row.
    const calls = await kit.drain("leads", { flushRows: 500 }, 100, 1);
    assert.ok(calls >= 4, `${calls} calls`); // 3 parse calls of a 1,000-row batch each, then the commit
    const [job] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
    assert.equal(job.status, "completed", job.error_message);
    assert.equal(job.file_format, "xlsx");
    // The bad address is kept as written, with a warning: every row is committed.
    assert.deepEqual(
      [job.total_rows, job.valid_rows, job.invalid_rows, job.warned_rows, job.committed_rows],
      [3000, 3000, 0, 1, 3000],
    );
    const [bad] = await kit.db
      .sql`select row_number from public.import_rows where job_id = ${jobId} and errors is not null`;
    assert.equal(bad.row_number, 1_502, "Excel's row number (header on row 1)");
    const [lead] = await kit.db.sql`
      select expected_revenue::float as amount, source_created_at from public.leads where email = 'p7@exemple.fr'`;
    assert.equal(lead.amount, 1007);
    assert.ok(lead.source_created_at instanceof Date);
  } finally {
    await kit.close();
  }
});

Deno.test("a zip bomb in an XLSX's sheet, past its first rows, fails the import by the bytes really inflated, nothing committed", async () => {
  const kit = await importKit("imp_xlsx_bomb");
  try {
    // 100 good rows, then 40 MB of blanks inside sheetData: 40 KB deflated (a ratio of 1000).
    const good = buildXlsx({
      rows: [
        ["Prénom", "Nom", "Courriel"],
        ...Array.from({ length: 100 }, (_, i) => [`P${i}`, `N${i}`, `p${i}@exemple.fr`]),
      ],
    });
    const parts = xlsxParts({
      rows: [
        ["Prénom", "Nom", "Courriel"],
        ...Array.from({ length: 100 }, (_, i) => [`P${i}`, `N${i}`, `p${i}@exemple.fr`]),
      ],
    });
    const sheet = parts["xl/worksheets/sheet1.xml"] as string;
    const bomb = sheet.replace("</sheetData>", " ".repeat(40 << 20) + "</sheetData>");
    const bytes = buildXlsx({ rows: [], extra: { ...parts, "xl/worksheets/sheet1.xml": bomb } });
    assert.ok(bytes.length < good.length + 100_000, `${bytes.length} bytes`);
    const path = await kit.put("bombe.xlsx", bytes);
    const { jobId } = await startImport(
      { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
      { kind: "user", userId: kit.admin },
      { companyId: kit.company, path },
    );
    await kit.drain("leads", { flushRows: 50 });
    const [job] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
    assert.equal(job.status, "failed");
    assert.equal(job.error_details.issue.code, "xlsx_zip_bomb");
    assert.equal(job.committed_rows, 0);
    const [{ n }] = await kit.db
      .sql`select count(*)::int as n from public.leads where company_id = ${kit.company}`;
    assert.equal(n, 0);
  } finally {
    await kit.close();
  }
});

Deno.test("a small XLSX written as LibreOffice writes it (data descriptors, content types last) imports", async () => {
  const kit = await importKit("imp_xlsx_dd");
  try {
    // LibreOffice 7.4: flags 0x0808 on every entry; a 300-row export (13 KB) was refused before.
    const rows = Array.from({ length: 300 }, (_, i) => [`Prénom${i}`, `Nom${i}`, `p${i}@exemple.fr`]);
    const parts = xlsxParts({ rows: [["Prénom", "Nom", "Courriel"], ...rows] });
    const order = [...Object.keys(parts).filter((n) => n !== "[Content_Types].xml"), "[Content_Types].xml"];
    const bytes = streamedZip(parts, { order });
    assert.ok(bytes.length < 64 * 1024);
    const path = await kit.put("export-libreoffice.xlsx", bytes);
    const { jobId } = await startImport(
      { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
      { kind: "user", userId: kit.admin },
      { companyId: kit.company, path },
    );
    await kit.drain("leads");
    const [job] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
    assert.equal(job.status, "completed", job.error_message);
    assert.equal(job.committed_rows, 300);
  } finally {
    await kit.close();
  }
});
