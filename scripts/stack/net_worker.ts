/**
 * The local stand-in for pg_net's background worker (pg_net 0.20.4, see
 * README "Local stack"): takes up to `batchSize` queued requests (committed
 * at once, so no lock is held while they run), sends them concurrently, and
 * inserts every response of the batch in one statement, so they appear
 * together once the slowest request finished or timed out. Then waits up to a
 * second (or until `net.wake()` notifies) before the next batch. Responses
 * older than `ttl` are deleted. A lost database is retried with backoff until
 * it is back. Where the real pg_net serves the database this worker is not
 * started (and would find nothing to take).
 */
import type { Sql } from "../../functions-shared/deps.ts";
import { guardPostgresSocketRace } from "../../functions-shared/postgres_crash_guard.ts";

interface QueuedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, string | null> | null;
  body: Uint8Array<ArrayBuffer> | null;
  timeout_milliseconds: number;
}

interface ResponseRow {
  id: string;
  status_code: number | null;
  content_type: string | null;
  headers: Record<string, string> | null;
  content: string | null;
  timed_out: boolean;
  error_msg: string | null;
}

export interface NetWorker {
  stop(): Promise<void>;
  /** Requests sent so far. */
  readonly sent: number;
}

const USER_AGENT = "pg_net/0.20.4";

/** Sends one queued request as libcurl in pg_net would, never throwing. */
export async function sendRequest(r: QueuedRequest, fetchFn: typeof fetch = fetch): Promise<ResponseRow> {
  const row: ResponseRow = {
    id: r.id,
    status_code: null,
    content_type: null,
    headers: null,
    content: null,
    timed_out: false,
    error_msg: null,
  };
  let url: URL;
  try {
    url = new URL(r.url);
  } catch {
    return { ...row, error_msg: "URL using bad/illegal format or missing URL" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { ...row, error_msg: "Unsupported protocol" };
  }
  const headers = new Headers({ Accept: "*/*" });
  // jsonb keeps keys in its own order; a null value (a missing Vault secret in
  // the seed's expression) drops the header, as curl does.
  for (const [k, v] of Object.entries(r.headers ?? {})) if (v !== null) headers.append(k, String(v));
  headers.append("User-Agent", USER_AGENT);
  if (r.headers === null && r.method.toUpperCase() === "POST") {
    headers.set("Content-Type", "application/x-www-form-urlencoded");
  }
  const started = performance.now();
  try {
    const res = await fetchFn(url, {
      method: r.method.toUpperCase(),
      headers,
      body: r.method.toUpperCase() === "GET" ? undefined : r.body ?? undefined,
      redirect: "follow",
      signal: AbortSignal.timeout(r.timeout_milliseconds),
    });
    // pg_net stores the body as a C string (pg_net 0.20.5 src/core.c, insert_response): cut at the
    // first NUL, null when empty. jsonb and text refuse NUL, so a body with one would also block the batch.
    const content = (await res.text()).split("\u0000")[0] || null;
    return {
      ...row,
      status_code: res.status,
      content_type: res.headers.get("content-type"),
      headers: Object.fromEntries(res.headers),
      content,
    };
  } catch (e) {
    const total = performance.now() - started;
    if (e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError")) {
      return {
        ...row,
        timed_out: true,
        error_msg: `Timeout of ${r.timeout_milliseconds} ms reached. Total time: ${total.toFixed(6)} ms ` +
          `(DNS time: 0.000000 ms, TCP/SSL handshake time: 0.000000 ms, HTTP Request/Response time: ${
            total.toFixed(6)
          } ms)`,
      };
    }
    const cause = e instanceof Error && e.cause instanceof Error ? ` ${e.cause.message}` : "";
    const msg = (e instanceof Error ? e.message : String(e)) + cause;
    if (/refused|connect/i.test(msg)) return { ...row, error_msg: "Couldn't connect to server" };
    if (/dns|lookup|resolve/i.test(msg)) return { ...row, error_msg: "Couldn't resolve host name" };
    return { ...row, error_msg: msg };
  }
}

/** Backoff after `failures` failed rounds in a row: 0.25 s, 0.5 s, 1 s … up to 10 s. */
export function retryDelayMs(failures: number): number {
  return Math.min(10_000, 250 * 2 ** Math.max(0, failures - 1));
}

/**
 * Starts draining `net.http_request_queue` of the database behind `sql`.
 * Only where the compatibility layer provides `net`: the queue is taken in a
 * statement that finds nothing once the real pg_net extension owns it.
 */
export function startNetWorker(
  sql: Sql,
  opts: {
    batchSize?: number;
    ttl?: string;
    /** Failed rounds (first, then every tenth) and recoveries, in words. */
    log?: (s: string) => void;
    /** Every failed round's error (the worker retries it regardless). */
    onError?: (e: unknown) => void;
  } = {},
): NetWorker {
  const batchSize = opts.batchSize ?? 200;
  const ttl = opts.ttl ?? "6 hours";
  const log = opts.log ?? (() => {});
  let running = true;
  let sent = 0;
  let wake: (() => void) | undefined;
  const unguard = guardPostgresSocketRace(log);
  // A lost LISTEN connection is re-established by postgres.js; until then the
  // one-second poll below drains the queue all the same.
  const listening = sql.listen("pg_net_wake", () => wake?.()).catch(() => undefined);
  /** Responses sent but not yet written (the database was away): written first when it is back. */
  let unwritten: ResponseRow[] = [];

  async function writeResponses(): Promise<void> {
    if (unwritten.length === 0) return;
    await sql`
      insert into net._http_response (id, status_code, content_type, headers, content, timed_out, error_msg)
      select * from jsonb_to_recordset(${sql.json(unwritten as never)})
        as r(id bigint, status_code int, content_type text, headers jsonb, content text, timed_out boolean,
             error_msg text)`;
    unwritten = [];
  }

  // Take the batch (one statement, committed at once), send it with no
  // transaction open, then write every response of the batch in one short
  // statement, so that they appear together as pg_net's do.
  async function batch(): Promise<number> {
    await writeResponses();
    const rows = await sql<QueuedRequest[]>`
      delete from net.http_request_queue
       where id in (select id from net.http_request_queue order by id limit ${batchSize} for update skip locked)
         and not exists (select from pg_extension where extname = 'pg_net')
      returning id, method, url, headers, body, timeout_milliseconds`;
    if (rows.length === 0) return 0;
    unwritten = await Promise.all(rows.map((r) => sendRequest(r)));
    sent += rows.length;
    await writeResponses();
    return rows.length;
  }

  const loop = (async () => {
    let lastPurge = 0;
    let failures = 0;
    while (running) {
      let n = 0;
      try {
        n = await batch();
        if (Date.now() - lastPurge > 60_000) {
          await sql`delete from net._http_response where created < now() - ${ttl}::interval`;
          lastPurge = Date.now();
        }
        if (failures > 0) log(`recovered after ${failures} failed rounds: draining again`);
        failures = 0;
      } catch (e) {
        if (!running) break;
        failures++;
        opts.onError?.(e);
        // Logged on the first failure and then every tenth, not once per retry.
        if (failures === 1 || failures % 10 === 0) {
          log(`round failed (${e instanceof Error ? e.message : e}): retrying with backoff`);
        }
      }
      if (!running) break;
      if (n === 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, failures > 0 ? retryDelayMs(failures) : 1000);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = undefined;
      }
    }
  })();

  return {
    get sent() {
      return sent;
    },
    async stop() {
      running = false;
      wake?.();
      await loop;
      const l = await listening;
      if (l) await l.unlisten().catch(() => {});
      unguard();
    },
  };
}
