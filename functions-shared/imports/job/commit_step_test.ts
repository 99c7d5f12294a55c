import assert from "node:assert/strict";
import { importKit, type Kit } from "../../../scripts/testing/import_kit.ts";
import { startImport } from "./start_import.ts";
import { startBudget } from "../../engine/budget.ts";
import { processCpuMs } from "../../engine/usage.ts";
import { commitStep } from "./commit_step.ts";
import type { ImportJob } from "./import_job.ts";
import { commitImport, undoImport } from "./manage_import.ts";

const csv = (lines: string[]) => new TextEncoder().encode(lines.join("\r\n") + "\r\n");
const HEADER = "Identifiant externe;Prénom;Nom;Courriel;Téléphone;Société;Commercial";

/** Imports `lines` (after the header) as leads with `options`; returns the finished job id. */
async function importLeads(kit: Kit, name: string, lines: string[], options: Record<string, unknown> = {}) {
  const path = await kit.put(name, csv([HEADER, ...lines]));
  const { jobId } = await startImport(
    { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
    { kind: "user", userId: kit.admin },
    { companyId: kit.company, path, options: { force: true, ...options } },
  );
  await kit.drain("leads", { commitRows: 2 }); // tiny ranges: many commit statements
  const [job] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
  assert.equal(job.status, "completed", job.error_message);
  return job;
}

async function seed(kit: Kit) {
  await kit.db.sql`
    insert into public.leads (company_id, external_id, title, email, phone, stage)
    values (${kit.company}, 'E1', 'Ancien 1', 'ancien1@exemple.fr', '+33600000001', 'Nouveau'),
           (${kit.company}, null, 'Ancien 2', 'ancien2@exemple.fr', '+33600000002', 'Gagné')`;
}

const FILE = [
  "E1;Anne;Un;autre1@exemple.fr;;Un SA;", // existing lead by external id
  "N1;Bea;Deux;ANCIEN2@exemple.fr;;Deux SA;", // existing lead by email
  "N2;Cal;Trois;nouveau@exemple.fr;06 00 00 00 09;Trois SA;", // new
  "N3;Dan;Quatre;nouveau@exemple.fr;;Quatre SA;", // duplicate of the previous row (email)
];

Deno.test("duplicate strategies: skip keeps existing leads, update changes them, create adds anyway", async () => {
  const kit = await importKit("imp_strategies");
  try {
    await seed(kit);
    const skip = await importLeads(kit, "skip.csv", FILE, { duplicateStrategy: "skip" });
    assert.deepEqual(
      [skip.valid_rows, skip.duplicate_rows, skip.inserted_rows, skip.updated_rows, skip.skipped_rows],
      [4, 3, 1, 0, 3],
    );
    let titles = await kit.db.sql`select title from public.leads order by id`;
    assert.deepEqual(titles.map((t) => t.title), ["Ancien 1", "Ancien 2", "Trois SA"]);

    await kit.db.sql`delete from public.leads where title = 'Trois SA'`;
    const update = await importLeads(kit, "update.csv", FILE, { duplicateStrategy: "update" });
    assert.deepEqual([update.inserted_rows, update.updated_rows, update.skipped_rows], [1, 2, 1]);
    titles = await kit.db.sql`select title, email, stage from public.leads order by id`;
    assert.deepEqual(titles.map((t) => [t.title, t.email, t.stage]), [
      ["Un SA", "autre1@exemple.fr", "Nouveau"], // the file's values; what it leaves blank stays
      ["Deux SA", "ancien2@exemple.fr", "Gagné"],
      ["Trois SA", "nouveau@exemple.fr", null],
    ]);
    const history = await kit.db.sql`
      select action, before ->> 'title' as before from public.lead_history where import_job_id = ${update.id}
       order by lead_id`;
    assert.deepEqual(history.map((h) => [h.action, h.before]), [
      ["update", "Ancien 1"],
      ["update", "Ancien 2"],
      ["insert", null],
    ]);

    const create = await importLeads(kit, "create.csv", FILE, { duplicateStrategy: "create" });
    assert.deepEqual([create.inserted_rows, create.updated_rows, create.skipped_rows], [4, 0, 0]);
    const [{ n }] = await kit.db
      .sql`select count(*)::int as n from public.leads where import_job_id = ${create.id}`;
    assert.equal(n, 4);
    const [e1] = await kit.db.sql`
      select count(*)::int as n from public.leads where external_id = 'E1'`;
    assert.equal(e1.n, 1, "external ids stay unique: the copy goes in without it");
  } finally {
    await kit.close();
  }
});

Deno.test("assignment modes: single, round robin and by column", async () => {
  const kit = await importKit("imp_assign");
  try {
    const rows = [
      "A1;A;A;a1@exemple.fr;;A;membre@exemple.fr",
      "A2;B;B;a2@exemple.fr;;B;inconnu@exemple.fr",
      "A3;C;C;a3@exemple.fr;;C;",
    ];
    const single = await importLeads(kit, "s.csv", rows, {
      assignment: { mode: "single", userId: kit.member },
    });
    const rr = await importLeads(kit, "r.csv", rows.map((r) => r.replace(/^A/, "R").replace("@", "r@")), {
      assignment: { mode: "round_robin", userIds: [kit.member, kit.other] },
    });
    const col = await importLeads(kit, "c.csv", rows.map((r) => r.replace(/^A/, "C").replace("@", "c@")), {
      assignment: { mode: "by_column", column: "Commercial" },
    });
    const of = async (id: string) =>
      (await kit.db
        .sql`select assigned_to from public.leads where import_job_id = ${id} order by external_id`)
        .map((r) => r.assigned_to);
    assert.deepEqual(await of(single.id), [kit.member, kit.member, kit.member]);
    const r = await of(rr.id);
    assert.deepEqual(new Set(r), new Set([kit.member, kit.other]));
    assert.notEqual(r[0], r[1]);
    assert.deepEqual(await of(col.id), [kit.member, null, null]);
  } finally {
    await kit.close();
  }
});

Deno.test("undo restores the leads as they were, but for a lead edited since, which it reports", async () => {
  const kit = await importKit("imp_undo");
  try {
    await seed(kit);
    const before = await kit.db.sql`select * from public.leads order by id`;
    const job = await importLeads(kit, "undo.csv", FILE, { duplicateStrategy: "update" });
    // Someone edits the lead created from row 4 (file row 2 is the header).
    await kit.db.sql`update public.leads set stage = 'Qualifié' where external_id = 'N2'`;
    const [edited] = await kit.db.sql`select id from public.leads where external_id = 'N2'`;

    const other = await undoImport({ sql: kit.db.sql, store: kit.store, kind: "leads" }, {
      kind: "user",
      userId: kit.other,
    }, job.id).catch((e) => e.code);
    assert.equal(other, "not_found");

    const r = await undoImport({ sql: kit.db.sql, store: kit.store, kind: "leads" }, {
      kind: "user",
      userId: kit.admin,
    }, job.id);
    assert.equal(r.restored, 2);
    assert.equal(r.deleted, 0);
    assert.deepEqual(r.refused, [{ leadId: Number(edited.id), row: 4 }]);
    const after = await kit.db
      .sql`select * from public.leads where external_id is distinct from 'N2' order by id`;
    assert.deepEqual(after, before, "the two updated leads are exactly as before");
    const [j] = await kit.db.sql`select status, undone_at from public.import_jobs where id = ${job.id}`;
    assert.equal(j.status, "completed");
    assert.ok(j.undone_at);
    const actions = await kit.db.sql`
      select action, count(*)::int as n from public.lead_history where source = 'import_undo' group by 1`;
    assert.deepEqual(actions.map((a) => [a.action, a.n]), [["restore", 2]]);
  } finally {
    await kit.close();
  }
});

Deno.test("activities are linked to their lead by external id or email; unknown leads are reported", async () => {
  const kit = await importKit("imp_activities");
  try {
    await seed(kit);
    const path = await kit.put(
      "act.csv",
      csv([
        "Référence lead;Email du lead;Type;Résumé;Échéance;Assigné à",
        "E1;;Appel;Rappeler;15/03/2025;membre@exemple.fr",
        ";ANCIEN2@exemple.fr;Réunion;Démo;;",
        "INCONNU;;Tâche;Relancer;;",
      ]),
      kit.member,
    );
    const { jobId } = await startImport(
      {
        sql: kit.db.sql,
        store: kit.store,
        kind: "activities",
        functionName: "batch-import-activities",
        chain: false,
      },
      { kind: "user", userId: kit.member },
      { companyId: kit.company, path, options: { assignment: { mode: "by_column" } } },
    );
    await kit.drain("activities");
    const [job] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
    assert.equal(job.status, "completed", job.error_message);
    assert.deepEqual([job.committed_rows, job.invalid_rows], [2, 1]);
    const acts = await kit.db.sql`
      select l.title, a.activity_type, a.type_label, a.summary, a.due_date::text, a.assigned_to
        from public.activities a join public.leads l on l.id = a.lead_id order by a.id`;
    assert.deepEqual(
      acts.map((a) => [a.title, a.activity_type, a.type_label, a.summary, a.due_date, a.assigned_to]),
      [
        ["Ancien 1", "call", "Appel", "Rappeler", "2025-03-15", kit.member],
        ["Ancien 2", "meeting", "Réunion", "Démo", null, null],
      ],
    );
    const report = new TextDecoder().decode(
      new Uint8Array(await new Response(await kit.store.get(job.error_report_path)).arrayBuffer()),
    );
    assert.match(
      report,
      /\r\n4;[^;]*;Lead introuvable : aucun lead de la société n'a la référence « INCONNU »;INCONNU;;Tâche;Relancer/,
      "row 4 (the unknown lead) is in the error report, with its reason",
    );
  } finally {
    await kit.close();
  }
});

Deno.test("undo names the row of every lead edited since, across ranges and duplicates created", async () => {
  const kit = await importKit("imp_undo_rows");
  try {
    await seed(kit);
    // Under `create`, every row becomes a lead, the duplicates among them (rows 2, 3 and 5).
    const job = await importLeads(kit, "rows.csv", [...FILE, "N4;Eve;Cinq;cinq@exemple.fr;;Cinq SA;"], {
      duplicateStrategy: "create",
    });
    assert.deepEqual([job.inserted_rows, job.updated_rows, job.skipped_rows], [5, 0, 0]);
    // Edited since: the leads of rows 3 (a duplicate of an existing lead) and 5 (of an earlier row).
    const edit = await kit.db.sql<{ id: string }[]>`
      select id from public.leads where import_job_id = ${job.id} and import_row in (3, 5) order by import_row`;
    assert.equal(edit.length, 2);
    await kit.db.sql`update public.leads set stage = 'Perdu' where id in ${
      kit.db.sql(edit.map((l) => l.id))
    }`;
    // And deleted since: the lead of row 6.
    const [gone] = await kit.db.sql<{ id: string }[]>`
      delete from public.leads where import_job_id = ${job.id} and import_row = 6 returning id`;
    const r = await undoImport({ sql: kit.db.sql, store: kit.store, kind: "leads" }, {
      kind: "user",
      userId: kit.admin,
    }, job.id);
    assert.equal(r.deleted, 2);
    assert.deepEqual(r.refused, [
      { leadId: Number(edit[0].id), row: 3 },
      { leadId: Number(edit[1].id), row: 5 },
      { leadId: Number(gone.id), row: 6 },
    ]);
  } finally {
    await kit.close();
  }
});

Deno.test("two calls committing one job at once (a call presumed dead and its successor) write each lead once", async () => {
  const kit = await importKit("imp_commit_twice");
  try {
    const lines = Array.from(
      { length: 41 },
      (_, i) => `X${i};Prénom${i};Nom${i};p${i}@exemple.fr;;Société ${i};`,
    );
    const path = await kit.put("twice.csv", csv([HEADER, ...lines]));
    const { jobId } = await startImport(
      { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
      { kind: "user", userId: kit.admin },
      { companyId: kit.company, path, options: { autoCommit: false } },
    );
    await kit.drain("leads");
    await commitImport({ sql: kit.db.sql, store: kit.store, kind: "leads" }, {
      kind: "user",
      userId: kit.admin,
    }, jobId);
    const [job] = await kit.db.sql<ImportJob[]>`select * from public.import_jobs where id = ${jobId}`;
    // Both see the same job and cut the same ranges, each with its own connections.
    const other = kit.db.connect(3);
    const budget = () =>
      startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });
    await Promise.all([
      commitStep({ sql: kit.db.sql, store: kit.store, commitRows: 4, parallel: 3 }, job, budget()),
      commitStep({ sql: other, store: kit.store, commitRows: 4, parallel: 2 }, job, budget()),
    ]);
    const [done] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
    assert.equal(done.status, "completed");
    assert.deepEqual([done.inserted_rows, done.committed_rows, done.checkpoint.commitRow], [41, 41, 43]);
    const [{ n, rows }] = await kit.db.sql`
      select count(*)::int as n, count(distinct import_row)::int as rows from public.leads
       where import_job_id = ${jobId}`;
    assert.deepEqual([n, rows], [41, 41]);
    const history = await kit.db
      .sql`select count(*)::int as n from public.lead_history where import_job_id = ${jobId}`;
    assert.equal(history[0].n, 41);
  } finally {
    await kit.close();
  }
});
