import assert from "node:assert/strict";
import { SNIFF_BYTES, sniffFile } from "./sniff.ts";
import { ImportError } from "./import_error.ts";
import { buildXlsx, streamedZip, xlsxParts, zip } from "./testdata/xlsx_writer.ts";

const enc = new TextEncoder();

function refused(bytes: Uint8Array, code: string, name = "leads.csv", fileSize?: number): ImportError {
  try {
    sniffFile(bytes, name, { fileSize });
  } catch (e) {
    assert.ok(e instanceof ImportError, String(e));
    assert.equal(e.issue.code, code);
    return e;
  }
  assert.fail(`accepted, expected ${code}`);
}

Deno.test("sniffFile() finds a French Excel CSV: BOM, semicolons, header, first data offset", () => {
  const text = "\ufeffPrénom;Nom;Courriel\r\nÉmilie;Lefèvre;e@x.fr\r\n";
  const bytes = enc.encode(text);
  const s = sniffFile(bytes, "leads.csv");
  assert.deepEqual(s, {
    format: "csv",
    encoding: "utf-8-bom",
    delimiter: ";",
    headerRow: 1,
    headers: ["Prénom", "Nom", "Courriel"],
    dataOffset: enc.encode("\ufeffPrénom;Nom;Courriel\r\n").length,
    dataRow: 2,
    ascii: false,
  });
});

Deno.test("sniffFile() tells Windows-1252 from UTF-8 and flags an ASCII-only head", () => {
  const cp1252 = new Uint8Array([
    ...enc.encode("Nom,Ville\r\nL"),
    0xe9,
    ...enc.encode("a,N"),
    0xee,
    ...enc.encode("mes\r\n"),
  ]);
  assert.equal(sniffFile(cp1252).encoding, "windows-1252");
  const ascii = sniffFile(enc.encode("name,city\r\nlea,paris\r\n"));
  assert.equal(ascii.encoding, "utf-8");
  assert.equal(ascii.ascii, true);
  assert.equal(ascii.delimiter, ",");
});

Deno.test("sniffFile() picks the delimiter that splits lines alike, quotes and commas in text notwithstanding", () => {
  const text =
    'Nom;Société;Note\r\nDupont;"ACME, Inc";"a; b"\r\nMartin;Bâti, SARL;c\r\nDurand;X;"d, e, f"\r\n';
  assert.equal(sniffFile(enc.encode(text)).delimiter, ";");
  assert.equal(sniffFile(enc.encode("a\tb\tc\r\n1\t2,5\t3\r\n")).delimiter, "\t");
  const one = sniffFile(enc.encode("Email\r\na@x.fr\r\nb@x.fr\r\n"));
  assert.deepEqual(one.headers, ["Email"]);
});

Deno.test("sniffFile() skips blank and title lines before the header", () => {
  const text =
    "\r\nExport des leads du 12/03/2024;;;\r\n;;;\r\nPrénom;Nom;Courriel;Ville\r\nA;B;a@x.fr;Lyon\r\n";
  const s = sniffFile(enc.encode(text));
  assert.equal(s.headerRow, 4);
  assert.equal(s.dataRow, 5);
  assert.deepEqual(s.headers, ["Prénom", "Nom", "Courriel", "Ville"]);
  assert.equal(new TextDecoder().decode(enc.encode(text).subarray(s.dataOffset)).slice(0, 3), "A;B");
});

Deno.test("sniffFile() recognises an XLSX by its zip magic and entries", () => {
  const s = sniffFile(buildXlsx({ rows: [["Nom"], ["Dupont"]] }).subarray(0, 65536), "leads.xlsx");
  assert.equal(s.format, "xlsx");
});

