/**
 * timedFetch() against a real HTTP server (Deno.serve on 127.0.0.1) that hangs or trickles, and through
 * supabaseStore(): a Storage that never answers fails the call as storage_unavailable (retryable)
 * instead of holding it forever (the import-dump stood still 60 s at a time).
 */
import assert from "node:assert/strict";
import { PasserelleError } from "../errors.ts";
import { supabaseStore } from "./supabase_store.ts";
import { timedFetch } from "./timed_fetch.ts";

async function withServer(
  handler: (req: Request) => Response | Promise<Response>,
  fn: (url: string) => Promise<void>,
) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, handler);
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`);
  } finally {
    await server.shutdown();
  }
}

Deno.test("a request whose answer never comes fails after the idle limit", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  await withServer(async () => {
    await gate;
    return new Response("late");
  }, async (url) => {
    const f = timedFetch(fetch, { idleMs: 300 });
    await assert.rejects(f(`${url}/x`), (e: Error) => e.name === "TimeoutError");
    release();
  });
});

Deno.test("a body that keeps moving is not cut, one that stalls is", async () => {
  await withServer((req) => {
    const stall = new URL(req.url).pathname === "/stall";
    let n = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        if (n === 5) return c.close();
        // 5 chunks 150 ms apart: 750 ms in all, never 300 ms without progress (unless it stalls).
        await new Promise((r) => setTimeout(r, stall && n === 2 ? 2000 : 150));
        n++;
        c.enqueue(new Uint8Array(10));
      },
    });
    return new Response(body);
  }, async (url) => {
    const f = timedFetch(fetch, { idleMs: 300 });
    const ok = await f(`${url}/moving`);
    assert.equal((await ok.arrayBuffer()).byteLength, 50);
    const stalled = await f(`${url}/stall`);
    await assert.rejects(stalled.arrayBuffer());
  });
});

Deno.test("a Storage that never answers: the upload fails as storage_unavailable, retryable", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  await withServer(async () => {
    await gate;
    return new Response("{}");
  }, async (url) => {
    const store = supabaseStore({
      url,
      serviceRoleKey: "k",
      bucket: "estimation-files",
      fetch: timedFetch(fetch, { idleMs: 300 }),
    });
    await assert.rejects(
      store.put("odoo-archive/1/2-a.pdf", new Uint8Array(10), { contentType: "application/pdf" }),
      (e: unknown) => e instanceof PasserelleError && e.code === "storage_unavailable" && e.retryable,
    );
    release();
  });
});
