/**
 * A PostgreSQL cluster of the local stack: created on first start, reused
 * after (the data is kept), on 127.0.0.1 with pg_cron and the libraries it is
 * asked to preload. Debian's `initdb` refuses root, so as root the cluster
 * belongs to the `postgres` system user the Debian package creates.
 *
 * PASSERELLE_PG_ROOT (default: none) prefixes Debian's paths, to run a
 * relocated copy of PostgreSQL (e.g. one with extensions built by hand, without
 * touching the system's).
 */
import { existsSync } from "node:fs";

export interface Cluster {
  major: number;
  port: number;
  dataDir: string;
  /** Superuser URL of one database of the cluster. */
  url(db?: string): string;
  /** The server was already running when asked to start (its settings are whatever it started with). */
  alreadyRunning: boolean;
  /** Prefix of the PostgreSQL installation's paths ("" for the system's). */
  pgRoot: string;
}

export const isRoot = Deno.uid() === 0;
export const defaultPgRoot = Deno.env.get("PASSERELLE_PG_ROOT") ?? "";

/** Debian's directories of one PostgreSQL major. */
export function pgDirs(
  major: number,
  pgRoot = defaultPgRoot,
): { bin: string; lib: string; extension: string } {
  return {
    bin: `${pgRoot}/usr/lib/postgresql/${major}/bin`,
    lib: `${pgRoot}/usr/lib/postgresql/${major}/lib`,
    extension: `${pgRoot}/usr/share/postgresql/${major}/extension`,
  };
}

/** The newest installed PostgreSQL major version that has pg_cron. */
export function installedMajor(pgRoot = defaultPgRoot): number {
  for (const m of [18, 17, 16, 15]) {
    const d = pgDirs(m, pgRoot);
    if (existsSync(`${d.bin}/postgres`) && existsSync(`${d.extension}/pg_cron.control`)) {
      return m;
    }
  }
  throw new Error(
    "PostgreSQL with pg_cron is not installed: run `bash scripts/install.sh` " +
      "(apt-get install postgresql-15 postgresql-15-cron postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl)",
  );
}

async function run(cmd: string[], opts: { asPostgres?: boolean; quiet?: boolean } = {}): Promise<string> {
  const argv = opts.asPostgres && isRoot ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
  const out = await new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd.join(" ")} failed:\n${text}`);
  return text;
}

/** Where the cluster of `dir` keeps its data for `major`. */
export function clusterDataDir(dir: string, major: number): string {
  return `${dir}/pg${major}`;
}

/** The server's command-line settings: they override the config files and survive `pg_ctl restart`. */
function serverOptions(port: number, preload: string[], settings: Record<string, string>): string {
  return [`-p ${port}`, `-c shared_preload_libraries=${preload.join(",")}`].concat(
    Object.entries(settings).map(([k, v]) => `-c ${k}=${v}`),
  ).join(" ");
}

/**
 * Creates (if needed) and starts the cluster in `dir`; resolves when it
 * accepts connections. `preload` defaults to pg_cron alone.
 */
export async function startCluster(opts: {
  dir: string;
  port: number;
  log?: (s: string) => void;
  preload?: string[];
  settings?: Record<string, string>;
  pgRoot?: string;
}): Promise<Cluster> {
  const log = opts.log ?? (() => {});
  const pgRoot = opts.pgRoot ?? defaultPgRoot;
  const major = installedMajor(pgRoot);
  const bin = pgDirs(major, pgRoot).bin;
  const dataDir = clusterDataDir(opts.dir, major);
  const socketDir = `${opts.dir}/socket`;
  await Deno.mkdir(opts.dir, { recursive: true, mode: 0o755 });
  await Deno.mkdir(socketDir, { recursive: true });
  if (isRoot) await run(["chown", "postgres:postgres", socketDir]);
  if (!existsSync(`${dataDir}/PG_VERSION`)) {
    log(`creating a PostgreSQL ${major} cluster in ${dataDir}`);
    await Deno.mkdir(dataDir, { recursive: true });
    if (isRoot) await run(["chown", "postgres:postgres", dataDir]);
    await run([
      `${bin}/initdb`,
      "-D",
      dataDir,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--locale=C.UTF-8",
    ], {
      asPostgres: true,
    });
    const conf = [
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${socketDir}'`,
      "shared_preload_libraries = 'pg_cron'",
      "cron.database_name = 'postgres'",
      // Jobs run in background workers, not over TCP as the scheduling user.
      "cron.use_background_workers = on",
      "max_worker_processes = 64",
      "max_connections = 200",
      "timezone = 'UTC'",
      // A local, throwaway cluster: durability traded for speed.
      "fsync = off",
      "synchronous_commit = off",
      "full_page_writes = off",
      "shared_buffers = '512MB'",
      "max_wal_size = '4GB'",
      "log_min_messages = warning",
    ].join("\n");
    await Deno.writeTextFile(`${dataDir}/postgresql.auto.conf`, conf + "\n", { append: true });
  }
  const pidFile = `${dataDir}/postmaster.pid`;
  const cluster: Cluster = {
    major,
    port: opts.port,
    dataDir,
    url: (db = "postgres") => `postgresql://postgres@127.0.0.1:${opts.port}/${db}`,
    alreadyRunning: false,
    pgRoot,
  };
  if (existsSync(pidFile) && await isReady(bin, opts.port)) {
    log(`PostgreSQL ${major} already running on 127.0.0.1:${opts.port}`);
    return { ...cluster, alreadyRunning: true };
  }
  log(`starting PostgreSQL ${major} on 127.0.0.1:${opts.port}`);
  await run([
    `${bin}/pg_ctl`,
    "-D",
    dataDir,
    "-l",
    `${dataDir}/server.log`,
    "-o",
    serverOptions(opts.port, opts.preload ?? ["pg_cron"], opts.settings ?? {}),
    "-w",
    "-t",
    "60",
    "start",
  ], { asPostgres: true }).catch((e) => {
    throw new Error(`${e instanceof Error ? e.message : e}\n${serverLogTail(dataDir)}`);
  });
  return cluster;
}

