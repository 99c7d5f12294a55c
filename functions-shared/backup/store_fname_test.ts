import assert from "node:assert/strict";
import { sha1FromStoreFname, storeFnameProblem } from "./store_fname.ts";

Deno.test("storeFnameProblem() refuses names that leave the filestore", () => {
  assert.equal(storeFnameProblem("ab/ab12cd"), null);
  assert.equal(storeFnameProblem("checklist/ab/ab12cd"), null);
  for (
    const [name, why] of [
      ["../../etc/passwd", /"\.\." segment/],
      ["ab/../../x", /"\.\." segment/],
      ["/etc/passwd", /absolute/],
      ["C:/Windows/win.ini", /drive letter/],
      ["ab\\..\\x", /backslash/],
      ["ab//x", /empty path segment/],
      ["./ab/x", /"\." segment/],
      ["ab/x\u0000", /control/],
      ["", /empty/],
    ] as const
  ) {
    assert.match(storeFnameProblem(name) ?? "accepted", why, name);
  }
});

Deno.test("sha1FromStoreFname() reads the sha1 Odoo names files by", () => {
  const h = "ab" + "0".repeat(38);
  assert.equal(sha1FromStoreFname(`ab/${h}`), h);
  assert.equal(sha1FromStoreFname(`cd/${h}`), null, "the folder is the sha1's first two digits");
  assert.equal(sha1FromStoreFname("ab/short"), null);
});
