/**
 * The one way functions and scripts open PostgreSQL: postgres.js with
 * prepared statements off, since Supabase's transaction pooler (port 6543,
 * what `SUPABASE_DB_URL` may point at) cannot keep them.
 *
 * It also keeps a lost database from taking the process down. postgres.js
 * 3.4.9 writes to a socket it has already dropped when a query is sent on a
 * reserved connection (`sql.reserve()`) after PostgreSQL went away: an
 * uncaught `TypeError: Cannot read properties of null (reading 'write')` from
 * `connection.js:255` (a `setImmediate`, outside any promise), which kills a
 * Deno process, and the query it sent never settles (porsager/postgres#1154,
 * #1208; seen when PostgreSQL restarted during a sync page, issue #13). So:
 * a reserved connection that saw its connection fail refuses later queries at
 * once (`db_unavailable`) instead of writing to the dead socket, and is not
 * released into the pool (postgres.js would hand its dropped socket to the
 * next query, which would then hang), and a
 * process-level guard swallows that one TypeError (and only it) should it
 * still come, so that the server answers the call instead of dying.
 */
import { postgres, type Sql } from "./deps.ts";
import { PasserelleError } from "./errors.ts";

export type { Sql };

/** Error codes of postgres.js and of the network that say the connection, not the query, failed. */
const CONNECTION_CODES = new Set([
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTCONN",
  "EHOSTUNREACH",
]);

/** The uncaught error of porsager/postgres#1154 / #1208. */
function isDeadSocketWrite(e: unknown): boolean {
  return e instanceof TypeError && /reading 'write'/.test(e.message) &&
    /postgres/.test(e.stack ?? "");
}

/**
 * Whether `e` means the database cannot be reached (rather than a query that
 * failed): a connection postgres.js lost or could not open, PostgreSQL shutting
 * down or starting (SQLSTATE 57P01-57P03), a connection exception (class 08).
 */
export function isDbUnavailable(e: unknown): boolean {
  if (e instanceof PasserelleError) return e.code === "db_unavailable";
  if (isDeadSocketWrite(e)) return true;
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  return CONNECTION_CODES.has(code) || /^57P0[123]$/.test(code) || /^08/.test(code);
}

/** A `db_unavailable` error (HTTP 503, retryable) saying why, without the URL or any secret. */
export function dbUnavailable(e: unknown): PasserelleError {
  if (e instanceof PasserelleError && e.code === "db_unavailable") return e;
  const code = (e as { code?: unknown } | null)?.code;
  const why = typeof code === "string" ? code : e instanceof Error ? e.name : "unknown";
  return new PasserelleError(
    "db_unavailable",
    `The database cannot be reached (${why}); the work resumes from its last checkpoint once it is back`,
    true,
    { cause: e },
  );
}

let guarded = false;

/** Keeps the process alive through porsager/postgres#1154 / #1208 (once per process). */
function installCrashGuard(): void {
  if (guarded || typeof globalThis.addEventListener !== "function") return;
  guarded = true;
  globalThis.addEventListener("error", (ev) => {
    if (!isDeadSocketWrite((ev as ErrorEvent).error)) return;
    ev.preventDefault();
    console.error("[db] a write to a lost PostgreSQL connection was dropped (porsager/postgres#1154)");
  });
}

type Reserved = Awaited<ReturnType<Sql["reserve"]>>;

/**
 * A reserved connection that, once one of its queries failed for want of a
 * connection, refuses the next ones at once: postgres.js would write them to
 * the dropped socket and never settle them (porsager/postgres#1154).
 */
function guardReserved(conn: Reserved): Reserved {
  let lost: unknown = null;
  const watch = <Q extends object>(q: Q): Q => {
    const then = (q as unknown as PromiseLike<unknown>).then.bind(q);
    Object.defineProperty(q, "then", {
      configurable: true,
      value: (ok?: (v: unknown) => unknown, ko?: (e: unknown) => unknown) =>
        then(ok, (e: unknown) => {
          if (isDbUnavailable(e)) lost = e;
          if (ko) return ko(e);
          throw e;
        }),
    });
    return q;
  };
  return new Proxy(conn, {
    apply(target, self, args) {
      if (lost) return Promise.reject(dbUnavailable(lost));
      return watch(Reflect.apply(target as never, self, args) as object);
    },
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      // postgres.js has already moved a lost connection to its closed queue (to
      // reconnect it); releasing it would put the dropped socket back in the pool.
      if (prop === "release") return () => lost ? undefined : target.release();
      if (prop === "unsafe" && typeof v === "function") {
        return (...a: unknown[]) => lost ? Promise.reject(dbUnavailable(lost)) : watch(v.apply(target, a));
      }
      return v;
    },
  });
}

/** Opens a small pool; notices (e.g. `raise warning` in chaining) go to `onNotice`. */
export function connectDb(url: string, opts: { max?: number; onNotice?: (msg: string) => void } = {}): Sql {
  installCrashGuard();
  const sql = postgres(url, {
    max: opts.max ?? 3,
    prepare: false,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: (n) => opts.onNotice?.(String(n.message)),
    connection: { application_name: "passerelle" },
  });
  const reserve = sql.reserve.bind(sql);
  Object.defineProperty(sql, "reserve", { value: async () => guardReserved(await reserve()) });
  return sql;
}
