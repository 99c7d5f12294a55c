/**
 * One attempt at reading one record's binary field as a stream of decoded
 * bytes: the same `read` call as `read(model, [id], [field])`, but the answer
 * is consumed as it arrives. Memory stays at a chunk or two of the answer
 * (tens of KB) whatever the file's size, where `read()` holds the answer text,
 * the parsed base64 string and the decoded bytes at once (3.7x the file).
 *
 * How an answer is read:
 *   - until the field's string value starts, bytes are kept (a few hundred
 *     bytes in a success answer; at most SMALL_ANSWER_MAX) and scanned by
 *     json_field_scanner.ts;
 *   - an answer that ends before that (an Odoo error, `[]` for an id Odoo lacks,
 *     `false` for an empty file, a non-JSON page, any non-200 status) is small:
 *     it goes whole through the transport's own `settle`, so it fails with the
 *     very PasserelleError `read()` would throw;
 *   - otherwise the value's base64 is decoded chunk by chunk
 *     (json_base64_decoder.ts) into the returned stream; the answer's end (after
 *     the value, at most TAIL_MAX) is then checked by parsing the answer with
 *     the value cut out, and the stream errors (odoo_malformed) if it is not the
 *     one record asked for.
 *
 * Time limit: `idleMs` bounds every wait on Odoo (for the headers, then for
 * each chunk), not the whole transfer: a fixed total would fail a 200 MB file
 * on a slow link while a stalled server is caught either way. Waits for the
 * reader (backpressure) do not count. A caller's `signal` bounds the total.
 */
import { Buffer } from "node:buffer";
import { PasserelleError } from "../errors.ts";
import { redact } from "./errors.ts";
import { createJsonBase64Decoder } from "./json_base64_decoder.ts";
import { createJsonFieldScanner } from "./json_field_scanner.ts";
import { type ExchangeContext, exchangeError, type PreparedCall, type RawAnswer } from "./transport.ts";

/** A binary value being read: its decoded bytes, and the outcome as a typed error. */
export interface BinaryRead {
  /**
   * The field's decoded bytes. It closes only once the whole answer was read and
   * checked; it errors with a PasserelleError (retryable odoo_unavailable when
   * Odoo stalls or the connection drops, odoo_malformed when the answer is not
   * base64 in the expected record). Read it to the end or cancel it: an
   * abandoned stream keeps its connection open.
   */
  stream: ReadableStream<Uint8Array>;
  /**
   * Settles with the stream: resolves when it closed, rejects with its error
   * (or when the reader cancelled it). Handy when the stream is piped into a
   * consumer that wraps errors. Never an unhandled rejection when ignored.
   */
  done: Promise<void>;
}

/** Largest answer kept whole: errors, `[]`, `false`, and what precedes the value. Odoo's are a few KB. */
export const SMALL_ANSWER_MAX = 4 * 1024 * 1024;
/** Largest tail after the value: in a one-field read it is `}]}` (plus whitespace). */
export const TAIL_MAX = 64 * 1024;

/** What `openBinaryRead` needs besides the exchange context. */
export interface BinaryReadPlan {
  prepared: PreparedCall;
  id: number;
  field: string;
  /** Limit on each wait for Odoo, in ms. */
  idleMs: number;
  /** The caller's own limit (a budget): aborting it errors the read. */
  signal?: AbortSignal;
}

const utf8 = new TextDecoder();

/**
 * Sends the request and reads the answer until the value's bytes start; null
 * when Odoo has no such record. Errors before that are thrown (and may be
 * retried by the caller); errors after go to the stream.
 */
