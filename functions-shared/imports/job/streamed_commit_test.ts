import assert from "node:assert/strict";
import { generateLeadCsv } from "../testdata/lead_csv.ts";
import { importKit, type Kit } from "../../../scripts/testing/import_kit.ts";
import { startImport } from "./start_import.ts";

const csv = async (rows: number, seed: number, tail = "") => {
  const text = await new Response(generateLeadCsv({ rows, seed, duplicateRate: 0.05 })).text();
  return new TextEncoder().encode(text + tail);
};

/** Starts a leads import of `bytes` for `companyId` as the kit's admin. */
async function start(kit: Kit, companyId: number, name: string, bytes: Uint8Array, options = {}) {
  const path = `imports/${companyId}/${kit.admin}/${name}`;
  await kit.store.put(path, bytes, { contentType: "text/csv", upsert: true });
  const { jobId } = await startImport(
    { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
    { kind: "user", userId: kit.admin },
    { companyId, path, options: { force: true, ...options } },
  );
  return jobId;
}

/** What a user sees of a job: its counts, its rows' labels, its leads and their history (ids aside). */
async function outcome(kit: Kit, jobId: string) {
  const sql = kit.db.sql;
  const [job] = await sql`
    select status, total_rows, valid_rows, invalid_rows, warned_rows, duplicate_rows, committed_rows,
           inserted_rows, updated_rows, skipped_rows from public.import_jobs where id = ${jobId}`;
  const rows = await sql`
    select r.row_number, r.status, r.dedup_key, r.dedup_on, r.target_row, l.external_id as target
      from public.import_rows r left join public.leads l on l.id = r.target_id
     where r.job_id = ${jobId} and r.status <> 'valid' order by r.row_number`;
  const leads = await sql`
    select l.import_row, l.external_id, l.title, l.email, l.phone, l.extra_fields, h.action, h.after
      from public.leads l join public.lead_history h on h.lead_id = l.id and h.import_job_id = ${jobId}
     where l.import_job_id = ${jobId} order by l.import_row`;
  return { job: { ...job }, rows: rows.map((r) => ({ ...r })), leads: leads.map((r) => ({ ...r })) };
}

Deno.test("a file committed as it is parsed gives the leads, duplicates and history of a commit after review", async () => {
  const kit = await importKit("imp_streamed_same");
  try {
    const [{ id: other }] = await kit.db.sql<{ id: number }[]>`
      insert into public.companies (name) values ('Seconde') returning id`;
    await kit.db.sql`select passerelle.add_member(${other}, ${kit.admin}, 'admin')`;
    // Leads both companies have already: the file duplicates some by e-mail.
    const bytes = await csv(12_000, 5);
    const emails = [...new TextDecoder().decode(bytes).matchAll(/;([^;@\s]+@exemple\.fr);/g)]
      .map((m) => m[1]).filter((_, i) => i % 37 === 0);
    for (const c of [kit.company, other]) {
      await kit.db.sql`
        insert into public.leads (company_id, external_id, title, email)
        select ${c}, 'OLD-' || i, 'Existant', e from unnest(${emails}::text[]) with ordinality u(e, i)`;
    }
    for (const strategy of ["skip", "create"]) {
      const streamed = await start(kit, kit.company, `${strategy}-a.csv`, bytes, {
        duplicateStrategy: strategy,
      });
      let landedWhileParsing = 0;
      await kit.drain("leads", {
        streamCommit: true,
        flushRows: 1_000,
        commitRows: 2_000,
        afterRange: async () => {
          const [j] = await kit.db.sql`select status from public.import_jobs where id = ${streamed}`;
          if (j.status === "parsing") landedWhileParsing++;
        },
      });
      assert.ok(landedWhileParsing >= 3, `${landedWhileParsing} ranges landed while the file was parsed`);

      const reviewed = await start(kit, other, `${strategy}-b.csv`, bytes, {
        duplicateStrategy: strategy,
        autoCommit: false,
      });
      await kit.drain("leads", { flushRows: 1_000, commitRows: 2_000 });
      await kit.db.sql`update public.import_jobs set status = 'committing', step = 'commit'
                        where id = ${reviewed} and status = 'ready'`;
      await kit.drain("leads", { commitRows: 2_000 });

      const a = await outcome(kit, streamed);
      const b = await outcome(kit, reviewed);
      assert.equal(a.job.status, "completed");
      assert.ok(a.job.duplicate_rows > 100 && a.rows.some((r) => r.dedup_key === "existing"));
      assert.deepEqual(a, b, `the same outcome under ${strategy}`);
    }
  } finally {
    await kit.close();
  }
});

Deno.test("a file failing at its end after ranges landed leaves no lead, and its error names the row", async () => {
  const kit = await importKit("imp_streamed_fail");
  try {
    // 8,000 good rows, then a quote never closed: the file is wrong at its very end.
    const bytes = await csv(8_000, 3, 'EXT-X;Jean;"Dupont;jean@exemple.fr\r\n');
    const jobId = await start(kit, kit.company, "broken.csv", bytes);
    let landed = 0;
    await kit.drain("leads", {
      streamCommit: true,
      flushRows: 1_000,
      commitRows: 1_000,
      afterRange: () => void landed++,
    });
    assert.ok(landed >= 3, `${landed} ranges landed before the end`);
    const [job] = await kit.db.sql`
      select status, error_message, committed_rows, payload -> 'undo' as undo, undone_at
        from public.import_jobs where id = ${jobId}`;
    assert.equal(job.status, "failed");
    assert.match(job.error_message, /^Ligne 8002 : /);
    assert.ok(job.committed_rows > 0 && job.undone_at !== null, JSON.stringify(job));
    assert.equal(job.undo.deleted, job.committed_rows);
    const [{ n, h }] = await kit.db.sql`
      select (select count(*)::int from public.leads) as n,
             (select count(*)::int from public.lead_history where import_job_id = ${jobId}
                                                             and action = 'delete') as h`;
    assert.equal(n, 0, "no lead of the file is left");
    assert.equal(h, job.committed_rows, "each removal is in the leads' history");
  } finally {
    await kit.close();
  }
});
