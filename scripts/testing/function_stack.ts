/**
 * The functions as they run for real, for end-to-end tests: the functions
 * server as a child process (so that it can be killed with SIGKILL), the
 * stand-in pg_net worker on the test database (none where the real pg_net
 * serves it), an Odoo simulator and a local storage dir.
 */
import { connectDb, type Sql } from "../../functions-shared/db.ts";
import type { OdooDataset } from "../odoo_simulator/dataset.ts";
import { type OdooSimulator, startOdooSimulator } from "../odoo_simulator/server.ts";
import { makeKeys } from "../stack/keys.ts";
import { startStorageStandin, type StorageStandin } from "../storage_standin/server.ts";
import { type StandinProcess, startStandinProcess } from "../storage_standin/standin_process.ts";
import { type NetWorker, startNetWorker } from "../stack/net_worker.ts";
import { functionEnv, type FunctionsProcess, startFunctionsProcess } from "../stack/stack.ts";
import { freePort, portIsFree } from "../stack/postgres_cluster.ts";

/**
 * The ports of `PASSERELLE_STACK_PORTS` ("first-last"), taken in turn where free, for a session that
 * must keep its servers inside a block of its own; a free port of the system's otherwise.
 */
let nextInBlock = 0;
function stackPort(): number {
  const block = /^(\d+)-(\d+)$/.exec(Deno.env.get("PASSERELLE_STACK_PORTS") ?? "");
  if (!block) return freePort();
  const [first, last] = [Number(block[1]), Number(block[2])];
  for (let i = 0; i <= last - first; i++) {
    const port = first + (nextInBlock++ % (last - first + 1));
    if (portIsFree(port)) return port;
  }
  throw new Error(`no free port in PASSERELLE_STACK_PORTS ${first}-${last}`);
}

export interface FunctionStack {
  url: string;
  odoo: OdooSimulator;
  /** The Storage stand-in, when the functions store through Supabase Storage's HTTP API. */
  storage?: StorageStandin;
  /** The Storage stand-in as a process of its own (`storage: "standin-process"`). */
  storageProcess?: StandinProcess;
  /** The project URL the functions store through, with either stand-in. */
  storageUrl?: string;
  storageDir: string;
  serviceRoleKey: string;
  functions: FunctionsProcess;
  /** The stand-in pg_net worker; none where the real pg_net serves the database. */
  net?: NetWorker;
  output: () => string;
  /** POSTs to a function with the service-role key. */
  call(
    name: string,
    body?: unknown,
    key?: string,
  ): Promise<{ status: number; body: Record<string, unknown> }>;
  stop(): Promise<void>;
}

/** Starts the functions against `dbUrl`, with the Vault secrets stored for cron. */
export async function startFunctionStack(o: {
  dbUrl: string;
  dataset: OdooDataset;
  latencyMs?: number;
  env?: Record<string, string>;
  /**
   * "standin": Supabase Storage over HTTP (the stand-in server, in this process); "standin-process": the
   * same in a child process, as the real server runs (for benches); default: a local directory.
   */
  storage?: "local" | "standin" | "standin-process";
}): Promise<FunctionStack> {
  const odoo = await startOdooSimulator({
    dataset: o.dataset,
    latencyMs: o.latencyMs ?? 0,
    port: stackPort(),
  });
  const keys = await makeKeys();
  const { jwtSecret } = keys;
  const storageDir = await Deno.makeTempDir({ prefix: "passerelle-store-" });
  const port = stackPort();
  const url = `http://127.0.0.1:${port}`;
  const storage = o.storage === "standin"
    ? await startStorageStandin({ jwtSecret, buckets: [{ name: "estimation-files" }], port: stackPort() })
    : undefined;
  const storageProcess = o.storage === "standin-process"
    ? await startStandinProcess({ jwtSecret, port: stackPort() })
    : undefined;
  const storageUrl = storage?.url ?? storageProcess?.url;
  const env = {
    ...functionEnv({ dbUrl: o.dbUrl, supabaseUrl: url, keys, storageDir }),
    ...(storageUrl ? { STORAGE_KIND: "supabase", SUPABASE_URL: storageUrl } : {}),
    ODOO_URL: odoo.url,
    ODOO_DB: "crm_src",
    ODOO_LOGIN: "admin",
    ODOO_PASSWORD: "admin",
    ...o.env,
  };
  const logFile = await Deno.makeTempFile({ prefix: "passerelle-functions-", suffix: ".log" });
  const functions = await startFunctionsProcess(port, env, { logFile });
  const sql: Sql = connectDb(o.dbUrl, { max: 2 });
  await sql`select passerelle.store_secrets(${url}, ${keys.serviceRoleKey})`;
  const [{ real }] = await sql`select exists(select from pg_extension where extname = 'pg_net') as real`;
  const net = real ? undefined : startNetWorker(connectDb(o.dbUrl, { max: 2 }));
  return {
    url,
    odoo,
    storage,
    storageProcess,
    storageUrl,
    storageDir,
    serviceRoleKey: keys.serviceRoleKey,
    functions,
    net,
    output: () => Deno.readTextFileSync(logFile),
    async call(name, body = {}, key = keys.serviceRoleKey) {
      const res = await fetch(`${url}/functions/v1/${name}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    },
    async stop() {
      await functions.stop();
      await net?.stop();
      await sql.end();
      await odoo.close();
      await storage?.close();
      await storageProcess?.close();
      await Deno.remove(storageDir, { recursive: true }).catch(() => {});
      await Deno.remove(logFile).catch(() => {});
    },
  };
}
