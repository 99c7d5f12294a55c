import assert from "node:assert/strict";
import { generateLeadCsv } from "../testdata/lead_csv.ts";
import { startBudget } from "../../engine/budget.ts";
import { processCpuMs } from "../../engine/usage.ts";
import { advanceImports } from "./advance_imports.ts";
import { importKit } from "../../../scripts/testing/import_kit.ts";

Deno.test("cancel stops at the next checkpoint and keeps what is committed; retry goes on; delete removes all", async () => {
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
      options: { locale: "en" },
    });
    assert.equal(start.status, 202);
    const { jobId } = await start.json();

    // Parse, then commit one range; a cancel arrives while a call holds the job.
    const deps = {
      sql: kit.db.sql,
      store: kit.store,
      kind: "leads" as const,
      flushRows: 1_000,
      commitRows: 1_000,
    };
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

    const del = await (await kit.call(h, admin, { action: "delete", jobId })).json();
    assert.equal(del.deleted, true);
    assert.equal(await kit.store.exists(path), false);
    const [{ rows }] = await kit.db
      .sql`select count(*)::int as rows from public.import_rows where job_id = ${jobId}`;
    assert.equal(rows, 0);
    assert.equal((await kit.call(h, admin, { action: "status", jobId })).status, 404);
  } finally {
    await kit.close();
  }
});
