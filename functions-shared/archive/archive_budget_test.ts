/**
 * A call stops at a checkpoint rather than past its budget (issue #12: an
 * archive call ran 68 s of a 50 s budget): a read group starts only if the
 * budget still allows one as costly as the costliest so far; the files it
 * cannot start are given back, pending, their attempt not counted. The clock
 * is the test's: each Odoo read takes 10 s of it, so nothing here is a timing.
 */
import assert from "node:assert/strict";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { startBudget } from "../engine/budget.ts";
import { localStore } from "../storage/local_store.ts";
import { archiveFiles, type ArchiveOdoo, sha1Hex } from "./archive_step.ts";

// One lane: the reads in the test's order; three (the default): in the order the local store's writes end.
for (const lanes of [1, 3]) {
  Deno.test(`archive, ${lanes} read lane(s): a read group that would pass the budget is not started; its files stay pending`, async () => {
    const db = await createTestDatabase("archive_budget");
    const dir = await Deno.makeTempDir({ prefix: "archive-budget-" });
    try {
      const bytes = (id: number) => new TextEncoder().encode(`file ${id} `.repeat(50));
      const [{ company }] = await db
        .sql`insert into public.companies (name) values ('Acme') returning id as company`;
      const [{ lead }] = await db.sql`
      insert into public.leads (company_id, title, source_email_id, odoo_id)
      values (${company}, 'Lead', 'odoo_crm_1', 1) returning id as lead`;
      for (let id = 1; id <= 10; id++) {
        await db.sql`insert into public.lead_files (lead_id, odoo_id, name, mimetype, checksum, file_size)
                   values (${lead}, ${id}, ${`f${id}.txt`}, 'text/plain', ${sha1Hex(bytes(id))}, ${
          bytes(id).length
        })`;
      }
      let clock = 0;
      const odoo = {
        read: (_model: string, ids: number[]) => {
          clock += 10_000; // Odoo takes 10 s per read
          return Promise.resolve(ids.map((id) => ({ id, datas: btoa(String.fromCharCode(...bytes(id))) })));
        },
        searchRead: () => Promise.resolve([]),
        searchCount: () => Promise.resolve(0),
        readBinary: () => Promise.reject(new Error("no big file here")),
      } as unknown as ArchiveOdoo;
      const step = archiveFiles({
        odoo,
        store: localStore({ dir, bucket: "estimation-files" }),
        // One file per read group, so that each group is one 10 s read.
        options: { discover: false, maxReadBytes: 600, batchSize: 50, readLanes: lanes },
      });
      const budget = startBudget({ wallMs: 50_000, cpuMs: 1_000_000 }, { now: () => clock, cpu: () => 0 });
      clock += 5_000; // the call already spent 5 s
      const r = await step({ sql: db.sql, budget });
      assert.ok(
        clock <= 50_000,
        `the call stopped within its budget (at ${clock / 1000} s of the test's clock)`,
      );
      const [s] = await db.sql`
      select count(*) filter (where status = 'done')::int as done,
             count(*) filter (where status = 'pending' and attempts = 0)::int as pending
        from public.lead_files`;
      assert.equal(r.more, true);
      assert.equal(s.done + s.pending, 10, "every file done or given back, its attempt not counted");
      assert.equal(r.migrated, s.done);
      if (lanes === 1) {
        // The test's clock charges a read when it starts: the first group ends at 15 s, its cost (10 s) is
        // the costliest; the second, third and fourth start while 10 s remain (ending at 25, 35, 45 s); the
        // fifth would end past 55 s and is given back.
        assert.deepEqual({ ...s }, { done: 4, pending: 6 }, "4 groups fit in 45 s");
      } else {
        // Three lanes start at once (5 → 35 s on the test's clock, 10 s a read); once one ends, the costliest
        // is 30 s and nothing more starts.
        assert.ok(s.done >= 3, `${s.done} done`);
      }
    } finally {
      await db.drop();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
