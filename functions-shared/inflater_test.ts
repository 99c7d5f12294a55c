import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { constants, deflateRawSync } from "node:zlib";
import { InflateError, type InflatePoint, Inflater, OUT_CHUNK } from "./inflater.ts";

/** `bytes` in pieces of `size`, as a ranged download gives them. */
async function* pieces(bytes: Uint8Array, size = 7_919): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

/** The output of an inflater over `compressed`, and the points of its block boundaries with where they fall. */
async function inflateAll(compressed: Uint8Array, from?: InflatePoint) {
  const inflater = new Inflater(from);
  const parts: Uint8Array[] = [];
  const points: { point: InflatePoint; at: number }[] = [];
  let at = 0;
  for await (const c of inflater.inflate(pieces(compressed.subarray(from ? from.bit >> 3 : 0)))) {
    assert.ok(c.bytes.length <= OUT_CHUNK);
    parts.push(c.bytes.slice());
    at += c.bytes.length;
    if (c.blockEnd && !c.final) points.push({ point: inflater.point(), at });
  }
  const out = new Uint8Array(at);
  let o = 0;
  for (const p of parts) out.set(p, (o += p.length) - p.length);
  return { out, points };
}

/** Text-like data: lead rows as a sheet's XML, repetitive with random parts, `n` rows. */
function sheetXml(n: number): Uint8Array {
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const cities = ["Paris", "Lyon", "Saint-Étienne", "Nîmes", "Besançon"];
  let s = "<sheetData>";
  for (let i = 1; i <= n; i++) {
    s += `<row r="${i}"><c r="A${i}" t="s"><v>${Math.floor(random() * 1e6)}</v></c>` +
      `<c r="B${i}" t="inlineStr"><is><t>${cities[i % 5]} ${
        random().toString(36).slice(2)
      }</t></is></c></row>`;
  }
  return new TextEncoder().encode(s + "</sheetData>");
}

Deno.test("Inflater gives what node:zlib compressed, at every level and block type, in pieces of any size", async () => {
  let seed = 3;
  const noise = Uint8Array.from({ length: 300_000 }, () => (seed = (seed * 16807) % 2147483647) & 0xff);
  const cases: [string, Uint8Array, number, number?][] = [
    ["text, level 6", sheetXml(20_000), 6],
    ["text, level 1", sheetXml(5_000), 1],
    ["text, level 9", sheetXml(5_000), 9],
    ["text, fixed Huffman codes only", sheetXml(3_000), 6, constants.Z_FIXED],
    ["random bytes (stored blocks)", noise, 6],
    ["text, stored (level 0)", sheetXml(2_000), 0],
    ["a run of zeros (matches 1032 times their codes)", new Uint8Array(5_000_000), 9],
    ["nothing", new Uint8Array(0), 6],
  ];
  for (const [what, data, level, strategy] of cases) {
    const compressed = deflateRawSync(data, { level, ...(strategy ? { strategy } : {}) });
    const { out } = await inflateAll(compressed);
    assert.equal(out.length, data.length, what);
    assert.ok(Buffer.from(out).equals(Buffer.from(data)), what);
  }
});

Deno.test("Inflater resumed at any of its block boundaries gives the rest of the output, byte for byte", async () => {
  const data = sheetXml(30_000);
  const compressed = deflateRawSync(data, { level: 6 });
  const { points } = await inflateAll(compressed);
  assert.ok(points.length >= 10, `${points.length} block boundaries`);
  // Some boundaries fall inside a byte: the next inflater starts at that bit.
  assert.ok(points.some((p) => p.point.bit % 8 !== 0));
  for (const { point, at } of points.filter((_, i) => i % 3 === 0)) {
    // Through JSON, as a checkpoint keeps it.
    const kept = JSON.parse(JSON.stringify({ bit: point.bit, window: [...point.window] }));
    const { out } = await inflateAll(compressed, { bit: kept.bit, window: Uint8Array.from(kept.window) });
    assert.ok(Buffer.from(out).equals(Buffer.from(data.subarray(at))), `resumed at bit ${point.bit}`);
  }
});

Deno.test("Inflater refuses bad and truncated deflate data", async () => {
  const compressed = deflateRawSync(sheetXml(2_000));
  const refused = async (bytes: Uint8Array, from?: InflatePoint) => {
    await assert.rejects(() => inflateAll(bytes, from), InflateError);
  };
  await refused(compressed.subarray(0, compressed.length >> 1)); // cut short
  await refused(Uint8Array.of(0xff, 0xff, 0xff)); // block type 3
  await refused(Uint8Array.of(0x01, 0x05, 0x00, 0x00, 0x00)); // stored: LEN and NLEN disagree
  // A match reaching before the start of the output (a window lost).
  const { points } = await inflateAll(compressed);
  await refused(compressed, { bit: points[0].point.bit, window: new Uint8Array(0) });
});