export async function openBinaryRead(ctx: ExchangeContext, plan: BinaryReadPlan): Promise<BinaryRead | null> {
  const { prepared, id, field } = plan;
  const what = prepared.request.what;
  const net = networkWatch(plan.idleMs, plan.signal);
  ctx.stats.calls++;
  let res: Response;
  try {
    res = await net.watch(ctx.fetch(prepared.request.url, {
      method: prepared.request.method,
      headers: prepared.request.headers,
      body: prepared.request.body,
      signal: net.signal,
    }));
  } catch (e) {
    throw net.failure(e, ctx, what, "before");
  }
  const contentType = res.headers.get("content-type") ?? "";
  const reader = res.body?.getReader();
  const read = async (): Promise<Uint8Array | null> => {
    if (!reader) return null;
    try {
      const r = await net.watch(reader.read());
      return r.done ? null : r.value;
    } catch (e) {
      throw net.failure(e, ctx, what, "before");
    }
  };
  const drop = () => reader?.cancel().catch(() => {});

  /** The answer so far, whole: what `execute` would have read. */
  const kept: Uint8Array[] = [];
  let keptBytes = 0;
  const keep = (chunk: Uint8Array) => {
    kept.push(chunk);
    keptBytes += chunk.length;
  };
  const settleKept = (): BinaryRead | null => {
    const answer: RawAnswer = { status: res.status, contentType, text: utf8.decode(concat(kept)) };
    return fromValue(prepared.settle(answer), id, field, what);
  };

  try {
    if (res.status !== 200) {
      // Error bodies are small; one past the limit is cut, and settles as the page it is.
      for (let chunk = await read(); chunk && keptBytes < SMALL_ANSWER_MAX; chunk = await read()) keep(chunk);
      drop();
      return settleKept();
    }
    const scanner = createJsonFieldScanner([...prepared.resultPath, 0, field]);
    let rest: Uint8Array | null = null; // the value's first bytes, after its opening quote
    let prefix: Uint8Array | null = null;
    for (;;) {
      const chunk = await read();
      if (!chunk) {
        if (prefix) throw malformed(what, "the answer ended inside the value");
        return settleKept();
      }
      if (prefix) {
        rest = chunk;
      } else {
        const found = scanner.push(chunk);
        if (found.found) {
          keep(chunk.slice(0, found.offset));
          prefix = concat(kept);
          rest = chunk.subarray(found.offset);
        } else keep(chunk);
        if (keptBytes > SMALL_ANSWER_MAX) {
          throw malformed(what, `more than ${SMALL_ANSWER_MAX} bytes came before the value of "${field}"`);
        }
      }
      // Return once the value's first bytes are here: retries stay possible until then.
      if (rest && rest.length > 0) break;
    }
    return streamValue({
      ctx,
      prepared,
      id,
      field,
      what,
      contentType,
      net,
      reader: reader!,
      prefix: prefix!,
      rest: rest!,
    });
  } catch (e) {
    drop();
    throw e;
  }
}

/** The stream of a value whose opening quote was read. */
function streamValue(s: {
  ctx: ExchangeContext;
  prepared: PreparedCall;
  id: number;
  field: string;
  what: string;
  contentType: string;
  net: NetworkWatch;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  prefix: Uint8Array;
  rest: Uint8Array;
}): BinaryRead {
  const { reader, net, what } = s;
  const decoder = createJsonBase64Decoder(what);
  let pending: Uint8Array | null = s.rest;
  let tail: Uint8Array[] | null = null; // from the closing quote on
  let tailBytes = 0;
  let bytesOut = 0;
  let settle!: { resolve: () => void; reject: (e: unknown) => void };
  const done = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  done.catch(() => {}); // callers may only watch the stream

  /** Reads the answer's end, then checks the answer with the value cut out. */
  async function finish(): Promise<void> {
    for (;;) {
      const r = await net.watch(reader.read());
      if (r.done) break;
      tail!.push(r.value);
      tailBytes += r.value.length;
      if (tailBytes > TAIL_MAX) throw malformed(what, `more than ${TAIL_MAX} bytes came after the value`);
    }
    const text = utf8.decode(s.prefix) + utf8.decode(concat(tail!));
    const result = s.prepared.settle({ status: 200, contentType: s.contentType, text });
    const record = Array.isArray(result) && result.length === 1 ? result[0] : undefined;
    if (!isObject(record) || record[s.field] !== "" || (record.id !== undefined && record.id !== s.id)) {
      throw malformed(what, `the answer is not the one record ${s.id} with its "${s.field}"`);
    }
  }

  const stream = new ReadableStream<Uint8Array>({
    // A pull must enqueue, close or error: a pull that returns with nothing is not called again.
    async pull(controller) {
      try {
        for (;;) {
          if (tail) {
            await finish();
            controller.close();
            settle.resolve();
            return;
          }
          let chunk = pending;
          pending = null;
          if (!chunk) {
            const r = await net.watch(reader.read());
            if (r.done) throw malformed(what, "the answer ended inside the value");
            chunk = r.value;
          }
          const { bytes, end } = decoder.push(chunk);
          let out = bytes;
          if (end >= 0) {
            out = concat([bytes, decoder.finish()]);
            tail = [chunk.subarray(end)];
            tailBytes = tail[0].length;
          }
          if (out.length) {
            controller.enqueue(out);
            bytesOut += out.length;
            return;
          }
        }
      } catch (e) {
        const err = e instanceof PasserelleError ? e : net.failure(e, s.ctx, what, "after", bytesOut);
        reader.cancel().catch(() => {});
        controller.error(err);
        settle.reject(err);
      }
    },
    cancel(reason) {
      settle.reject(
        reason instanceof PasserelleError ? reason : new PasserelleError(
          "internal",
          `The reader of ${what} stopped: ${redact(String(reason), s.ctx.secret)}`,
        ),
      );
      return reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
  return { stream, done };
}

/** A whole (small) answer's result as a BinaryRead: null for no record, else its value decoded. */
function fromValue(result: unknown, id: number, field: string, what: string): BinaryRead | null {
  if (!Array.isArray(result)) {
    throw new PasserelleError("odoo_malformed", `Odoo's ${what} answered ${typeof result}, not a list`);
  }
  if (result.length === 0) return null; // Odoo's read() leaves out ids it does not have
  const record = result[0];
  if (result.length !== 1 || !isObject(record) || (record.id !== undefined && record.id !== id)) {
    throw malformed(what, `the answer is not the one record ${id}`);
  }
  const value = record[field];
  if (value === false || value === "") return bytesRead(new Uint8Array(0)); // Odoo's empty binary
  if (typeof value !== "string") {
    throw malformed(what, `"${field}" is ${JSON.stringify(value)?.slice(0, 40)}`);
  }
  const decoder = createJsonBase64Decoder(what);
  // Re-encoded as JSON so that the decoder sees the string as it came (escapes and all).
  const json = new TextEncoder().encode(JSON.stringify(value).slice(1));
  const { bytes } = decoder.push(json);
  return bytesRead(concat([bytes, decoder.finish()]));
}

function bytesRead(bytes: Uint8Array): BinaryRead {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.length) controller.enqueue(bytes);
      controller.close();
    },
  });
  return { stream, done: Promise.resolve() };
}

