/**
 * The live status page of `deno task status --web`: `/` is status.html,
 * `/status.json` the document, read with the database URL this process holds
 * (no key or URL ever reaches the page). Bound to 127.0.0.1, and only
 * answering requests addressed to 127.0.0.1 or localhost, so that a web page
 * elsewhere cannot reach it by rebinding its DNS name.
 */
import type { StatusDocument } from "../../functions-shared/status/status_document.ts";

/** status.html, read next to this module. */
export function readStatusPage(): Promise<string> {
  return Deno.readTextFile(new URL("./status.html", import.meta.url));
}

export interface StatusWebDeps {
  load: () => Promise<StatusDocument>;
  page: string;
}

const LOCAL_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;

/** Builds the handler. */
export function statusWebHandler(d: StatusWebDeps): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    if (!LOCAL_HOST.test(req.headers.get("host") ?? "")) {
      return new Response("Only 127.0.0.1 and localhost are served\n", { status: 421 });
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("Method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    if (url.pathname === "/" || url.pathname === "/index.html") {
      return new Response(d.page, {
        headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
      });
    }
    if (url.pathname === "/status.json") {
      try {
        return Response.json(await d.load(), { headers: { "cache-control": "no-store" } });
      } catch (e) {
        // The operator's own machine: the database's message is what helps
        // (e.g. "function passerelle.status does not exist": migrations missing).
        const message = e instanceof Error ? e.message : String(e);
        return Response.json({ code: "internal", message: `Cannot read the status: ${message}` }, {
          status: 500,
        });
      }
    }
    return new Response("Not found\n", { status: 404 });
  };
}

/** Serves the page on 127.0.0.1:`port` (0: any free port). */
export function serveStatusWeb(
  d: StatusWebDeps & { port: number; onListen?: (addr: Deno.NetAddr) => void },
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: "127.0.0.1",
    port: d.port,
    onListen: d.onListen ?? (() => {}),
  }, statusWebHandler(d));
}
