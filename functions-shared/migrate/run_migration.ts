/**
 * `runMigration()`: the user's whole migration on a stack that already runs, one part after the other
 * where one needs the other, at once where not:
 *
 *   1. checks (`preconditions.ts`), and schedules the cron jobs that are missing;
 *   2. leads: fires `sync-odoo-leads` (its chain reads every lead), and `archive-odoo-files` along;
 *   3. files, once the leads are synced (a file needs its lead): the backup import if a zip is given,
 *      the archive going on meanwhile on the same queue (`backup_claims.ts`): the import claims every
 *      file the backup holds before it reads the first and renews its claims while it runs, so the
 *      archive's calls find nothing of them to take and chain nothing; what the backup lacks is the
 *      archive's (a discovery pass once the import ended finds it all); without a zip, the archive alone;
 *   4. the lead CSV, once the leads are synced, so that its duplicates against Odoo's leads are found;
 *   5. the activities CSV, once the lead CSV is committed, so that the leads they name exist;
 *   6. the chatter, once the leads are synced (and the backup imported, its chatter with it: import-dump's
 *      `importDumpChatter`): fires `sync-odoo-activities` and `sync-odoo-messages`, complete when both
 *      caught up after they were fired (their notice, e.g. tracking values Odoo refuses, named).
 *
 * It watches the tables (sync_state, lead_files, import_jobs), not the functions' answers, so what it
 * shows is what is stored; it ends when every part is complete or failed (with why), or when none moved
 * for `stallMs`. The functions do the work; this only starts them and waits.
 */
import type { ChatterSummary } from "../backup/chatter_rows.ts";
import type { ImportSummary } from "../backup/import_backup.ts";
import type { ImportProgress } from "../backup/progress_bar.ts";
import type { Sql } from "../deps.ts";
import type { FileExceptions } from "../status/status_document.ts";
import {
  type Check,
  checkPreconditions,
  companyId as findCompany,
  findUser,
  functionsNeeded,
  type MigrationInputs,
  type PreconditionDeps,
} from "./preconditions.ts";

/** One part of the migration as shown. */
export interface Part {
  key: "leads" | "files" | "chatter" | "leads_csv" | "activities_csv";
  label: string;
  state: "waiting" | "running" | "complete" | "failed" | "skipped";
  unit: string;
  done: number;
  total: number | null;
  failed: number;
  /** Per second, over the last 30 s. */
  rate: number | null;
  etaS: number | null;
  /** What it waits for, what it does, or why it failed. */
  detail: string;
  startedAt: number | null;
  endedAt: number | null;
  /** Failures worth naming (error code and count, the job's message). */
  problems: string[];
}

/** Everything shown at one moment. */
export interface MigrationView {
  checks: Check[];
  parts: Part[];
  elapsedMs: number;
  /** import-dump's own figures while it runs. */
  dump: ImportProgress | null;
}

/** How it ended. */
export interface MigrationResult extends MigrationView {
  /** Every part complete (failures only of files that are no files: links, orphans). */
  ok: boolean;
  /** The checks stopped it before anything started. */
  refused: boolean;
  dumpSummary: ImportSummary | null;
  /** The backup's chatter (import-dump's), when a zip was given and it was read. */
  chatterSummary: ChatterSummary | null;
}

/** What runMigration needs, injected (the CLI gives the real ones, tests the test cluster's). */
export interface MigrateDeps extends PreconditionDeps {
  sql: Sql;
  /** Fires one call of a function now, as its cron job would (`passerelle.invoke`). */
  invoke(fn: string): Promise<void>;
  /** Puts a local CSV where an import reads it, and starts the import; returns the job id. */
  startImport(o: {
    kind: "leads" | "activities";
    path: string;
    companyId: number;
    ownerId: string;
  }): Promise<string>;
  /** The backup import (import-dump); `onProgress` as it goes. */
  importDump(zip: string, onProgress: (p: ImportProgress) => void): Promise<ImportSummary>;
  /** The backup's chatter (mail_message, mail_activity... of dump.sql), after importDump. */
  importChatter?(zip: string): Promise<ChatterSummary>;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
  onView?: (v: MigrationView) => void;
  /** Between two looks at the tables (default 1 s). */
  pollMs?: number;
  /** A migration where nothing moved for this long stops, its running parts failed (default 10 min). */
  stallMs?: number;
}

