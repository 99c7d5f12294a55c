import assert from "node:assert/strict";
import { acceptLocale, API_TEXTS, apiMessage, ISSUE_CODES, message } from "./messages.ts";

Deno.test("message() has a French and an English text for every issue code", () => {
  for (const code of ISSUE_CODES) {
    const issue = { code, row: 3, field: "email", params: { value: "v", file: "f.csv", max: 10 } };
    const fr = message(issue), en = message(issue, "en");
    assert.ok(fr && fr !== code, code);
    assert.ok(en && en !== code && en !== fr, code);
  }
});

Deno.test("message() writes row issues as the report shows them, French by default", () => {
  const issue = { row: 4, field: "email", code: "email_invalid" as const, params: { value: "x" } };
  assert.equal(message(issue), "« Courriel » : adresse invalide (valeur « x »)");
  assert.equal(message(issue, "en"), '"Email": invalid address (value "x")');
});

Deno.test("message() names file, row and column of file issues, and cuts long values", () => {
  const issue = {
    code: "csv_field_too_large" as const,
    row: 12,
    params: { file: "leads.csv", columnNumber: 3, column: "Description", max: 1048576 },
  };
  assert.equal(
    message(issue),
    "leads.csv, ligne 12, colonne 3 (« Description ») : champ de plus de 1 Mo (souvent un guillemet ouvert jamais fermé)",
  );
  assert.equal(message({ code: "file_empty" }), "Le fichier est vide");
  const long = message({ code: "email_invalid", row: 1, field: "email", params: { value: "a".repeat(200) } });
  assert.ok(long.length < 120 && long.includes("…"));
});

Deno.test("apiMessage() has a French and an English text for every HTTP answer; acceptLocale() reads the header", () => {
  const p = {
    jobId: "j",
    status: "failed",
    company: 2,
    user: "u",
    path: "p",
    folder: "f",
    at: "2026-12-01T10:00:00Z",
  };
  for (const text of API_TEXTS) {
    const fr = apiMessage(text, { ...p, detail: "d", action: "a", field: "x", max: 1 });
    const en = apiMessage(text, { ...p, detail: "e", action: "a", field: "x", max: 1 }, "en");
    assert.ok(fr && en && fr !== en, text);
  }
  assert.equal(
    apiMessage("job_undo_running", { jobId: "j", status: "committing" }),
    "L'import j est en cours d'enregistrement : arrêtez-le (cancel) avant de le défaire",
  );
  assert.equal(acceptLocale(null), "fr");
  assert.equal(acceptLocale("en-US,en;q=0.9"), "en");
  assert.equal(acceptLocale("de, en;q=0.5, fr;q=0.8"), "fr");
  assert.equal(acceptLocale("en;q=0, de"), "fr", "a language refused with q=0 is not chosen");
});
