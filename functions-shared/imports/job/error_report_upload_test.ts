/**
 * An error report that Storage refuses ends the job with what Storage answered, not with « Import
 * interrompu 5 fois au même point » (the real-Supabase issue: a 7.4 MB report refused by Storage
 * v1.70.6 with 409 "The resource already exists" at its first TUS PATCH, storage.md section 11).
 */
import assert from "node:assert/strict";
import { startBudget } from "../../engine/budget.ts";
import { processCpuMs } from "../../engine/usage.ts";
import type { PasserelleError } from "../../errors.ts";
import type { ObjectStore } from "../../storage/object_store.ts";
import { storageError } from "../../storage/storage_error.ts";
import { advanceImports } from "./advance_imports.ts";
import { importKit, type Kit, testConfig } from "../../../scripts/testing/import_kit.ts";
import { startImport } from "./start_import.ts";

const csv = (lines: string[]) => new TextEncoder().encode(lines.join("\r\n") + "\r\n");

/** An activities job whose third row names an unknown lead: its commit ends by writing the report. */
async function startActivities(kit: Kit): Promise<string> {
  await kit.db.sql`
    insert into public.leads (company_id, external_id, title, email, stage)
    values (${kit.company}, 'E1', 'Ancien 1', 'ancien1@exemple.fr', 'Nouveau')`;
  const path = await kit.put(
    "act.csv",
    csv(["Référence lead;Type;Résumé", "E1;Appel;Rappeler", "E1;Réunion;Démo", "INCONNU;Tâche;Relancer"]),
    kit.member,
  );
  const { jobId } = await startImport(
    {
      sql: kit.db.sql,
      store: kit.store,
      kind: "activities",
      functionName: "batch-import-activities",
      chain: false,
    },
    { kind: "user", userId: kit.member },
    { companyId: kit.company, path },
  );
  return jobId;
}

/** The kit's store, but the report's upload fails with `error` (on the first `times` tries). */
function refusingReports(kit: Kit, error: (key: string) => PasserelleError, times = Infinity): ObjectStore {
  let tries = 0;
  return {
    ...kit.store,
    async put(key, body, opts) {
      if (key.includes("/rapport-") && tries++ < times) {
        if (body instanceof ReadableStream) await body.cancel();
        throw error(key);
      }
      await kit.store.put(key, body, opts);
    },
  };
}

/** Calls as cron would, each after the last one's lease ran out (a crashed call keeps its lease). */
async function callsUntilDone(kit: Kit, store: ObjectStore, jobId: string): Promise<number> {
  for (let call = 1; call <= 10; call++) {
    const budget = startBudget(testConfig.budget, { now: () => performance.now(), cpu: processCpuMs });
    const at = new Date(Date.now() + call * 600_000);
    await advanceImports({ sql: kit.db.sql, store, kind: "activities", clock: () => at }, budget).catch(
      () => {},
    );
    const [job] = await kit.db.sql`select status from public.import_jobs where id = ${jobId}`;
    if (job.status === "completed" || job.status === "failed") return call;
  }
  throw new Error("the job did not end");
}

Deno.test("an error report Storage refuses ends the job at once with Storage's answer; its rows stay committed", async () => {
  const kit = await importKit("report_refused");
  try {
    const jobId = await startActivities(kit);
    // As Storage v1.70.6 answered the report's first TUS PATCH (storage.md section 11).
    const store = refusingReports(kit, (key) =>
      storageError("upload", key, {
        status: 409,
        statusCode: 409,
        message: "The resource already exists",
      }));
    const calls = await callsUntilDone(kit, store, jobId);
    const [job] = await kit.db.sql`select * from public.import_jobs where id = ${jobId}`;
    assert.equal(job.status, "failed");
    assert.match(
      job.error_message,
      /^Le rapport d'erreurs n'a pas pu être enregistré : Storage could not upload "imports\/\d+\/[0-9a-f-]+\/rapport-[0-9a-f-]+\.csv": The resource already exists \(409\)$/,
    );
    assert.equal(job.error_details.code, "storage_duplicate");
    assert.equal(calls, 1, "not tried 5 times over");
    const [{ n }] = await kit.db.sql`select count(*)::int as n from public.activities`;
    assert.equal(n, 2, "the committed rows are kept");
  } finally {
    await kit.close();
  }
});

Deno.test("a report Storage cannot take for now: retried, and after 5 tries the job says Storage's answer", async () => {
  const kit = await importKit("report_unavailable");
  try {
    const jobId = await startActivities(kit);
    const down = (key: string) =>
      storageError("upload", key, { name: "StorageUnknownError", message: "fetch failed" });
    await callsUntilDone(kit, refusingReports(kit, down), jobId);
    const [job] = await kit.db.sql`select status, error_message from public.import_jobs where id = ${jobId}`;
    assert.equal(job.status, "failed");
    assert.match(
      job.error_message,
      /^Le rapport d'erreurs n'a pas pu être enregistré : .*rapport-.*: fetch failed$/,
    );
  } finally {
    await kit.close();
  }
});

Deno.test("a report stored at the second try completes the job without the first try's message", async () => {
  const kit = await importKit("report_second_try");
  try {
    const jobId = await startActivities(kit);
    const down = (key: string) =>
      storageError("upload", key, { name: "StorageUnknownError", message: "fetch failed" });
    const calls = await callsUntilDone(kit, refusingReports(kit, down, 1), jobId);
    const [job] = await kit.db.sql`select status, error_message, error_report_path from public.import_jobs
                                    where id = ${jobId}`;
    assert.deepEqual([job.status, job.error_message], ["completed", null]);
    assert.equal(calls, 2);
    assert.ok(await kit.store.exists(job.error_report_path));
  } finally {
    await kit.close();
  }
});
