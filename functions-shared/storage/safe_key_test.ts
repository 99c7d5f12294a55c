import assert from "node:assert/strict";
import { PasserelleError } from "../errors.ts";
import {
  archiveKey,
  isServerValidKey,
  isValidStorageKey,
  MAX_SEGMENT_BYTES,
  safeKeySegment,
  STORAGE_KEY_CHARS,
  storageKeyProblem,
} from "./safe_key.ts";

/** Odoo names seen in the wild or in storage.md section 3, and the segment each must become. */
const NAMES: [string, string][] = [
  ["devis.pdf", "devis.pdf"],
  ["Résumé été (copie) [1].pdf", "Resume ete (copie) _1_.pdf"],
  ["résumé é.pdf", "resume e.pdf"],
  ["re\u0301sume\u0301.pdf", "resume.pdf"], // NFD input
  ["Œuvre Straße Łódź.docx", "OEuvre Strasse Lodz.docx"],
  ["Devis n°7 — été.pdf", "Devis no7 - ete.pdf"],
  ["l'offre (copie) [1].pdf", "l'offre (copie) _1_.pdf"],
  ["l’offre « finale ».pdf", "l'offre _ finale _.pdf"],
  ["ﬁchier½.txt", "fichier1_2.txt"],
  ["../../etc/passwd.txt", "etc_passwd.txt"],
  ["odoo-archive/1/../18-escape.pdf", "odoo-archive_1_18-escape.pdf"],
  ["a/b\\c:d*e|f.txt", "a_b_c_d_e_f.txt"],
  ["C:\\Users\\bob\\devis.pdf", "C__Users_bob_devis.pdf"],
  ["what?.txt", "what_.txt"],
  ["facture #12.pdf", "facture _12.pdf"],
  ["100%.pdf", "100_.pdf"],
  ["a%20b.pdf", "a_20b.pdf"],
  ["📄rapport.pdf", "_rapport.pdf"],
  ["👨‍👩‍👧 famille.jpg", "_ famille.jpg"],
  ["📄📄.pdf", "file.pdf"],
  ["📄", "file"],
  ["....", "file"],
  ["..", "file"],
  [".htaccess", "htaccess"],
  ["", "file"],
  ["   ", "file"],
  ["tab\there.pdf", "tab here.pdf"],
  ["line\nbreak\r\n.pdf", "line break.pdf"],
  ["nul\u0000byte\u0007.pdf", "nulbyte.pdf"],
  ["zero\u200bwidth.pdf", "zerowidth.pdf"],
  ["  spaced   out  .pdf ", "spaced out.pdf"],
  ["report..pdf", "report.pdf"],
  ["noext.", "noext"],
  ["archive.tar.gz", "archive.tar.gz"],
  ["devis final  v2.pdf", "devis final v2.pdf"],
  ["a+b&c=d;e,f@g$h!.pdf", "a+b&c=d;e,f@g$h!.pdf"],
  ["notes.a-very-long-extension-indeed", "notes.a-very-long-extension-indeed"],
];

for (const [name, expected] of NAMES) {
  Deno.test(`safeKeySegment(${JSON.stringify(name)}) reads "${expected}"`, () => {
    const got = safeKeySegment(name);
    assert.equal(got, expected);
    assert.ok(isValidStorageKey(got), got);
  });
}

Deno.test("safeKeySegment() bounds long names in bytes and keeps the extension", () => {
  const long = safeKeySegment("x".repeat(300) + ".pdf");
  assert.equal(long.length, 120);
  assert.ok(long.endsWith("x.pdf"));
  assert.equal(safeKeySegment("é".repeat(300)).length, 120);
  assert.equal(safeKeySegment("a".repeat(50) + " " + "b".repeat(50) + ".docx", 56), "a".repeat(50) + ".docx");
  assert.equal(safeKeySegment("📄".repeat(200) + ".pdf"), "file.pdf");
});

