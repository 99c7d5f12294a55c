import assert from "node:assert/strict";
import { sampleDocument } from "../../functions-shared/status/testdata/sample_document.ts";
import { readStatusPage, statusWebHandler } from "./status_web.ts";

const page = await readStatusPage();

const get = (path: string, host = "127.0.0.1:54330", method = "GET") =>
  new Request(`http://${host}${path}`, { method, headers: { host } });

Deno.test("statusWebHandler() serves the page at / and the document at /status.json", async () => {
  const handler = statusWebHandler({ page, load: () => Promise.resolve(sampleDocument()) });
  const html = await handler(get("/"));
  assert.equal(html.status, 200);
  assert.equal(html.headers.get("content-type"), "text/html; charset=utf-8");
  const text = await html.text();
  assert.equal(text, page);
  assert.ok(
    !/https?:\/\/(?!www\.w3\.org\/2000\/svg)/.test(text),
    "no external asset: the only URL is the SVG namespace",
  );
  const json = await handler(get("/status.json", "localhost:54330"));
  assert.equal(json.status, 200);
  assert.equal(json.headers.get("cache-control"), "no-store");
  assert.deepEqual(await json.json(), sampleDocument());
  const missing = await handler(get("/nothing"));
  assert.equal(missing.status, 404);
  await missing.body?.cancel();
});

Deno.test("statusWebHandler() answers only requests addressed to 127.0.0.1 or localhost (no DNS rebinding)", async () => {
  const handler = statusWebHandler({ page, load: () => Promise.resolve(sampleDocument()) });
  const rebound = await handler(get("/status.json", "evil.example:54330"));
  assert.equal(rebound.status, 421);
  await rebound.body?.cancel();
  const post = await handler(get("/status.json", "127.0.0.1:54330", "POST"));
  assert.equal(post.status, 405);
  await post.body?.cancel();
});

Deno.test("statusWebHandler() tells the operator why the document cannot be read", async () => {
  const handler = statusWebHandler({
    page,
    load: () =>
      Promise.reject(
        new Error("function passerelle.status(interval, timestamp with time zone) does not exist"),
      ),
  });
  const res = await handler(get("/status.json"));
  assert.equal(res.status, 500);
  assert.match((await res.json()).message, /passerelle\.status.*does not exist/);
});
