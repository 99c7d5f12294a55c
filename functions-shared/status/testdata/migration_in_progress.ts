/**
 * A database caught in the middle of a migration, at a fixed instant `AT`,
 * for the status tests: 18,323 Odoo files of which 751 are archived, a lead
 * sync whose last batch is stale and whose latest call was refused, an import
 * being parsed, and a pg_net answer that failed. The figures the document
 * must show are in `EXPECTED`, worked out by hand below.
 */
import type { Sql } from "../../deps.ts";

/** The instant the document is read at. */
export const AT = new Date("2026-11-24T12:00:00Z");

/** Seconds before `AT`, as an ISO timestamp. */
export const ago = (s: number) => new Date(AT.getTime() - s * 1000).toISOString();

export const CHECKSUM_ERROR = "900: checksum_mismatch: Attachment 900 does not match Odoo's checksum";
export const ODOO_502 = (id: number) =>
  `${id}: odoo_unavailable: Cannot read attachment ${id}: Odoo answered 502`;
export const REFUSED = "auth_invalid: Invalid credentials: the key or token was refused";

/**
 * Files: 5 successful batches in the last 10 minutes, ending 10 s, 70 s, ...
 * 250 s before AT, 50 s each, 145 files each: 725 files from 300 s to 10 s
 * before AT, 2.5 files/s; 17,560 remaining → ETA ceil(17560 / 2.5) = 7,024 s.
 * Leads: batches ending 200 s and 320 s before AT, 40 s each, 400 leads each:
 * 800 leads in 160 s, 5 leads/s; 800 remaining → ETA 160 s. Last success
 * 200 s ago: stale with the 120 s window.
 */
export const EXPECTED = {
  files: {
    total: 18323,
    done: 751,
    failed: 12,
    remaining: 17560,
    in_progress: 20,
    percent: 4.1,
    rate: 2.5,
    eta_s: 7024,
    progress: "751 / 18,323 migrated",
    remainingText: "17,560 remaining",
    eta: "ETA 1 h 57 min",
    rateText: "2.5 files/s",
  },
  leads: {
    total: 5000,
    done: 4200,
    failed: 0,
    remaining: 800,
    percent: 84,
    rate: 5,
    eta_s: 160,
    progress: "4,200 / 5,000 migrated",
    remainingText: "800 remaining",
    eta: "ETA 3 min",
    rateText: "5.0 leads/s",
  },
  import: {
    total: 2000,
    done: 500,
    remaining: 1500,
    percent: 25,
    progress: "500 / 2,000 imported",
  },
};

/** Seeds the scene (one transaction). */
export async function seedMigrationInProgress(sql: Sql): Promise<{ importId: string }> {
  return await sql.begin(async (tx) => {
    const [{ company }] = await tx`
      insert into public.companies (name) values ('Status test') returning id as company`;
    const [{ lead }] = await tx`
      insert into public.leads (company_id, title, source_email_id) values (${company}, 'Lead', 'odoo_crm_1')
      returning id as lead`;
    // 751 done, 12 failed, 20 claimed, the rest pending.
    await tx`
      insert into public.lead_files (lead_id, odoo_id, name, status, storage_path, leased_until, last_error, error_code)
      select ${lead}, g, 'file-' || g,
             case when g <= 751 then 'done' when g <= 763 then 'failed' when g <= 783 then 'claimed' else 'pending' end,
             case when g <= 751 then 'odoo-archive/1/' || g else null end,
             case when g > 763 and g <= 783 then ${AT.toISOString()}::timestamptz + interval '5 minutes' end,
             case when g > 751 and g <= 763 then 'Odoo answered 502' end,
             case when g > 751 and g <= 763 then 'odoo_unavailable' end
        from generate_series(1, 18323) g`;
    await tx`
      insert into public.sync_state (source, company_id, phase, total_in_source, synced)
      values ('odoo_leads', ${company}, 'full', 5000, 4200)`;

    const logs = [
      // archive-odoo-files: 5 batches in the window, one before it.
      ["archive-odoo-files", "success", 145, 0, 250, 50, []],
      ["archive-odoo-files", "success", 145, 1, 190, 50, [ODOO_502(812)]],
      ["archive-odoo-files", "success", 145, 1, 130, 50, [ODOO_502(813)]],
      ["archive-odoo-files", "success", 145, 1, 70, 50, [CHECKSUM_ERROR]],
      ["archive-odoo-files", "success", 145, 0, 10, 50, []],
      ["archive-odoo-files", "success", 26, 0, 1200, 50, []],
      // sync-odoo-leads: two batches, then a refused call.
      ["sync-odoo-leads", "success", 400, 0, 320, 40, []],
      ["sync-odoo-leads", "success", 400, 0, 200, 40, []],
      ["sync-odoo-leads", "auth_error", 0, 0, 60, 0.01, [REFUSED]],
    ] as const;
    for (const [fn, status, migrated, failed, s, elapsed, errors] of logs) {
      await tx`
        insert into public.migration_logs (function_name, status, migrated, failed, remaining, elapsed_s, errors,
                                           created_at)
        values (${fn}, ${status}, ${migrated}, ${failed}, 0, ${elapsed}, ${errors as unknown as string[]},
                ${ago(s)})`;
    }
    // A call of the archive is running (started 5 s ago).
    await tx`insert into passerelle.calls (function_name, trigger, started_at) values
             ('archive-odoo-files', 'chain', ${ago(5)}), ('archive-odoo-files', 'cron', ${ago(3000)})`;
    await tx`update passerelle.calls set finished_at = ${ago(2950)} where started_at = ${ago(3000)}`;

    const [{ owner }] =
      await tx`insert into auth.users (email) values ('admin@status.test') returning id as owner`;
    const [{ id: importId }] = await tx`
      insert into public.import_jobs (owner, company_id, kind, file_name, file_sha256, file_size, file_format, status,
                                      progress, total_rows, processed_rows, valid_rows, invalid_rows, rows_per_s,
                                      eta_s, leased_until, created_at, updated_at, started_at)
      values (${owner}, ${company}, 'leads', 'leads-2026.csv', 'abc', 1000, 'csv', 'parsing', 25, 2000, 500, 497, 3,
              50, 30, ${ago(-60)}, ${ago(100)}, ${ago(3)}, ${ago(100)})
      returning id`;
    await tx`
      insert into net._http_response (id, status_code, content_type, content, timed_out, error_msg, created)
      values (41, 200, 'application/json', '{"migrated":145}', false, null, ${ago(10)}),
             (42, 404, 'application/json', '{"code":"NOT_FOUND","message":"Requested function was not found"}',
              false, null, ${ago(20)})`;
    return { importId: String(importId) };
  });
}
