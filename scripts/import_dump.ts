/**
 * `deno task import-dump <backup.zip | extracted folder> [options]`: stores the files of an Odoo backup
 * for the `lead_files` waiting for them, straight from `dump.sql` and `filestore/`, without the Odoo API
 * and without restoring the dump (the logic is `functions-shared/backup/import_backup.ts`).
 *
 *   --dry-run            say what it would do; write nothing
 *   --create-missing     create lead_files rows for crm.lead attachments that have none
 *   --concurrency N      files stored at once (default 5)
 *   --mapping file.csv   read attachments from the seed's mapping CSV (id,store_fname,name,mimetype)
 *                        instead of dump.sql
 *   --failures file.csv  where to write the failures (written even when empty); by default
 *                        import-dump-failures-<time>.csv, only when there are some; never in a dry run
 *   --skip-chatter       leave the leads' chatter and activities (mail_message, mail_tracking_value,
 *                        message_attachment_rel, mail_activity) alone; read by default once the files
 *                        are done (functions-shared/backup/chatter_rows.ts)
 *
 * Settings come from the environment: SUPABASE_DB_URL (or DATABASE_URL), and for storage STORAGE_KIND
 * (supabase by default, or local), STORAGE_BUCKET, STORAGE_LOCAL_DIR, SUPABASE_URL and
 * SUPABASE_SERVICE_ROLE_KEY. Those missing from the environment are read from supabase/functions/.env,
 * which `deno task dev` writes, so that the command works against the local stack as is.
 *
 * Ctrl-C stops taking files, abandons those in flight (nothing half-recorded), prints the summary and
 * exits 130; run the same command again to resume. A second Ctrl-C exits at once.
 * Exit codes: 0 every file that can be stored is stored (links and attachments of leads deleted in Odoo
 * are skipped, with their reason, not failures), 1 some failed (see the CSV) or the import stopped on an
 * error, 2 bad usage or settings, 130 interrupted.
 */
import { parseArgs } from "node:util";
import { connectDb } from "../functions-shared/db.ts";
import { PasserelleError } from "../functions-shared/errors.ts";
import { openBackup } from "../functions-shared/backup/backup_source.ts";
import { failuresCsv } from "../functions-shared/backup/failures_csv.ts";
import { exposedGc } from "../functions-shared/backup/exposed_gc.ts";
import { importBackup } from "../functions-shared/backup/import_backup.ts";
import { formatChatterSummary, importDumpChatter } from "../functions-shared/backup/chatter_rows.ts";
import { parseMappingCsv } from "../functions-shared/backup/mapping_csv.ts";
import { progressBar } from "../functions-shared/backup/progress_bar.ts";
import { formatSummary } from "../functions-shared/backup/summary_text.ts";
import { storeFromConfig } from "../functions-shared/storage/store_from_config.ts";
import { timedFetch } from "../functions-shared/storage/timed_fetch.ts";
import { parseEnvFile } from "./stack/env_file.ts";

const USAGE = `usage: deno task import-dump <backup.zip | extracted folder> [--dry-run] [--create-missing]
       [--concurrency 5] [--mapping file.csv] [--failures failures.csv] [--skip-chatter]`;

type Env = Record<string, string | undefined>;

const SETTINGS = [
  "SUPABASE_DB_URL",
  "DATABASE_URL",
  "STORAGE_KIND",
  "STORAGE_BUCKET",
  "STORAGE_LOCAL_DIR",
  "SUPABASE_URL",
  "SUPABASE_SERVICE_ROLE_KEY",
];

/**
 * The environment, completed from supabase/functions/.env where it lacks a
 * setting. As dotenv does, a variable the environment has, even empty, is
 * not overridden: `FOO= deno task import-dump` means no FOO.
 */
async function loadEnv(): Promise<{ env: Env; from: string | null }> {
  const env: Env = Deno.env.toObject();
  const path = new URL("../supabase/functions/.env", import.meta.url);
  if (SETTINGS.filter((k) => k !== "DATABASE_URL").every((k) => k in env)) return { env, from: null };
  let file: Env;
  try {
    file = parseEnvFile(await Deno.readTextFile(path));
  } catch {
    return { env, from: null };
  }
  let used = false;
  for (const k of SETTINGS) {
    if (!(k in env) && file[k]) {
      env[k] = file[k];
      used = true;
    }
  }
  return { env, from: used ? "supabase/functions/.env" : null };
}

