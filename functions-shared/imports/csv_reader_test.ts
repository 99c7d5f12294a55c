import assert from "node:assert/strict";
import { type CsvBatch, type CsvReadOptions, type CsvRow, readCsvRows } from "./csv_reader.ts";
import { ImportError } from "./import_error.ts";
import { generateLeadCsv } from "./testdata/lead_csv.ts";

const enc = new TextEncoder();

/** A stream of `bytes` from `start`, cut into chunks of the sizes `cuts` gives (cycled). */
function streamOf(bytes: Uint8Array, start = 0, cuts: number[] = [65536]): ReadableStream<Uint8Array> {
  let at = start, k = 0;
  return new ReadableStream({
    pull(c) {
      if (at >= bytes.length) return c.close();
      const n = cuts[k++ % cuts.length];
      c.enqueue(bytes.slice(at, at + n));
      at += n;
    },
  });
}

async function readAll(
  bytes: Uint8Array,
  opts: Partial<CsvReadOptions> = {},
  cuts?: number[],
): Promise<{ rows: CsvRow[]; batches: CsvBatch[] }> {
  const o: CsvReadOptions = { encoding: "utf-8", delimiter: ";", startOffset: 0, startRow: 1, ...opts };
  const batches: CsvBatch[] = [];
  for await (const b of readCsvRows(streamOf(bytes, o.startOffset, cuts), o)) batches.push(b);
  return { rows: batches.flatMap((b) => b.rows), batches };
}

/** Reads `bytes` in calls of `maxRows` records each, every call opening the file at the last checkpoint. */
async function readResumed(
  bytes: Uint8Array,
  maxRows: number,
  opts: Partial<CsvReadOptions> = {},
  cuts?: number[],
): Promise<{ rows: CsvRow[]; calls: number }> {
  const rows: CsvRow[] = [];
  let offset = opts.startOffset ?? 0, row = opts.startRow ?? 1, ascii = opts.asciiSoFar ?? false;
  let encoding = opts.encoding ?? "utf-8";
  for (let calls = 1;; calls++) {
    let got = 0;
    const o: CsvReadOptions = {
      delimiter: ";",
      ...opts,
      encoding,
      startOffset: offset,
      startRow: row,
      asciiSoFar: ascii,
      maxRows,
      batchRows: 1 + (calls % 3) * 7,
    };
    for await (const b of readCsvRows(streamOf(bytes, offset, cuts), o)) {
      rows.push(...b.rows);
      got += b.nextRow - row;
      offset = b.endOffset, row = b.nextRow, ascii = b.asciiSoFar, encoding = b.encoding;
    }
    if (got === 0) return { rows, calls };
  }
}

const tricky = [
  "Prénom;Nom;Note",
  "Émilie;Lefèvre;simple",
  'Zoë;"Côté; fils";"dit ""le grand"""',
  'Gaël;Müller;"sur\r\ndeux lignes"',
  "",
  'François;;"€ 1 234,56 — ✓ 😀"',
  ";;",
  "Anaïs;Bézier;fin sans retour",
].join("\r\n");

Deno.test("readCsvRows() reads quoted fields, doubled quotes, line breaks in quotes and CRLF", async () => {
  const { rows, batches } = await readAll(enc.encode(tricky));
  assert.deepEqual(rows, [
    { rowNumber: 1, values: ["Prénom", "Nom", "Note"] },
    { rowNumber: 2, values: ["Émilie", "Lefèvre", "simple"] },
    { rowNumber: 3, values: ["Zoë", "Côté; fils", 'dit "le grand"'] },
    { rowNumber: 4, values: ["Gaël", "Müller", "sur\r\ndeux lignes"] },
    { rowNumber: 6, values: ["François", "", "€ 1 234,56 — ✓ 😀"] },
    { rowNumber: 8, values: ["Anaïs", "Bézier", "fin sans retour"] },
  ]);
  assert.equal(batches.at(-1)!.endOffset, enc.encode(tricky).length);
  assert.equal(batches.at(-1)!.nextRow, 9);
  assert.equal(batches.at(-1)!.done, true);
});

