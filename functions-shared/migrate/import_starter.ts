/**
 * Starts a CSV import the way a client does: the file goes to Storage under the company's
 * `imports/<company id>/` (any size; a multipart body is buffered by the function), then one `start`
 * call of `import-leads` or `batch-import-activities` with the service-role key, naming the job's owner.
 */
import { PasserelleError } from "../errors.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { safeFileName } from "../imports/job/start_import.ts";

/** What the starter needs. */
export interface ImportStarterDeps {
  fetch: typeof fetch;
  store: ObjectStore;
  /** The project URL: functions answer under `${url}/functions/v1/`. */
  functionsUrl: string;
  serviceRoleKey: string;
}

const FUNCTION = { leads: "import-leads", activities: "batch-import-activities" } as const;

/** Returns `startImport(o)` for runMigration's deps. */
export function importStarter(d: ImportStarterDeps) {
  return async (o: { kind: "leads" | "activities"; path: string; companyId: number; ownerId: string }) => {
    const name = o.path.split(/[\\/]/).pop() ?? "import.csv";
    const file = await Deno.open(o.path, { read: true });
    const size = (await file.stat()).size;
    const key = `imports/${o.companyId}/migrate/${crypto.randomUUID()}/${safeFileName(name)}`;
    await d.store.put(key, file.readable, { contentType: "text/csv", size });
    const res = await d.fetch(`${d.functionsUrl.replace(/\/+$/, "")}/functions/v1/${FUNCTION[o.kind]}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${d.serviceRoleKey}` },
      body: JSON.stringify({
        action: "start",
        companyId: o.companyId,
        ownerId: o.ownerId,
        name,
        file: { path: key },
      }),
    });
    const body = await res.json().catch(() => ({})) as { jobId?: string; code?: string; message?: string };
    if (res.status !== 202 || !body.jobId) {
      throw new PasserelleError(
        "bad_request",
        `${FUNCTION[o.kind]} answered ${res.status}: ${body.code ?? ""} ${body.message ?? ""}`.trim(),
      );
    }
    return body.jobId;
  };
}
