/**
 * XLSX and ODS of any size: a workbook's parse spreads over as many budgeted calls as it needs, each
 * resuming inside the deflated sheet where the last flush stopped (a deflate block boundary), an XLSX's
 * shared strings staged once and looked up a batch at a time. Each must give exactly the leads of the
 * CSV of the same rows, also when calls die between flushes.
 */
import assert from "node:assert/strict";
import { startBudget } from "../../engine/budget.ts";
import { processCpuMs } from "../../engine/usage.ts";
import { strToU8, zipSync } from "../../deps.ts";
import { buildXlsx, type XlsxCell } from "../testdata/xlsx_writer.ts";
import { importAs } from "../../../scripts/testing/format_kit.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";
import { advanceImports } from "./advance_imports.ts";
import type { Checkpoint } from "./import_job.ts";
import { startImport } from "./start_import.ts";

const HEADERS = ["Titre", "Prénom", "Nom", "Société", "Courriel", "Téléphone", "Ville", "Montant", "Date"];
const CITIES = ["Paris", "Lyon", "Saint-Étienne", "Nîmes", "Besançon", "Fort-de-France"];
const FIRST = ["Émilie", "Jean", "Zoé", "François", "Chloé", "Loïc", "Anaïs"];

/** Lead rows with repeated and unique texts, a few bad e-mails and duplicates: [text cells, amount, date serial]. */
function leadRows(n: number): { text: string[]; amount: number; serial: number }[] {
  return Array.from({ length: n }, (_, i) => ({
    text: [
      `Projet ${i} — rénovation`,
      FIRST[i % FIRST.length],
      `Lefèvre${i}`,
      `Société ${i % 97} & fils`,
      i % 450 === 7 ? "pas-un-email" : `p${i % 3_000 === 11 ? 11 : i}@exemple.fr`,
      `06 ${String(10 + (i % 90))} ${String(10 + (i % 77))} 00 0${i % 10}`,
      CITIES[i % CITIES.length],
    ],
    amount: 1000 + i * 0.5,
    serial: 45_000 + (i % 400),
  }));
}

/** The CSV of the rows (amounts with a decimal comma, dates as Excel shows them). */
function csvOf(rows: ReturnType<typeof leadRows>): Uint8Array {
  const iso = (serial: number) =>
    new Date(Date.UTC(1899, 11, 30) + serial * 86_400_000).toISOString().slice(0, 10);
  const lines = [
    HEADERS.join(";"),
    ...rows.map((r) => [...r.text, String(r.amount).replace(".", ","), iso(r.serial)].join(";")),
  ];
  return new TextEncoder().encode(lines.join("\r\n") + "\r\n");
}

/** The XLSX of the rows: texts as shared strings, amounts as numbers, dates as date-formatted serials. */
function xlsxOf(rows: ReturnType<typeof leadRows>): Uint8Array {
  const cells: XlsxCell[][] = rows.map((r) => [...r.text, r.amount, { date: r.serial }]);
  return buildXlsx({ rows: [HEADERS, ...cells] });
}

const xml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** The ODS of the rows, as LibreOffice writes it: a title-less table ending with a million empty rows. */
function odsOf(rows: ReturnType<typeof leadRows>): Uint8Array {
  const text = (t: string) =>
    `<table:table-cell office:value-type="string" calcext:value-type="string"><text:p>${
      xml(t)
    }</text:p></table:table-cell>`;
  const iso = (serial: number) =>
    new Date(Date.UTC(1899, 11, 30) + serial * 86_400_000).toISOString().slice(0, 10);
  const body = [
    `<table:table-row>${HEADERS.map(text).join("")}</table:table-row>`,
    ...rows.map((r) =>
      `<table:table-row table:style-name="ro1">${r.text.map(text).join("")}` +
      `<table:table-cell office:value-type="float" office:value="${r.amount}"><text:p>${r.amount}</text:p></table:table-cell>` +
      `<table:table-cell office:value-type="date" office:date-value="${
        iso(r.serial)
      }"><text:p>x</text:p></table:table-cell>` +
      `<table:table-cell table:number-columns-repeated="16375"/></table:table-row>`
    ),
    `<table:table-row table:number-rows-repeated="1040000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>`,
  ].join("");
  const content = `<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0" office:version="1.3"><office:body><office:spreadsheet><table:table table:name="Feuille1"><table:table-column table:number-columns-repeated="9"/>${body}</table:table></office:spreadsheet></office:body></office:document-content>`;
  // The mimetype first and stored, as ODF requires.
  return zipSync({
    "mimetype": [strToU8("application/vnd.oasis.opendocument.spreadsheet"), { level: 0 }],
    "content.xml": [strToU8(content), { level: 6 }],
    "META-INF/manifest.xml": [strToU8("<manifest:manifest/>"), { level: 6 }],
  });
}

