import assert from "node:assert/strict";
import { importKit, type Kit } from "../../../scripts/testing/import_kit.ts";
import { startImport } from "./start_import.ts";
import { commitImport, jobStatus } from "./manage_import.ts";

const csv = (lines: string[]) => new TextEncoder().encode(lines.join("\r\n") + "\r\n");
const HEADER = "Identifiant externe;Prénom;Nom;Courriel;Téléphone;Société";

/** Starts an import of `lines` for review (parsed, not committed); returns its id. */
async function parsed(kit: Kit, name: string, lines: string[], options: Record<string, unknown> = {}) {
  const path = await kit.put(name, csv([HEADER, ...lines]));
  const { jobId } = await startImport(
    { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
    { kind: "user", userId: kit.admin },
    { companyId: kit.company, path, options: { force: true, autoCommit: false, ...options } },
  );
  await kit.drain("leads");
  return jobId;
}

/** Commits a parsed job to its end; the job row. */
async function committed(kit: Kit, jobId: string) {
  await commitImport({ sql: kit.db.sql, store: kit.store, kind: "leads" }, { kind: "service" }, jobId);
  await kit.drain("leads", { commitRows: 2 });
  const [job] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
  return job;
}

/** The report's lines by row number (the message column). */
async function reported(kit: Kit, path: string): Promise<Map<number, string>> {
  const text = new TextDecoder().decode(
    new Uint8Array(await new Response(await kit.store.get(path)).arrayBuffer()),
  );
  const said = new Map<number, string>();
  for (const line of text.split("\r\n").slice(1)) {
    const m = /^(\d+);[^;]*;(.*)$/.exec(line);
    if (m) said.set(Number(m[1]), (said.get(Number(m[1])) ?? "") + m[2]);
  }
  return said;
}

Deno.test("a phone alone matches only rows and leads without an e-mail; e-mail and external id identify a person", async () => {
  const kit = await importKit("imp_match");
  try {
    const [{ id: standard }] = await kit.db.sql`
      insert into public.leads (company_id, title, phone) values (${kit.company}, 'Standard', '+33140000000')
      returning id`;
    const jobId = await parsed(kit, "phones.csv", [
      ";Anne;Un;anne@exemple.fr;01 40 00 00 00;Un SA", // her own address: not the switchboard's lead
      ";Bea;Deux;bea@exemple.fr;01 40 00 00 00;Un SA", // a colleague on the same switchboard
      ";;;;01 40 00 00 00;Accueil", // no e-mail, the phone alone: the existing lead
      ";Cal;Trois;cal@exemple.fr;06 00 00 00 01;Trois SA",
      ";Cal;Trois;CAL@exemple.fr;06 99 99 99 99;Trois SA", // the same person: same address
    ]);
    const rows = await kit.db.sql`
      select row_number, status, dedup_key, dedup_on, target_id, target_row from public.import_rows
       where job_id = ${jobId} order by row_number`;
    assert.deepEqual(rows.map((r) => [r.row_number, r.status, r.dedup_key, r.dedup_on, r.target_row]), [
      [2, "valid", null, null, null],
      [3, "valid", null, null, null],
      [4, "duplicate", "existing", "phone", null],
      [5, "valid", null, null, null],
      [6, "duplicate", "file", "email", 5],
    ]);
    assert.equal(String(rows[2].target_id), String(standard));
    const job = await committed(kit, jobId);
    assert.deepEqual([job.inserted_rows, job.skipped_rows], [3, 2]);
    const said = await reported(kit, job.error_report_path);
    assert.match(
      said.get(4)!,
      new RegExp(`Doublon du lead existant n° ${standard} \\(même téléphone, sans courriel`),
    );
    assert.match(said.get(6)!, /Doublon de la ligne 5 \(même courriel « cal@exemple.fr »\) : ignorée/);
  } finally {
    await kit.close();
  }
});

Deno.test("a row naming an existing lead is its duplicate even when an earlier row names it too; update writes it once", async () => {
  const kit = await importKit("imp_existing_label");
  try {
    const [{ id: lead }] = await kit.db.sql`
      insert into public.leads (company_id, title, email) values (${kit.company}, 'Ancien', 'dup@exemple.fr')
      returning id`;
    const jobId = await parsed(kit, "labels.csv", [
      "N1;Anne;Un;dup@exemple.fr;;Premier SA",
      "N2;Anne;Un;DUP@exemple.fr;;Second SA",
    ], { duplicateStrategy: "update" });
    const rows = await kit.db.sql`
      select row_number, dedup_key, target_id, target_row from public.import_rows
       where job_id = ${jobId} order by row_number`;
    assert.deepEqual(
      rows.map((r) => [r.row_number, r.dedup_key, String(r.target_id), r.target_row]),
      [[2, "existing", String(lead), null], [3, "existing", String(lead), 2]],
    );
    const job = await committed(kit, jobId);
    assert.deepEqual([job.inserted_rows, job.updated_rows, job.skipped_rows], [0, 1, 1]);
    const [l] = await kit.db.sql`select company_name from public.leads where id = ${lead}`;
    assert.equal(l.company_name, "Premier SA", "updated by the first row naming it");
    const said = await reported(kit, job.error_report_path);
    assert.match(
      said.get(2)!,
      /Doublon du lead existant n° \d+ \(même courriel « dup@exemple.fr »\) : le lead est mis à jour/,
    );
    assert.match(
      said.get(3)!,
      /, comme la ligne 2 : ignorée, le lead étant mis à jour par la ligne plus haut/,
    );
  } finally {
    await kit.close();
  }
});

Deno.test("a lead created between the parse and the commit makes its row a duplicate, and the import completes", async () => {
  const kit = await importKit("imp_recheck");
  try {
    const lines = [
      "X1;Anne;Un;anne@exemple.fr;;Un SA",
      "X2;Bea;Deux;bea@exemple.fr;;Deux SA",
      "X3;Cal;Trois;cal@exemple.fr;;Trois SA",
      "X4;Dan;Quatre;dan@exemple.fr;;Quatre SA",
    ];
    for (const strategy of ["skip", "update"] as const) {
      const jobId = await parsed(kit, `recheck-${strategy}.csv`, lines, { duplicateStrategy: strategy });
      assert.equal(
        (await jobStatus({ sql: kit.db.sql, store: kit.store, kind: "leads" }, { kind: "service" }, jobId))
          .status,
        "ready",
      );
      // Meanwhile, someone creates a lead with row 4's external id, another with row 5's e-mail.
      const made = await kit.db.sql`
        insert into public.leads (company_id, external_id, title, email)
        values (${kit.company}, 'X3', 'Créé entre-temps', null), (${kit.company}, null, 'Aussi', 'dan@exemple.fr')
        returning id`;
      const job = await committed(kit, jobId);
      assert.equal(job.status, "completed", job.error_message);
      assert.deepEqual(
        [job.inserted_rows, job.updated_rows, job.skipped_rows, job.duplicate_rows],
        strategy === "skip" ? [2, 0, 2, 2] : [2, 2, 0, 2],
      );
      const [{ n }] = await kit.db.sql`select count(*)::int as n from public.leads where external_id = 'X3'`;
      assert.equal(n, 1);
      const titles = await kit.db.sql`select title from public.leads where id in ${
        kit.db.sql(made.map((m) => m.id))
      }
                                       order by id`;
      assert.deepEqual(
        titles.map((t) => t.title),
        strategy === "skip" ? ["Créé entre-temps", "Aussi"] : ["Trois SA", "Quatre SA"],
      );
      const said = await reported(kit, job.error_report_path);
      assert.match(
        said.get(4)!,
        new RegExp(`Doublon du lead existant n° ${made[0].id} \\(même identifiant externe`),
      );
      assert.match(said.get(5)!, new RegExp(`Doublon du lead existant n° ${made[1].id} \\(même courriel`));
      await kit.db.sql`delete from public.leads`;
    }
  } finally {
    await kit.close();
  }
});

Deno.test("an assignee whose account is deleted between start and commit leaves the rows unassigned instead of failing the commit", async () => {
  const kit = await importKit("imp_assign_missing");
  try {
    // The start checks the assignee is a member (start_import_test.ts); the account can still go before
    // the commit: its rows are then left unassigned rather than failing on leads_assigned_to_fkey.
    const gone = "00000000-0000-4000-8000-000000000000";
    await kit.db.sql`insert into auth.users (id, email) values (${gone}, 'parti@exemple.fr')`;
    await kit.db.sql`select passerelle.add_member(${kit.company}, ${gone}, 'member')`;
    const jobId = await parsed(kit, "assign.csv", ["A1;Anne;Un;anne@exemple.fr;;Un SA"], {
      assignment: { mode: "single", userId: gone },
    });
    await kit.db.sql`delete from auth.users where id = ${gone}`;
    const job = await committed(kit, jobId);
    assert.equal(job.status, "completed", job.error_message);
    const [l] = await kit.db.sql`select assigned_to from public.leads where import_job_id = ${jobId}`;
    assert.equal(l.assigned_to, null);
  } finally {
    await kit.close();
  }
});
