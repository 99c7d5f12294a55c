/**
 * What the Odoo client needs from a wire format (JSON-RPC or JSON-2), and the
 * one HTTP exchange both make: a request under `AbortSignal.timeout`, with a
 * timeout, a network failure or an unreadable body turned into a retryable
 * PasserelleError. One exchange is one attempt; retrying is the client's job.
 */
import { PasserelleError } from "../errors.ts";
import { excerpt, redact } from "./errors.ts";

/** A call to a model method: named arguments, as JSON-2 takes them and execute_kw accepts them. */
export interface ModelCall {
  model: string;
  method: string;
  /** Record ids, for methods on records (`read`). */
  ids?: number[];
  /** Keyword arguments (`domain`, `fields`, `limit`…). */
  kwargs: Record<string, unknown>;
  context?: Record<string, unknown>;
}

/** The server's version, whichever way it was asked. */
export interface OdooVersion {
  /** e.g. "17.0-20240709" or "19.0". */
  serverVersion: string;
  /** e.g. "17.0". */
  serie: string;
  /** e.g. [17, 0, 0, "final", 0, ""]. */
  versionInfo: (number | string)[];
  major: number;
}

/** One wire format. Each method makes one attempt. */
export interface Transport {
  /** The uid of the configured login (fails with odoo_auth_failed when refused). */
  authenticate(): Promise<number>;
  /**
   * A model method as `uid`, in two halves: the request to send, and how a
   * whole answer turns into its result (null for None) or a typed error.
   * Running it is `prepare(...).settle(await exchange(ctx, request))`; a
   * caller that reads the answer itself (as a stream) sends the request its way.
   */
  prepare(uid: number, call: ModelCall): PreparedCall;
  version(): Promise<OdooVersion>;
}

/** One HTTP request to Odoo; `what` names it in messages ("crm.lead.search_read"). */
export interface HttpRequest {
  url: string;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: string;
  what: string;
}

/** A model call ready to send. */
export interface PreparedCall {
  request: HttpRequest;
  /** Where the method's result sits in a success answer: `["result"]` (JSON-RPC) or `[]` (JSON-2). */
  resultPath: string[];
  /** The result of a whole answer, or the PasserelleError it means (as `execute` throws it). */
  settle(answer: RawAnswer): unknown;
}

/** What an exchange needs. */
export interface ExchangeContext {
  fetch: typeof fetch;
  timeoutMs: number;
  secret: string;
  stats: { calls: number };
  /** The configured Odoo URL without user info, as messages name it. */
  baseUrl?: string;
}

/** The raw answer of one exchange. */
export interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
}

/** Sends one request and reads the whole answer, within `timeoutMs`. */
export async function exchange(ctx: ExchangeContext, req: HttpRequest): Promise<RawAnswer> {
  ctx.stats.calls++;
  try {
    const res = await ctx.fetch(req.url, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(ctx.timeoutMs),
    });
    // The timeout covers the body too: a server that stalls mid-answer is a timeout.
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get("content-type") ?? "", text };
  } catch (e) {
    return Promise.reject(exchangeError(e, ctx, req.what));
  }
}

/** A failed fetch (or body read) as a retryable PasserelleError: odoo_timeout or odoo_unavailable. */
export function exchangeError(e: unknown, ctx: ExchangeContext, what: string): PasserelleError {
  const name = (e as { name?: string })?.name;
  const detail = redact(e instanceof Error ? e.message : String(e), ctx.secret);
  const cause = new Error(detail);
  const at = ctx.baseUrl ? ` at ${ctx.baseUrl}` : "";
  if (name === "TimeoutError") {
    const message = `Odoo${at} did not answer ${what} within ${ctx.timeoutMs} ms`;
    return new PasserelleError("odoo_timeout", message, true, { cause });
  }
  return new PasserelleError(
    "odoo_unavailable",
    `Cannot reach Odoo${at} for ${what}: ${networkCause(e, detail)}`,
    true,
    { cause },
  );
}

/**
 * Why a connection failed, in a few words: Deno says "error sending request for url (…): client error
 * (Connect): tcp connect error: Connection refused (os error 111)", other runtimes "fetch failed" with
 * the system's code (ECONNREFUSED…) in `cause`.
 */
function networkCause(e: unknown, detail: string): string {
  const texts: string[] = [detail];
  for (
    let c = (e as { cause?: unknown })?.cause, n = 0;
    c && n < 4;
    c = (c as { cause?: unknown }).cause, n++
  ) {
    texts.push(
      String((c as { code?: unknown }).code ?? ""),
      String((c as { message?: unknown }).message ?? c),
    );
  }
  const all = texts.join(" ");
  const causes: [RegExp, string][] = [
    [/connection refused|ECONNREFUSED/i, "connection refused"],
    [
      /dns error|failed to lookup|ENOTFOUND|EAI_AGAIN|name or service not known|nodename nor servname/i,
      "host not found",
    ],
    [/connection reset|ECONNRESET|broken pipe|EPIPE/i, "connection reset"],
    [/unreachable|EHOSTUNREACH|ENETUNREACH/i, "host unreachable"],
    [/timed out|ETIMEDOUT/i, "connection timed out"],
    [/certificate|tls|ssl|handshake/i, `TLS failed (${detail})`],
  ];
  for (const [re, said] of causes) if (re.test(all)) return said;
  return detail;
}

/** Parses a JSON answer, or fails with odoo_malformed naming what came instead. */
export function parseJson(answer: RawAnswer, what: string): unknown {
  try {
    return JSON.parse(answer.text);
  } catch {
    const type = answer.contentType.split(";")[0] || "no content type";
    throw new PasserelleError(
      "odoo_malformed",
      `Odoo answered ${what} with something that is not JSON (HTTP ${answer.status}, ${type}): ${
        excerpt(answer.text, 120)
      }`,
    );
  }
}

/** A URL without user info, for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "(invalid URL)";
  }
}
