import assert from "node:assert/strict";
import { progressBar, renderTerminal, SPINNER } from "./terminal.ts";
import { sampleDocument } from "./testdata/sample_document.ts";

const ESC = "\x1b[";

Deno.test("renderTerminal() shows each migration's bar, figures, gear, pulse, cron badge and errors", () => {
  const text = renderTerminal(sampleDocument(), { width: 140 });
  assert.ok(!text.includes(ESC), "no colour unless asked");
  const lines = text.split("\n");
  const files = lines.findIndex((l) => l.startsWith("Odoo files"));
  assert.ok(files > 0, text);
  assert.match(lines[files], /⚙ ⠋ working {2}● live {2} Cron failing $/);
  assert.match(lines[files + 1], /^ {2}█{2}░{58} {2}4\.1%$/);
  assert.equal(lines[files + 2], "  751 / 18,323 migrated · 12 failed · 17,560 remaining · ETA 1 h 57 min");
  assert.equal(
    lines[files + 3],
    "  2.5 files/s · last batch 10 s ago · 1 running · last success 10 s ago · last failure 1 min ago",
  );
  assert.equal(
    lines[files + 4],
    '  cron * * * * * · last run 30 s ago: failed · cron: Vault secret "project_url" is missing: run select ' +
      "passerelle.store_secrets(...)",
  );
  assert.equal(lines[files + 5], "  errors, newest first:");
  assert.equal(
    lines[files + 6],
    "    1× 900: checksum_mismatch: Attachment 900 does not match Odoo's checksum · 1 min ago",
  );
  assert.equal(
    lines[files + 7],
    "    2× 813: odoo_unavailable: Cannot read attachment 813: Odoo answered 502 · 2 min ago",
  );

  const leads = lines.findIndex((l) => l.startsWith("Odoo leads"));
  assert.match(lines[leads], /⚙ idle {2}● stale {2} Paused $/);
  assert.equal(lines[leads + 2], "  5,000 / 5,000 migrated · 0 remaining · complete");
  assert.equal(lines[leads + 4], "  cron * * * * * (inactive) · last run never");

  const job = lines.findIndex((l) => l.startsWith("Leads import: leads-2026.csv"));
  assert.ok(job > files, "imports come after the migrations");
  assert.equal(lines[job + 2], "  500 / 2,000 imported · 3 failed · 1,500 remaining · ETA 30 s");
  assert.ok(
    lines.some((l) => l.startsWith("pg_net 1 failed of 12 answers in 10 min · last 20 s ago: HTTP 404")),
  );
});

Deno.test("renderTerminal() turns the spinner with the frame, colours the pulse, and fits the width", () => {
  const doc = sampleDocument();
  assert.ok(renderTerminal(doc, { frame: 3 }).includes(`⚙ ${SPINNER[3]} working`));
  const colored = renderTerminal(doc, { color: true, width: 100 });
  assert.ok(colored.includes(`${ESC}32m● live${ESC}39m`), "live is green");
  assert.ok(colored.includes(`${ESC}31m● stale${ESC}39m`), "stale is red");
  assert.ok(colored.includes(`${ESC}41;97;1m Cron failing ${ESC}0m`), "the badge is white on red");
  const narrow = renderTerminal(doc, { width: 40 });
  for (const line of narrow.split("\n")) assert.ok([...line].length <= 40, `"${line}" is wider than 40`);
  assert.ok(narrow.includes("…"), "what does not fit is cut with an ellipsis");
});

Deno.test("progressBar() fills in proportion and stays empty while the total is unknown", () => {
  assert.equal(progressBar(50, 10), "█████░░░░░");
  assert.equal(progressBar(4.1, 20), "█░░░░░░░░░░░░░░░░░░░");
  assert.equal(progressBar(null, 4), "░░░░");
  assert.equal(progressBar(140, 4), "████");
});

Deno.test("renderTerminal() says why a migration is paused", () => {
  const doc = sampleDocument();
  const files = doc.migrations.find((m) => m.key === "files")!;
  files.paused = true;
  files.paused_reason = "Odoo refused the key: fix ODOO_API_KEY (or ODOO_PASSWORD, ODOO_LOGIN), then resume";
  const out = renderTerminal(doc, { width: 140 });
  assert.match(out, /paused: Odoo refused the key: fix ODOO_API_KEY/);
});
