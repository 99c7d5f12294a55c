import assert from "node:assert/strict";
import { generateLeadCsv } from "../testdata/lead_csv.ts";
import { startBudget } from "../../engine/budget.ts";
import { processCpuMs } from "../../engine/usage.ts";
import { advanceImports } from "./advance_imports.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";
import { deleteImport, undoImport } from "./manage_import.ts";
import { startImport } from "./start_import.ts";

Deno.test("a reviewed commit cancelled stops at the next range and keeps what is committed; retry goes on; delete refuses while leads are left, and undoes first when asked", async () => {
  const kit = await importKit("imp_manage");
  try {
    const h = kit.handler("leads");
    const admin = await kit.token(kit.admin);
    const path = await kit.put(
      "big.csv",
      new Uint8Array(await new Response(generateLeadCsv({ rows: 6_000 })).arrayBuffer()),
    );
    const start = await kit.call(h, admin, {
      action: "start",
      companyId: kit.company,
      file: { path },
      options: { locale: "en", autoCommit: false },
    });
    assert.equal(start.status, 202);
    const { jobId } = await start.json();

    // Parse, review, then commit one range; a cancel arrives while a call holds the job.
    const deps = {
      sql: kit.db.sql,
      store: kit.store,
      kind: "leads" as const,
      flushRows: 1_000,
      commitRows: 1_000,
    };
    await kit.drain("leads", deps);
    assert.equal((await (await kit.call(h, admin, { action: "commit", jobId })).json()).status, "committing");
    let asked = false;
    await advanceImports({
      ...deps,
      afterRange: async () => {
        if (asked) return;
        asked = true;
        const r = await kit.call(h, admin, { action: "cancel", jobId });
        assert.equal(
          (await r.json()).status,
          "committing",
          "the call holding the job stops it at its checkpoint",
        );
      },
    }, startBudget({ wallMs: 60_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs }));
    await kit.drain("leads", deps);
    let status = await (await kit.call(h, admin, { action: "status", jobId })).json();
    assert.equal(status.status, "cancelled");
    assert.ok(
      status.counts.committed > 0 && status.counts.committed < status.counts.valid,
      JSON.stringify(status.counts),
    );
    assert.match(
      status.errorMessage,
      new RegExp(`${status.counts.committed} row\\(s\\) already committed are kept`),
    );
    const [{ n }] = await kit.db
      .sql`select count(*)::int as n from public.leads where import_job_id = ${jobId}`;
    assert.equal(n, status.counts.inserted);

    const retry = await (await kit.call(h, admin, { action: "retry", jobId })).json();
    assert.equal(retry.status, "committing");
    await kit.drain("leads", deps);
    status = await (await kit.call(h, admin, { action: "status", jobId })).json();
    assert.equal(status.status, "completed");
    assert.equal(status.counts.committed, status.counts.valid - status.counts.duplicate);

    // Its leads are still there: a delete is refused, saying to undo first, unless asked to undo.
    const refused = await kit.call(h, admin, { action: "delete", jobId });
    assert.equal(refused.status, 409);
    assert.match(
      (await refused.json()).message,
      /(undo it first|défaites-le d'abord) \(\{"action": "undo"\}\)/,
    );
    const del = await (await kit.call(h, admin, { action: "delete", jobId, undo: true })).json();
    assert.equal(del.deleted, true, JSON.stringify(del));
    assert.equal(del.undo.deleted, status.counts.inserted);
    const [{ left }] = await kit.db
      .sql`select count(*)::int as left from public.leads where import_job_id = ${jobId}`;
    assert.equal(left, 0, "the leads went with the undo");
    assert.equal(await kit.store.exists(path), false);
    const [{ rows }] = await kit.db
      .sql`select count(*)::int as rows from public.import_rows where job_id = ${jobId}`;
    assert.equal(rows, 0);
    assert.equal((await kit.call(h, admin, { action: "status", jobId })).status, 404);
  } finally {
    await kit.close();
  }
});

/** Starts a leads import of `bytes` and runs it to its end (or to `until`); returns the job id. */
async function runImport(
  kit: Awaited<ReturnType<typeof importKit>>,
  name: string,
  bytes: Uint8Array,
  options: Record<string, unknown> = {},
  extra: Parameters<Awaited<ReturnType<typeof importKit>>["drain"]>[1] = {},
) {
  const path = await kit.put(name, bytes);
  const { jobId } = await startImport(
    { sql: kit.db.sql, store: kit.store, kind: "leads", functionName: "import-leads", chain: false },
    { kind: "user", userId: kit.admin },
    { companyId: kit.company, path, options: { force: true, ...options } },
  );
  await kit.drain("leads", extra);
  return jobId;
}

const csvBytes = async (rows: number, seed = 1) =>
  new Uint8Array(await new Response(generateLeadCsv({ rows, seed })).arrayBuffer());

Deno.test("undo of 100,000 leads right after their commit runs in bounded ranges over budgeted calls", async () => {
  const kit = await importKit("imp_undo_100k");
  try {
    const jobId = await runImport(kit, "100k.csv", await csvBytes(100_000));
    const [job] = await kit.db.sql`select status, inserted_rows from public.import_jobs where id = ${jobId}`;
    assert.equal(job.status, "completed");
    assert.ok(job.inserted_rows > 95_000, String(job.inserted_rows));
    // Right after the commit: no ANALYZE, statistics as the commit left them.
    const m = { sql: kit.db.sql, store: kit.store, kind: "leads" as const };
    const ranges: number[] = [];
    let calls = 0, r: Record<string, unknown>;
    do {
      calls++;
      const t0 = performance.now();
      r = await undoImport(
        { ...m, undoWallMs: 1_500, afterUndoRange: (_r, ms) => void ranges.push(Math.round(ms)) },
        { kind: "user", userId: kit.admin },
        jobId,
      );
      console.log(
        `undo call ${calls}: ${Math.round(performance.now() - t0)} ms, ${r.deleted} deleted so far`,
      );
      assert.ok(calls < 200, "the undo ends");
    } while (r.status !== "undone");
    console.log(`undo ranges of 5,000 leads, wall ms each: ${ranges.join(", ")}`);
    assert.ok(calls > 1, "the undo spans several calls");
    assert.equal(ranges.length, Math.ceil(job.inserted_rows / 5_000) + (job.inserted_rows % 5_000 ? 0 : 1));
    assert.deepEqual([r.deleted, r.restored, r.refusedCount, r.refused], [job.inserted_rows, 0, 0, []]);
    const [{ n }] = await kit.db
      .sql`select count(*)::int as n from public.leads where import_job_id = ${jobId}`;
    assert.equal(n, 0, "every lead gone");
    const [j] = await kit.db
      .sql`select undone_at, payload -> 'undo' ->> 'deleted' as d from public.import_jobs
                                  where id = ${jobId}`;
    assert.ok(j.undone_at);
    assert.equal(Number(j.d), job.inserted_rows);
  } finally {
    await kit.close();
  }
});

Deno.test("three undos at once share the work and give one report with the right counts", async () => {
  const kit = await importKit("imp_undo_concurrent");
  try {
    const jobId = await runImport(kit, "12k.csv", await csvBytes(12_000, 5));
    const [job] = await kit.db.sql`select inserted_rows from public.import_jobs where id = ${jobId}`;
    const m = { sql: kit.db.sql, store: kit.store, kind: "leads" as const, undoRangeLeads: 1_000 };
    const who = { kind: "user" as const, userId: kit.admin };
    const answers = await Promise.all([1, 2, 3].map(() => undoImport(m, who, jobId)));
    for (const a of answers) {
      assert.equal(a.status, "undone");
      assert.deepEqual(
        [a.deleted, a.restored, a.refusedCount, a.activitiesDeleted],
        [job.inserted_rows, 0, 0, 0],
        JSON.stringify(a),
      );
    }
    const [{ n, deletes }] = await kit.db.sql`
      select (select count(*)::int from public.leads where import_job_id = ${jobId}) as n,
             (select count(*)::int from public.lead_history where import_job_id = ${jobId} and action = 'delete')
               as deletes`;
    assert.deepEqual([n, deletes], [0, job.inserted_rows], "each lead deleted once");
    // Asked again later: the same report.
    const again = await undoImport(m, who, jobId);
    assert.equal(again.deleted, job.inserted_rows);
  } finally {
    await kit.close();
  }
});

Deno.test("an import committed when parsed and cancelled midway is undone at once: the leads exactly as before it", async () => {
  const kit = await importKit("imp_undo_cancelled");
  try {
    const h = kit.handler("leads");
    const admin = await kit.token(kit.admin);
    // Leads the import will update (same external ids as its first rows) and leads it does not touch.
    await kit.db.sql`
      insert into public.leads (company_id, external_id, title, email, stage, tags, extra_fields)
      select ${kit.company}, 'EXT-' || i, 'Existant ' || i, 'existant' || i || '@exemple.fr', 'Nouveau',
             '{ancien}', '{"Note": "avant"}'
        from generate_series(1, 400) i`;
    const before = await kit.db.sql`select to_jsonb(l.*) as l from public.leads l order by id`;
    let ranges = 0, jobId = "";
    jobId = await runImport(kit, "cancel.csv", await csvBytes(6_000, 9), { duplicateStrategy: "update" }, {
      flushRows: 1_000,
      commitRows: 1_000,
      afterRange: async () => {
        if (++ranges !== 2) return;
        await kit.call(h, admin, { action: "cancel", jobId: jobId || (await lastJob(kit)) });
      },
    });
    const status = await (await kit.call(h, admin, { action: "status", jobId })).json();
    assert.equal(status.status, "cancelled");
    assert.ok(status.counts.inserted > 0 && status.counts.updated > 0, JSON.stringify(status.counts));
    assert.match(status.errorMessage, /ligne\(s\) déjà enregistrée\(s\) sont retirée\(s\)/);

    // Nobody asked for the undo: the cancel started it, and the function's calls ran it.
    const undo = await (await kit.call(h, admin, { action: "undo", jobId })).json();
    assert.equal(undo.status, "undone", JSON.stringify(undo));
    assert.deepEqual([undo.deleted, undo.restored, undo.refusedCount], [
      status.counts.inserted,
      status.counts.updated,
      0,
    ]);
    const after = await kit.db.sql`select to_jsonb(l.*) as l from public.leads l order by id`;
    assert.deepEqual(after.map((r) => r.l), before.map((r) => r.l), "the leads exactly as before the import");

    const retry = await kit.call(h, admin, { action: "retry", jobId });
    assert.equal(retry.status, 409, "an undone job is not taken up again");
    const del = await (await kit.call(h, admin, { action: "delete", jobId })).json();
    assert.equal(del.deleted, true);
  } finally {
    await kit.close();
  }
});

/** The id of the latest job (for a hook that runs before the start returned it). */
async function lastJob(kit: Awaited<ReturnType<typeof importKit>>): Promise<string> {
  const [j] = await kit.db.sql`select id from public.import_jobs order by created_at desc limit 1`;
  return j.id;
}

Deno.test("an undo a call leaves unfinished goes on in the function's next calls, and a delete waiting for it follows", async () => {
  const kit = await importKit("imp_undo_continued");
  try {
    const jobId = await runImport(kit, "8k.csv", await csvBytes(8_000, 3));
    const [job] = await kit.db.sql`select inserted_rows from public.import_jobs where id = ${jobId}`;
    const m = {
      sql: kit.db.sql,
      store: kit.store,
      kind: "leads" as const,
      undoRangeLeads: 1_000,
      undoWallMs: 1,
    };
    const who = { kind: "user" as const, userId: kit.admin };
    const first = await deleteImport(m, who, jobId, { undo: true });
    assert.deepEqual([first.deleted, (first.undo as Record<string, unknown>).status], [false, "undoing"]);
    const [{ n: active }] = await kit.db.sql`select count(*)::int as n from public.import_jobs
                                              where payload -> 'undo' ->> 'state' = 'running'`;
    assert.equal(active, 1, "the undo under way is work left for the function");
    // The function's next call (cron or chain) goes on with it, range by range, then deletes the job.
    await advanceImports(
      { sql: kit.db.sql, store: kit.store, kind: "leads", undoRangeLeads: 1_000 },
      startBudget({ wallMs: 60_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs }),
    );
    const [{ leads, jobs }] = await kit.db.sql`
      select (select count(*)::int from public.leads) as leads,
             (select count(*)::int from public.import_jobs where id = ${jobId}) as jobs`;
    assert.deepEqual([leads, jobs], [0, 0], `${job.inserted_rows} leads undone, then the job deleted`);
  } finally {
    await kit.close();
  }
});
