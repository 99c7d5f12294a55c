/**
 * Serves every Edge Function of `supabase/functions/` from one Deno process at
 * `/functions/v1/<name>`, as `supabase functions serve` does (which needs
 * Docker). Each function's `index.ts` calls `Deno.serve(handler)`; here that
 * call is captured instead of opening a port, and `EdgeRuntime.waitUntil` is
 * provided with its hosted meaning (background work after the response).
 *
 * Run: deno run -A scripts/stack/functions_server.ts --port 54321
 * The functions read their configuration from this process's environment
 * (the stack passes `supabase/functions/.env`).
 */
type Handler = (req: Request, info?: Deno.ServeHandlerInfo) => Response | Promise<Response>;

const pending = new Set<Promise<unknown>>();

/** Installs `EdgeRuntime` as hosted Supabase provides it. */
export function installEdgeRuntime(): void {
  (globalThis as unknown as { EdgeRuntime: unknown }).EdgeRuntime = {
    waitUntil(p: Promise<unknown>) {
      const tracked = Promise.resolve(p).catch((e) => console.error("[waitUntil]", e)).finally(() =>
        pending.delete(tracked)
      );
      pending.add(tracked);
    },
  };
}

/** Imports each function's index.ts and returns the handler it passed to Deno.serve. */
export async function loadFunctions(functionsDir: URL): Promise<Map<string, Handler>> {
  const handlers = new Map<string, Handler>();
  const deno = Deno as unknown as { serve: unknown };
  const realServe = deno.serve;
  for await (const entry of Deno.readDir(functionsDir)) {
    if (!entry.isDirectory || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
    const index = new URL(`${entry.name}/index.ts`, functionsDir);
    try {
      await Deno.stat(index);
    } catch {
      continue;
    }
    let captured: Handler | undefined;
    deno.serve = (a: unknown, b?: unknown) => {
      captured = (typeof a === "function" ? a : b ?? (a as { handler: Handler }).handler) as Handler;
      return { finished: Promise.resolve(), shutdown: () => Promise.resolve(), ref() {}, unref() {} };
    };
    try {
      await import(index.href);
    } finally {
      deno.serve = realServe;
    }
    if (!captured) throw new Error(`${entry.name}/index.ts did not call Deno.serve`);
    handlers.set(entry.name, captured);
  }
  return handlers;
}

/** Routes `/functions/v1/<name>/...` to the function's handler. */
export function router(handlers: Map<string, Handler>): Handler {
  return async (req, info) => {
    const url = new URL(req.url);
    const m = url.pathname.match(/^\/functions\/v1\/([^/]+)/);
    const handler = m ? handlers.get(m[1]) : undefined;
    if (!handler) {
      return Response.json({ code: "NOT_FOUND", message: "Requested function was not found" }, {
        status: 404,
      });
    }
    try {
      return await handler(req, info);
    } catch (e) {
      console.error(`[${m![1]}] uncaught`, e);
      return Response.json({ code: "BOOT_ERROR", message: "Function failed" }, { status: 500 });
    }
  };
}

if (import.meta.main) {
  const portArg = Deno.args.indexOf("--port");
  const port = portArg >= 0 ? Number(Deno.args[portArg + 1]) : 54321;
  installEdgeRuntime();
  const handlers = await loadFunctions(new URL("../../supabase/functions/", import.meta.url));
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port,
    onListen: ({ port }) => {
      console.log(`functions: http://127.0.0.1:${port}/functions/v1/{${[...handlers.keys()].join(",")}}`);
    },
  }, router(handlers));
  const stop = async () => {
    await Promise.race([Promise.allSettled([...pending]), new Promise((r) => setTimeout(r, 2000))]);
    await server.shutdown();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}