/** Error codes of files that are no files: listed with their reason, not counted as failures. */
const NOT_FILES = new Set(["attachment_url", "lead_missing"]);

interface Sample {
  at: number;
  done: number;
}

function part(key: Part["key"], label: string, unit: string, detail: string): Part {
  return {
    key,
    label,
    state: "waiting",
    unit,
    done: 0,
    total: null,
    failed: 0,
    rate: null,
    etaS: null,
    detail,
    startedAt: null,
    endedAt: null,
    problems: [],
  };
}

/**
 * Runs the migration; resolves when it ended, however it ended (never throws for a part's failure).
 *
 * @example
 * const r = await runMigration(deps, { zip: "backup.zip", leadsCsv: "leads.csv", owner: "a@b.fr", companyName: "Odoo" });
 * Deno.exit(r.ok ? 0 : 1);
 */
export async function runMigration(d: MigrateDeps, i: MigrationInputs): Promise<MigrationResult> {
  const clock = d.clock ?? (() => performance.now());
  const sleep = d.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const pollMs = d.pollMs ?? 1000;
  const stallMs = d.stallMs ?? 600_000;
  const t0 = clock();
  const leads = part("leads", "Odoo leads", "leads", "sync-odoo-leads");
  const files = part(
    "files",
    "files",
    "files",
    i.zip ? "archive-odoo-files + import-dump" : "archive-odoo-files",
  );
  const leadsCsv = part("leads_csv", "lead CSV", "rows", "waits for the leads to be synced");
  const actsCsv = part("activities_csv", "activities CSV", "rows", "waits for the lead CSV");
  if (!i.leadsCsv) Object.assign(leadsCsv, { state: "skipped", detail: "no file given" });
  if (!i.activitiesCsv) Object.assign(actsCsv, { state: "skipped", detail: "no file given" });
  const chatter = part("chatter", "chatter", "rows", "waits for the leads to be synced");
  const parts = [leads, files, chatter, leadsCsv, actsCsv];
  let dump: ImportProgress | null = null;
  let dumpSummary: ImportSummary | null = null;
  let chatterSummary: ChatterSummary | null = null;
  const view = (): MigrationView => ({ checks, parts, elapsedMs: clock() - t0, dump });
  const end = (refused: boolean): MigrationResult => {
    const ok = !refused && parts.every((p) => p.state === "complete" || p.state === "skipped");
    return { ...view(), ok, refused, dumpSummary, chatterSummary };
  };

  // 1. Checks.
  const checks = await checkPreconditions(d, i);
  d.onView?.(view());
  if (checks.some((c) => c.state === "fail")) return end(true);
  if (await d.cron.available()) {
    const have = new Set(await d.cron.scheduled());
    for (const fn of functionsNeeded(i)) if (!have.has(fn)) await d.cron.schedule(fn);
  }
  const owner = i.owner ? await findUser(d.sql, i.owner) : null;

  // 2. Leads, and the archive along (it finds the attachments of leads as they come).
  const start = (p: Part) => {
    p.state = "running";
    p.startedAt = clock();
  };
  const finish = (p: Part, state: "complete" | "failed", detail?: string) => {
    p.state = state;
    p.endedAt = clock();
    p.etaS = state === "complete" ? 0 : null;
    if (detail !== undefined) p.detail = detail;
  };
  start(leads);
  start(files);
  return await follow();

  async function follow(): Promise<MigrationResult> {
    await d.invoke("sync-odoo-leads");
    // As its cron job would: with a backup too (the import's claims keep it off the backup's files).
    await d.invoke("archive-odoo-files");

    const samples = new Map<Part, Sample[]>();
    const rateOf = (p: Part) => {
      const now = clock();
      const s = samples.get(p) ?? [];
      s.push({ at: now, done: p.done });
      while (s.length > 2 && now - s[0].at > 30_000) s.shift();
      samples.set(p, s);
      const first = s[0];
      const dt = (now - first.at) / 1000;
      p.rate = dt >= 1 ? Math.max(0, (p.done - first.done) / dt) : p.rate;
      const left = p.total === null ? null : Math.max(0, p.total - p.done - p.failed);
      p.etaS = left === null ? null : left === 0 ? 0 : p.rate ? left / p.rate : null;
    };

    let dumpRun: Promise<void> | null = null;
    let dumpDone = !i.zip;
    let leadJob: string | null = null;
    let actJob: string | null = null;
    let lastMove = clock();
    let lastFigures = "";
    /**
     * One discovery pass that starts now sees every lead's attachments (one that overlapped the last sync
     * page may have missed them: see the migration's comment); the files wait for it.
     */
    const askDiscovery = async () => {
      [{ at: discoveryAsked }] = await d.sql<
        { at: Date }[]
      >`select passerelle.rediscover_attachments() as at`;
      await d.invoke("archive-odoo-files");
    };
    /** When the discovery pass the files wait for was asked (null: not yet). */
    let discoveryAsked: Date | null = null;
    /** The backup's chatter import, then when the chatter syncs were fired (null: not yet). */
    let chatterDump: Promise<void> | null = null;
    let chatterDumpDone = !i.zip || !d.importChatter;
    let chatterAsked: Date | null = null;

    const startJob = async (p: Part, kind: "leads" | "activities", path: string): Promise<string | null> => {
      start(p);
      const company = await findCompany(d.sql, i.companyName);
      if (company === null) {
        finish(p, "failed", `no company "${i.companyName}" (COMPANY_NAME): the lead sync makes it`);
        return null;
      }
      try {
        const id = await d.startImport({ kind, path, companyId: company, ownerId: owner!.id });
        p.detail = `job ${id}`;
        return id;
      } catch (e) {
        finish(p, "failed", `could not start: ${e instanceof Error ? e.message : e}`);
        return null;
      }
    };

    while (true) {
      // Leads.
      const [s] = await d.sql<
        { total: number | null; synced: number; caught_up: boolean; files_seen: boolean }[]
      >`
      select l.total_in_source as total, coalesce(l.synced, 0) as synced, l.caught_up_at is not null as caught_up,
             coalesce(a.caught_up_at > ${discoveryAsked}::timestamptz, false) as files_seen
        from (select 1) one
        left join public.sync_state l on l.source = 'odoo_leads'
        left join public.sync_state a on a.source = 'odoo_attachments'`;
      leads.total = s.total;
      leads.done = Math.min(s.synced, s.total ?? s.synced);
      rateOf(leads);
      if (leads.state === "running" && s.caught_up) {
        finish(leads, "complete", "every Odoo lead synced");
        if (!i.zip) await askDiscovery();
      }

      // Files: the backup import starts once the leads are there.
      if (i.zip && !dumpRun && leads.state === "complete") {
        dumpRun = d.importDump(i.zip, (p) => (dump = { ...p })).then(
          (r) => {
            dumpSummary = r;
          },
          (e) => {
            files.problems.push(`import-dump stopped: ${e instanceof Error ? e.message : e}`);
          },
        ).finally(async () => {
          // The archive takes over what the backup did not hold (and anything it gave back).
          await askDiscovery();
          dumpDone = true;
        });
      }
      const [f] = await d.sql<{ total: number; done: number; failed: number; open: number }[]>`
      select count(*)::int as total, count(*) filter (where status = 'done')::int as done,
             count(*) filter (where status = 'failed')::int as failed,
             count(*) filter (where status in ('pending', 'claimed'))::int as open
        from public.lead_files`;
      files.total = f.total;
      files.done = f.done;
      files.failed = f.failed;
      rateOf(files);
      if (
        files.state === "running" && leads.state === "complete" && s.files_seen && dumpDone && f.open === 0
      ) {
        const codes = await d.sql<{ code: string; n: number; example: string | null }[]>`
        select coalesce(error_code, 'unknown') as code, count(*)::int as n,
               (array_agg(last_error order by id))[1] as example
          from public.lead_files where status = 'failed' group by 1 order by 2 desc`;
        for (const c of codes.filter((c) => !NOT_FILES.has(c.code))) {
          files.problems.push(`${c.n} ${c.code}, e.g. ${c.example ?? "no message"}`);
        }
        files.problems.push(...await exceptionLines(d.sql));
        const real = codes.filter((c) => !NOT_FILES.has(c.code)).reduce((n, c) => n + c.n, 0);
        finish(
          files,
          real === 0 ? "complete" : "failed",
          real === 0
            ? `every file stored${f.failed ? ` (${f.failed} links or orphans: no file to store)` : ""}`
            : `${real} files could not be stored`,
        );
      }

      // The chatter: the backup's once it is imported, then the syncs (they find the backup's rows unchanged
      // and read what Odoo has beyond them).
      if (i.zip && d.importChatter && dumpDone && !chatterDump) {
        start(chatter);
        chatter.detail = "import-dump's chatter";
        chatterDump = d.importChatter(i.zip).then(
          (r) => {
            chatterSummary = r;
          },
          (e) => {
            chatter.problems.push(`import-dump's chatter stopped: ${e instanceof Error ? e.message : e}`);
          },
        ).finally(() => {
          chatterDumpDone = true;
        });
      }
      if (!chatterAsked && leads.state === "complete" && dumpDone && chatterDumpDone) {
        if (chatter.state === "waiting") start(chatter);
        chatter.detail = "sync-odoo-activities + sync-odoo-messages";
        [{ at: chatterAsked }] = await d.sql<{ at: Date }[]>`select now() as at`;
        await d.invoke("sync-odoo-activities");
        await d.invoke("sync-odoo-messages");
      }
      if (chatterAsked && chatter.state === "running") {
        const [c] = await d.sql<{ done: number; caught_up: boolean; notices: string[] }[]>`
          select (select count(*) from public.activities where odoo_res_id is not null)::int
                 + (select count(*) from public.lead_messages)::int as done,
                 count(*) filter (where s.caught_up_at > ${chatterAsked}::timestamptz) = 2 as caught_up,
                 coalesce(array_agg(s.notice) filter (where s.notice is not null), '{}') as notices
            from public.sync_state s where s.source in ('odoo_activities', 'odoo_messages')`;
        chatter.done = c.done;
        rateOf(chatter);
        if (c.caught_up) {
          chatter.problems.push(...c.notices);
          finish(chatter, "complete", "every activity and message of the synced leads");
        }
      }

      // The CSVs.
      if (i.leadsCsv && leadsCsv.state === "waiting" && leads.state === "complete") {
        leadJob = await startJob(leadsCsv, "leads", i.leadsCsv);
      }
      if (leadJob) await followJob(d.sql, leadJob, leadsCsv, finish, rateOf);
      if (i.activitiesCsv && actsCsv.state === "waiting") {
        if (leadsCsv.state === "failed") finish(actsCsv, "failed", "not started: the lead CSV failed");
        else if (
          (leadsCsv.state === "complete" || leadsCsv.state === "skipped") && leads.state === "complete"
        ) {
          actJob = await startJob(actsCsv, "activities", i.activitiesCsv);
        }
      }
      if (actJob) await followJob(d.sql, actJob, actsCsv, finish, rateOf);

      d.onView?.(view());
      const running = parts.filter((p) => p.state === "running" || p.state === "waiting");
      if (running.length === 0) break;
      const figures = JSON.stringify([
        parts.map((p) => [p.state, p.done, p.failed]),
        (dump as ImportProgress | null)?.filesDone,
      ]);
      if (figures !== lastFigures) {
        lastFigures = figures;
        lastMove = clock();
      } else if (clock() - lastMove > stallMs) {
        const why = await lastError(d.sql);
        for (const p of running) {
          finish(p, "failed", `nothing moved for ${Math.round(stallMs / 1000)} s${why ? `: ${why}` : ""}`);
        }
        break;
      }
      await sleep(pollMs);
    }
    if (dumpRun) await dumpRun;
    if (chatterDump) await chatterDump;
    d.onView?.(view());
    return end(false);
  }
}

