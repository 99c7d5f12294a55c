import assert from "node:assert/strict";
import { activityRowValidator, validateActivity } from "./activity_row.ts";
import { mapColumns } from "./columns.ts";
import { ImportError } from "./import_error.ts";
import { message } from "./messages.ts";

Deno.test("validateActivity() reads French and English types, dates and the lead's email", () => {
  const r = validateActivity({
    type: "Appel",
    summary: " Relancer ",
    dueDate: "15/03/2024",
    leadEmail: "Jean@Exemple.fr",
  }, 2);
  assert.deepEqual(r, {
    ok: true,
    value: {
      type: "call",
      typeLabel: "Appel",
      summary: "Relancer",
      note: null,
      dueDate: "2024-03-15",
      leadEmail: "jean@exemple.fr",
      leadRef: null,
      leadPhone: null,
      assignedTo: null,
    },
  });
});

// Odoo 17's default activity types (scripts/fixtures/odoo/53-activity-type-search-read.json, and
// addons/mail/data/mail_activity_type_data.xml: Exception; Request Signature from the sign app),
// with their French names in addons/mail/i18n/fr.po (17.0: « Appeler », « Charger un document »;
// 16.0: « Télécharger un document »; the issue's Odoo export: « Téléverser un document »).
const ODOO_TYPES: [string, string][] = [
  ["Email", "email"],
  ["E-mail", "email"],
  ["Call", "call"],
  ["Appeler", "call"],
  ["Appel", "call"],
  ["Meeting", "meeting"],
  ["Réunion", "meeting"],
  ["To-Do", "todo"],
  ["À faire", "todo"],
  ["Upload Document", "upload_document"],
  ["Téléverser un document", "upload_document"],
  ["Télécharger un document", "upload_document"],
  ["Charger un document", "upload_document"],
  ["Request Signature", "request_signature"],
  ["Demande de signature", "request_signature"],
  ["Exception", "exception"],
  ["RDV", "meeting"],
  ["tâche", "todo"],
];

Deno.test("validateActivity() keeps every type as written and gives Odoo's default types their kind", () => {
  for (const [word, kind] of ODOO_TYPES) {
    const v = validateActivity({ type: word, leadRef: "L1" }, 2);
    assert.ok(v.ok, word);
    assert.deepEqual([v.value.type, v.value.typeLabel], [kind, word], word);
  }
  // A type of the company's own is kept, without a kind: nothing is refused for its type.
  for (const custom of ["Relance devis", "Pigeon voyageur", "Visite chantier"]) {
    const v = validateActivity({ type: ` ${custom} `, leadEmail: "a@exemple.fr" }, 3);
    assert.ok(v.ok, custom);
    assert.deepEqual([v.value.type, v.value.typeLabel], [null, custom]);
  }
});

Deno.test("validateActivity() makes a blank type a to-do and takes an email in a Lead column as the lead's email", () => {
  const r = validateActivity({ summary: "Envoyer le devis", leadRef: "émilie@exemple.fr" }, 2);
  assert.ok(r.ok);
  assert.deepEqual([r.value.type, r.value.typeLabel], ["todo", null]);
  assert.equal(r.value.leadEmail, "émilie@exemple.fr");
  assert.equal(r.value.leadRef, null);
});

Deno.test("validateActivity() reads the lead's phone as a key of its own", () => {
  const r = validateActivity({ note: "Rappeler", leadPhone: "06 12 34 56 78" }, 2);
  assert.ok(r.ok);
  assert.equal(r.value.leadPhone, "+33612345678");
  const bad = validateActivity({ note: "Rappeler", leadPhone: "12" }, 3);
  assert.ok(!bad.ok);
  assert.deepEqual(bad.issues.map((i) => [i.field, i.code]), [["leadPhone", "phone_invalid"]]);
});

Deno.test("validateActivity() needs a lead and something to say, and names bad fields", () => {
  const r = validateActivity({ type: "Pigeon voyageur", dueDate: "hier" }, 5);
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.code), ["date_invalid", "activity_lead_missing"]);
  const empty = validateActivity({ leadRef: "L1" }, 6);
  assert.ok(!empty.ok && empty.issues[0].code === "activity_content_missing");
  const badEmail = validateActivity({ leadEmail: "pas un email", note: "x" }, 7);
  assert.ok(!badEmail.ok);
  assert.deepEqual(badEmail.issues.map((i) => i.code), ["email_invalid"]);
});

Deno.test("activityRowValidator() validates rows of a mapped file", () => {
  const m = mapColumns(["Lead", "Résumé", "Échéance"], "activity");
  assert.ok(m.ok);
  const r = activityRowValidator(m.mapping)(["EXT-12", "Rappeler", "2024-04-01"], 3);
  assert.ok(r.ok);
  assert.equal(r.value.leadRef, "EXT-12");
  assert.equal(r.value.dueDate, "2024-04-01");
});

Deno.test("activityRowValidator() stops the file when a row's lead e-mail is under a header it does not know", () => {
  const m = mapColumns(
    ["Référence lead", "Mail de la piste", "Type", "Résumé"],
    "activity",
    undefined,
    "act.csv",
  );
  assert.ok(m.ok);
  const validate = activityRowValidator(m.mapping, {}, "act.csv");
  // A row with a reference is fine; the unknown column is not looked at.
  assert.ok(validate(["L1", "", "Appel", "Rappeler"], 2).ok);
  // A row without one is not blamed: the file is, naming the column and what it may be called.
  assert.throws(() => validate(["", "jean@exemple.fr", "Appel", "Rappeler"], 3), (e: unknown) => {
    assert.ok(e instanceof ImportError);
    assert.equal(e.issue.code, "activity_lead_column_unmapped");
    assert.equal(
      message(e.issue),
      "act.csv, ligne 3 : la ligne n'a ni référence, ni e-mail, ni téléphone du lead dans une colonne reconnue, mais la colonne « Mail de la piste », que l'import ne reconnaît pas, semble contenir l'e-mail du lead : nommez-la « Courriel lead », « E-mail du lead » ou « Lead email », ou indiquez la correspondance des colonnes (« Mail de la piste » → « Courriel lead », ou à ignorer)",
    );
    return true;
  });
  // A row with nothing anywhere is the row's fault.
  const nothing = validate(["", "", "Appel", "Rappeler"], 4);
  assert.ok(!nothing.ok && nothing.issues[0].code === "activity_lead_missing");
  // The user's mapping settles it either way.
  const mapped = mapColumns(["Référence lead", "Mail de la piste", "Type"], "activity", {
    "Mail de la piste": "leadEmail",
  });
  assert.ok(mapped.ok);
  const r = activityRowValidator(mapped.mapping)(["", "Jean@Exemple.fr", "Appel"], 3);
  assert.ok(r.ok && r.value.leadEmail === "jean@exemple.fr");
  const dropped = { "Mail de la piste": null };
  const ignored = mapColumns(["Référence lead", "Mail de la piste", "Type"], "activity", dropped);
  assert.ok(ignored.ok);
  const refused = activityRowValidator(ignored.mapping, dropped)(["", "jean@exemple.fr", "Appel"], 3);
  assert.ok(!refused.ok && refused.issues[0].code === "activity_lead_missing");
});
