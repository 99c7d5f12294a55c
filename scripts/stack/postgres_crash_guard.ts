/**
 * Keeps a long-running stack process alive when PostgreSQL goes away.
 * postgres.js 3.4.9 writes a buffered message from a `setImmediate` after the
 * server closed the socket (connection.js:255 `nextWrite`): under Deno that
 * throws "This socket has been ended by the other party" (or, once the socket
 * is gone, "Cannot read properties of null (reading 'write')") outside any
 * promise the caller holds, and the process dies (porsager/postgres#1154,
 * #1208, denoland/deno#34667). The query it belonged to is rejected with
 * CONNECTION_CLOSED all the same, so the caller's own retry handles it: this
 * guard drops that one error, with a line in the log, and nothing else.
 */
const active = new Set<(s: string) => void>();

/** True for the error postgres.js throws from `nextWrite` after the server closed the connection. */
export function isPostgresSocketRace(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const fromNextWrite = /nextWrite/.test(e.stack ?? "") && /postgres[@/]/.test(e.stack ?? "");
  return fromNextWrite &&
    /This socket has been ended by the other party|Cannot read properties of null \(reading 'write'\)/.test(
      e.message,
    );
}

function onRejection(ev: PromiseRejectionEvent): void {
  if (!isPostgresSocketRace(ev.reason)) return;
  ev.preventDefault();
  for (const log of active) {
    log(`a connection closed by PostgreSQL while writing to it: ${ev.reason.message}`);
  }
}

function onError(ev: ErrorEvent): void {
  if (!isPostgresSocketRace(ev.error)) return;
  ev.preventDefault();
  for (const log of active) log(`a connection closed by PostgreSQL while writing to it: ${ev.error.message}`);
}

/** Installs the guard (once per process, however many callers); the returned function removes this caller's. */
export function guardPostgresSocketRace(log: (s: string) => void = () => {}): () => void {
  if (active.size === 0) {
    globalThis.addEventListener("unhandledrejection", onRejection);
    globalThis.addEventListener("error", onError);
  }
  const entry = (s: string) => log(s);
  active.add(entry);
  return () => {
    if (!active.delete(entry) || active.size > 0) return;
    globalThis.removeEventListener("unhandledrejection", onRejection);
    globalThis.removeEventListener("error", onError);
  };
}
