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
 * #1208; seen when PostgreSQL restarted during a sync page, issue #13), and a
 * released connection whose socket was dropped goes back to the pool, where
 * the next query hangs. So `reserve()` here opens a connection of its own
 * (`ownConnection`), which fails cleanly, and a process-level guard swallows
 * that error (and only it: postgres_crash_guard.ts) should it still come from elsewhere, so
 * that the server answers the call instead of dying.
 */
import { postgres, type Sql } from "./deps.ts";
import { PasserelleError } from "./errors.ts";
import { guardPostgresSocketRace, isPostgresSocketRace } from "./postgres_crash_guard.ts";

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

/**
 * Whether `e` means the database cannot be reached (rather than a query that
 * failed): a connection postgres.js lost or could not open, PostgreSQL shutting
 * down or starting (SQLSTATE 57P01-57P03), a connection exception (class 08).
 */
export function isDbUnavailable(e: unknown): boolean {
  if (e instanceof PasserelleError) return e.code === "db_unavailable";
  if (isPostgresSocketRace(e)) return true;
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
  if (guarded) return;
  guarded = true;
  guardPostgresSocketRace((s) => console.error(`[db] ${s} (porsager/postgres#1154)`));
}

type Reserved = Awaited<ReturnType<Sql["reserve"]>>;

/**
 * What `sql.reserve()` gives, without postgres.js's reserved connections: a
 * pool of one connection of its own, ended on `release()`. Same session for
 * every query (session advisory locks hold), and none of the reserved
 * connections' handling of a lost socket (porsager/postgres#1154, #1208): a
 * query in flight fails with the connection, and once the connection was lost
 * every later query fails at once with `db_unavailable` rather than running in
 * a new session that no longer holds what the first one did.
 */
function ownConnection(url: string, options: Parameters<typeof postgres>[1]): Reserved {
  let lost: unknown = null;
  const one = postgres(url, {
    ...options,
    max: 1,
    // Idle between two queries is normal here (an Odoo call in between): never closed for it.
    idle_timeout: 0,
    onclose: () => {
      lost ??= Object.assign(new Error("connection lost"), { code: "CONNECTION_CLOSED" });
    },
  });
  const refuse = () => Promise.reject(dbUnavailable(lost));
  return new Proxy(one, {
    apply(target, self, args) {
      return lost ? refuse() : Reflect.apply(target as never, self, args);
    },
    get(target, prop, receiver) {
      if (prop === "release") return () => void target.end({ timeout: 5 }).catch(() => {});
      const v = Reflect.get(target, prop, receiver);
      if (prop === "unsafe" && typeof v === "function") {
        return (...a: unknown[]) => lost ? refuse() : v.apply(target, a);
      }
      return v;
    },
  }) as unknown as Reserved;
}

/** Opens a small pool; notices (e.g. `raise warning` in chaining) go to `onNotice`. */
export function connectDb(url: string, opts: { max?: number; onNotice?: (msg: string) => void } = {}): Sql {
  installCrashGuard();
  const options = {
    prepare: false,
    idle_timeout: 20,
    connect_timeout: 10,
    onnotice: (n: { message?: unknown }) => opts.onNotice?.(String(n.message)),
    connection: { application_name: "passerelle" },
  };
  const sql = postgres(url, { ...options, max: opts.max ?? 3 });
  Object.defineProperty(sql, "reserve", { value: () => Promise.resolve(ownConnection(url, options)) });
  return sql;
}
