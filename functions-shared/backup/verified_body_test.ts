import assert from "node:assert/strict";
import { PasserelleError } from "../errors.ts";
import { sha1Hex } from "./testdata/odoo_backup.ts";
import { verifiedBody } from "./verified_body.ts";

const bytes = new TextEncoder().encode("contenu du devis");
const read = (s: ReadableStream<Uint8Array>) => new Response(s).arrayBuffer();

Deno.test("verifiedBody() passes bytes whose sha1 and size match", async () => {
  let counted = 0;
  const body = verifiedBody(ReadableStream.from([bytes.slice(0, 5), bytes.slice(5)]), {
    sha1: sha1Hex(bytes).toUpperCase(),
    size: bytes.length,
    where: "filestore/ab/x",
  }, (n) => (counted += n));
  assert.deepEqual(new Uint8Array(await read(body.stream)), bytes);
  assert.equal(body.sha1(), sha1Hex(bytes));
  assert.equal(counted, bytes.length);
  assert.equal(body.error(), null);
});

Deno.test("verifiedBody() fails the stream (so the upload) on a sha1 or size mismatch", async () => {
  for (
    const [expect, pattern] of [
      [{ sha1: "0".repeat(40), size: bytes.length }, /filestore\/ab\/x has sha1 .* but Odoo recorded 0000/],
      [{ sha1: null, size: bytes.length + 1 }, /holds 16 bytes where 17 were expected/],
      [{ sha1: null, size: 4 }, /holds more than the 4 bytes expected/],
    ] as const
  ) {
    const body = verifiedBody(ReadableStream.from([bytes]), { ...expect, where: "filestore/ab/x" });
    await assert.rejects(read(body.stream), pattern);
    assert.ok(body.error() instanceof PasserelleError);
    assert.equal((body.error() as PasserelleError).code, "checksum_mismatch");
  }
});

Deno.test("verifiedBody() keeps the source's own error", async () => {
  const broken = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error("entry damaged")) });
  const body = verifiedBody(broken, { sha1: null, size: 3, where: "x" });
  await assert.rejects(read(body.stream), /entry damaged/);
  assert.match(String(body.error()), /entry damaged/);
});
