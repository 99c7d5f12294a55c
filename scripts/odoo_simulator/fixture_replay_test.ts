/**
 * Replays every transcript recorded from the real Odoo 17 server against the
 * simulator (playing Odoo 17, loaded with `fixtureDataset()`), and checks that
 * it answers the same: status, content type, error class and message, result
 * keys, shapes and values (for cut results, the saved rows must appear, in
 * order, among the simulator's, and the count must be the recorded one).
 */
import assert from "node:assert/strict";
import { fixtureDataset, loadTranscripts, type Transcript } from "./fixture_dataset.ts";
import { startOdooSimulator } from "./server.ts";
import { sha1Hex } from "./content.ts";

const transcripts = loadTranscripts();
const dataset = fixtureDataset(transcripts);

Deno.test("fixture transcripts: there are 65 and the replay covers them all", () => {
  assert.equal(transcripts.length, 65);
});

Deno.test("fixtureDataset() has the recorded bytes where the transcripts hold them", () => {
  for (
    const [id, checksum] of [
      [78, "7fe65111180c21243aa4e381f5f0ca4de9dc28fe"],
      [81, "c65dc2980c62a5ff21dc0d43b8173c642d521e48"],
      [85, "35afc11ed10673c90845fc7c4d2d0998a35956b0"],
      [92, "5ef38475555eb2cf21b7ef4071a2525831eb6911"],
    ] as const
  ) {
    assert.equal(sha1Hex(dataset.attachmentBytes(id)!), checksum, `attachment ${id}`);
  }
});

Deno.test("fixture replay: the simulator answers every recorded request as Odoo 17 did", async (t) => {
  const sim = await startOdooSimulator({ dataset, version: 17 });
  try {
    for (const transcript of transcripts) {
      await t.step(transcript.file, async () => {
        await replay(sim.url, transcript);
      });
    }
  } finally {
    await sim.close();
  }
});

async function replay(base: string, tr: Transcript): Promise<void> {
  const { request, response } = tr;
  const body = request.body === null || request.body === undefined
    ? undefined
    : request.body_is_raw_text
    ? String(request.body)
    : JSON.stringify(request.body);
  const res = await fetch(base + request.path, { method: request.method, headers: request.headers, body });
  const text = await res.text();
  assert.equal(res.status, response.status, "HTTP status");
  const family = (ct: string | null) => (ct ?? "").split(";")[0].trim();
  assert.equal(
    family(res.headers.get("content-type")),
    family(response.headers["content-type"]),
    "content type",
  );
  if (response.headers["set-cookie"]) {
    assert.match(
      res.headers.get("set-cookie") ?? "",
      /^session_id=\w+; Expires=.+; Max-Age=604800; HttpOnly; Path=\/$/,
    );
  }

  if (typeof response.body === "string") {
    // Non-JSON bodies: whole, or (60) the saved beginning of a longer page.
    const cut = /\.\.\. <\d+ bytes total>$/.exec(response.body);
    if (cut) {
      assert.ok(text.startsWith(response.body.slice(0, cut.index)), `body starts with the recorded one`);
    } else assert.equal(text, response.body);
    return;
  }

  const actual = JSON.parse(text);
  const expected = response.body as Record<string, unknown>;
  assert.equal(actual.jsonrpc, expected.jsonrpc);
  assert.deepEqual(actual.id, expected.id, "id echoes the request");
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), "envelope keys");
  if ("error" in expected) {
    const e = expected.error as { code: number; message: string; data: Record<string, unknown> };
    assert.equal(actual.error.code, e.code);
    assert.equal(actual.error.message, e.message);
    assert.equal(actual.error.data.name, e.data.name, "error class");
    assert.equal(actual.error.data.message, e.data.message, "error message");
    assert.deepEqual(actual.error.data.arguments, e.data.arguments);
    assert.deepEqual(actual.error.data.context, e.data.context);
    assert.match(actual.error.data.debug, /^Traceback \(most recent call last\):\n/);
    const lastLine = (s: string) => s.split("\n").at(-1);
    assert.equal(lastLine(actual.error.data.debug), lastLine(String(e.data.debug)), "traceback's last line");
    return;
  }
  if (!("result" in expected)) return; // fixture 30: no result key, checked with the envelope keys
  compareResult(actual.result, expected.result, tr.truncated_from);
}

function compareResult(actual: unknown, expected: unknown, truncatedFrom?: number): void {
  if (truncatedFrom === undefined) {
    assert.deepEqual(normalize(actual, expected), expected);
    return;
  }
  assert.ok(Array.isArray(actual) && Array.isArray(expected));
  assert.equal(actual.length, truncatedFrom, "number of rows before the recording cut them");
  // The saved rows are the first ones or a chosen subset (10, 33, 52): each must appear, in order.
  let from = 0;
  for (const row of expected as { id: number }[]) {
    const at = actual.findIndex((r: { id: number }, i: number) => i >= from && r.id === row.id);
    assert.ok(at >= 0, `row ${row.id} is in the result, after the previous saved row`);
    assert.deepEqual(actual[at], row, `row ${row.id}`);
    from = at + 1;
  }
}

/** Base64 the recording replaced by "<omitted base64, N chars>" compares by length. */
function normalize(actual: unknown, expected: unknown): unknown {
  if (typeof expected === "string") {
    const m = /^<omitted base64, (\d+) chars>$/.exec(expected);
    if (m && typeof actual === "string" && actual.length === Number(m[1])) return expected;
    return actual;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    return actual.map((a, i) => normalize(a, expected[i]));
  }
  if (expected && typeof expected === "object" && actual && typeof actual === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(actual)) {
      out[k] = normalize(v, (expected as Record<string, unknown>)[k]);
    }
    return out;
  }
  return actual;
}