Deno.test("sniffFile() takes a small XLSX whose entries all have data descriptors (LibreOffice's), whatever their order", () => {
  // LibreOffice 7.4 sets flag bit 3 on every entry and writes [Content_Types].xml last: a 300-row export
  // (13 KB, whole in the head) was refused as « archive ZIP qui n'est pas un classeur Excel .xlsx ».
  const parts = xlsxParts({ rows: [["Nom"], ["Dupont"]] });
  const order = [...Object.keys(parts).filter((n) => n !== "[Content_Types].xml"), "[Content_Types].xml"];
  const bytes = streamedZip(parts, { order });
  assert.ok(bytes.length < SNIFF_BYTES);
  assert.equal(sniffFile(bytes, "leads.xlsx", { fileSize: bytes.length }).format, "xlsx");
  // A Word document is still told apart at once when its head shows it; else by its central directory.
  refused(
    zip({ "[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>" }),
    "file_zip_not_xlsx",
  );
});

Deno.test("sniffFile() refuses empty, blank and header-only files", () => {
  refused(new Uint8Array(0), "file_empty");
  refused(enc.encode("\r\n\r\n  \r\n"), "file_blank");
  const e = refused(enc.encode("Prénom;Nom;Courriel\r\n"), "file_header_only");
  assert.equal(
    e.message,
    'leads.csv: the file holds only a header row ("Prénom", "Nom", "Courriel"), no data rows',
  );
  // A head of a longer file is not "header only".
  assert.equal(sniffFile(enc.encode("Prénom;Nom\r\n"), "x.csv", { fileSize: 1_000_000 }).headerRow, 1);
});

Deno.test("sniffFile() refuses .xls, UTF-16, binaries and pipes with a message that says what to do", () => {
  const xls = refused(
    new Uint8Array([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0]),
    "file_xls",
    "leads.xls",
  );
  assert.match(xls.message, /^leads\.xls: old Excel 97-2003 format \(\.xls\)/);
  refused(new Uint8Array([0x4e, 0, 0x6f, 0, 0x6d, 0, 0x3b, 0, 0x41, 0, 0x0d, 0, 0x0a, 0]), "file_utf16");
  assert.equal(refused(enc.encode("%PDF-1.7\n..."), "file_binary").issue.params?.kind, "pdf");
  assert.equal(
    refused(enc.encode("<html><table><tr><td>x</td></tr></table></html>"), "file_binary").issue.params?.kind,
    "html",
  );
  const junk = new Uint8Array(4096).map((_, i) => (i * 7919 + 13) % 256);
  refused(junk, "file_binary");
  refused(enc.encode("a|b|c\r\n1|2|3\r\n4|5|6\r\n"), "delimiter_unsupported");
  refused(enc.encode("a;b\r1;2\r3;4\r"), "file_cr_newlines");
});

Deno.test("sniffFile() reads Excel's « Texte Unicode » (UTF-16 with BOM, tabs) like a CSV, by byte offsets", () => {
  const text = "Prénom\tNom\tCourriel\r\nÉmilie 😀\tLefèvre\te@x.fr\r\n";
  for (const encoding of ["utf-16le", "utf-16be"] as const) {
    const codes: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const u = text.charCodeAt(i);
      codes.push(...(encoding === "utf-16le" ? [u & 0xff, u >> 8] : [u >> 8, u & 0xff]));
    }
    const bytes = new Uint8Array([...(encoding === "utf-16le" ? [0xff, 0xfe] : [0xfe, 0xff]), ...codes]);
    const s = sniffFile(bytes, "export.txt");
    assert.equal(s.format, "csv");
    assert.equal(s.encoding, encoding);
    assert.equal(s.delimiter, "\t");
    assert.deepEqual(s.headers, ["Prénom", "Nom", "Courriel"]);
    assert.equal(s.dataOffset, 2 + 2 * "Prénom\tNom\tCourriel\r\n".length);
    // A head cut inside a surrogate pair (the emoji) is not misread.
    const cut = 2 + 2 * text.indexOf("😀") + 2;
    assert.deepEqual(sniffFile(bytes.subarray(0, cut), "export.txt", { fileSize: 1e6 }).headers, s.headers);
  }
});
