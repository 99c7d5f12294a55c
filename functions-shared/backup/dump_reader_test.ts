import assert from "node:assert/strict";
import { PasserelleError } from "../errors.ts";
import { type CopyRow, readCopyTable } from "./dump_reader.ts";

const enc = new TextEncoder();

/** A dump as pg_dump 15.14+ writes it, with ir_attachment between two other tables. */
const DUMP = [
  "--",
  "-- PostgreSQL database dump",
  "--",
  "\\restrict AbCdEf0123",
  "SET client_encoding = 'UTF8';",
  "COPY public.account_note (line) FROM stdin;",
  "COPY public.ir_attachment (id, name) FROM stdin;",
  "9999\tnot a row",
  "\\.",
  "",
  "COPY public.ir_attachment (res_id, id, name, db_datas, store_fname) FROM stdin;",
  "7\t1\ttab\\there\\nnew\\\\line été\t\\\\x0001ff\tab/ab12",
  "\\N\t2\t\\N\t\\N\t\\N",
  "8\t3\t\\303\\251t\\xc3\\xa9\t\\N\t",
  "\\.",
  "",
  "COPY public.mail_message (id, body) FROM stdin;",
  "1\tafter",
  "\\.",
  "\\unrestrict AbCdEf0123",
  "",
].join("\n");

function chunked(
  text: string | Uint8Array,
  size: number,
  onPull?: (offset: number) => void,
): ReadableStream<Uint8Array> {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  let offset = 0;
  return new ReadableStream<Uint8Array>({
    pull(ctrl) {
      onPull?.(offset);
      if (offset >= bytes.length) return ctrl.close();
      ctrl.enqueue(bytes.slice(offset, offset + size));
      offset += size;
    },
  }, { highWaterMark: 0 });
}

async function rows(
  stream: ReadableStream<Uint8Array>,
  opts: Partial<Parameters<typeof readCopyTable>[1]> = {},
) {
  const out: CopyRow[] = [];
  for await (
    const r of readCopyTable(stream, {
      table: "ir_attachment",
      columns: ["id", "name", "store_fname", "res_model"],
      nullness: ["db_datas"],
      ...opts,
    })
  ) out.push(r);
  return out;
}

const EXPECTED: CopyRow[] = [
  { id: "1", name: "tab\there\nnew\\line été", store_fname: "ab/ab12", res_model: null, db_datas: "" },
  { id: "2", name: null, store_fname: null, res_model: null, db_datas: null },
  { id: "3", name: "été", store_fname: "", res_model: null, db_datas: null },
];

Deno.test("readCopyTable() reads the block's rows with the COPY line's columns, whatever the chunking", async () => {
  for (const size of [1, 2, 3, 5, 7, 13, 64, 4096]) {
    assert.deepEqual(await rows(chunked(DUMP, size)), EXPECTED, `chunks of ${size} bytes`);
  }
});

Deno.test("readCopyTable() skips other tables' data, even lines that read like its COPY line", async () => {
  const got = await rows(chunked(DUMP, 4096));
  assert.ok(!got.some((r) => r.id === "9999"));
});

Deno.test("readCopyTable() stops reading at the end of the block and cancels the stream", async () => {
  const end = DUMP.indexOf("COPY public.mail_message");
  let furthest = 0;
  let cancelled = false;
  const bytes = enc.encode(DUMP);
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(ctrl) {
      furthest = offset;
      if (offset >= bytes.length) return ctrl.close();
      ctrl.enqueue(bytes.slice(offset, offset + 16));
      offset += 16;
    },
    cancel() {
      cancelled = true;
    },
  }, { highWaterMark: 0 });
  assert.deepEqual(await rows(stream), EXPECTED);
  assert.ok(furthest <= end, `read up to ${furthest}, the block ends before ${end}`);
  assert.ok(cancelled);
});

Deno.test("readCopyTable() never holds a skipped column: db_datas may exceed the field limit", async () => {
  const huge = "\\\\x" + "ab".repeat(100_000);
  const dump = `COPY public.ir_attachment (id, db_datas, name) FROM stdin;\n1\t${huge}\tsmall\n\\.\n`;
  assert.deepEqual(await rows(chunked(dump, 1000), { maxFieldBytes: 64 }), [
    { id: "1", name: "small", store_fname: null, res_model: null, db_datas: "" },
  ]);
  const big = `COPY public.ir_attachment (id, name) FROM stdin;\n1\t${"n".repeat(100)}\n\\.\n`;
  await assert.rejects(rows(chunked(big, 7), { maxFieldBytes: 64 }), /column name holds more than 64 bytes/);
});

async function rejectsInvalid(p: Promise<unknown>, pattern: RegExp) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PasserelleError);
    assert.equal(e.code, "backup_invalid");
    assert.match(e.message, pattern);
    return true;
  });
}

Deno.test("readCopyTable() says clearly what is wrong with a dump", async () => {
  await rejectsInvalid(
    rows(chunked("SET x = 1;\nCOPY public.res_partner (id) FROM stdin;\n1\n\\.\n", 8)),
    /holds no data block for public\.ir_attachment/,
  );
  await rejectsInvalid(
    rows(chunked("COPY public.ir_attachment (id, name) FROM stdin;\n1\tx\n2\ty", 8)),
    /ends inside the data of ir_attachment \(after 1 rows\): the dump is truncated/,
  );
  await rejectsInvalid(rows(chunked("PGDMP\u0001\u000e\u0000", 8)), /custom-format pg_dump archive/);
  await rejectsInvalid(
    rows(chunked("COPY public.ir_attachment (id, name) FROM stdin;\n1\n\\.\n", 8)),
    /row 1 of ir_attachment has 1 fields, its COPY line 2 columns/,
  );
  await rejectsInvalid(
    rows(chunked("COPY public.ir_attachment (id, name) FROM stdin;\n1\tx\n\\.\n", 8), {
      required: ["store_fname"],
    }),
    /has no column "store_fname"/,
  );
});

Deno.test("readCopyTable() decodes with the dump's client_encoding", async () => {
  const head = enc.encode(
    "SET client_encoding = 'LATIN1';\nCOPY public.ir_attachment (id, name) FROM stdin;\n1\t",
  );
  const tail = enc.encode("\n\\.\n");
  const bytes = new Uint8Array([...head, 0xe9, 0x74, 0xe9, ...tail]); // "été" in Latin-1
  assert.equal((await rows(chunked(bytes, 5)))[0].name, "été");
});

Deno.test("readCopyTable() stops with the signal's reason", async () => {
  const ctrl = new AbortController();
  ctrl.abort(new Error("interrupted"));
  await assert.rejects(rows(chunked(DUMP, 8), { signal: ctrl.signal }), /interrupted/);
});
