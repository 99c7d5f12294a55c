/**
 * `deno task migrate [--backup backup.zip] [--leads leads.csv] [--activities activities.csv]
 *  [--owner <email or user id>]`: the whole migration from Odoo on a stack that already runs (the
 * local one from `deno task dev`, or a Supabase project): checks what it needs, starts what is missing
 * in order (lead sync, backup import and its chatter, chatter syncs, lead CSV, activities CSV), shows one
 * progress line per part and ends with the summary (the logic is `functions-shared/migrate/run_migration.ts`).
 *
 * Settings as the functions read them (`SUPABASE_URL`, `SUPABASE_SERVICE_ROLE_KEY`, `SUPABASE_DB_URL`,
 * `ODOO_*`, `STORAGE_*`, `COMPANY_NAME`), from the environment, else from supabase/functions/.env.
 * Exit codes: 0 every part complete, 1 a part failed (the summary says why), 2 bad usage, settings or
 * a failed check (nothing started), 130 interrupted (the functions go on; run it again to follow).
 */
import { parseArgs } from "node:util";
import { openBackup } from "../functions-shared/backup/backup_source.ts";
import { importDumpChatter } from "../functions-shared/backup/chatter_rows.ts";
import { exposedGc } from "../functions-shared/backup/exposed_gc.ts";
import { importBackup } from "../functions-shared/backup/import_backup.ts";
import { loadConfig } from "../functions-shared/config.ts";
import { connectDb } from "../functions-shared/db.ts";
import { formatChecks, formatResult, formatView } from "../functions-shared/migrate/migration_text.ts";
import { importStarter } from "../functions-shared/migrate/import_starter.ts";
import { sqlCron } from "../functions-shared/migrate/preconditions.ts";
import { runMigration } from "../functions-shared/migrate/run_migration.ts";
import { odooFromConfig } from "../functions-shared/odoo/odoo_from_config.ts";
import { storeFromConfig } from "../functions-shared/storage/store_from_config.ts";
import { timedFetch } from "../functions-shared/storage/timed_fetch.ts";
import { parseEnvFile } from "./stack/env_file.ts";

const USAGE =
  `usage: deno task migrate [--backup backup.zip] [--leads leads.csv] [--activities activities.csv]
       [--owner <email or user id>]`;

async function env(): Promise<Record<string, string>> {
  const out = Deno.env.toObject();
  try {
    const file = parseEnvFile(
      await Deno.readTextFile(new URL("../supabase/functions/.env", import.meta.url)),
    );
    for (const [k, v] of Object.entries(file)) if (!(k in out) && v !== undefined) out[k] = v;
  } catch { /* no .env: the environment alone */ }
  return out;
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: Deno.args,
      options: {
        backup: { type: "string" },
        leads: { type: "string" },
        activities: { type: "string" },
        owner: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (e) {
    console.error(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let config;
  try {
    config = loadConfig(await env());
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const sql = connectDb(config.dbUrl, { max: 4 });
  const store = storeFromConfig(config, { fetch: timedFetch() });
  const ctrl = new AbortController();
  const onSignal = () => {
    ctrl.abort(new Error("interrupted"));
    console.error("\nstopped following: the functions go on; run the same command again to follow them");
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", onSignal);
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  let shown = 0;
  let lastPlain = 0;
  let checksShown = false;
  try {
    const result = await runMigration({
      sql,
      store,
      cron: sqlCron(sql),
      odooPing: async () => void await odooFromConfig(config).authenticate(),
      invoke: async (fn) => void await sql`select passerelle.invoke(${fn})`,
      startImport: importStarter({
        fetch: timedFetch(),
        store,
        functionsUrl: config.supabaseUrl,
        serviceRoleKey: config.serviceRoleKey,
      }),
      importDump: async (zip, onProgress) => {
        const backup = await openBackup(zip);
        try {
          return await importBackup({
            sql,
            store,
            backup,
            createMissing: true,
            collectGarbage: exposedGc(),
            concurrency: config.uploadConcurrency,
            signal: ctrl.signal,
            onProgress,
          });
        } finally {
          backup.close();
        }
      },
      importChatter: async (zip) => {
        const backup = await openBackup(zip);
        try {
          return await importDumpChatter({ sql, backup, signal: ctrl.signal });
        } finally {
          backup.close();
        }
      },
      onView: (v) => {
        if (!checksShown && v.checks.length) {
          console.error(formatChecks(v.checks).join("\n"));
          checksShown = true;
        }
        const now = performance.now();
        const lines = formatView(v);
        if (tty) {
          // Redraw in place: up over the lines drawn last time, then clear below.
          Deno.stderr.writeSync(enc.encode(`${shown ? `\x1b[${shown}F` : ""}\x1b[J${lines.join("\n")}\n`));
          shown = lines.length;
        } else if (now - lastPlain >= 5000) {
          console.error(lines.join("\n"));
          lastPlain = now;
        }
      },
    }, {
      zip: values.backup,
      leadsCsv: values.leads,
      activitiesCsv: values.activities,
      owner: values.owner,
      companyName: config.companyName,
    });
    console.log(formatResult(result));
    return result.refused ? 2 : result.ok ? 0 : 1;
  } finally {
    Deno.removeSignalListener("SIGINT", onSignal);
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) Deno.exit(await main());