/** The limits on network waits of one attempt. */
interface NetworkWatch {
  signal: AbortSignal;
  /** Runs `p` under the idle limit. */
  watch<T>(p: Promise<T>): Promise<T>;
  /** A network failure as a PasserelleError saying which limit ended it. */
  failure(
    e: unknown,
    ctx: ExchangeContext,
    what: string,
    when: "before" | "after",
    bytes?: number,
  ): PasserelleError;
}

function networkWatch(idleMs: number, callerSignal?: AbortSignal): NetworkWatch {
  const idle = new AbortController();
  let stalled = false;
  const signal = callerSignal ? AbortSignal.any([idle.signal, callerSignal]) : idle.signal;
  return {
    signal,
    async watch<T>(p: Promise<T>): Promise<T> {
      if (signal.aborted) {
        p.catch(() => {});
        throw signal.reason;
      }
      const timer = setTimeout(() => {
        stalled = true;
        idle.abort(new DOMException(`no data for ${idleMs} ms`, "TimeoutError"));
      }, idleMs);
      // fetch errors its body when the signal aborts; racing the signal too keeps
      // the limits whatever the injected fetch does with it.
      let onAbort = () => {};
      const aborted = new Promise<never>((_, reject) => {
        onAbort = () => reject(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
      });
      p.catch(() => {}); // when the signal wins, p's own rejection comes later, unwatched
      try {
        return await Promise.race([p, aborted]);
      } finally {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
      }
    },
    failure(e, ctx, what, when, bytes = 0) {
      if (e instanceof PasserelleError) return e;
      const cause = new Error(redact(e instanceof Error ? e.message : String(e), ctx.secret));
      if (callerSignal?.aborted && !stalled) {
        const reason = redact(String(callerSignal.reason), ctx.secret);
        // Retryable: a later batch, with a fresh budget, may well get through.
        return new PasserelleError(
          "odoo_timeout",
          `Reading ${what} was stopped by its caller: ${reason}`,
          true,
          {
            cause,
          },
        );
      }
      if (when === "before") {
        return stalled
          ? new PasserelleError("odoo_timeout", `Odoo did not answer ${what} within ${idleMs} ms`, true, {
            cause,
          })
          : exchangeError(e, ctx, what);
      }
      const why = stalled ? `sent nothing for ${idleMs} ms` : `broke off (${cause.message})`;
      return new PasserelleError(
        "odoo_unavailable",
        `Odoo ${why} while sending ${what}, after ${bytes} decoded bytes`,
        true,
        { cause },
      );
    },
  };
}

function malformed(what: string, detail: string): PasserelleError {
  return new PasserelleError("odoo_malformed", `Odoo's ${what} answered unexpectedly: ${detail}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const nonEmpty = parts.filter((p) => p.length > 0);
  if (nonEmpty.length <= 1) return nonEmpty[0] ?? new Uint8Array(0);
  const b = Buffer.concat(nonEmpty);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
