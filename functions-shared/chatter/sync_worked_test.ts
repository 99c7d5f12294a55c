import assert from "node:assert/strict";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import type { Sql } from "../deps.ts";
import type { StepResult } from "../engine/batch_result.ts";
import { type Budget, startBudget } from "../engine/budget.ts";
import { didWork } from "../engine/serve_batch.ts";
import { processCpuMs } from "../engine/usage.ts";
import { createOdooClient } from "../odoo/client.ts";
import { config } from "../odoo/client_test_kit.ts";
import { reconcileOdoo } from "../reconcile/reconcile_step.ts";
import { localStore } from "../storage/local_store.ts";
import { leadSync } from "../sync/lead_sync.ts";
import { activitySync } from "./activity_sync.ts";
import { messageSync } from "./message_sync.ts";

/** A budget spent after `turns` turns of a step's loop (each turn asks `spent()` once). */
function turns(n: number): Budget {
  const b = startBudget({ wallMs: 50_000, cpuMs: 60_000 }, {
    now: () => performance.now(),
    cpu: processCpuMs,
  });
  let asked = 0;
  return { ...b, spent: () => (asked++ >= n ? "wall" : null) };
}
const plenty = () => turns(1_000);

/** What serveBatch decides from a step's result: chain the next call or not. */
const chains = (r: StepResult) => didWork(r) && r.more;

type Step = (ctx: { sql: Sql; budget: Budget; body?: Record<string, unknown> }) => Promise<StepResult>;

Deno.test("a call that moved its cursor over rows all unchanged chains; an idle call (caught up, nothing new) does not: activities, messages, reconcile", async () => {
  const dataset = generateDataset({ leads: 120, attachments: 0, activities: 90, seed: 43 });
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase("sync_worked");
  const dir = await Deno.makeTempDir();
  try {
    const client = createOdooClient(config(odoo.url), { fetch, sleep: () => Promise.resolve() });
    const drain = async (step: Step, body: Record<string, unknown> = {}) => {
      for (let i = 0; (await step({ sql: db.sql, budget: plenty(), body: i ? {} : body })).more; i++) {
        assert.ok(i < 50);
      }
    };
    await drain(leadSync(client, { companyName: "Odoo" }) as Step);
    for (
      const [source, step] of [
        ["odoo_activities", activitySync(client, { companyName: "Odoo", pageSize: 40 })],
        ["odoo_messages", messageSync(client, { companyName: "Odoo", pageSize: 40 })],
      ] as const
    ) {
      await drain(step as Step);
      // Caught up and nothing new: one billed call that reads an empty page, and no chain.
      const idle = await step({ sql: db.sql, budget: plenty() });
      assert.equal(idle.migrated, 0, source);
      assert.equal(chains(idle), false, `${source}: an idle call does not chain`);
      // A pass read again from the start (as repair restarts one): every row unchanged, the cursor moves.
      await db.sql`update public.sync_state set cursor_id = 0, pass_since = null, pass_high = null
                    where source = ${source}`;
      const reread = await step({ sql: db.sql, budget: turns(2) });
      assert.equal(reread.migrated, 0, `${source}: nothing written`);
      assert.ok((reread.details as { pages: number }).pages >= 1);
      assert.ok(reread.more);
      assert.equal(chains(reread), true, `${source}: a call that advanced chains`);
    }

    // Reconcile: calls that only end the listings (empty pages) or compare (nothing differs) read and check
    // nothing, but each moved the run to its next phase: they chain.
    const reconcile = reconcileOdoo({ odoo: client, store: localStore({ dir, bucket: "estimation-files" }) });
    const listing = await reconcile({ sql: db.sql, budget: turns(1), body: { start: true } });
    assert.ok(listing.migrated > 0);
    const phase = async () =>
      (await db.sql`select phase from public.reconcile_runs order by id desc limit 1`)[0].phase;
    const ended = await reconcile({ sql: db.sql, budget: turns(1) });
    assert.deepEqual([ended.migrated, await phase(), chains(ended)], [0, "compare", true]);
    const compared = await reconcile({ sql: db.sql, budget: turns(1) });
    assert.deepEqual([compared.migrated, await phase(), chains(compared)], [0, "storage", true]);
    await drain(reconcile as Step);
    const [run] = await db.sql`select phase, differences from public.reconcile_runs order by id desc limit 1`;
    assert.deepEqual([run.phase, run.differences], ["done", 0]);
    const none = await reconcile({ sql: db.sql, budget: plenty() });
    assert.equal(chains(none), false, "no run: nothing to chain");
  } finally {
    await odoo.close();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
});
