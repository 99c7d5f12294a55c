/**
 * batch-import-activities: CSV/XLSX imports of activities. Activity files (any signed-in user) are started over HTTP and
 * answered 202 with the job id; the work goes on in budgeted calls (cron,
 * chain, and a first batch through `EdgeRuntime.waitUntil`) from the job's
 * checkpoint (README, "Imports"). A thin adapter: the logic is in
 * functions-shared/imports/job (`importFunction`), shared with the other import function.
 */
import { importFunction } from "../../../functions-shared/imports/job/import_function.ts";

Deno.serve(importFunction(Deno.env.toObject(), "batch-import-activities", "activities"));
