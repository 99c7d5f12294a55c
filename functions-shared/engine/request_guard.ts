/**
 * What every function does before any work: authenticate from the headers
 * alone, then read a body of bounded size. A request without a valid key is
 * answered without its body being read (a 300 MB body sent without a key costs
 * no memory), and a body larger than `MAX_BODY_BYTES` is refused as soon as
 * its declared length or the bytes read pass the cap.
 *
 * Refused calls are counted, not logged one by one: one `migration_logs` row
 * per function, reason and minute (`passerelle.count_refusal`), so that junk
 * requests neither fill the table nor make a migration look failing.
 */
import type { Sql } from "../deps.ts";
import { asPasserelleError, PasserelleError } from "../errors.ts";
import { authenticate, type AuthKeys, type Caller } from "./auth.ts";

/** Default cap of a JSON control body (actions, options, mappings): 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

/** HTTP status of each refusal. */
export const REFUSAL_STATUS: Partial<Record<PasserelleError["code"], number>> = {
  auth_missing: 401,
  auth_invalid: 401,
  forbidden: 403,
  bad_request: 400,
  body_too_large: 413,
};

export interface GuardDeps {
  /** The function's name, as its log rows say. */
  name: string;
  sql: Sql;
  keys: AuthKeys;
}

const json = (body: unknown, status: number) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

/** Counts a refused call (one row per function, reason and minute); a database that is down loses the count. */
export async function countRefusal(sql: Sql, name: string, err: PasserelleError): Promise<void> {
  await sql`select passerelle.count_refusal(${name}, ${err.code}, ${err.message})`.catch(() => {});
}

/** Counts the refusal and answers it `{ code, message }` (never a key, never a cause). */
export async function refuse(d: Pick<GuardDeps, "name" | "sql">, e: unknown): Promise<Response> {
  const err = asPasserelleError(e);
  await countRefusal(d.sql, d.name, err);
  return json({ code: err.code, message: err.message }, REFUSAL_STATUS[err.code] ?? 400);
}

/** Authenticates from the headers; a refusal is counted and answered, the body left unread. */
export async function admit(
  req: Request,
  d: GuardDeps & { allowUsers?: boolean },
): Promise<{ caller: Caller } | { refused: Response }> {
  try {
    const caller = await authenticate(req, d.keys);
    if (caller.kind !== "service" && !d.allowUsers) {
      throw new PasserelleError("forbidden", "This function is for the service role only");
    }
    return { caller };
  } catch (e) {
    const refused = await refuse(d, e);
    await req.body?.cancel().catch(() => {});
    return { refused };
  }
}

function tooLarge(maxBytes: number): PasserelleError {
  return new PasserelleError(
    "body_too_large",
    `The request body is larger than ${maxBytes} bytes (MAX_BODY_BYTES); send files as multipart or by Storage path`,
  );
}

/**
 * A stream of `body` that fails with `body_too_large` past `maxBytes`: the
 * bytes beyond the cap are never read. For bodies streamed elsewhere
 * (multipart uploads, with their own cap, `MAX_UPLOAD_BYTES`).
 */
export function cappedStream(
  req: Request,
  maxBytes: number,
): ReadableStream<Uint8Array> | null {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (!req.body) return null;
  const reader = req.body.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      seen += value.byteLength;
      if (seen > maxBytes) {
        await reader.cancel().catch(() => {});
        return controller.error(tooLarge(maxBytes));
      }
      controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** Reads the body as text, at most `maxBytes` of it (`body_too_large` past that). */
export async function readCappedText(req: Request, maxBytes: number): Promise<string> {
  const stream = cappedStream(req, maxBytes);
  if (!stream) return "";
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) all.set(p, at), at += p.byteLength;
  return new TextDecoder().decode(all);
}

/** Reads a JSON object body (empty = `{}`), capped; `bad_request` when it is not one. */
export async function readJsonObject(req: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const text = await readCappedText(req, maxBytes);
  if (!text.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new PasserelleError("bad_request", "The request body must be a JSON object (or empty)");
  }
  return parsed as Record<string, unknown>;
}