Deno.test("readCsvRows() gives the same rows whatever the chunk sizes, down to one byte", async () => {
  const bytes = enc.encode(tricky);
  const whole = await readAll(bytes);
  for (const cuts of [[1], [2, 3], [5, 1, 7], [13]]) {
    assert.deepEqual((await readAll(bytes, {}, cuts)).rows, whole.rows, `chunks of ${cuts}`);
  }
});

Deno.test("readCsvRows() resumed at every checkpoint gives the rows of one read (UTF-8 text)", async () => {
  const bytes = enc.encode(tricky);
  const whole = (await readAll(bytes)).rows;
  for (const maxRows of [1, 2, 3, 5]) {
    for (const cuts of [[1], [3, 7], [65536]]) {
      const resumed = await readResumed(bytes, maxRows, {}, cuts);
      assert.deepEqual(resumed.rows, whole, `maxRows ${maxRows}, chunks ${cuts}`);
    }
  }
});

Deno.test("readCsvRows() resumed in pieces reads a generated lead file like one read", async () => {
  const bytes = new Uint8Array(await new Response(generateLeadCsv({ rows: 3000, seed: 7 })).arrayBuffer());
  const whole = (await readAll(bytes)).rows;
  assert.equal(whole.length, 3001);
  const resumed = await readResumed(bytes, 977, {}, [4093, 1, 65536]);
  assert.equal(resumed.calls, 5);
  assert.deepEqual(resumed.rows, whole);
});

Deno.test("readCsvRows() endOffset is a byte offset: the file reopened there starts at the next row", async () => {
  const bytes = enc.encode("a;b\r\né;€\r\n😀;x\r\nlast;row\r\n");
  const { batches } = await readAll(bytes, { batchRows: 1 }, [1]);
  const offsets = batches.map((b) => b.endOffset);
  assert.deepEqual(offsets, [5, 13, 21, 31]);
  const rest = new TextDecoder().decode(bytes.subarray(offsets[1]));
  assert.ok(rest.startsWith("😀;x"));
});

Deno.test("readCsvRows() reads Windows-1252 with byte offsets equal to characters", async () => {
  const bytes = new Uint8Array([
    ..."Nom;Prix\r\n".split("").map((c) => c.charCodeAt(0)),
    0xc9,
    0x6c,
    0x6f,
    0x64,
    0x69,
    0x65,
    0x3b,
    0x80,
    0x0d,
    0x0a,
  ]);
  const { rows, batches } = await readAll(bytes, { encoding: "windows-1252" });
  assert.deepEqual(rows[1], { rowNumber: 2, values: ["Élodie", "€"] });
  assert.equal(batches.at(-1)!.endOffset, bytes.length);
  const resumed = await readResumed(bytes, 1, { encoding: "windows-1252" });
  assert.deepEqual(resumed.rows, rows);
});

Deno.test("readCsvRows() skips a UTF-8 BOM at offset 0 and counts its bytes", async () => {
  const bytes = enc.encode("\ufeffa;b\r\n1;2\r\n");
  const { rows, batches } = await readAll(bytes, { encoding: "utf-8-bom" }, [1]);
  assert.deepEqual(rows.map((r) => r.values), [["a", "b"], ["1", "2"]]);
  assert.equal(batches.at(-1)!.endOffset, bytes.length);
});

Deno.test("readCsvRows() switches to Windows-1252 when an ASCII-only start was sniffed as UTF-8", async () => {
  const ascii = "nom;ville\r\n" + "dupont;paris\r\n".repeat(5000);
  const bytes = new Uint8Array([
    ...enc.encode(ascii),
    0x4c,
    0xe9,
    0x61,
    0x3b,
    0x4e,
    0xee,
    0x6d,
    0x65,
    0x73,
    0x0d,
    0x0a,
  ]);
  const { rows, batches } = await readAll(bytes, { asciiSoFar: true }, [4096]);
  assert.deepEqual(rows.at(-1)!.values, ["Léa", "Nîmes"]);
  assert.equal(batches.at(-1)!.encoding, "windows-1252");
  assert.equal(batches.at(-1)!.endOffset, bytes.length);
  const resumed = await readResumed(bytes, 1500, { asciiSoFar: true }, [4096]);
  assert.deepEqual(resumed.rows, rows);
});

