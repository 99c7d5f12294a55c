/**
 * What the chatter reconcile tests share: a simulated Odoo serving a dataset, a fresh database, a local
 * bucket, the lead sync, and reconcile runs read back as their differences.
 */
import assert from "node:assert/strict";
import type { OdooDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { createTestDatabase, type TestDatabase } from "../../scripts/testing/test_database.ts";
import { startBudget } from "../engine/budget.ts";
import { processCpuMs } from "../engine/usage.ts";
import { createOdooClient, type OdooClient } from "../odoo/client.ts";
import { config } from "../odoo/client_test_kit.ts";
import { localStore } from "../storage/local_store.ts";
import { leadSync } from "../sync/lead_sync.ts";
import { reconcileOdoo } from "./reconcile_step.ts";

const budget = () =>
  startBudget({ wallMs: 50_000, cpuMs: 60_000 }, { now: () => performance.now(), cpu: processCpuMs });

type StepContext = {
  sql: TestDatabase["sql"];
  budget: ReturnType<typeof budget>;
  body?: Record<string, unknown>;
};

/** A function's step, as the engine calls it. */
export type Step = (ctx: StepContext) => Promise<{ more: boolean }>;

/** The latest reconcile run and its differences as `[kind, odoo_id, open]`, with each one's data. */
export type Reconciled = {
  r: Record<string, unknown> & { id: number; differences: number; deleted_kept: number };
  diffs: [string, number, boolean][];
  data: Record<string, unknown>[];
};

export type ReconcileScene = {
  db: TestDatabase;
  client: OdooClient;
  /** Calls `step` until it has no more to do (its first call gets `body`). */
  drain: (step: Step, body?: Record<string, unknown>) => Promise<void>;
  /** Starts a reconcile run, drains it and reads what it found. */
  latest: () => Promise<Reconciled>;
};

/** Runs `test` against `dataset` served over JSON-RPC, the leads synced first, and cleans up after it. */
export async function withReconcileScene(
  dataset: OdooDataset,
  name: string,
  test: (scene: ReconcileScene) => Promise<void>,
): Promise<void> {
  const odoo = await startOdooSimulator({ dataset });
  const db = await createTestDatabase(name);
  const dir = await Deno.makeTempDir();
  try {
    const client = createOdooClient(config(odoo.url), { fetch, sleep: () => Promise.resolve() });
    const reconcile = reconcileOdoo({ odoo: client, store: localStore({ dir, bucket: "estimation-files" }) });
    const drain = async (step: Step, body: Record<string, unknown> = {}) => {
      for (let i = 0; (await step({ sql: db.sql, budget: budget(), body: i === 0 ? body : {} })).more; i++) {
        assert.ok(i < 50);
      }
    };
    const latest = async (): Promise<Reconciled> => {
      await drain(reconcile, { start: true });
      const [r] = await db.sql`select * from public.reconcile_runs order by id desc limit 1`;
      const diffs = await db.sql`select kind, odoo_id, open, data from public.reconcile_differences
                                  where run_id = ${r.id} order by kind, odoo_id`;
      return {
        r: r as Reconciled["r"],
        diffs: diffs.map((d) => [d.kind, d.odoo_id, d.open]),
        data: diffs.map((d) => d.data),
      };
    };
    await drain(leadSync(client, { companyName: "Odoo" }));
    await test({ db, client, drain, latest });
  } finally {
    await odoo.close();
    await db.drop();
    await Deno.remove(dir, { recursive: true });
  }
}
