/**
 * The activities import at the size of the issue's (issue 14): a 50,000-row
 * file in the shape of an Odoo export, with 200,000 leads in the database.
 * Prints each call's wall and CPU time (`deno task test activity_import`);
 * asserts what the user sees, never timings.
 */
import assert from "node:assert/strict";
import { startBudget } from "../../engine/budget.ts";
import { processCpuMs } from "../../engine/usage.ts";
import { type ActivityLeads, generateOdooActivityCsv, importedLeadsCsv } from "../testdata/activity_csv.ts";
import { advanceImports } from "./advance_imports.ts";
import { importKit, testConfig } from "../../../scripts/testing/import_kit.ts";
import { startImport } from "./start_import.ts";

/** 200,000 leads: 150,000 synced from Odoo, 46,000 of a CRM, 2,000 sharing 1,000 e-mails, 2,000 imported. */
const LEADS: ActivityLeads = { odoo: 150_000, crm: 46_000, numericCrm: 50, imported: 2_000, shared: 1_000 };

Deno.test("a 50,000-row Odoo activities export links every activity whose lead exists, among 200,000 leads", async () => {
  const kit = await importKit("imp_activities_scale");
  const sql = kit.db.sql;
  try {
    // The leads of a leads import beside the activities (their external ids are DEV-<n>).
    const leadsPath = await kit.put("leads.csv", importedLeadsCsv(LEADS));
    await startImport(
      { sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
      { kind: "user", userId: kit.admin },
      { companyId: kit.company, path: leadsPath, options: {} },
    );
    await kit.drain("leads");
    // The rest in one statement: synced Odoo leads as the sync writes them (README, "Lead mapping"),
    // the CRM's (50 of them with a bare number for external id, which is also a synced lead's Odoo
    // id), and leads sharing an e-mail two by two.
    await sql`
      insert into public.leads (company_id, source_email_id, odoo_id, external_id, title, email, source)
      select ${kit.company},
             case when g <= ${LEADS.odoo} then 'odoo_crm_' || g end,
             case when g <= ${LEADS.odoo} then g end,
             case when g <= ${LEADS.odoo} then null
                  when g <= ${LEADS.odoo + LEADS.numericCrm} then (100000 + g - ${LEADS.odoo})::text
                  when g <= ${LEADS.odoo + LEADS.crm} then 'CRM-' || (g - ${LEADS.odoo})
                  else 'PART-' || (g - ${LEADS.odoo + LEADS.crm}) end,
             'Lead ' || g,
             case when g <= ${LEADS.odoo} then 'odoo' || g || '@exemple.fr'
                  when g <= ${LEADS.odoo + LEADS.crm} then 'client' || (g - ${LEADS.odoo}) || '@exemple.fr'
                  else 'partage' || ((g - ${LEADS.odoo + LEADS.crm} + 1) / 2) || '@exemple.fr' end,
             case when g <= ${LEADS.odoo} then 'odoo' else 'crm' end
        from generate_series(1, ${LEADS.odoo + LEADS.crm + 2 * LEADS.shared}) g`;
    await sql`analyze public.leads`; // as a live database has it: the state the per-row lookup walked the pkey in
    const [{ n: leadCount }] = await sql<{ n: number }[]>`select count(*)::int as n from public.leads`;
    assert.equal(leadCount, 200_000);

    const file = generateOdooActivityCsv({ rows: 50_000, leads: LEADS, seed: 14 });
    const path = await kit.put("activites-odoo.csv", file.bytes, kit.member);
    const { jobId } = await startImport(
      { sql, store: kit.store, kind: "activities", functionName: "batch-import-activities", chain: false },
      { kind: "user", userId: kit.member },
      { companyId: kit.company, path, options: {} },
    );

    // Call after call, as cron and the chain would, each with the production budget.
    const calls: { step: string; wallMs: number; cpuMs: number; rows: number }[] = [];
    // And each commit range's statement, from the end of the one before (or of the parse).
    const ranges: string[] = [];
    let mark = 0;
    const hooks = {
      afterFlush: () => {
        mark = performance.now();
      },
      afterRange: (next: number) => {
        ranges.push(`  commit range up to row ${next - 1}: ${Math.round(performance.now() - mark)} ms`);
        mark = performance.now();
      },
    };
    for (let i = 0; i < 50; i++) {
      const [j] = await sql<{ status: string }[]>`select status from public.import_jobs where id = ${jobId}`;
      if (!["queued", "parsing", "committing"].includes(j.status)) break;
      const budget = startBudget(testConfig.budget, { now: () => performance.now(), cpu: processCpuMs });
      const t0 = performance.now(), c0 = processCpuMs();
      const r = await advanceImports({ sql, store: kit.store, kind: "activities", ...hooks }, budget, jobId);
      calls.push({
        step: j.status,
        wallMs: Math.round(performance.now() - t0),
        cpuMs: Math.round(processCpuMs() - c0),
        rows: r.rows,
      });
    }
    console.log(
      `activities import, 50,000 rows among 200,000 leads (budget per call: ${testConfig.budget.wallMs} ms wall, ${testConfig.budget.cpuMs} ms CPU):\n` +
        calls.map((c, i) =>
          `  call ${i + 1} (${c.step}): ${c.rows} rows, ${c.wallMs} ms wall, ${c.cpuMs} ms CPU`
        )
          .join("\n") +
        "\n" + ranges.join("\n"),
    );

    const [job] = await sql`select * from public.import_jobs where id = ${jobId}`;
    assert.equal(job.status, "completed", job.error_message);
    assert.deepEqual(
      [job.committed_rows, job.invalid_rows],
      [file.linked, file.ambiguous.length + file.unknown.length],
    );

    // Every activity is on the lead its row names: by reference (external id, odoo_crm_<id>, Odoo id), else e-mail.
    const [check] = await sql<{ n: number; wrong: number }[]>`
      select count(*)::int as n,
             count(*) filter (where not (
               l.external_id = r.data ->> 'leadRef' or l.source_email_id = r.data ->> 'leadRef'
               or l.odoo_id::text = r.data ->> 'leadRef' or lower(l.email) = r.data ->> 'leadEmail'))::int as wrong
        from public.activities a
        join public.import_rows r on r.job_id = a.import_job_id and r.target_id = a.id
        join public.leads l on l.id = a.lead_id
       where a.import_job_id = ${jobId}`;
    assert.deepEqual([check.n, check.wrong], [file.linked, 0]);
    const [sameImport] = await sql<{ n: number }[]>`
      select count(*)::int as n from public.activities a join public.leads l on l.id = a.lead_id
       where a.import_job_id = ${jobId} and l.import_job_id is not null`;
    assert.ok(sameImport.n > 0, "activities on the leads of the leads import");

    // Every type kept as written; Odoo's default types have their kind, « Relance devis » none.
    const types = await sql<{ type_label: string; activity_type: string | null; n: number }[]>`
      select type_label, activity_type, count(*)::int as n from public.activities
       where import_job_id = ${jobId} group by 1, 2 order by 1`;
    const kinds = Object.fromEntries(types.map((t) => [t.type_label, t.activity_type]));
    assert.deepEqual(kinds, {
      "Appel": "call",
      "Demande de signature": "request_signature",
      "E-mail": "email",
      "Exception": "exception",
      "Relance devis": null,
      "Réunion": "meeting",
      "Téléverser un document": "upload_document",
      "À faire": "todo",
    });

    // The ambiguous and the unknown, each listed with its reason, and only they.
    const refused = await sql<{ row_number: number; code: string }[]>`
      select row_number, errors -> 0 ->> 'code' as code from public.import_rows
       where job_id = ${jobId} and status = 'invalid' order by row_number`;
    assert.deepEqual(
      refused.filter((r) => r.code === "activity_lead_ambiguous").map((r) => r.row_number),
      file.ambiguous,
    );
    assert.deepEqual(
      refused.filter((r) => r.code === "activity_lead_not_found").map((r) => r.row_number),
      file.unknown,
    );
    assert.equal(refused.length, file.ambiguous.length + file.unknown.length);
    const report = new TextDecoder().decode(
      new Uint8Array(await new Response(await kit.store.get(job.error_report_path)).arrayBuffer()),
    );
    const lines = report.split(/\r\n(?=\d+;)/).slice(1);
    assert.equal(lines.length, refused.length, "one report line per refused row");
    const byRow = new Map(lines.map((l) => [Number(l.slice(0, l.indexOf(";"))), l]));
    const amb = byRow.get(file.ambiguous[0])!;
    assert.match(
      amb,
      /Lead ambigu : 2 leads de la société ont (l'e-mail « partage\d+@exemple\.fr »|la référence « 1000\d\d »)/,
    );
    assert.ok(byRow.get(file.unknown[0])!.includes("Lead introuvable : aucun lead de la société n'a"));
  } finally {
    await kit.close();
  }
});

Deno.test("an activities file whose lead e-mails are under a header the import does not know fails naming it, blaming no row", async () => {
  const kit = await importKit("imp_activities_header");
  try {
    const csv = [
      "Référence lead;Mail de la piste;Type;Résumé",
      "odoo_crm_1;;Appel;Rappeler",
      ";jean@exemple.fr;Téléverser un document;Envoyer le Kbis",
    ].join("\r\n") + "\r\n";
    const path = await kit.put("activites.csv", new TextEncoder().encode(csv), kit.member);
    const { jobId } = await startImport(
      {
        sql: kit.db.sql,
        store: kit.store,
        kind: "activities",
        functionName: "batch-import-activities",
        chain: false,
      },
      { kind: "user", userId: kit.member },
      { companyId: kit.company, path, options: {} },
    );
    await kit.drain("activities");
    const [job] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
    assert.equal(job.status, "failed");
    assert.equal(job.error_details.issue.code, "activity_lead_column_unmapped");
    assert.match(
      job.error_message,
      /activites\.csv, ligne 3 : la ligne n'a ni référence, ni e-mail, ni téléphone du lead dans une colonne reconnue, mais la colonne « Mail de la piste », que l'import ne reconnaît pas, semble contenir l'e-mail du lead : nommez-la « Courriel lead », « E-mail du lead » ou « Lead email »/,
    );
    const [{ n }] = await kit.db.sql<{ n: number }[]>`
      select count(*)::int as n from public.import_rows where job_id = ${jobId} and status = 'invalid'`;
    assert.equal(n, 0, "no row is blamed for the file's header");
    const [{ acts }] = await kit.db.sql<
      { acts: number }[]
    >`select count(*)::int as acts from public.activities`;
    assert.equal(acts, 0, "nothing committed");
  } finally {
    await kit.close();
  }
});

Deno.test("activities find their lead by reference, then e-mail, then phone, and never guess among several", async () => {
  const kit = await importKit("imp_activities_keys");
  const sql = kit.db.sql;
  try {
    const leads = await sql<{ id: string; title: string }[]>`
      insert into public.leads (company_id, title, email, phone, external_id, odoo_id, source_email_id)
      values (${kit.company}, 'Un', 'un@exemple.fr', '+33612345678', null, null, null),
             (${kit.company}, 'Deux', null, '+33698765432', null, null, null),
             (${kit.company}, 'Trois', null, '+33698765432', null, null, null),
             (${kit.company}, 'Quatre', null, null, '4242', null, null),
             (${kit.company}, 'Cinq', null, null, null, 4242, 'odoo_crm_4242')
      returning id, title`;
    const id = Object.fromEntries(leads.map((l) => [l.title, Number(l.id)]));
    const csv = [
      "Référence lead;Courriel lead;Téléphone lead;Type;Résumé",
      ";;06 12 34 56 78;Appel;par téléphone", // 2: Un, by phone
      ";;06 98 76 54 32;Appel;téléphone partagé", // 3: Deux and Trois: ambiguous
      "4242;;;Réunion;nombre", // 4: Quatre's external id and Cinq's Odoo id: ambiguous
      "odoo_crm_4242;;;Relance devis;synchronisé", // 5: Cinq
      "NOPE;UN@exemple.fr;;À faire;référence inconnue", // 6: no such reference, Un by e-mail
      ";inconnu@exemple.fr;06 00 00 00 00;Exception;personne", // 7: nobody
    ].join("\r\n") + "\r\n";
    const path = await kit.put("cles.csv", new TextEncoder().encode(csv), kit.member);
    const { jobId } = await startImport(
      { sql, store: kit.store, kind: "activities", functionName: "batch-import-activities", chain: false },
      { kind: "user", userId: kit.member },
      { companyId: kit.company, path, options: {} },
    );
    await kit.drain("activities");
    const rows = await sql<
      { row_number: number; status: string; lead: string | null; code: string | null }[]
    >`
      select r.row_number, r.status, a.lead_id::text as lead, r.errors -> 0 ->> 'code' as code
        from public.import_rows r left join public.activities a on a.id = r.target_id
       where r.job_id = ${jobId} order by r.row_number`;
    assert.deepEqual(rows.map((r) => [r.row_number, r.lead === null ? r.code : Number(r.lead)]), [
      [2, id.Un],
      [3, "activity_lead_ambiguous"],
      [4, "activity_lead_ambiguous"],
      [5, id.Cinq],
      [6, id.Un],
      [7, "activity_lead_not_found"],
    ]);
    const [job] = await sql`select * from public.import_jobs where id = ${jobId}`;
    assert.deepEqual([job.status, job.committed_rows, job.invalid_rows], ["completed", 3, 3]);
    const report = new TextDecoder().decode(
      new Uint8Array(await new Response(await kit.store.get(job.error_report_path)).arrayBuffer()),
    );
    const [lo, hi] = [Math.min(id.Deux, id.Trois), Math.max(id.Deux, id.Trois)];
    assert.ok(
      report.includes(
        `3;Téléphone lead;"Lead ambigu : 2 leads de la société ont le téléphone « +33698765432 » (leads n° ${lo}, ${hi}) ; l'activité n'est rattachée à aucun : donnez-lui une référence qui n'en désigne qu'un";`,
      ),
      report,
    );
    assert.ok(
      report.includes(
        `4;Référence lead;"Lead ambigu : 2 leads de la société ont la référence « 4242 » (leads n° `,
      ),
      report,
    );
    assert.ok(
      report.includes(
        "7;Courriel lead;Lead introuvable : aucun lead de la société n'a l'e-mail « inconnu@exemple.fr » ni le téléphone « +33600000000 »;",
      ),
      report,
    );
  } finally {
    await kit.close();
  }
});
