import assert from "node:assert/strict";
import { requestedBudget, startBudget, SUPABASE_LIMITS } from "./budget.ts";

Deno.test("startBudget() is spent by wall time or by CPU time, whichever comes first", () => {
  const m = { t: 0, c: 0 };
  const b = startBudget({ wallMs: 1000, cpuMs: 100 }, { now: () => m.t, cpu: () => m.c });
  assert.equal(b.spent(), null);
  m.c = 100;
  assert.equal(b.spent(), "cpu");
  m.c = 0;
  m.t = 1000;
  assert.equal(b.spent(), "wall");
  assert.equal(b.remainingMs(), 0);
});

Deno.test("requestedBudget() lets a call lower its budget but never past Supabase's limits", () => {
  const d = { wallMs: 50_000, cpuMs: 1_500 };
  assert.deepEqual(requestedBudget({ wallMs: 5_000 }, d), { wallMs: 5_000, cpuMs: 1_500 });
  assert.deepEqual(requestedBudget({ wallMs: 10_000_000, cpuMs: 60_000 }, d), {
    wallMs: SUPABASE_LIMITS.wallMs,
    cpuMs: SUPABASE_LIMITS.cpuMs,
  });
  assert.deepEqual(requestedBudget({ wallMs: -1, cpuMs: "x" }, d), d);
  assert.deepEqual(requestedBudget(undefined, d), d);
});
