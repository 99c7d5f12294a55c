/**
 * `timedFetch()`: a `fetch` whose every request ends within a time limit, for the stores of long-running
 * commands (`import-dump`, `migrate`). Without one, a request Storage never answers holds its worker for
 * good: the issue saw import-dump stand still for 60 s at a time with nothing in flight.
 *
 * The limit counts while nothing moves, not the request's whole life: it is rearmed each time a body
 * chunk goes up or comes down, so a 50 MB download on a slow link is not cut while it progresses. A
 * request that times out fails as a network failure (a `TimeoutError`), which the stores retry and
 * report as `storage_unavailable` (retryable).
 */

/** Options of `timedFetch()`. */
export interface TimedFetchOptions {
  /** Longest wait for the answer's headers, and between two chunks of a body (default 30 s). */
  idleMs?: number;
}

/** Default limit: a 6 MiB TUS chunk goes up well within it on any link Storage is usable over. */
export const DEFAULT_IDLE_MS = 30_000;

/**
 * Wraps `inner` (default the global fetch) so that no request waits more than `idleMs` for progress.
 *
 * @example
 * const store = storeFromConfig(config, { fetch: timedFetch(fetch, { idleMs: 30_000 }) });
 */
export function timedFetch(inner: typeof fetch = fetch, opts: TimedFetchOptions = {}): typeof fetch {
  const idleMs = opts.idleMs ?? DEFAULT_IDLE_MS;
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const ctrl = new AbortController();
    // The pending timer holds the controller weakly: through its signal, fetch keeps the whole request
    // (its body included) reachable, and an answer its caller never reads to the end leaves the timer
    // pending for idleMs; held strongly, every upload's body stayed alive that long (measured: 16,500
    // small files through the Storage stand-in, 100 MB more external memory). The controller lives as
    // long as someone waits: the call below, then the answer's body stream.
    const weak = new WeakRef(ctrl);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () => weak.deref()?.abort(new DOMException(`no progress for ${idleMs} ms`, "TimeoutError")),
        idleMs,
      );
    };
    const disarm = () => clearTimeout(timer);
    const outer = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    if (outer) {
      if (outer.aborted) ctrl.abort(outer.reason);
      else outer.addEventListener("abort", () => ctrl.abort(outer.reason), { once: true });
    }
    let body = init?.body;
    if (body instanceof ReadableStream) body = watched(body, arm);
    arm();
    let res: Response;
    try {
      res = await inner(input, { ...init, body, signal: ctrl.signal });
    } catch (e) {
      disarm();
      throw e;
    }
    if (!res.body) {
      disarm();
      return res;
    }
    arm();
    const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
    if (method !== "GET") {
      // The answer to an upload, a copy or a TUS step is a few bytes: read here under the limit and
      // handed back whole. Wrapped in a stream like a download's, each one kept its request's body
      // alive long after it was read (measured: 16,500 small uploads through the Storage stand-in,
      // external memory 131 MB against 27 MB).
      try {
        const bytes = await res.arrayBuffer();
        return new Response(res.status === 204 || res.status === 304 ? null : bytes, {
          status: res.status,
          statusText: res.statusText,
          headers: res.headers,
        });
      } finally {
        disarm();
      }
    }
    const stream = watched(res.body, arm, disarm, ctrl);
    return new Response(stream, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** Passes `source` through, calling `onChunk` at each chunk and `onEnd` when it ends either way. */
function watched(
  source: ReadableStream<Uint8Array>,
  onChunk: () => void,
  onEnd?: () => void,
  keep?: unknown,
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      void keep; // alive while this stream is read
      try {
        const r = await reader.read();
        if (r.done) {
          onEnd?.();
          ctrl.close();
          return;
        }
        onChunk();
        ctrl.enqueue(r.value);
      } catch (e) {
        onEnd?.();
        throw e;
      }
    },
    async cancel(reason) {
      onEnd?.();
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
}