/** Restarts the server (fast shutdown) with other preloaded libraries and settings. */
export async function restartCluster(
  cluster: Cluster,
  preload: string[],
  settings: Record<string, string>,
): Promise<void> {
  await run([
    `${pgDirs(cluster.major, cluster.pgRoot).bin}/pg_ctl`,
    "-D",
    cluster.dataDir,
    "-l",
    `${cluster.dataDir}/server.log`,
    "-m",
    "fast",
    "-o",
    serverOptions(cluster.port, preload, settings),
    "-w",
    "-t",
    "60",
    "restart",
  ], { asPostgres: true });
}

/** The last FATAL/ERROR lines of the server's log (why it did not start). */
export function serverLogTail(dataDir: string): string {
  try {
    return Deno.readTextFileSync(`${dataDir}/server.log`).split("\n")
      .filter((l) => /FATAL|ERROR|PANIC/.test(l)).slice(-3).join("\n");
  } catch {
    return "";
  }
}

async function isReady(bin: string, port: number): Promise<boolean> {
  const r = await new Deno.Command(`${bin}/pg_isready`, {
    args: ["-h", "127.0.0.1", "-p", String(port)],
    stdout: "null",
    stderr: "null",
  }).output();
  return r.success;
}

/** Stops the cluster (fast shutdown). */
export async function stopCluster(cluster: Cluster): Promise<void> {
  const bin = pgDirs(cluster.major, cluster.pgRoot).bin;
  await run([`${bin}/pg_ctl`, "-D", cluster.dataDir, "-m", "fast", "-w", "stop"], { asPostgres: true })
    .catch(() => {});
}

/** Stops whatever cluster runs from `dir` (any major version), creating nothing. */
export async function stopClusterIn(dir: string): Promise<void> {
  for (const m of [18, 17, 16, 15]) {
    const dataDir = clusterDataDir(dir, m);
    if (!existsSync(`${dataDir}/postmaster.pid`)) continue;
    await run([`${pgDirs(m).bin}/pg_ctl`, "-D", dataDir, "-m", "fast", "-w", "stop"], {
      asPostgres: true,
    }).catch(() => {});
  }
}

/** A port nothing listens on now on 127.0.0.1 (the system's pick). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** The test cluster's migrated database, copied for each test file (`createTestDatabase`). */
export const TEST_TEMPLATE = "passerelle_template";

/** True when nothing listens on 127.0.0.1:`port`. */
export function portIsFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}
