import assert from "node:assert/strict";
import { createTestDatabase, restartTestCluster } from "../testing/test_database.ts";
import { retryDelayMs, sendRequest, startNetWorker } from "./net_worker.ts";

async function waitFor<T>(f: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out waiting");
}

Deno.test("the net worker sends queued requests as pg_net does and records answers, errors and timeouts", async () => {
  const db = await createTestDatabase("net");
  const seen: { path: string; headers: [string, string][]; body: string }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    seen.push({ path, headers: [...req.headers], body: await req.text() });
    if (path === "/slow") await new Promise((r) => setTimeout(r, 1500));
    if (path === "/401") return Response.json({ code: "auth_invalid" }, { status: 401 });
    return Response.json({ ok: true });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  const worker = startNetWorker(db.connect(2));
  try {
    const ids = await db.sql`
      select net.http_post(${base + "/ok"}, '{"a": 1}'::jsonb,
               headers := jsonb_build_object('Content-Type', 'application/json', 'Authorization',
                 'Bearer ' || (select decrypted_secret from vault.decrypted_secrets where name = 'nope'))) as ok,
             net.http_post(${base + "/401"}) as unauthorized,
             net.http_post(${base + "/slow"}, timeout_milliseconds := 300) as slow,
             net.http_post(${`http://127.0.0.1:${closedPort}/refused`}) as refused`;
    const { ok, unauthorized, slow, refused } = ids[0];
    const rows = await waitFor(async () => {
      const r = await db.sql`select * from net._http_response order by id`;
      return r.length === 4 ? r : undefined;
    });
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    assert.equal(byId.get(String(ok))!.status_code, 200);
    assert.equal(byId.get(String(unauthorized))!.status_code, 401, "an HTTP error is a normal response");
    assert.equal(byId.get(String(unauthorized))!.error_msg, null);
    assert.equal(byId.get(String(slow))!.timed_out, true);
    assert.match(byId.get(String(slow))!.error_msg, /^Timeout of 300 ms reached\. Total time: /);
    assert.equal(byId.get(String(refused))!.error_msg, "Couldn't connect to server");
    const okReq = seen.find((s) => s.path === "/ok")!;
    const names = okReq.headers.map(([k]) => k);
    assert.ok(!names.includes("authorization"), "a missing Vault secret silently drops the header");
    assert.ok(okReq.headers.some(([k, v]) => k === "user-agent" && v.includes("pg_net/0.20.4")));
    assert.equal(okReq.body, '{"a": 1}', "the body is jsonb's text rendering");
    const [{ n }] = await db.sql`select count(*)::int as n from net.http_request_queue`;
    assert.equal(n, 0, "the queue is drained");
    await assert.rejects(
      db.sql`select net.http_post('http://x', headers := '{"Content-Type": "text/plain"}')`,
      /Content-Type header must be "application\/json"/,
    );
    await assert.rejects(db.sql`select net.http_post('not a url')`, /invalid URL "not a url": Bad scheme/);
  } finally {
    await worker.stop();
    await server.shutdown();
    await db.drop();
  }
});

Deno.test("the net worker holds no transaction while its requests run: the queue stays free for pg_net's own lock", async () => {
  const db = await createTestDatabase("net_lock");
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  let arrived!: () => void;
  const inFlight = new Promise<void>((r) => arrived = r);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async () => {
    arrived();
    await held;
    return Response.json({ ok: true });
  });
  const worker = startNetWorker(db.connect(2));
  try {
    const [{ id }] = await db.sql`select net.http_get(${`http://127.0.0.1:${server.addr.port}/slow`}) as id`;
    await inFlight;
    // The real pg_net worker takes the queue's and the responses' locks each round (pg_net 0.20.5
    // src/worker.c, is_extension_locked); a stand-in holding them while its calls run made it wait.
    await db.sql.begin(async (tx) => {
      await tx`set local lock_timeout = '2s'`;
      await tx`lock table net.http_request_queue, net._http_response in access exclusive mode`;
    });
    const [{ n }] = await db.sql`select count(*)::int as n from pg_stat_activity
                                  where datname = current_database() and state like 'idle in transaction%'`;
    assert.equal(n, 0, "no connection of the worker waits inside a transaction");
    release();
    const [row] = await waitFor(async () => {
      const r = await db.sql`select status_code from net._http_response where id = ${id}`;
      return r.length ? r : undefined;
    });
    assert.equal(row.status_code, 200);
  } finally {
    release();
    await worker.stop();
    await server.shutdown();
    await db.drop();
  }
});

Deno.test("the net worker survives a PostgreSQL restart: a request in flight and one queued after it get their answers", async () => {
  const db = await createTestDatabase("net_restart");
  let release!: () => void;
  const held = new Promise<void>((r) => release = r);
  let arrived!: () => void;
  const inFlight = new Promise<void>((r) => arrived = r);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    if (new URL(req.url).pathname === "/during") {
      arrived();
      await held;
    }
    return Response.json({ ok: 1 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  const logs: string[] = [];
  const worker = startNetWorker(db.connect(2), { log: (s) => logs.push(s) });
  try {
    const [{ during }] = await db.sql`select net.http_get(${base + "/during"}) as during`;
    await inFlight;
    // Every connection is cut while the worker waits for an answer; it must keep the answer, retry, not die.
    await restartTestCluster();
    release();
    const [{ after }] = await db.sql`select net.http_post(${base + "/after"}, '{}'::jsonb) as after`;
    const rows = await waitFor(async () => {
      const r = await db
        .sql`select id, status_code from net._http_response where id in (${during}, ${after})`;
      return r.length === 2 ? r : undefined;
    }, 30_000);
    assert.deepEqual(rows.map((r) => r.status_code), [200, 200], logs.join("\n"));
    assert.ok(!logs.some((l) => /postgresql:\/\//.test(l)), "no connection string in the worker's log");
  } finally {
    release();
    await worker.stop();
    await server.shutdown();
    await db.drop();
  }
});

Deno.test("a response body is stored as pg_net stores it: cut at the first NUL, null when empty; retries back off", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (req) => new Response(new URL(req.url).pathname === "/nul" ? "ok\u0000rest" : null, { status: 200 }),
  );
  try {
    const base = `http://127.0.0.1:${server.addr.port}`;
    const request = (path: string) => ({
      id: "1",
      method: "GET",
      url: base + path,
      headers: {},
      body: null,
      timeout_milliseconds: 2000,
    });
    // pg_net 0.20.5 src/core.c insert_response: CStringGetTextDatum(body), null when body[0] is NUL.
    assert.equal((await sendRequest(request("/nul"))).content, "ok");
    assert.equal((await sendRequest(request("/empty"))).content, null);
  } finally {
    await server.shutdown();
  }
  assert.deepEqual([1, 2, 3, 6, 7, 50].map(retryDelayMs), [250, 500, 1000, 8000, 10_000, 10_000]);
});
