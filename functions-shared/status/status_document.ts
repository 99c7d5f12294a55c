/**
 * The status document, as `passerelle.status()` builds it (migration
 * `20261124120000_status.sql`). The SQL editor, the `migration-status`
 * function, the status page and `deno task status` all show this one
 * document, so they cannot disagree. Timestamps are ISO-8601 strings.
 */

/** Health of a function's cron job (`passerelle:<function>`), from pg_cron and pg_net. */
export interface CronHealth {
  /** A cron job `passerelle:<function>` exists (false where pg_cron is absent). */
  scheduled: boolean;
  /** cron.job.active (null when not scheduled). */
  active: boolean | null;
  schedule: string | null;
  last_run_at: string | null;
  /** pg_cron's status of the last run: starting, running, succeeded, failed... */
  last_status: string | null;
  /** Failed runs in the recent window. */
  failed_runs: number;
  failing: boolean;
  /**
   * Where the failure shows: `cron` (the run itself failed, e.g. a Vault secret
   * is missing), `http` (the function refused the cron job's own request:
   * 401/403, as pg_net recorded it), `net` (pg_net recorded another failed
   * answer: 404, timeout, connection refused). Only until a call succeeds.
   */
  source: "cron" | "http" | "net" | null;
  message: string | null;
  failing_since: string | null;
}

/** One error message of the last 24 h, deduplicated (digits masked), with how often it came. */
export interface RecentError {
  message: string;
  count: number;
  last_seen: string;
}

/** Fields every card shows, for migrations and import jobs alike. */
export interface ProgressFigures {
  /** `leads`, `files`, or `import:<uuid>`. */
  key: string;
  label: string;
  /** What is counted: leads, files, rows. */
  unit: string;
  /** Null while the total is not known yet (a sync before it counted). */
  total: number | null;
  done: number;
  failed: number;
  remaining: number | null;
  /** done / total, one decimal (null while the total is unknown or zero). */
  percent: number | null;
  /** Nothing remains of a known, non-empty total. */
  complete: boolean;
  /** Items per second over the recent successful batches (null without any). */
  rate: number | null;
  /** Seconds left at `rate` (0 when complete, null when unknown). */
  eta_s: number | null;
  last_success_at: string | null;
  last_failure_at: string | null;
  last_failure_message: string | null;
  /** Work is going on now (a call runs, or one that moved items ended in the last 30 s). */
  active: boolean;
  /** The last successful batch is younger than the stale window (null for a closed import). */
  alive: boolean | null;
  recent_errors: RecentError[];
}

/** A migration driven by a function: `leads` (sync-odoo-leads) or `files` (archive-odoo-files). */
export interface MigrationStatus extends ProgressFigures {
  function_name: string;
  /** Files claimed by a call in progress (0 for leads). */
  in_progress: number;
  /** Lead sync phase: `full` (first pass) or `incremental` (caught up). */
  phase: string | null;
  last_batch_at: string | null;
  running_calls: number;
  paused: boolean;
  /** Why it is paused (a refused Odoo or Storage key says what to fix), null when not paused or not said. */
  paused_reason: string | null;
  /** Calls refused (no key, a wrong one, a bad body) in the recent window: counted, never a failure. */
  refused: number;
  alive: boolean;
  cron: CronHealth;
}

/** An import job (CSV/XLSX) that is open or closed in the last day. */
export interface ImportStatus extends ProgressFigures {
  id: string;
  kind: "leads" | "activities";
  file_name: string;
  status: "queued" | "parsing" | "ready" | "committing" | "completed" | "failed" | "cancelled";
  step: string | null;
  /** Rows refused by validation (also in `failed`). */
  invalid: number;
  /** Rows found to repeat another row or an existing lead. */
  duplicates: number;
  /** Duplicates skipped by the job's strategy. */
  skipped: number;
}

/** pg_net's answers in the recent window, whoever they were for. */
export interface NetHealth {
  /** pg_net (or its stand-in) is installed in this database. */
  available: boolean;
  responses: number;
  failures: number;
  last_failure_at: string | null;
  last_failure: string | null;
}

/** Attachments that will never be stored, of one kind, with why (`passerelle.file_exceptions()`). */
export interface FileExceptionGroup {
  count: number;
  reason: string;
  /** The first ones by odoo id, each with its own reason. */
  items: { odoo_id: number; name: string; reason: string; lead_id?: number; crm_lead_id?: number }[];
}

/** Links (url attachments) and orphans (their lead deleted in Odoo). */
export interface FileExceptions {
  links: FileExceptionGroup;
  orphans: FileExceptionGroup;
}

/** The whole document. */
export interface StatusDocument {
  generated_at: string;
  /** A migration whose last successful batch is older than this is not alive. */
  stale_s: number;
  /** Window of the rate, the cron runs and the pg_net answers. */
  window_s: number;
  /** pg_cron is installed in this database (it is only in the one it serves). */
  cron_available: boolean;
  migrations: MigrationStatus[];
  imports: ImportStatus[];
  net: NetHealth;
  /** Files never to be stored and why; absent from documents made before it existed. */
  file_exceptions?: FileExceptions;
  /** The latest reconcile run (README, "Reconcile"), or null when none ran. */
  reconcile?: ReconcileSummary | null;
  /** The chatter syncs (activities, then messages); absent from documents made before they existed. */
  chatter?: ChatterSync[];
}

/** One chatter sync (`passerelle.chatter_status()`): sync-odoo-activities or sync-odoo-messages. */
export interface ChatterSync {
  key: "activities" | "messages";
  function_name: string;
  label: string;
  unit: string;
  /** Rows from Odoo in the table now, and those whose lead is there. */
  stored: number;
  linked: number;
  /** Rows its calls read from Odoo, and wrote (inserted or rewritten), over all calls. */
  read: number;
  written: number;
  /** `full` (first pass) or `incremental`; null before its first call. */
  phase: string | null;
  /** The last Odoo id written in the pass under way (0 between passes). */
  cursor_id: number | null;
  passes: number;
  caught_up_at: string | null;
  /** What the sync goes on without and why (tracking values Odoo refuses), null when nothing. */
  notice: string | null;
  last_batch_at: string | null;
  last_success_at: string | null;
  last_failure_at: string | null;
  last_failure_message: string | null;
  running_calls: number;
  active: boolean;
  alive: boolean;
  recent_errors: RecentError[];
}

/** What the latest reconcile run found (`passerelle.reconcile_summary()`). */
export interface ReconcileSummary {
  run_id: number;
  deep: boolean;
  phase: "leads" | "attachments" | "activities" | "compare" | "storage" | "done" | "failed";
  started_at: string;
  finished_at: string | null;
  odoo_leads: number;
  odoo_attachments: number;
  odoo_activities?: number;
  odoo_messages?: number;
  objects_checked: number;
  bytes_checked: number;
  storage_ms: number;
  /** Open differences (null while the run goes on); deletions already marked are in `deleted_kept`. */
  differences: number | null;
  deleted_kept: number | null;
  by_kind: Record<string, number> | null;
  repaired_at: string | null;
  error: string | null;
}
