import assert from "node:assert/strict";
import { pageWithSnapshot, scriptSafeJson } from "./page_snapshot.ts";
import { sampleDocument } from "./testdata/sample_document.ts";

const page = await Deno.readTextFile(new URL("../../scripts/status_page/status.html", import.meta.url));

Deno.test("pageWithSnapshot() writes the document into the page and turns polling off", () => {
  const doc = sampleDocument();
  doc.migrations[1].recent_errors[0].message = 'Odoo said </script><script>alert("x")</script> & $& left';
  const html = pageWithSnapshot(page, doc);
  assert.match(html, /<body data-source="" data-interval="3000">/);
  assert.equal(
    html.match(/<\/script>/g)?.length,
    page.match(/<\/script>/g)?.length,
    "no script closed early",
  );
  const snapshot =
    html.match(/<script id="status-snapshot" type="application\/json">([\s\S]*?)<\/script>/)![1];
  assert.deepEqual(JSON.parse(snapshot), doc, "the JSON round-trips, `$&` included");
});

Deno.test("scriptSafeJson() escapes what could end a script element", () => {
  assert.equal(scriptSafeJson({ a: "</script><!--&" }), '{"a":"\\u003c/script\\u003e\\u003c!--\\u0026"}');
});

Deno.test("pageWithSnapshot() refuses a page without its slots", () => {
  assert.throws(() => pageWithSnapshot("<html><body></body></html>", sampleDocument()), /data-source/);
});
