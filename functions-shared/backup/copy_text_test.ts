import assert from "node:assert/strict";
import { connectDb } from "../db.ts";
import { testClusterUrl } from "../../scripts/testing/test_database.ts";
import { decodeCopyField, parseCopyHeader } from "./copy_text.ts";

const enc = new TextEncoder();
const decode = (raw: string) => decodeCopyField(enc.encode(raw));

Deno.test("decodeCopyField() reads every escape of COPY's text format", () => {
  assert.equal(decode("\\N"), null);
  assert.equal(decode("a\\Nb"), "aNb", "\\N means null only as the whole field");
  assert.equal(decode("\\\\N"), "\\N", "an escaped backslash before N is text");
  assert.equal(decode("\\b\\f\\n\\r\\t\\v\\\\"), "\b\f\n\r\t\v\\");
  assert.equal(decode("\\101\\7\\12x"), "A\u0007\nx", "octal: one to three digits");
  assert.equal(decode("\\1011"), "A1", "octal stops after three digits");
  assert.equal(decode("\\303\\251t\\xc3\\xa9"), "été", "octal and hex bytes combine into UTF-8");
  assert.equal(decode("\\x4"), "\u0004", "hex: one or two digits");
  assert.equal(decode("\\xZ"), "xZ", "\\x without a hex digit is x");
  assert.equal(decode("\\.\\q\\é"), ".qé", "a backslash before anything else gives that character");
  assert.equal(decode(""), "");
  assert.equal(decode("plain été"), "plain été");
});

Deno.test("parseCopyHeader() takes the table and columns from pg_dump's COPY line", () => {
  assert.deepEqual(
    parseCopyHeader('COPY public.ir_attachment (id, name, "position", "Odd ""name""") FROM stdin;'),
    {
      schema: "public",
      table: "ir_attachment",
      columns: ["id", "name", "position", 'Odd "name"'],
    },
  );
  assert.deepEqual(parseCopyHeader("COPY ir_attachment (id) FROM stdin;"), {
    schema: null,
    table: "ir_attachment",
    columns: ["id"],
  });
  assert.equal(parseCopyHeader("CREATE TABLE public.ir_attachment (id integer);"), null);
  assert.equal(parseCopyHeader("COPY public.ir_attachment (id, name FROM stdin;"), null);
});

Deno.test("decodeCopyField() gives back exactly what PostgreSQL's own COPY TO wrote", async () => {
  const samples: string[] = [
    "tab\there",
    "new\nline\r\nwindows",
    "back\\slash \\\\ double \\N \\.",
    "accents: été, œuvre, Łódź, 日本語, emoji 📄",
    Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join(""),
    "\u007f del and \u00a0 nbsp",
    "",
    "\\",
    "ends with backslash\\",
  ];
  const sql = connectDb(`${testClusterUrl()}/postgres`, { max: 1 });
  try {
    // One connection (max: 1), so the temporary table is there for COPY, which takes no parameters.
    await sql`create temporary table samples (n integer, v text)`;
    await sql`insert into samples select n, v from unnest(${samples}::text[]) with ordinality as t(v, n)`;
    await sql`insert into samples values (${samples.length + 1}, null)`;
    const stream = await sql`copy (select v from samples order by n) to stdout`.readable();
    const chunks: Uint8Array[] = [];
    for await (const c of stream) chunks.push(c as Uint8Array);
    const text = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      text.set(c, o);
      o += c.length;
    }
    const lines: Uint8Array[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      if (text[i] === 10) {
        lines.push(text.subarray(start, i));
        start = i + 1;
      }
    }
    assert.deepEqual(lines.map((l) => decodeCopyField(l)), [...samples, null]);
  } finally {
    await sql.end();
  }
});
