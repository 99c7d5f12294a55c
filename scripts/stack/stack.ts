/**
 * The local stack (no Docker): PostgreSQL with pg_cron, the real pg_net and
 * supabase_vault where they load and the Supabase compatibility layer
 * otherwise, the migrations applied by the Supabase CLI, the stand-in pg_net
 * worker (with the compatibility layer only), and every Edge Function served
 * at `/functions/v1/<name>`. Used by `deno task dev`, the demo and end-to-end
 * tests.
 */
import { connectDb, type Sql } from "../../functions-shared/db.ts";
import { installCompat, pushMigrations } from "./database.ts";
import { databaseChoice, describeChoice, type ExtensionChoice, type RealExtension } from "./extensions.ts";
import { loadKeys, type StackKeys } from "./keys.ts";
import { type NetWorker, startNetWorker } from "./net_worker.ts";
import type { Cluster } from "./postgres_cluster.ts";
import { startStackCluster } from "./stack_cluster.ts";
import { projectRoot } from "./stack_dir.ts";

export interface StackOptions {
  dir: string;
  pgPort: number;
  functionsPort: number;
  /** Database of the cluster to use (pg_cron serves `postgres`). */
  database?: string;
  /** Extra function environment (Odoo settings, budgets, ...). */
  env?: Record<string, string>;
  /** Write supabase/functions/.env as the CLI does (dev only). */
  writeEnvFile?: boolean;
  log?: (s: string) => void;
  /** Where the functions server's output goes ("inherit" to see it). */
  functionsOutput?: "inherit" | "null";
  /** Restart the functions server if it dies (dev: the stack outlives a crash of it). */
  superviseFunctions?: boolean;
}

export interface Stack {
  cluster: Cluster;
  dbUrl: string;
  functionsUrl: string;
  keys: StackKeys;
  env: Record<string, string>;
  sql: Sql;
  /** Real extension or compatibility layer, for the stack's database. */
  extensions: Record<RealExtension, ExtensionChoice>;
  /** The stand-in pg_net worker; none where the real pg_net serves the database. */
  net?: NetWorker;
  functions: FunctionsProcess;
  stop(): Promise<void>;
}

export interface FunctionsProcess {
  /** Kills the server with SIGKILL (as a crash would). */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** The environment every function gets, as Supabase provides it plus Passerelle's settings. */
export function functionEnv(o: { dbUrl: string; supabaseUrl: string; keys: StackKeys; storageDir: string }) {
  return {
    SUPABASE_URL: o.supabaseUrl,
    SUPABASE_DB_URL: o.dbUrl,
    SUPABASE_SERVICE_ROLE_KEY: o.keys.serviceRoleKey,
    SUPABASE_ANON_KEY: o.keys.anonKey,
    SUPABASE_SECRET_KEY: o.keys.secretKey,
    JWT_SECRET: o.keys.jwtSecret,
    STORAGE_KIND: "local",
    STORAGE_LOCAL_DIR: o.storageDir,
  };
}

async function waitForHttp(url: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      await r.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/**
 * Starts `scripts/stack/functions_server.ts` as a child process. Its output
 * goes to the terminal ("inherit"), nowhere ("null"), or is appended to a file
 * (tests read it to check that no secret is printed).
 */
export async function startFunctionsProcess(
  port: number,
  env: Record<string, string>,
  output: "inherit" | "null" | { logFile: string } = "null",
  /** Restart the server when it exits on its own (the dev stack), saying so here. */
  supervise?: (s: string) => void,
): Promise<FunctionsProcess> {
  const server = `${projectRoot}/scripts/stack/functions_server.ts`;
  let child: Deno.ChildProcess;
  let stopping = false;
  let restarts = 0;
  const watch = (c: Deno.ChildProcess) => {
    if (!supervise) return;
    c.status.then(async (st) => {
      if (stopping || c !== child) return;
      restarts++;
      const wait = Math.min(10_000, 500 * 2 ** Math.min(restarts, 5));
      supervise(`functions server exited (code ${st.code}): restarting it in ${wait / 1000} s`);
      await new Promise((r) => setTimeout(r, wait));
      if (!stopping) await spawn().catch((e) => supervise(`functions server did not restart: ${e}`));
    });
  };
  const spawn = async () => {
    const toFile = typeof output === "object";
    child = new Deno.Command(toFile ? "bash" : Deno.execPath(), {
      args: toFile
        ? [
          "-c",
          `exec "$0" run -A "$1" --port "$2" >>"$3" 2>&1`,
          Deno.execPath(),
          server,
          String(port),
          output.logFile,
        ]
        : ["run", "-A", server, "--port", String(port)],
      env: { ...env, DENO_NO_UPDATE_CHECK: "1" },
      stdout: toFile ? "null" : output,
      stderr: toFile ? "null" : output,
      stdin: "null",
    }).spawn();
    watch(child);
    await waitForHttp(`http://127.0.0.1:${port}/functions/v1/`);
  };
  await spawn();
  return {
    async kill() {
      child.kill("SIGKILL");
      await child.status;
    },
    restart: spawn,
    async stop() {
      stopping = true;
      try {
        child.kill("SIGTERM");
      } catch { /* already gone */ }
      await child.status;
    },
  };
}

/** Starts every part of the stack; resolves when all answer. */
export async function startStack(o: StackOptions): Promise<Stack> {
  const log = o.log ?? (() => {});
  const { cluster, plan } = await startStackCluster({ dir: o.dir, port: o.pgPort, log });
  const database = o.database ?? "postgres";
  const dbUrl = cluster.url(database);
  const extensions = databaseChoice(plan, database);
  if (database !== "postgres") { for (const line of describeChoice(extensions)) log(`${database}: ${line}`); }
  const installed = await installCompat(dbUrl, extensions);
  log(`Supabase compatibility layer: ${installed.join(", ")}`);
  await pushMigrations(dbUrl);
  log("migrations applied with `supabase db push`");
  const keys = await loadKeys(`${o.dir}/keys.json`);
  const functionsUrl = `http://127.0.0.1:${o.functionsPort}`;
  const storageDir = `${o.dir}/storage`;
  await Deno.mkdir(storageDir, { recursive: true });
  const env = { ...functionEnv({ dbUrl, supabaseUrl: functionsUrl, keys, storageDir }), ...o.env };
  if (o.writeEnvFile) {
    const text = Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n") + "\n";
    await Deno.writeTextFile(`${projectRoot}/supabase/functions/.env`, text, { mode: 0o600 });
  }
  const sql = connectDb(dbUrl, { max: 4 });
  await sql`select passerelle.store_secrets(${functionsUrl}, ${keys.serviceRoleKey})`;
  // Never beside the real pg_net worker: two senders of one queue is not what Supabase runs.
  const net = extensions.pg_net.mode === "compat"
    ? startNetWorker(connectDb(dbUrl, { max: 2 }), { log: (s) => log(`net worker: ${s}`) })
    : undefined;
  const functions = await startFunctionsProcess(
    o.functionsPort,
    env,
    o.functionsOutput ?? "null",
    o.superviseFunctions ? log : undefined,
  );
  log(`functions at ${functionsUrl}/functions/v1/<name>`);
  return {
    cluster,
    dbUrl,
    functionsUrl,
    keys,
    env,
    sql,
    extensions,
    net,
    functions,
    async stop() {
      await functions.stop();
      await net?.stop();
      await sql.end({ timeout: 5 });
    },
  };
}
