import assert from "node:assert/strict";
import { renderTerminal } from "./terminal.ts";
import type { ReconcileSummary } from "./status_document.ts";
import { sampleDocument } from "./testdata/sample_document.ts";

const run = (o: Partial<ReconcileSummary>): ReconcileSummary => ({
  run_id: 4,
  deep: false,
  phase: "done",
  started_at: "2026-12-01T10:00:00Z",
  finished_at: "2026-12-01T10:00:09Z",
  odoo_leads: 80,
  odoo_attachments: 160,
  objects_checked: 150,
  bytes_checked: 0,
  storage_ms: 0,
  differences: 0,
  deleted_kept: 0,
  by_kind: {},
  repaired_at: null,
  error: null,
  ...o,
});

Deno.test("renderTerminal() shows the latest reconcile run: what differs by kind, or that nothing does", () => {
  const line = (r: ReconcileSummary | null) =>
    renderTerminal({ ...sampleDocument(), reconcile: r }, { width: 140 }).split("\n").find((l) =>
      l.startsWith("Reconcile")
    );
  assert.equal(
    line(run({ differences: 3, by_kind: { lead_stale: 2, object_sha1: 1 }, deleted_kept: 5 })),
    "Reconcile run 4: 3 difference(s): lead_stale 2, object_sha1 1 · 5 deletion(s) kept",
  );
  assert.equal(line(run({})), "Reconcile run 4: nothing differs · 0 deletion(s) kept");
  assert.equal(
    line(run({ phase: "storage", differences: null })),
    "Reconcile run 4: storage · 0 deletion(s) kept",
  );
  assert.equal(line(null), undefined, "no line before any run");
});
