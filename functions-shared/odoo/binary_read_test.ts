import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { type BinaryRead, createOdooClient } from "./client.ts";
import { generateDataset } from "../../scripts/odoo_simulator/dataset.ts";
import { type OdooSimulator, startOdooSimulator } from "../../scripts/odoo_simulator/server.ts";
import { config, deps, rejects } from "./client_test_kit.ts";

// A 3 MB attachment spans dozens of HTTP chunks; the 50 MB one is read in a child process below.
const dataset = generateDataset({
  leads: 60,
  seed: 7,
  attachments: 40,
  largeAttachments: { count: 1, bytes: 3_000_000 },
});
const attachments = dataset.table("ir.attachment").rows;
const byName = (name: string) => attachments.find((a) => a.name === name)!.id as number;

async function withSim(fn: (sim: OdooSimulator) => Promise<void>): Promise<void> {
  const sim = startOdooSimulator({ dataset });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

async function bytesOf(read: BinaryRead): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of read.stream) parts.push(chunk);
  await read.done;
  return new Uint8Array(Buffer.concat(parts));
}

for (const transport of ["jsonrpc", "json2"] as const) {
  const secret = transport === "json2" ? "odoo-api-key-demo" : "admin";

  Deno.test(`${transport}: readBinary() gives the bytes read() gives, small, empty, url and large`, async () => {
    await withSim(async (sim) => {
      const odoo = createOdooClient(config(sim.url, { transport, secret }), deps());
      const large = attachments.find((a) => a.file_size === 3_000_000)!.id as number;
      const ids = [byName("what?.txt"), byName("vide.txt"), byName("Plaquette en ligne"), large];
      ids.push(attachments.find((a) => Number(a.file_size) > 100_000 && a.id !== large)!.id as number);
      for (const id of ids) {
        const [record] = await odoo.read<{ datas: string | false }>("ir.attachment", [id], ["datas"]);
        const expected = new Uint8Array(Buffer.from(record.datas || "", "base64"));
        const calls = odoo.stats.calls;
        const got = await bytesOf((await odoo.readBinary("ir.attachment", id, "datas"))!);
        assert.deepEqual(got, expected, `attachment ${id}`);
        assert.equal(odoo.stats.calls, calls + 1, "one request per read");
      }
      const checksum = createHash("sha1").update(
        await bytesOf((await odoo.readBinary("ir.attachment", large, "datas"))!),
      ).digest("hex");
      assert.equal(checksum, dataset.contentChecksum(large));
    });
  });

  Deno.test(`${transport}: readBinary() of an id Odoo lacks is null`, async () => {
    await withSim(async (sim) => {
      const odoo = createOdooClient(config(sim.url, { transport, secret }), deps());
      assert.equal(await odoo.readBinary("ir.attachment", 99_999_999, "datas"), null);
    });
  });

  Deno.test(`${transport}: readBinary() of the orphan attachment fails as read() does: odoo_access_denied`, async () => {
    await withSim(async (sim) => {
      const d = deps();
      const odoo = createOdooClient(config(sim.url, { transport, secret }), d);
      const orphan = byName("orphelin.pdf");
      const expected = await rejects(odoo.read("ir.attachment", [orphan], ["datas"]));
      const e = await rejects(odoo.readBinary("ir.attachment", orphan, "datas"));
      assert.equal(e.code, "odoo_access_denied");
      assert.equal(e.message, expected.message);
      assert.deepEqual(d.sleeps, []);
    });
  });

  Deno.test(`${transport}: readBinary() with a wrong secret fails as odoo_auth_failed`, async () => {
    await withSim(async (sim) => {
      const odoo = createOdooClient(config(sim.url, { transport, secret: "wrong-secret-123" }), deps());
      const e = await rejects(odoo.readBinary("ir.attachment", byName("what?.txt"), "datas"));
      assert.equal(e.code, "odoo_auth_failed");
      assert.ok(!e.message.includes("wrong-secret-123"));
    });
  });

  Deno.test(`${transport}: readBinary() answered by a non-JSON page fails as odoo_malformed, not retried`, async () => {
    await withSim(async (sim) => {
      const d = deps();
      const odoo = createOdooClient(config(sim.url, { transport, secret }), d);
      await odoo.authenticate();
      sim.failures.malformed = 1;
      const e = await rejects(odoo.readBinary("ir.attachment", byName("what?.txt"), "datas"));
      assert.equal(e.code, "odoo_malformed");
      assert.deepEqual(d.sleeps, []);
    });
  });

  Deno.test(`${transport}: readBinary() retries a 502 and a hang that come before the first byte`, async () => {
    await withSim(async (sim) => {
      const d = deps();
      const odoo = createOdooClient(config(sim.url, { transport, secret, timeoutMs: 150 }), d);
      await odoo.authenticate();
      const calls = odoo.stats.calls;
      sim.failures.http502 = 1;
      sim.failures.hang = 1;
      const got = await bytesOf((await odoo.readBinary("ir.attachment", byName("what?.txt"), "datas"))!);
      assert.equal(new TextDecoder().decode(got), "question mark in name\n");
      assert.equal(d.sleeps.length, 2);
      assert.equal(odoo.stats.calls, calls + 3);
    });
  });
}