Deno.test("safeKeySegment() yields only whitelisted characters, never ?, :, *, /, or a leading dot", () => {
  const hostile = [
    "../../x",
    "..\\..\\x",
    'a?b#c%d\\e/f:g*h|i<j>k"l',
    "\u0000\u001f\u007f\u0085\u2028",
    "．．／ｅｔｃ", // full-width dots and slash
    "x".repeat(1000),
    "🎉".repeat(500),
    "...hidden",
    "trailing... ",
  ];
  for (const name of hostile) {
    const s = safeKeySegment(name);
    assert.ok(STORAGE_KEY_CHARS.test(s), `${JSON.stringify(name)} -> ${JSON.stringify(s)}`);
    assert.doesNotMatch(s, /[?:*/]|^[ .]|[ .]$|\.\./, s);
    assert.ok(s.length > 0 && s.length <= 120, s);
  }
});

Deno.test("archiveKey() builds odoo-archive/{lead_id}/{odoo_id}-{safe name}", () => {
  assert.equal(archiveKey(12, 345, "Devis n°7 — été.pdf"), "odoo-archive/12/345-Devis no7 - ete.pdf");
  assert.equal(archiveKey(1, 2, "../../etc/passwd.txt"), "odoo-archive/1/2-etc_passwd.txt");
  assert.equal(archiveKey(1, 2, ""), "odoo-archive/1/2-file");
  const long = archiveKey(1, 123456789, "y".repeat(400) + ".pdf");
  assert.equal(long.split("/")[2].length, 120);
  assert.ok(isValidStorageKey(long));
  for (const bad of [0, -1, 1.5, NaN, Number.MAX_SAFE_INTEGER + 2]) {
    assert.throws(() => archiveKey(bad, 1, "a.pdf"), PasserelleError);
    assert.throws(() => archiveKey(1, bad, "a.pdf"), PasserelleError);
  }
});

/** [key, valid for the server's own check, stored as given through the adapters] */
const KEYS: [string, boolean, boolean][] = [
  ["odoo-archive/1/2-devis.pdf", true, true],
  ["odoo-archive/1/13-devis final  v2.pdf", true, true],
  ["odoo-archive/1/14-what?.pdf", true, true],
  ["odoo-archive/1/24-a+b&c=d.pdf", true, true],
  ["odoo-archive/1/24-a:b*c.pdf", true, true],
  ["a..b", true, true],
  ["", false, false],
  ["odoo-archive/1/11-résumé é.pdf", false, false],
  ["odoo-archive/1/12-📄.pdf", false, false],
  ["odoo-archive/1/13-l'offre [1].pdf", false, false],
  ["odoo-archive/1/15-no#1.pdf", false, false],
  ["odoo-archive/1/16-100%.pdf", false, false],
  ["odoo-archive/1/23-a\\b.pdf", false, false],
  ["odoo-archive/1/30-tab\there.pdf", false, false],
  ["odoo-archive/1/../18-escape.pdf", true, false],
  ["../19-escape.pdf", true, false],
  ["./x", true, false],
  ["odoo-archive/1//25-double.pdf", true, false],
  ["odoo-archive/1/26-dir/", true, false],
  ["/odoo-archive/1/27.pdf", true, false],
  [`a/${"x".repeat(MAX_SEGMENT_BYTES)}`, true, true],
  [`a/${"x".repeat(MAX_SEGMENT_BYTES + 1)}`, true, false],
  [Array.from({ length: 9 }, () => "s".repeat(113)).join("/"), true, false], // 1025 bytes
];

for (const [key, server, portable] of KEYS) {
  Deno.test(`isValidStorageKey(${JSON.stringify(key).slice(0, 50)}) is ${portable}, server's ${server}`, () => {
    assert.equal(isServerValidKey(key), server);
    assert.equal(isValidStorageKey(key), portable);
    assert.equal(storageKeyProblem(key) === null, portable);
  });
}
