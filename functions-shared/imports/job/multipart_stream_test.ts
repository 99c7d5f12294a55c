import assert from "node:assert/strict";
import { boundaryOf, multipartParts } from "./multipart_stream.ts";

/** `bytes` as a stream of pieces of `size` bytes, as a network would cut them. */
function pieces(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      c.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function read(body: Uint8Array, boundary: string, piece: number) {
  const out: { name: string; filename?: string; type?: string; text: string }[] = [];
  for await (const p of multipartParts(pieces(body, piece), boundary)) {
    out.push({ name: p.name, filename: p.filename, type: p.type, text: await new Response(p.body).text() });
  }
  return out;
}

Deno.test("multipartParts() reads what FormData writes, whatever the network's cuts", async () => {
  const form = new FormData();
  form.append("companyId", "1");
  form.append("options", '{"locale":"en"}');
  const content = "Nom;Courriel\r\n--pas une limite\r\n\r\nÉmilie;e@exemple.fr\r\n".repeat(50);
  form.append("file", new File([content], "Leads été.csv", { type: "text/csv" }));
  const req = new Request("http://x", { method: "POST", body: form });
  const boundary = boundaryOf(req.headers.get("content-type")!)!;
  const bytes = new Uint8Array(await req.arrayBuffer());
  for (const piece of [1, 7, 70, 4096, bytes.length]) {
    assert.deepEqual(await read(bytes, boundary, piece), [
      { name: "companyId", filename: undefined, type: undefined, text: "1" },
      { name: "options", filename: undefined, type: undefined, text: '{"locale":"en"}' },
      { name: "file", filename: "Leads été.csv", type: "text/csv", text: content },
    ], `pieces of ${piece}`);
  }
});

Deno.test("multipartParts() skips a part its reader cancels, and refuses a body cut short", async () => {
  const b = "XyZ";
  const enc = new TextEncoder();
  const body = enc.encode(
    `preamble\r\n--${b}\r\nContent-Disposition: form-data; name="a"\r\n\r\n${"a".repeat(10_000)}\r\n` +
      `--${b}\r\nContent-Disposition: form-data; name="file"; filename*=UTF-8''r%C3%A9sum%C3%A9.csv\r\n\r\nok\r\n--${b}--\r\n`,
  );
  const names: string[] = [];
  for await (const p of multipartParts(pieces(body, 100), b)) {
    names.push(p.filename ?? p.name);
    if (p.name === "a") await p.body.cancel();
    else assert.equal(await new Response(p.body).text(), "ok");
  }
  assert.deepEqual(names, ["a", "résumé.csv"]);

  const cut = body.subarray(0, 120);
  await assert.rejects(async () => {
    for await (const p of multipartParts(pieces(cut, 50), b)) await new Response(p.body).text();
  }, (e: Error) => /the body ends inside a part/.test(String(e)));
  assert.equal(boundaryOf('multipart/form-data; boundary="a b"'), "a b");
  assert.equal(boundaryOf("multipart/form-data"), null);
});
