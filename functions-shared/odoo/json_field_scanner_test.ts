import assert from "node:assert/strict";
import { createJsonFieldScanner, type JsonPathStep } from "./json_field_scanner.ts";

const enc = new TextEncoder();

/** Where the value at `path` starts in `text` (-1 if never), feeding it `step` bytes at a time. */
function find(text: string, path: JsonPathStep[], step: number): number {
  const input = enc.encode(text);
  const scanner = createJsonFieldScanner(path);
  for (let at = 0; at < input.length; at += step) {
    const r = scanner.push(input.subarray(at, Math.min(at + step, input.length)));
    if (r.found) return at + r.offset;
    if (r.ended) return -1;
  }
  return -1;
}

function valueAt(text: string, path: JsonPathStep[]): string | null {
  const starts = [1, 2, 3, 7, 4096].map((step) => find(text, path, step));
  assert.ok(starts.every((s) => s === starts[0]), `chunking changes nothing: ${starts}`);
  return starts[0] < 0 ? null : text.slice(starts[0], starts[0] + 5);
}

const RPC = ["result", 0, "datas"];

Deno.test("the scanner finds the value in JSON-RPC answers as Odoo and the simulator write them", () => {
  // Odoo's json.dumps puts spaces after ":" and ","; JSON.stringify does not.
  assert.equal(
    valueAt('{"jsonrpc": "2.0", "id": 1, "result": [{"id": 812, "datas": "iVBORw0K"}]}', RPC),
    "iVBOR",
  );
  assert.equal(valueAt('{"jsonrpc":"2.0","id":1,"result":[{"id":812,"datas":"iVBORw0K"}]}', RPC), "iVBOR");
  assert.equal(valueAt('{\n "result" : [ {\n  "datas" : "abcdefg" } ] ,"id":1}', RPC), "abcde");
  // JSON-2: the bare result.
  assert.equal(valueAt('[{"id": 5, "datas": "QUJDRA=="}]', [0, "datas"]), "QUJDR");
});

Deno.test("the scanner follows the nesting, not the text", () => {
  // The same key elsewhere, strings that look like keys, escaped keys.
  const decoys =
    '{"jsonrpc": "2.0", "datas": "no", "id": {"result": [{"datas": "no"}]}, "x": "\\"datas\\": \\"no", ' +
    '"n": [1, -2.5e3, true, false, null, {}, []], "result": [{"id": 1, "name": "datas", "d\\u0061tas": "yesss"}]}';
  assert.equal(valueAt(decoys, RPC), "yesss");
  // Only the first record counts.
  assert.equal(valueAt('[{"id": 1, "x": 0}, {"id": 2, "datas": "nope"}]', [0, "datas"]), null);
});

Deno.test("the scanner reports answers that hold no such string", () => {
  assert.equal(valueAt('{"jsonrpc": "2.0", "id": 1, "result": [{"id": 812, "datas": false}]}', RPC), null);
  assert.equal(valueAt('{"jsonrpc": "2.0", "id": 1, "result": []}', RPC), null);
  assert.equal(
    valueAt(
      '{"jsonrpc": "2.0", "id": 1, "error": {"code": 200, "data": {"name": "odoo.exceptions.AccessError"}}}',
      RPC,
    ),
    null,
  );
  assert.equal(valueAt("<html><body>Proxy error</body></html>", RPC), null);
  assert.equal(find("<html>", RPC, 1), -1);
});
