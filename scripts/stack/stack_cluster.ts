/**
 * The stack's PostgreSQL with the real pg_net and supabase_vault preloaded
 * wherever they can be loaded (`planExtensions`), checked once started
 * (`probeExtensions`), and the compatibility layer for the others. What was
 * chosen is recorded in `<dir>/extensions.json`: a kept cluster stays as its
 * databases were created (a preloaded pg_net worker would otherwise drain the
 * stand-in's queue beside the stand-in worker).
 */
import { existsSync } from "node:fs";
import { postgres } from "../../functions-shared/deps.ts";
import {
  describeChoice,
  type ExtensionPlan,
  installedExtensions,
  planExtensions,
  probeExtensions,
  REAL_EXTENSIONS,
  type RealExtension,
} from "./extensions.ts";
import {
  type Cluster,
  clusterDataDir,
  installedMajor,
  isRoot,
  pgDirs,
  restartCluster,
  startCluster,
} from "./postgres_cluster.ts";
import { ensureVaultKey } from "./vault_key.ts";

type Record_ = Partial<Record<RealExtension, "real" | "compat">>;

function readRecord(file: string): Record_ | undefined {
  try {
    return JSON.parse(Deno.readTextFileSync(file));
  } catch {
    return undefined;
  }
}

/** Starts the cluster of `dir` with the extensions it can load; logs which are real. */
export async function startStackCluster(o: {
  dir: string;
  port: number;
  log?: (s: string) => void;
  /** Prefix of the PostgreSQL installation's paths (default: PASSERELLE_PG_ROOT, else the system's). */
  pgRoot?: string;
}): Promise<{
  cluster: Cluster;
  plan: ExtensionPlan;
}> {
  const log = o.log ?? (() => {});
  const major = installedMajor(o.pgRoot);
  const fresh = !existsSync(`${clusterDataDir(o.dir, major)}/PG_VERSION`);
  const recordFile = `${o.dir}/extensions.json`;
  // A cluster made before the choice was recorded used the compatibility layer for both.
  const kept: Record_ | undefined = fresh
    ? undefined
    : readRecord(recordFile) ?? { pg_net: "compat", supabase_vault: "compat" };
  await Deno.mkdir(o.dir, { recursive: true, mode: 0o755 });
  const getkeyScript = await ensureVaultKey(o.dir, { owner: isRoot ? "postgres" : undefined });
  const installed = installedExtensions(pgDirs(major, o.pgRoot));
  let plan = planExtensions(installed, { getkeyScript, kept, dir: o.dir });
  const allRefused = (reason: string) =>
    Object.fromEntries(REAL_EXTENSIONS.filter((n) => plan.choice[n].mode === "real").map((n) => [n, reason]));

  let cluster: Cluster;
  try {
    cluster = await startCluster({ ...o, preload: plan.preload, settings: plan.settings });
  } catch (e) {
    // PostgreSQL refuses to start when a preloaded library fails to load.
    if (!fresh || plan.preload.length === 1) throw e;
    const tried = plan.preload.join(", ");
    const why = ((e instanceof Error ? e.message : String(e)).split("\n").filter((l) => /FATAL|ERROR/.test(l))
      .pop() ?? "see its server.log").replace(/^.*?(FATAL|ERROR):\s*/, "").trim();
    plan = planExtensions(installed, {
      getkeyScript,
      dir: o.dir,
      refused: allRefused(`the server did not start with it preloaded: ${why}`),
    });
    log(`PostgreSQL did not start with ${tried} (${why}): starting it with pg_cron only`);
    cluster = await startCluster({ ...o, preload: plan.preload, settings: plan.settings });
  }
  if (cluster.alreadyRunning && await runningPreload(cluster) !== plan.preload.join(",")) {
    log(`restarting PostgreSQL to preload ${plan.preload.join(", ")}`);
    await restartCluster(cluster, plan.preload, plan.settings);
  }
  const refused = await probeExtensions(cluster.url, plan);
  if (Object.keys(refused).length > 0) {
    plan = planExtensions(installed, { getkeyScript, dir: o.dir, refused, kept });
    log(`restarting PostgreSQL without what did not load (preload: ${plan.preload.join(", ")})`);
    await restartCluster(cluster, plan.preload, plan.settings);
  }
  const record = Object.fromEntries(REAL_EXTENSIONS.map((n) => [n, plan.choice[n].mode]));
  await Deno.writeTextFile(recordFile, JSON.stringify(record) + "\n");
  for (const line of describeChoice(plan.choice)) log(line);
  return { cluster, plan };
}

async function runningPreload(cluster: Cluster): Promise<string> {
  const sql = postgres(cluster.url(), { max: 1, onnotice: () => {} });
  try {
    const [{ shared_preload_libraries }] = await sql`show shared_preload_libraries`;
    return String(shared_preload_libraries).replace(/\s/g, "");
  } finally {
    await sql.end();
  }
}
