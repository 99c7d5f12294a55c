/**
 * The import handler served over HTTP in a process of its own, so that a test
 * measures only the server's memory while a client streams an upload to it
 * (as `storage/testdata/upload_child.ts` does for the Storage client). Run
 * with `--v8-flags=--expose-gc`: garbage V8 has not collected yet would hide
 * what the handler really holds. `GET /memory` answers the idle RSS (after a
 * warm-up upload) and the peak seen since, sampled every 100 ms.
 * Args: <database url> <storage dir> <jwt secret> <service key>
 */
import { connectDb } from "../../../db.ts";
import { localStore } from "../../../storage/local_store.ts";
import { importHandler } from "../import_handler.ts";

const [dbUrl, dir, jwtSecret, serviceRoleKey] = Deno.args;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const rss = () => {
  gc();
  return Deno.memoryUsage().rss;
};
const handler = importHandler({
  name: "import-leads",
  kind: "leads",
  config: { serviceRoleKey, jwtSecret, budget: { wallMs: 50_000, cpuMs: 1_500 }, workers: 1, chain: false },
  sql: connectDb(dbUrl, { max: 2 }),
  store: localStore({ dir, bucket: "estimation-files" }),
});
let idle = 0, peak = 0;
setInterval(() => (peak = Math.max(peak, rss())), 100);
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  if (new URL(req.url).pathname === "/memory") {
    if (req.method === "PUT") idle = peak = rss();
    return Response.json({ idle, peak });
  }
  return await handler(req);
});
console.log(JSON.stringify({ port: server.addr.port }));