// -- answers the simulator does not give ----------------------------------------

/** A fetch that authenticates, then answers the read with `chunks` (a JSON-RPC answer) as they come. */
function answering(chunks: (string | Promise<never>)[]): typeof fetch {
  return ((_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    if (body.params.service === "common") {
      return Promise.resolve(Response.json({ jsonrpc: "2.0", id: body.id, result: 2 }));
    }
    const enc = new TextEncoder();
    let i = 0;
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (i === chunks.length) return controller.close();
        const next = chunks[i++];
        controller.enqueue(enc.encode(await next));
      },
    });
    return Promise.resolve(new Response(stream, { headers: { "content-type": "application/json" } }));
  }) as typeof fetch;
}

const fakeConfig = config("http://odoo.test");

Deno.test("readBinary() reads escapes and values cut anywhere, and a `false` value as no bytes", async () => {
  const bytes = new Uint8Array([0xfb, 0xff, 0xbf, 0x01, 0x02, 0x03, 0xff, 0xee, 0x00]);
  const escaped = Buffer.from(bytes).toString("base64").replaceAll("/", "\\/");
  const answer = `{"jsonrpc": "2.0", "id": 2, "result": [{"id": 7, "datas": "${escaped}"}]}`;
  for (const step of [1, 2, 3, 5, 64]) {
    const chunks: string[] = [];
    for (let at = 0; at < answer.length; at += step) chunks.push(answer.slice(at, at + step));
    const odoo = createOdooClient(fakeConfig, deps({ fetch: answering(chunks) }));
    assert.deepEqual(
      await bytesOf((await odoo.readBinary("ir.attachment", 7, "datas"))!),
      bytes,
      `step ${step}`,
    );
  }
  const empty = createOdooClient(
    fakeConfig,
    deps({ fetch: answering(['{"jsonrpc": "2.0", "id": 2, "result": [{"id": 7, "datas": false}]}']) }),
  );
  assert.equal((await bytesOf((await empty.readBinary("ir.attachment", 7, "datas"))!)).length, 0);
});

Deno.test("readBinary() errors the stream with odoo_malformed when the answer goes wrong after the first bytes", async () => {
  const head = '{"jsonrpc": "2.0", "id": 2, "result": [{"id": 7, "datas": "QUJD';
  const cases: [string, string[]][] = [
    ["a character outside base64", [head, "RE$G", 'SA=="}]}']],
    ["a second record", [head, '"}, {"id": 8, "datas": ""}]}']],
    ["another record's id", [head.replace('"id": 7', '"id": 9'), '"}]}']],
    ["an answer cut inside the value", [head, "RUZH"]],
    ["an answer that is not JSON after the value", [head, '"}]']],
  ];
  for (const [what, chunks] of cases) {
    const d = deps({ fetch: answering(chunks) });
    const odoo = createOdooClient(fakeConfig, d);
    const read = (await odoo.readBinary("ir.attachment", 7, "datas"))!;
    const e = await rejects(bytesOf(read));
    assert.equal(e.code, "odoo_malformed", what);
    assert.equal((await rejects(read.done)).code, "odoo_malformed", what);
    assert.deepEqual(d.sleeps, [], what);
  }
});

Deno.test("readBinary() errors the stream with a retryable odoo_unavailable when Odoo stalls mid-answer", async () => {
  // A server that sends the answer's start, then nothing until the client gives up.
  const stalled = Promise.withResolvers<void>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const body = await req.json();
    if (body.params.service === "common") return Response.json({ jsonrpc: "2.0", id: body.id, result: 2 });
    const enc = new TextEncoder();
    return new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(
            enc.encode('{"jsonrpc": "2.0", "id": 2, "result": [{"id": 7, "datas": "QUJDREVG'),
          );
        },
        pull: () => stalled.promise,
        cancel: () => stalled.resolve(),
      }),
      { headers: { "content-type": "application/json" } },
    );
  });
  try {
    const d = deps();
    const odoo = createOdooClient(config(`http://127.0.0.1:${server.addr.port}`, { timeoutMs: 200 }), d);
    const read = (await odoo.readBinary("ir.attachment", 7, "datas"))!;
    const reader = read.stream.getReader();
    assert.equal(new TextDecoder().decode((await reader.read()).value), "ABCDEF");
    const e = await rejects(reader.read());
    assert.equal(e.code, "odoo_unavailable");
    assert.equal(e.retryable, true);
    assert.match(e.message, /sent nothing for 200 ms/);
    assert.equal((await rejects(read.done)).code, "odoo_unavailable");
    assert.deepEqual(d.sleeps, [], "no retry once bytes went out");
  } finally {
    stalled.resolve();
    await server.shutdown();
  }
});

