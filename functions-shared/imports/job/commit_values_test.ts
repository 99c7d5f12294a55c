import assert from "node:assert/strict";
import { LEAD_FILE_200_HEADERS, leadFile200, leadRows200 } from "../testdata/lead_file_200.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";
import { commitImport, jobStatus } from "./manage_import.ts";
import { startImport } from "./start_import.ts";

/** The E.164 form of a French number as the file writes it (`01 45 67 00 01` → `+33145670001`). */
const e164 = (s: string) => "+33" + s.replace(/\D/g, "").slice(1);
/** The cells of one line of a `;` CSV with quoted cells. */
function cellsOf(line: string): string[] {
  const cells: string[] = [];
  let cur = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') cur += c, i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ";") cells.push(cur), cur = "";
    else cur += c;
  }
  return [...cells, cur];
}

/** An amount as PostgreSQL's numeric(14,2) prints it (`-1 003,75` → `-1003.75`). */
const numeric = (s: string) => Number(s.replace(/[\s\u00a0\u202f€]/g, "").replace(",", ".")).toFixed(2);

for (const variant of ["utf-8", "windows-1252", "utf-8-bom-crlf"] as const) {
  Deno.test(`a 200-row lead file (${variant}) commits every row not wrong beyond doubt, each value as written`, async () => {
    const kit = await importKit(`imp_200_${variant.replaceAll("-", "_")}`);
    try {
      const rows = leadRows200();
      const path = await kit.put(`leads-200-${variant}.csv`, leadFile200(variant));
      const m = { sql: kit.db.sql, store: kit.store, kind: "leads" as const };
      const who = { kind: "user" as const, userId: kit.admin };
      const { jobId } = await startImport(
        { ...m, functionName: "import-leads", chain: false },
        who,
        { companyId: kit.company, path, options: { autoCommit: false } },
      );
      await kit.drain("leads");

      // The review: counts, where every column goes, and the report of the rows to look at.
      const review = await jobStatus(m, who, jobId);
      assert.equal(review.status, "ready", String(review.errorMessage));
      assert.deepEqual(
        review.counts,
        {
          total: 200,
          processed: 200,
          valid: 199,
          invalid: 1,
          duplicate: 2,
          committed: 0,
          inserted: 0,
          updated: 0,
          skipped: 0,
          warned: 5,
        },
      );
      assert.deepEqual(review.columns, [
        { header: "Référence", to: "external_id" },
        { header: "Prénom", to: "first_name" },
        { header: "Nom", to: "last_name" },
        { header: "Société", to: "company_name" },
        { header: "Courriel", to: "email" },
        { header: "Téléphone", to: "phone" },
        { header: "Chiffre d'affaires", to: "expected_revenue" },
        { header: "Ville", to: "city" },
        { header: "Code postal", to: "postal_code" },
        { header: "Pays", to: "country" },
        { header: "SIRET", to: "siret" },
        { header: "Étiquettes", to: "tags" },
        { header: "Secteur d'activité", to: "extra_fields" },
      ]);
      assert.ok(review.errorReportUrl);

      await commitImport(m, who, jobId);
      await kit.drain("leads");
      const [job] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
      assert.equal(job.status, "completed", job.error_message);
      assert.deepEqual([job.inserted_rows, job.skipped_rows], [197, 2]);

      // Every value of every committed row, from the database, as the file wrote it.
      const leads = await kit.db.sql`
        select import_row, external_id, first_name, last_name, contact_name, company_name, email, phone,
               expected_revenue::text as amount, city, postal_code, country, siret, tags, tags_text, extra_fields
          from public.leads where import_job_id = ${jobId}`;
      const byRow = new Map(leads.map((l) => [l.import_row as number, l]));
      let negative = 0;
      for (const r of rows.filter((r) => r.outcome === "lead")) {
        const l = byRow.get(r.row);
        assert.ok(l, `row ${r.row} is a lead`);
        const [ref, first, last, company, email, phone, amount, city, cp, country, siret, tags, sector] =
          r.cells;
        const at = `row ${r.row}`;
        assert.equal(l.external_id, ref || null, at);
        assert.equal(l.first_name, first || null, at);
        assert.equal(l.last_name, last || null, at);
        assert.equal(l.contact_name, first ? `${first} ${last}` : null, at);
        assert.equal(l.company_name, company, at);
        assert.equal(l.email, r.warns === "email" ? email : email.toLowerCase() || null, at);
        assert.equal(l.phone, r.warns === "phone" ? phone : e164(phone), at);
        assert.equal(l.amount, numeric(amount), at);
        if (amount.startsWith("-")) negative++;
        assert.deepEqual([l.city, l.postal_code, l.country, l.siret], [city, cp, country, siret], at);
        assert.equal(l.tags_text, tags || null, at);
        assert.deepEqual(l.tags, tags ? tags.split(/[,;]/).map((t) => t.trim()) : [], at);
        assert.deepEqual(l.extra_fields, sector ? { "Secteur d'activité": sector } : {}, at);
      }
      assert.equal(negative, 29, "every negative amount is kept");
      assert.equal(leads.length, 197);
      assert.deepEqual(
        leads.filter((l) => l.phone === "+33140000000").map((l) => l.import_row).sort(),
        [51, 52],
        "two people sharing a switchboard number are two leads",
      );

      // The report lists each row not committed as a lead of its own, and each warning, with its reason.
      const report = new TextDecoder().decode(
        new Uint8Array(await new Response(await kit.store.get(job.error_report_path)).arrayBuffer()),
      );
      const lines = report.replace(/^\ufeff/, "").split("\r\n").filter((l) => l !== "");
      assert.equal(lines[0], ["Ligne", "Champ", "Erreur", ...LEAD_FILE_200_HEADERS].join(";"));
      const said = new Map<number, string>();
      for (const l of lines.slice(1)) {
        const [row, , text] = cellsOf(l);
        said.set(Number(row), (said.get(Number(row)) ?? "") + text);
      }
      assert.deepEqual([...said.keys()].sort((a, b) => a - b), [31, 46, 61, 91, 121, 149, 153, 171]);
      assert.match(
        said.get(149)!,
        /Doublon de la ligne 148 \(même courriel « .*147@exemple.fr »\) : ignorée/,
      );
      assert.match(
        said.get(153)!,
        /Doublon de la ligne 152 \(même téléphone, sans courriel « \+33478000015 »\) : ignorée/,
      );
      assert.match(said.get(171)!, /Il faut au moins un titre/);
      for (const row of [31, 61, 91, 121]) {
        assert.match(said.get(row)!, /adresse invalide .* ; gardée telle quelle/);
      }
      assert.match(said.get(46)!, /numéro de téléphone invalide \(valeur « 12 »\) ; gardée telle quelle/);
    } finally {
      await kit.close();
    }
  });
}