Deno.test("readCsvRows() names the row where UTF-8 text turns into another encoding", async () => {
  const bytes = new Uint8Array([
    ...enc.encode("nom;ville\r\nÉmilie;Lyon\r\nx;y\r\n"),
    0x4c,
    0xe9,
    0x61,
    0x3b,
    0x78,
    0x0d,
    0x0a,
  ]);
  await assert.rejects(readAll(bytes, { asciiSoFar: true, fileName: "leads.csv" }), (e: unknown) => {
    assert.ok(e instanceof ImportError);
    assert.equal(e.issue.code, "encoding_invalid");
    assert.equal(e.issue.row, 4);
    assert.match(e.message, /leads\.csv, row 4: bytes that are not valid UTF-8/);
    return true;
  });
});

Deno.test("readCsvRows() keeps a genuine U+FFFD character", async () => {
  const { rows } = await readAll(enc.encode("a;b\r\n\ufffd;x\r\n"));
  assert.deepEqual(rows[1].values, ["\ufffd", "x"]);
});

Deno.test("readCsvRows() names the row and column of a quote left open at the end of the file", async () => {
  const bytes = enc.encode('Nom;Note\r\nA;ok\r\nB;"jamais fermé\r\nC;suite\r\n');
  await assert.rejects(readAll(bytes, { headers: ["Nom", "Note"] }, [3]), (e: unknown) => {
    assert.ok(e instanceof ImportError);
    assert.equal(e.issue.code, "csv_unterminated_quote");
    assert.equal(e.issue.row, 3);
    assert.equal(e.issue.params?.columnNumber, 2);
    assert.match(e.message, /Row 3, column 2 \("Note"\): a quote opens a field that never closes/);
    return true;
  });
});

Deno.test("readCsvRows() refuses a field over maxFieldBytes, naming row and column, without reading on", async () => {
  const big = "x".repeat(5000);
  const bytes = enc.encode(`a;b;c\r\n1;2;3\r\n4;${big};6\r\n`);
  await assert.rejects(readAll(bytes, { maxFieldBytes: 4096 }, [512]), (e: unknown) => {
    assert.ok(e instanceof ImportError);
    assert.equal(e.issue.code, "csv_field_too_large");
    assert.equal(e.issue.row, 3);
    assert.equal(e.issue.params?.columnNumber, 2);
    return true;
  });
  // An unclosed quote is caught by the same limit long before the end of a large file.
  let pulled = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(c) {
      pulled++;
      c.enqueue(enc.encode(pulled === 1 ? 'a;b\r\n1;"open\r\n' : "more text\r\n".repeat(100)));
    },
  });
  const it = readCsvRows(endless, {
    encoding: "utf-8",
    delimiter: ";",
    startOffset: 0,
    startRow: 1,
    maxFieldBytes: 10_000,
  });
  await assert.rejects(
    it.next(),
    (e: unknown) => e instanceof ImportError && e.issue.code === "csv_field_too_large",
  );
  assert.ok(pulled < 20, `read ${pulled} chunks`);
});

Deno.test("readCsvRows() counts bytes of multi-byte characters in the field limit", async () => {
  const bytes = enc.encode(`a\r\n${"é".repeat(600)}\r\n`); // 600 characters, 1200 bytes
  await assert.rejects(readAll(bytes, { maxFieldBytes: 1000 }), /field longer than/);
  assert.equal((await readAll(bytes, { maxFieldBytes: 1200 })).rows.length, 2);
});

