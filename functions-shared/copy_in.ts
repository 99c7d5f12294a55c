/**
 * `COPY … FROM STDIN` of bytes already in COPY's format, settled by the
 * server's answer either way.
 *
 * postgres.js 3.4.9 never settles a COPY the server refuses once the data
 * has been sent (porsager/postgres#1173, fix proposed in #1183): the
 * writable's finish never comes, the error surfaces nowhere, and inside
 * `sql.begin` no ROLLBACK is sent, so the connection stays "idle in
 * transaction (aborted)" for good. The error does reach the query's own
 * `reject`, which does nothing then (the query already resolved with the
 * stream): catching it there gives the server's real error, and the
 * transaction rolls back as for any failed statement.
 */
/** The COPY's data stream (a Node writable). */
interface CopyStream {
  on(event: "error" | "finish", listener: (e?: unknown) => void): void;
  end(bytes: Uint8Array): void;
}

/** The internals of a postgres.js query this relies on (see above). */
interface CopyQuery {
  reject: (e: unknown) => void;
  writable(): Promise<CopyStream>;
}

/**
 * Runs `statement` (a `copy … from stdin`) with `bytes` as its data; resolves
 * when the server committed the COPY to the transaction, rejects with the
 * server's error when it refused it.
 */
export async function copyIn(statement: PromiseLike<unknown>, bytes: Uint8Array): Promise<void> {
  const query = statement as unknown as CopyQuery;
  const refused = new Promise<never>((_, fail) => {
    const reject = query.reject;
    query.reject = (e) => {
      fail(e);
      reject(e);
    };
  });
  refused.catch(() => {}); // (met below, or never: a COPY that succeeds)
  const w = await query.writable();
  const done = new Promise<void>((resolve, reject) => {
    w.on("error", reject);
    w.on("finish", () => resolve());
    w.end(bytes);
  });
  await Promise.race([done, refused]);
}