/** Validates the settings as a whole: one message naming every problem. */
function settings(env: Env) {
  const issues: string[] = [];
  const dbUrl = env.SUPABASE_DB_URL || env.DATABASE_URL || "";
  if (!dbUrl) issues.push("SUPABASE_DB_URL (or DATABASE_URL) is missing");
  const kind = env.STORAGE_KIND || "supabase";
  if (kind !== "supabase" && kind !== "local") {
    issues.push(`STORAGE_KIND must be "supabase" or "local" (got "${kind}")`);
  }
  if (kind === "local" && !env.STORAGE_LOCAL_DIR) {
    issues.push("STORAGE_LOCAL_DIR is missing (STORAGE_KIND=local)");
  }
  if (kind === "supabase") {
    if (!env.SUPABASE_URL) issues.push("SUPABASE_URL is missing");
    else if (!URL.canParse(env.SUPABASE_URL)) issues.push("SUPABASE_URL is not a URL");
    if (!env.SUPABASE_SERVICE_ROLE_KEY) issues.push("SUPABASE_SERVICE_ROLE_KEY is missing");
  }
  if (issues.length) {
    throw new PasserelleError("config_invalid", `Invalid configuration: ${issues.join("; ")}`);
  }
  return {
    dbUrl,
    storage: {
      supabaseUrl: (env.SUPABASE_URL ?? "").replace(/\/+$/, ""),
      serviceRoleKey: env.SUPABASE_SERVICE_ROLE_KEY ?? "",
      storage: {
        kind: kind as "supabase" | "local",
        bucket: env.STORAGE_BUCKET || "estimation-files",
        localDir: env.STORAGE_LOCAL_DIR,
      },
    },
  };
}

function fail(message: string, code = 2): never {
  console.error(message);
  Deno.exit(code);
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: Deno.args,
      allowPositionals: true,
      options: {
        "dry-run": { type: "boolean", default: false },
        "create-missing": { type: "boolean", default: false },
        concurrency: { type: "string", default: "5" },
        mapping: { type: "string" },
        failures: { type: "string" },
        "skip-chatter": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) fail(USAGE);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    fail(`--concurrency must be a whole number from 1 to 64 (got "${values.concurrency}")`);
  }

  const { env, from } = await loadEnv();
  let config;
  try {
    config = settings(env);
  } catch (e) {
    fail((e as Error).message);
  }
  if (from) console.error(`settings missing from the environment were read from ${from}`);

  const mapping = values.mapping ? parseMappingCsv(await Deno.readTextFile(values.mapping)) : undefined;
  const store = storeFromConfig(config.storage, { fetch: timedFetch() });
  const sql = connectDb(config.dbUrl, { max: 3 });
  const ctrl = new AbortController();
  let stops = 0;
  const onSignal = () => {
    if (++stops > 1) Deno.exit(130);
    console.error(
      "\nstopping: no new files; files in flight are abandoned, not recorded (Ctrl-C again to quit now)",
    );
    ctrl.abort(new Error("interrupted"));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const enc = new TextEncoder();
  const bar = progressBar({
    write: (t) => Deno.stderr.writeSync(enc.encode(t)),
    tty: Deno.stderr.isTerminal(),
    clock: () => performance.now(),
  });
  let backup;
  try {
    backup = await openBackup(positionals[0]);
    if (!mapping && !backup.hasDump) {
      throw new PasserelleError(
        "backup_invalid",
        `${positionals[0]}: no dump.sql here (or pass --mapping file.csv)`,
      );
    }
    let stored = false;
    const summary = await importBackup({
      sql,
      store,
      backup,
      mapping,
      concurrency,
      dryRun: values["dry-run"],
      createMissing: values["create-missing"],
      collectGarbage: exposedGc(),
      signal: ctrl.signal,
      onProgress: (p) => {
        stored ||= p.phase === "storing";
        // A dry run stores nothing: its summary says what it would do, an empty bar would not.
        if (p.phase !== "done" || stored) bar.update(p);
      },
    });
    bar.finish();
    let failuresPath: string | null = null;
    // A dry run writes nothing, a failures file included: its summary lists the failures by reason.
    if (!summary.dryRun && (summary.failures.length || values.failures)) {
      failuresPath = values.failures ??
        `import-dump-failures-${new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19)}.csv`;
      await Deno.writeTextFile(failuresPath, failuresCsv(summary.failures));
    }
    console.log(formatSummary(summary, { failuresPath }));
    if (summary.interrupted) return 130;
    if (!values["skip-chatter"] && backup.hasDump) {
      const chatter = await importDumpChatter({
        sql,
        backup,
        signal: ctrl.signal,
        dryRun: values["dry-run"],
      });
      console.log(formatChatterSummary(chatter, values["dry-run"]));
    }
    return summary.failed > 0 && !summary.dryRun ? 1 : 0;
  } catch (e) {
    console.error(`\nimport-dump stopped: ${e instanceof Error ? e.message : e}`);
    if (ctrl.signal.aborted) return 130;
    return e instanceof PasserelleError && e.code === "config_invalid" ? 2 : 1;
  } finally {
    backup?.close();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) Deno.exit(await main());