Deno.test("readCsvRows() removes NUL characters and skips blank rows but counts them", async () => {
  const { rows } = await readAll(enc.encode("a;b\r\n\r\n ; \r\nx\u0000y;z\r\n"));
  assert.deepEqual(rows, [{ rowNumber: 1, values: ["a", "b"] }, { rowNumber: 4, values: ["xy", "z"] }]);
});

Deno.test("readCsvRows() stops after maxRows and cancels its source", async () => {
  let cancelled = false;
  const bytes = enc.encode("r\r\n".repeat(1000));
  let at = 0;
  const source = new ReadableStream<Uint8Array>({
    pull(c) {
      c.enqueue(bytes.slice(at, at + 100));
      at += 100;
    },
    cancel() {
      cancelled = true;
    },
  });
  const batches: CsvBatch[] = [];
  for await (
    const b of readCsvRows(source, {
      encoding: "utf-8",
      delimiter: ";",
      startOffset: 0,
      startRow: 1,
      maxRows: 50,
    })
  ) batches.push(b);
  assert.equal(batches.flatMap((b) => b.rows).length, 50);
  assert.equal(batches.at(-1)!.endOffset, 150);
  assert.equal(batches.at(-1)!.nextRow, 51);
  assert.equal(batches.at(-1)!.done, false);
  assert.ok(cancelled);
});

Deno.test("readCsvRows() reads tab- and comma-separated files and a last row without a line end", async () => {
  assert.deepEqual((await readAll(enc.encode("a\tb\n1\t2"), { delimiter: "\t" })).rows.map((r) => r.values), [
    ["a", "b"],
    ["1", "2"],
  ]);
  assert.deepEqual(
    (await readAll(enc.encode('a,b\n"1,5",2,'), { delimiter: "," })).rows.map((r) => r.values),
    [
      ["a", "b"],
      ["1,5", "2", ""],
    ],
  );
});

Deno.test("readCsvRows() keeps text after a closing quote, as Excel does", async () => {
  const { rows } = await readAll(enc.encode('"ab"c;d\r\n'));
  assert.deepEqual(rows[0].values, ["abc", "d"]);
});

Deno.test("readCsvRows() throws the abort reason when its signal is aborted", async () => {
  const ac = new AbortController();
  ac.abort(new Error("budget spent"));
  await assert.rejects(readAll(enc.encode("a\r\n"), { signal: ac.signal }), /budget spent/);
});

/** `text` in UTF-16 with its BOM, as Excel's « Texte Unicode » saves it. */
function utf16(text: string, encoding: "utf-16le" | "utf-16be"): Uint8Array {
  const out = new Uint8Array(2 + 2 * text.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xfeff, encoding === "utf-16le");
  for (let i = 0; i < text.length; i++) v.setUint16(2 + 2 * i, text.charCodeAt(i), encoding === "utf-16le");
  return out;
}

Deno.test("readCsvRows() reads UTF-16 LE and BE text with its BOM, resumable at any batch's byte offset", async () => {
  const csv = await new Response(generateLeadCsv({ rows: 400, seed: 16, delimiter: "\t" })).text();
  const tabs = csv + 'Émilie 😀\t"multi\r\nligne"\tx\r\n';
  const expected = (await readAll(enc.encode(tabs), { delimiter: "\t" })).rows;
  assert.ok(expected.length > 400);
  for (const encoding of ["utf-16le", "utf-16be"] as const) {
    const bytes = utf16(tabs, encoding);
    // Odd chunk sizes cut code units and surrogate pairs in two.
    const whole = await readAll(bytes, { encoding, delimiter: "\t" }, [4093, 7, 1, 65537]);
    assert.deepEqual(whole.rows, expected, encoding);
    assert.equal(whole.batches.at(-1)!.endOffset, bytes.length);
    const resumed = await readResumed(bytes, 37, { encoding, delimiter: "\t" }, [999, 3]);
    assert.deepEqual(resumed.rows, expected, encoding);
    assert.ok(resumed.calls > 10);
  }
});
