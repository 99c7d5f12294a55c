import assert from "node:assert/strict";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { seedCompany, seedLeadFiles, seedLeads } from "../../scripts/testing/seed.ts";
import {
  claimLeadFiles,
  type LeadFile,
  recordLeadFiles,
  remainingLeadFiles,
} from "../archive/lead_file_queue.ts";
import { PasserelleError } from "../errors.ts";
import { type Budget, startBudget } from "./budget.ts";
import { runQueue } from "./run_queue.ts";

function budgetOf(wallMs: number, clock: { t: number }): Budget {
  return startBudget({ wallMs, cpuMs: 1e9 }, { now: () => clock.t, cpu: () => 0 });
}

Deno.test("runQueue() with 4 overlapping calls over 10,000 files claims none twice and loses none", async () => {
  const db = await createTestDatabase("overlap");
  try {
    const company = await seedCompany(db.sql);
    const leads = await seedLeads(db.sql, company, 100);
    await seedLeadFiles(db.sql, leads, 10_000);
    const seen: number[] = [];
    const call = async () => {
      const sql = db.connect(2);
      const clock = { t: 0 };
      return await runQueue<LeadFile, { id: number; storage_path: string; file_url: string }>({
        budget: budgetOf(60_000, clock),
        batchSize: 250,
        claim: (n) => claimLeadFiles(sql, n, 60),
        process: async (items) => {
          seen.push(...items.map((i) => i.id));
          await new Promise((r) => setTimeout(r, 1)); // let the other calls interleave
          return {
            done: items.map((i) => ({ id: i.id, storage_path: `p/${i.id}`, file_url: `u/${i.id}` })),
            failed: [],
          };
        },
        record: (o) => recordLeadFiles(sql, o),
        remaining: () => remainingLeadFiles(sql),
      });
    };
    const results = await Promise.all([call(), call(), call(), call()]);
    assert.equal(seen.length, 10_000, "every file processed exactly once");
    assert.equal(new Set(seen).size, 10_000);
    assert.equal(results.reduce((s, r) => s + r.migrated, 0), 10_000);
    assert.ok(results.every((r) => r.batches > 0), "all four calls took part");
    const [row] = await db.sql`
      select count(*) filter (where status = 'done')::int as done, max(attempts)::int as max_attempts
        from public.lead_files`;
    assert.deepEqual(row, { done: 10_000, max_attempts: 1 });
  } finally {
    await db.drop();
  }
});

Deno.test("runQueue() stops claiming before a batch would overrun the budget, finishing the one in flight", async () => {
  const db = await createTestDatabase("budget");
  try {
    const company = await seedCompany(db.sql);
    await seedLeadFiles(db.sql, await seedLeads(db.sql, company, 10), 1_000);
    const clock = { t: 0 };
    const processed: number[] = [];
    const result = await runQueue<LeadFile, { id: number; storage_path: string; file_url: string }>({
      budget: budgetOf(1_000, clock),
      batchSize: 100,
      claim: (n) => claimLeadFiles(db.sql, n, 60),
      process: (items) => {
        clock.t += 400; // each batch "takes" 400 ms: a third would end at 1,200 ms, past the budget
        processed.push(...items.map((i) => i.id));
        return Promise.resolve({
          done: items.map((i) => ({ id: i.id, storage_path: `p/${i.id}`, file_url: `u/${i.id}` })),
          failed: [],
        });
      },
      record: (o) => recordLeadFiles(db.sql, o),
      remaining: () => remainingLeadFiles(db.sql),
    });
    assert.equal(result.stoppedBy, "wall");
    assert.equal(result.batches, 2, "no batch is started that would end past the budget");
    assert.equal(result.migrated, 200);
    assert.equal(result.remaining, 800);
    const [{ claimed }] = await db
      .sql`select count(*)::int as claimed from public.lead_files where status = 'claimed'`;
    assert.equal(claimed, 0, "nothing is left claimed");
  } finally {
    await db.drop();
  }
});

Deno.test("failed files go back to pending with backoff while retryable, then fail with their reason", async () => {
  const db = await createTestDatabase("retry");
  try {
    const company = await seedCompany(db.sql);
    await seedLeadFiles(db.sql, await seedLeads(db.sql, company, 1), 2);
    await db.sql`update public.lead_files set max_attempts = 2`;
    const fail = async () => {
      const items = await claimLeadFiles(db.sql, 10, 60);
      await recordLeadFiles(db.sql, {
        done: [],
        failed: items.map((i) => ({
          id: i.id,
          error: i.odoo_id === 1
            ? new PasserelleError("odoo_unavailable", "Odoo answered 502", true)
            : new PasserelleError("checksum_mismatch", "sha1 differs from Odoo's checksum", false),
        })),
      });
      return items.length;
    };
    assert.equal(await fail(), 2);
    const after1 = await db.sql`select odoo_id, status, run_after > now() as later, error_code
                                  from public.lead_files order by odoo_id`;
    assert.deepEqual(after1.map((r) => ({ ...r })), [
      { odoo_id: 1, status: "pending", later: true, error_code: "odoo_unavailable" },
      { odoo_id: 2, status: "failed", later: true, error_code: "checksum_mismatch" },
    ]);
    assert.equal(await fail(), 0, "a file in backoff is not claimed before its time");
    await db.sql`update public.lead_files set run_after = now() where status = 'pending'`;
    assert.equal(await fail(), 1);
    const [last] = await db.sql`select status, attempts, last_error from public.lead_files where odoo_id = 1`;
    assert.deepEqual({ ...last }, { status: "failed", attempts: 2, last_error: "Odoo answered 502" });
    const [{ n }] = await db.sql`select passerelle.retry_failed_files() as n`;
    assert.equal(n, 2);
  } finally {
    await db.drop();
  }
});

Deno.test("a claim whose lease ran out is taken again, and attempts bound it", async () => {
  const db = await createTestDatabase("lease");
  try {
    const company = await seedCompany(db.sql);
    await seedLeadFiles(db.sql, await seedLeads(db.sql, company, 1), 1);
    await db.sql`update public.lead_files set max_attempts = 2`;
    const claimAt = (at: string) =>
      db.sql`select id, attempts from passerelle.claim_lead_files(10, '30 seconds', ${at}::timestamptz)`;
    assert.equal((await claimAt("2030-01-01 00:00:00+00")).length, 1);
    assert.equal((await claimAt("2030-01-01 00:00:10+00")).length, 0, "a live lease is respected");
    const again = await claimAt("2030-01-01 00:01:00+00");
    assert.equal(again[0].attempts, 2, "taken again after the lease expired");
    assert.equal((await claimAt("2030-01-01 00:02:00+00")).length, 0);
    const [row] = await db.sql`select status, error_code from public.lead_files`;
    assert.deepEqual({ ...row }, { status: "failed", error_code: "lease_expired" });
  } finally {
    await db.drop();
  }
});
