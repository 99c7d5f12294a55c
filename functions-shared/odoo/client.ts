/**
 * The Odoo client every function uses: the few read methods Passerelle needs,
 * over JSON-RPC (`/jsonrpc`) or Odoo 19's JSON-2 (`/json/2/...`), with one
 * timeout per attempt, retries with exponential backoff and jitter for
 * retryable failures only, and errors mapped to PasserelleError codes
 * (see errors.ts). Time and network are injected, so tests never sleep.
 * Binary fields of any size are read as streams, in flat memory (`readBinary`).
 *
 * ```ts
 * const odoo = createOdooClient(config.odoo, { fetch, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) });
 * const page = await odoo.searchRead<Lead>("crm.lead", [["id", ">", cursor]], {
 *   fields: ["id", "name", "write_date"], order: "id asc", limit: 1000, context: { active_test: false },
 * });
 * ```
 */
import { PasserelleError } from "../errors.ts";
import type { OdooConfig } from "../config.ts";
import { redact } from "./errors.ts";
import { jsonRpcTransport } from "./jsonrpc_transport.ts";
import { json2Transport } from "./json2_transport.ts";
import { type BinaryRead, openBinaryRead } from "./binary_read.ts";
import {
  exchange,
  type ExchangeContext,
  type ModelCall,
  type OdooVersion,
  safeUrl,
  type Transport,
} from "./transport.ts";

export type { OdooVersion } from "./transport.ts";
export type { BinaryRead } from "./binary_read.ts";

/** An Odoo domain: `[["id", ">", 10], "|", ["active", "=", false], ...]`. */
export type OdooDomain = ReadonlyArray<unknown>;

/** Options of `searchRead`. `fields` is required: reading every field makes Odoo several times slower. */
export interface SearchReadOptions {
  fields: string[];
  /** 0 or absent: no limit (Odoo's meaning of 0). */
  limit?: number;
  offset?: number;
  /** Always give one for paging: Odoo's default order is not by id. */
  order?: string;
  context?: Record<string, unknown>;
  /**
   * `null`: many2one fields come as bare ids (false when empty), without the display name Odoo would
   * compute for each (`read`'s `load` argument; fixture odoo17_live/01). Absent: `[id, name]`.
   */
  load?: null;
}

/** What the client needs from outside. */
export interface OdooClientDeps {
  fetch: typeof fetch;
  sleep: (ms: number) => Promise<void>;
  /** Retries after the first attempt, for retryable failures (default 3). */
  retries?: number;
  /** Jitter source in [0, 1) (default Math.random). */
  random?: () => number;
}

/** An Odoo connection. */
export interface OdooClient {
  /**
   * The uid of the configured login; asked once per process (see `learnt`), a failed attempt not kept.
   * Calls over JSON-2 do not need it (the key names the user).
   */
  authenticate(): Promise<number>;
  searchRead<T = Record<string, unknown>>(
    model: string,
    domain: OdooDomain,
    opts: SearchReadOptions,
  ): Promise<T[]>;
  searchCount(
    model: string,
    domain: OdooDomain,
    opts?: { context?: Record<string, unknown> },
  ): Promise<number>;
  /** Records by id; ids Odoo does not have are left out (no error), archived ones included. */
  read<T = Record<string, unknown>>(
    model: string,
    ids: number[],
    fields: string[],
    opts?: { context?: Record<string, unknown> },
  ): Promise<T[]>;
  /**
   * One record's binary field (`ir.attachment` `datas`), decoded as a stream, in
   * flat memory whatever its size: the same call as `read(model, [id], [field])`,
   * its answer consumed as it arrives (see binary_read.ts). Null when Odoo has no
   * record `id`; an empty stream for an empty value (`false` or `""`).
   *
   * Failures before the value's first bytes arrive are thrown, as `read()` throws
   * them (odoo_access_denied for a record that record rules hide, odoo_auth_failed…), and
   * retried as other calls are; after that, the stream errors (retryable
   * odoo_unavailable when Odoo stalls or drops the connection, odoo_malformed when
   * the answer is not what was asked for) and nothing is retried: read again.
   *
   * Time: the configured `timeoutMs` bounds each wait on Odoo (headers, then
   * every chunk), not the whole transfer, so a 200 MB file on a slow link still
   * arrives; `signal` bounds the total (e.g. `AbortSignal.timeout(budgetMs)`),
   * its abort failing as a retryable odoo_timeout. Do not pass `bin_size` in the
   * context (Odoo would answer the size instead of the content).
   *
   * ```ts
   * const file = await odoo.readBinary("ir.attachment", 812, "datas");
   * if (file) await store.put(key, file.stream, { contentType }); // then `await file.done`
   * ```
   */
  readBinary(
    model: string,
    id: number,
    field: string,
    opts?: { context?: Record<string, unknown>; signal?: AbortSignal },
  ): Promise<BinaryRead | null>;
  version(): Promise<OdooVersion>;
  /** HTTP requests made, retries included (for benchmarks). */
  readonly stats: { calls: number };
}

/**
 * What clients of this process learnt from an Odoo server, by transport, URL, database and login: the
 * uid (JSON-RPC's common.authenticate hashes the password, 0.41 s on a real Odoo 17, issue 16) and the
 * version. A function's isolate serves many calls: each reuses them. Forgotten when Odoo refuses the
 * credentials; a failed attempt is never kept.
 */
const learnt = new Map<string, { uid?: Promise<number>; version?: Promise<OdooVersion> }>();

/** First backoff delay, doubled per retry, capped; each delay is jittered down to half. */
export const BACKOFF = { baseMs: 500, maxMs: 10_000 };