Deno.test("an XLSX and an ODS parsed over many calls, each resuming inside the deflated sheet, give the CSV's leads", async () => {
  const kit = await importKit("imp_workbook_resume");
  try {
    const rows = leadRows(8_000);
    const csv = await importAs(kit, "leads.csv", csvOf(rows));
    assert.equal(csv.job.status, "completed", csv.job.error_message);
    assert.ok(csv.leads.length > 7_000);
    for (const [name, bytes] of [["leads.xlsx", xlsxOf(rows)], ["leads.ods", odsOf(rows)]] as const) {
      const seen: Checkpoint[] = [];
      // One flush per call (a budget that allows nothing more): each call resumes where the last stopped.
      const got = await importAs(kit, name, bytes, {
        flushRows: 500,
        flushStrings: 2_000,
        afterFlush: (c: Checkpoint) => void seen.push(structuredClone(c)),
      });
      assert.equal(got.job.status, "completed", got.job.error_message);
      assert.deepEqual(
        { ...got.job, file_format: "csv", leads: got.leads },
        { ...csv.job, leads: csv.leads },
        name,
      );
      const insideSheet = seen.filter((c) => c.sheet && c.sheet.entry.bit > 0);
      assert.ok(insideSheet.length >= 5, `${name}: ${insideSheet.length} calls resumed inside the sheet`);
      if (name.endsWith(".xlsx")) {
        const staging = seen.filter((c) => typeof c.strings === "object");
        assert.ok(staging.length >= 3, `${staging.length} calls resumed inside the shared strings`);
        const [{ n }] = await kit.db.sql`select count(*)::int as n from passerelle.import_shared_strings`;
        assert.equal(n, 0, "the staged strings are gone once the parse ended");
      }
    }
  } finally {
    await kit.close();
  }
});

Deno.test("an XLSX import whose calls die after every third flush gives the CSV's leads, no row lost or twice", async () => {
  const kit = await importKit("imp_workbook_crash");
  try {
    const rows = leadRows(6_000);
    const csv = await importAs(kit, "leads.csv", csvOf(rows));
    assert.equal(csv.job.status, "completed", csv.job.error_message);
    const [{ id: company }] = await kit.db.sql<{ id: number }[]>`
      insert into public.companies (name) values ('Crash') returning id`;
    await kit.db.sql`select passerelle.add_member(${company}, ${kit.admin}, 'admin')`;
    const key = `imports/${company}/${kit.admin}/leads.xlsx`;
    await kit.store.put(key, xlsxOf(rows), { contentType: "application/octet-stream", upsert: true });
    const { jobId } = await startImport(
      { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
      { kind: "user", userId: kit.admin },
      { companyId: company, path: key },
    );
    let skew = 0, flushes = 0;
    const crashes = { strings: 0, sheet: 0 };
    for (let call = 0; call < 400; call++) {
      const [{ status }] = await kit.db.sql`select status from public.import_jobs where id = ${jobId}`;
      if (!["queued", "parsing", "committing"].includes(status)) break;
      const budget = startBudget({ wallMs: 50_000, cpuMs: 1 }, {
        now: () => performance.now(),
        cpu: processCpuMs,
      });
      try {
        await advanceImports({
          sql: kit.db.sql,
          store: kit.store,
          kind: "leads",
          flushRows: 500,
          flushStrings: 1_500,
          clock: () => new Date(Date.now() + skew),
          afterFlush: (c: Checkpoint) => {
            if (++flushes % 3 === 0) {
              crashes[typeof c.strings === "object" ? "strings" : "sheet"]++;
              throw new Error("killed");
            }
          },
        }, budget);
      } catch (e) {
        assert.equal((e as Error).message, "killed");
        skew += 10 * 60_000; // the dead call's lease runs out
      }
    }
    // Calls died while staging the shared strings and while reading the sheet's rows.
    assert.ok(crashes.strings >= 1 && crashes.sheet >= 2, JSON.stringify(crashes));
    const [job] = await kit.db.sql`
      select status, error_message, valid_rows, invalid_rows, committed_rows from public.import_jobs
       where id = ${jobId}`;
    assert.equal(job.status, "completed", job.error_message);
    const [{ n, distinct }] = await kit.db.sql`
      select count(*)::int as n, count(distinct row_number)::int as distinct from public.import_rows
       where job_id = ${jobId}`;
    assert.deepEqual([n, distinct], [6_000, 6_000]);
    const leads = await kit.db.sql<{ lead: string }[]>`
      select concat_ws('|', title, contact_name, company_name, email, phone, expected_revenue, probability,
                       source_created_at::date, description) as lead
        from public.leads where company_id = ${company} order by 1`;
    assert.deepEqual(leads.map((l) => l.lead), csv.leads);
    assert.deepEqual(
      [job.valid_rows, job.invalid_rows, job.committed_rows],
      [csv.job.valid_rows, csv.job.invalid_rows, csv.job.committed_rows],
    );
  } finally {
    await kit.close();
  }
});
