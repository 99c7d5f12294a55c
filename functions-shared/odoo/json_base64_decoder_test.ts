import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createJsonBase64Decoder } from "./json_base64_decoder.ts";
import { PasserelleError } from "../errors.ts";

const enc = new TextEncoder();

/** Decodes `json` (a JSON string's content, closing quote and what follows) cut every `step` bytes. */
function decodeInSteps(json: string, step: number): { bytes: Uint8Array; rest: string } {
  const input = enc.encode(json);
  const d = createJsonBase64Decoder();
  const out: Uint8Array[] = [];
  for (let at = 0; at < input.length; at += step) {
    const chunk = input.subarray(at, Math.min(at + step, input.length));
    const { bytes, end } = d.push(chunk);
    out.push(bytes);
    if (end >= 0) {
      out.push(d.finish());
      const rest = new TextDecoder().decode(input.subarray(at + end));
      return { bytes: new Uint8Array(Buffer.concat(out)), rest };
    }
  }
  throw new Error("the string never ended");
}

function malformed(json: string, step = 3): PasserelleError {
  try {
    decodeInSteps(json, step);
  } catch (e) {
    assert.ok(e instanceof PasserelleError, String(e));
    assert.equal(e.code, "odoo_malformed");
    assert.equal(e.retryable, false);
    return e;
  }
  assert.fail(`${json} decoded`);
}

Deno.test("the decoder gives the original bytes whatever the chunk boundaries and padding", () => {
  const source = new Uint8Array(301);
  for (let i = 0; i < source.length; i++) source[i] = (i * 37 + 11) & 0xff;
  for (const length of [0, 1, 2, 3, 4, 5, 299, 300, 301]) {
    const bytes = source.subarray(0, length);
    const b64 = Buffer.from(bytes).toString("base64");
    for (const step of [1, 2, 3, 4, 5, 7, 64, 1000]) {
      const { bytes: got, rest } = decodeInSteps(`${b64}"}]}`, step);
      assert.deepEqual(got, bytes, `length ${length}, step ${step}`);
      assert.equal(rest, `"}]}`, "the answer goes on at the closing quote");
    }
  }
});

Deno.test("the decoder reads JSON escapes, even cut by a chunk boundary", () => {
  const bytes = new Uint8Array([0xfb, 0xff, 0xbf, 0x01, 0x02, 0x03, 0xff, 0xee]);
  const b64 = Buffer.from(bytes).toString("base64"); // "+/+/AQID/+4="
  assert.ok(b64.includes("/"));
  const escaped = b64.replaceAll("/", "\\/").replace("A", "\\u0041").replace("=", "\\u003d");
  const withBreaks = `${escaped.slice(0, 4)}\\n${escaped.slice(4)}\\r\\n`;
  for (const json of [escaped, withBreaks]) {
    for (const step of [1, 2, 3, 5, 6, 100]) {
      assert.deepEqual(decodeInSteps(`${json}"]`, step).bytes, bytes, `${json} in steps of ${step}`);
    }
  }
});

Deno.test("the decoder refuses what is not base64", () => {
  assert.match(malformed('QUJD$EVG"').message, /outside the base64 alphabet/);
  malformed('QUJD RVZH"'); // a space
  malformed('QUJDéVZH"'); // a non-ASCII character
  malformed('QUJD\\"RVZH"'); // an escaped quote
  malformed('QUJD\\\\RVZH"'); // an escaped backslash
  malformed('QUJD\\u00e9VZH"');
  malformed('QUJDRA"'); // 6 characters: Odoo always pads
  malformed('QQ=A"'); // data after the padding
  malformed('QQ==QUJD"');
  malformed('Q==="');
});

Deno.test("an empty string decodes to no bytes", () => {
  const { bytes, rest } = decodeInSteps('", "x": 1}', 1);
  assert.equal(bytes.length, 0);
  assert.equal(rest, '", "x": 1}');
});