Deno.test("readBinary() stops when the caller's signal aborts", async () => {
  const never = new Promise<never>(() => {});
  const abort = new AbortController();
  const fetch = answering(['{"jsonrpc": "2.0", "id": 2, "result": [{"id": 7, "datas": "QUJD', never]);
  const odoo = createOdooClient(fakeConfig, deps({ fetch }));
  const read = (await odoo.readBinary("ir.attachment", 7, "datas", { signal: abort.signal }))!;
  const reader = read.stream.getReader();
  await reader.read();
  const pending = reader.read();
  abort.abort(new Error("budget spent"));
  const e = await rejects(pending);
  assert.equal(e.code, "odoo_timeout");
  assert.equal(e.retryable, true);
  assert.match(e.message, /stopped by its caller: Error: budget spent/);
  // Aborted before it starts: no retry either.
  const d = deps({ fetch });
  const again = createOdooClient(fakeConfig, d);
  const early = await rejects(again.readBinary("ir.attachment", 7, "datas", { signal: abort.signal }));
  assert.equal(early.code, "odoo_timeout");
  assert.deepEqual(d.sleeps, []);
});

Deno.test("readBinary() refuses a bad id or field without asking Odoo", async () => {
  const odoo = createOdooClient(fakeConfig, deps({ fetch: () => assert.fail("no request") }));
  assert.equal((await rejects(odoo.readBinary("ir.attachment", 0, "datas"))).code, "bad_request");
  assert.equal((await rejects(odoo.readBinary("ir.attachment", 1.5, "datas"))).code, "bad_request");
  assert.equal((await rejects(odoo.readBinary("ir.attachment", 7, ""))).code, "bad_request");
  assert.equal(odoo.stats.calls, 0);
});

// -- memory ---------------------------------------------------------------------

/**
 * Reads a 50 MB attachment over both transports in a child process (the
 * simulator's own copies of the answer stay in this one) and checks its sha1
 * and that the child's RSS grew by far less than the file: read() grows it by
 * about 3.7 times the file.
 */
Deno.test("readBinary() streams a 50 MB attachment in flat memory, over both transports", async () => {
  const size = 50_000_000;
  const big = generateDataset({
    leads: 20,
    seed: 3,
    attachments: 6,
    largeAttachments: { count: 1, bytes: size },
  });
  const id = big.table("ir.attachment").rows.find((a) => a.file_size === size)!.id as number;
  const sim = startOdooSimulator({ dataset: big });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["eval", CHILD, sim.url, String(id), new URL("./client.ts", import.meta.url).href],
      stdout: "piped",
      stderr: "piped",
    });
    const out = await child.output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const results = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      transport: string;
      bytes: number;
      sha1: string;
      rssGrowth: number;
    }[];
    assert.equal(results.length, 2);
    for (const r of results) {
      assert.equal(r.bytes, size, r.transport);
      assert.equal(r.sha1, big.contentChecksum(id), r.transport);
      // Measured: ~20 MB (V8's young generation and fetch buffers), the same for 200 MB files.
      assert.ok(r.rssGrowth < 0.8 * size, `${r.transport}: RSS grew by ${r.rssGrowth} bytes`);
    }
  } finally {
    await sim.close();
  }
});

const CHILD = `
const [url, id, client] = Deno.args;
const { createOdooClient } = await import(client);
const { createHash } = await import("node:crypto");
const results = [];
for (const transport of ["jsonrpc", "json2"]) {
  const secret = transport === "json2" ? "odoo-api-key-demo" : "admin";
  const odoo = createOdooClient(
    { url, db: "crm_src", login: "admin", secret, transport, timeoutMs: 30000 },
    { fetch, sleep: () => Promise.resolve() },
  );
  await odoo.authenticate();
  const before = Deno.memoryUsage().rss;
  let peak = before;
  const read = await odoo.readBinary("ir.attachment", Number(id), "datas");
  const hash = createHash("sha1");
  let bytes = 0;
  for await (const chunk of read.stream) {
    hash.update(chunk);
    bytes += chunk.length;
    peak = Math.max(peak, Deno.memoryUsage().rss);
  }
  await read.done;
  results.push({ transport, bytes, sha1: hash.digest("hex"), rssGrowth: peak - before });
}
console.log(JSON.stringify(results));
`;
