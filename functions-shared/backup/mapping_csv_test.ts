import assert from "node:assert/strict";
import { PasserelleError } from "../errors.ts";
import { parseCsv, parseMappingCsv } from "./mapping_csv.ts";

Deno.test("parseCsv() reads quoted fields with commas, quotes and line breaks", () => {
  assert.deepEqual(parseCsv('a,"b,c","d ""e""",\r\n"multi\nline",x\n\n'), [["a", "b,c", 'd "e"', ""], [
    "multi\nline",
    "x",
  ]]);
});

Deno.test("parseMappingCsv() reads the seed's id,store_fname,name,mimetype export", () => {
  const h = "ab" + "1".repeat(38);
  const text =
    `\uFEFFid,store_fname,name,mimetype\r\n812,ab/${h},"Devis, v2.pdf",application/pdf\r\n813,,vide.txt,\r\n`;
  const [a, b] = parseMappingCsv(text);
  assert.deepEqual(
    [a.id, a.storeFname, a.name, a.mimetype, a.checksum, a.type],
    [812, `ab/${h}`, "Devis, v2.pdf", "application/pdf", h, null],
  );
  assert.deepEqual([b.id, b.storeFname, b.checksum, b.mimetype], [813, null, null, null]);
  // Column order comes from the header.
  assert.equal(parseMappingCsv(`store_fname,id\nab/x,5\n`)[0].id, 5);
});

Deno.test("parseMappingCsv() names what is wrong", () => {
  assert.throws(
    () => parseMappingCsv("odoo_id,file\n1,a\n"),
    (e: unknown) => e instanceof PasserelleError && /must have the columns id,store_fname/.test(e.message),
  );
  assert.throws(() => parseMappingCsv("id,store_fname\nabc,ab/x\n"), /line 2 has no valid id/);
});
