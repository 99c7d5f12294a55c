/**
 * The status page with a document written into it, for where the page is
 * served by the `migration-status` function. A browser opening the function
 * cannot send the key with each refresh, so that page is a snapshot: it shows
 * the document it came with and says how to get a live page
 * (`deno task status --web`, which keeps the key on the server side).
 */
import type { StatusDocument } from "./status_document.ts";

const SOURCE = /(<body\b[^>]*\bdata-source=")[^"]*(")/;
const SNAPSHOT = /(<script id="status-snapshot" type="application\/json">)([\s\S]*?)(<\/script>)/;

/** JSON safe inside a `<script>` element: no `</script>`, no `<!--`. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Returns `html` with `doc` as its snapshot and polling off. Throws when the page lacks the slots. */
export function pageWithSnapshot(html: string, doc: StatusDocument): string {
  if (!SOURCE.test(html) || !SNAPSHOT.test(html)) {
    throw new Error("status page has no data-source attribute or status-snapshot script");
  }
  return html
    .replace(SOURCE, "$1$2")
    .replace(SNAPSHOT, (_m, open: string, _old: string, close: string) => open + scriptSafeJson(doc) + close);
}