/** Reads an import job's row into its part; ends the part when the job ended. */
async function followJob(
  sql: Sql,
  id: string,
  p: Part,
  finish: (p: Part, state: "complete" | "failed", detail?: string) => void,
  rateOf: (p: Part) => void,
): Promise<void> {
  if (p.state !== "running") return;
  const [j] = await sql<
    {
      status: string;
      step: string | null;
      total_rows: number | null;
      processed_rows: number;
      committed_rows: number;
      invalid_rows: number;
      inserted_rows: number;
      updated_rows: number;
      skipped_rows: number;
      duplicate_rows: number;
      error_message: string | null;
    }[]
  >`select status, step, total_rows, processed_rows, committed_rows, invalid_rows, inserted_rows, updated_rows,
           skipped_rows, duplicate_rows, error_message
      from public.import_jobs where id = ${id}`;
  if (!j) return finish(p, "failed", `job ${id} is gone`);
  p.total = j.total_rows;
  // Parsing then committing: the figure shown is the rows through the step the job is in.
  p.done = j.status === "committing" || j.status === "completed" ? j.committed_rows : j.processed_rows;
  p.failed = j.invalid_rows;
  p.detail = `job ${id}: ${j.status}${j.step ? ` (${j.step})` : ""}`;
  rateOf(p);
  if (j.status === "completed") {
    if (j.invalid_rows) p.problems.push(`${j.invalid_rows} invalid rows (see the job's error report)`);
    finish(
      p,
      "complete",
      `job ${id}: ${j.inserted_rows} inserted, ${j.updated_rows} updated, ${j.skipped_rows} skipped, ` +
        `${j.duplicate_rows} duplicates, ${j.invalid_rows} invalid`,
    );
  } else if (j.status === "failed" || j.status === "cancelled") {
    p.problems.push(j.error_message ?? j.status);
    finish(p, "failed", `job ${id} ${j.status}: ${j.error_message ?? "no message"}`);
  } else if (j.status === "ready") {
    p.problems.push("waits for a commit (autoCommit off)");
  }
}

/** The newest error a function logged, for a migration that stopped moving. */
async function lastError(sql: Sql): Promise<string | null> {
  const [r] = await sql<{ fn: string; message: string }[]>`
    select function_name as fn, coalesce(errors[1], status) as message from public.migration_logs
     where status <> 'success' order by id desc limit 1`;
  return r ? `${r.fn}: ${r.message}` : null;
}

/** Links and orphans with their real reason (`passerelle.file_exceptions()`), a line each. */
async function exceptionLines(sql: Sql): Promise<string[]> {
  const [{ ex }] = await sql<{ ex: FileExceptions }[]>`select passerelle.file_exceptions(3) as ex`;
  const out: string[] = [];
  for (const [label, g] of [["link", ex.links], ["orphan", ex.orphans]] as const) {
    if (g.count === 0) continue;
    out.push(`${g.count} ${label}${g.count === 1 ? "" : "s"} not stored: ${g.reason}`);
    for (const i of g.items) out.push(`  attachment ${i.odoo_id} "${i.name}": ${i.reason}`);
  }
  return out;
}