/** Creates a client for `config`. */
export function createOdooClient(config: OdooConfig, deps: OdooClientDeps): OdooClient {
  const stats = { calls: 0 };
  const ctx: ExchangeContext = {
    fetch: deps.fetch,
    timeoutMs: config.timeoutMs,
    secret: config.secret,
    stats,
    baseUrl: safeUrl(config.url),
  };
  const transport: Transport = config.transport === "json2"
    ? json2Transport(config, ctx)
    : jsonRpcTransport(config, ctx);
  const retries = deps.retries ?? 3;
  const random = deps.random ?? Math.random;
  const key = [config.transport, safeUrl(config.url), config.db, config.login].join("\u0000");
  const known = learnt.get(key) ?? learnt.set(key, {}).get(key)!;

  /** Runs `attempt` again after retryable failures, unless `stop()` says the caller gave up. */
  async function withRetry<T>(attempt: () => Promise<T>, stop = () => false): Promise<T> {
    for (let n = 0;; n++) {
      try {
        return await attempt();
      } catch (e) {
        const err = sanitize(e, config.secret);
        if (!err.retryable || n >= retries || stop()) throw err;
        const cap = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** n);
        await deps.sleep(Math.round(cap / 2 + (cap / 2) * random()));
      }
    }
  }

  function authenticate(): Promise<number> {
    if (!known.uid) {
      const pending = withRetry(() => transport.authenticate());
      known.uid = pending;
      pending.catch(() => {
        if (known.uid === pending) known.uid = undefined;
      });
    }
    return known.uid;
  }

  /** Runs `attempt` as the configured user, with retries. */
  async function asUser<T>(attempt: (uid: number) => Promise<T>, stop?: () => boolean): Promise<T> {
    // JSON-2 names the user by its key in every request: no uid to ask for first.
    const id = config.transport === "json2" ? 0 : await authenticate();
    try {
      return await withRetry(() => attempt(id), stop);
    } catch (e) {
      // The password or key changed under us: ask again next time.
      if (e instanceof PasserelleError && e.code === "odoo_auth_failed") {
        known.uid = undefined;
        known.version = undefined;
      }
      throw e;
    }
  }

  function execute(call: ModelCall): Promise<unknown> {
    return asUser(async (id) => {
      const prepared = transport.prepare(id, call);
      return prepared.settle(await exchange(ctx, prepared.request));
    });
  }

  function list<T>(value: unknown, what: string): T[] {
    if (!Array.isArray(value)) {
      throw new PasserelleError("odoo_malformed", `Odoo's ${what} answered ${typeof value}, not a list`);
    }
    return value as T[];
  }

  return {
    stats,
    authenticate,

    async searchRead<T>(model: string, domain: OdooDomain, opts: SearchReadOptions): Promise<T[]> {
      if (!Array.isArray(opts.fields) || opts.fields.length === 0) {
        throw new PasserelleError("bad_request", `searchRead(${model}) needs the list of fields to read`);
      }
      const kwargs: Record<string, unknown> = { domain, fields: opts.fields };
      if (opts.limit !== undefined) kwargs.limit = opts.limit;
      if (opts.offset) kwargs.offset = opts.offset;
      if (opts.order) kwargs.order = opts.order;
      if (opts.load === null) kwargs.load = null;
      const result = await execute({ model, method: "search_read", kwargs, context: opts.context });
      return list<T>(result, `${model}.search_read`);
    },

    async searchCount(model: string, domain: OdooDomain, opts: { context?: Record<string, unknown> } = {}) {
      const result = await execute({
        model,
        method: "search_count",
        kwargs: { domain },
        context: opts.context,
      });
      if (typeof result !== "number") {
        throw new PasserelleError("odoo_malformed", `Odoo's ${model}.search_count answered ${typeof result}`);
      }
      return result;
    },

    async read<T>(
      model: string,
      ids: number[],
      fields: string[],
      opts: { context?: Record<string, unknown> } = {},
    ) {
      if (!Array.isArray(fields) || fields.length === 0) {
        throw new PasserelleError("bad_request", `read(${model}) needs the list of fields to read`);
      }
      if (ids.length === 0) return [];
      const result = await execute({ model, method: "read", ids, kwargs: { fields }, context: opts.context });
      return list<T>(result, `${model}.read`);
    },

    readBinary(
      model: string,
      id: number,
      field: string,
      opts: { context?: Record<string, unknown>; signal?: AbortSignal } = {},
    ) {
      if (!Number.isInteger(id) || id <= 0) {
        return Promise.reject(new PasserelleError("bad_request", `readBinary(${model}) needs a record id`));
      }
      if (typeof field !== "string" || field === "") {
        return Promise.reject(
          new PasserelleError("bad_request", `readBinary(${model}) needs a field to read`),
        );
      }
      const call: ModelCall = {
        model,
        method: "read",
        ids: [id],
        kwargs: { fields: [field] },
        context: opts.context,
      };
      return asUser(
        (uid) =>
          openBinaryRead(ctx, {
            prepared: transport.prepare(uid, call),
            id,
            field,
            idleMs: config.timeoutMs,
            signal: opts.signal,
          }),
        () => opts.signal?.aborted === true,
      );
    },

    version() {
      if (!known.version) {
        const pending = withRetry(() => transport.version());
        known.version = pending;
        pending.catch(() => {
          if (known.version === pending) known.version = undefined;
        });
      }
      return known.version;
    },
  };
}

/** Any failure as a PasserelleError whose message cannot hold the secret. */
function sanitize(e: unknown, secret: string): PasserelleError {
  if (e instanceof PasserelleError) {
    const message = redact(e.message, secret);
    return message === e.message ? e : new PasserelleError(e.code, message, e.retryable, { cause: e.cause });
  }
  const message = redact(e instanceof Error ? e.message : String(e), secret);
  return new PasserelleError("internal", `Odoo client failed: ${message}`, false);
}
