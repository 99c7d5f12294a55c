/**
 * Keeps a long-running stack process alive when PostgreSQL goes away.
 * postgres.js 3.4.9 writes a buffered message from a `setImmediate` after the
 * server closed the socket (connection.js:255 `nextWrite`): under Deno that
 * throws "This socket has been ended by the other party" (or, once the socket
 * is gone, "Cannot read properties of null (reading 'write')") outside any
 * promise the caller holds, and the process dies (porsager/postgres#1154,
 * #1208, denoland/deno#34667). And when the server resets a connection
 * postgres.js already closed (it removed the socket's listeners), Deno's
 * node:net reports the late "read ECONNRESET" as an unhandled rejection. The
 * query involved is rejected with CONNECTION_CLOSED all the same, so the
 * caller's own retry handles it: this guard drops those two errors, with a
 * line in the log, and nothing else.
 */
const active = new Set<(s: string) => void>();

/** True for the errors a connection closed by the server leaves behind (above). */
export function isPostgresSocketRace(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const late = e as Error & { code?: string; syscall?: string };
  if (late.code === "ECONNRESET" && late.syscall === "read" && /onStreamRead/.test(e.stack ?? "")) {
    return true;
  }
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
