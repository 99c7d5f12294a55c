import assert from "node:assert/strict";
import { buildCorpus } from "../testdata/corpus.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";
import { startImport } from "./start_import.ts";

Deno.test("every malformed file of the corpus ends with its clear message and commits nothing it should not", async () => {
  const kit = await importKit("imp_corpus");
  try {
    // Activities need leads to link to: the corpus' activity files name these.
    await kit.db.sql`
      insert into public.leads (company_id, external_id, title, email)
      select ${kit.company}, 'LEAD-' || i, 'Lead ' || i, 'lead' || i || '@exemple.fr' from generate_series(1, 20) i`;
    const corpus = buildCorpus();
    assert.ok(corpus.length >= 30);
    const ended = { failed: 0, completed: 0 };
    for (const f of corpus) {
      const kind = f.kind === "lead" ? "leads" as const : "activities" as const;
      const path = await kit.put(`corpus/${f.name}`, f.bytes);
      const { jobId } = await startImport(
        { sql: kit.db.sql, store: kit.store, kind, functionName: kind, chain: false },
        { kind: "user", userId: kit.admin },
        { companyId: kit.company, path, name: f.name, options: { force: true } },
      );
      await kit.drain(kind);
      const [job] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
      const [{ n }] = await kit.db.sql`
        select (select count(*) from public.leads where import_job_id = ${jobId})
             + (select count(*) from public.activities where import_job_id = ${jobId}) as n`;
      if (job.status === "failed") {
        ended.failed++;
        assert.ok(
          job.error_message.includes(f.expect.fragment),
          `${f.name} (${f.about}): "${job.error_message}" lacks "${f.expect.fragment}"`,
        );
        assert.equal(Number(n), 0, `${f.name}: nothing committed`);
      } else {
        // A file whose bad rows sit among good ones: the good rows go in, each bad one is in the report.
        assert.equal(job.status, "completed", `${f.name}: ${job.status} ${job.error_message}`);
        ended.completed++;
        const report = new TextDecoder().decode(
          new Uint8Array(await new Response(await kit.store.get(job.error_report_path)).arrayBuffer()),
        );
        assert.ok(
          report.includes(f.expect.fragment),
          `${f.name} (${f.about}): report lacks "${f.expect.fragment}"`,
        );
        if (f.expect.row) {
          assert.match(report, new RegExp(`\\r\\n${f.expect.row};`), `${f.name}: row ${f.expect.row}`);
        }
        const bad = await kit.db.sql`
          select r.row_number from public.import_rows r where r.job_id = ${jobId} and r.status = 'invalid'
             and r.target_id is not null`;
        assert.equal(bad.length, 0, `${f.name}: no invalid row committed`);
        assert.equal(Number(n), job.committed_rows, `${f.name}: only valid rows committed`);
      }
    }
    assert.ok(ended.failed >= 25, "most files fail as a whole");
  } finally {
    await kit.close();
  }
});
