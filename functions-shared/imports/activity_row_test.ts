import assert from "node:assert/strict";
import { activityRowValidator, validateActivity } from "./activity_row.ts";
import { mapColumns } from "./columns.ts";
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
      summary: "Relancer",
      note: null,
      dueDate: "2024-03-15",
      leadEmail: "jean@exemple.fr",
      leadRef: null,
      assignedTo: null,
    },
  });
  for (
    const [word, type] of [
      ["RDV", "meeting"],
      ["Réunion", "meeting"],
      ["tâche", "todo"],
      ["E-mail", "email"],
      ["Call", "call"],
    ]
  ) {
    const v = validateActivity({ type: word, leadRef: "L1" }, 2);
    assert.ok(v.ok && v.value.type === type, word);
  }
});

Deno.test("validateActivity() makes a blank type a to-do and takes an email in a Lead column as the lead's email", () => {
  const r = validateActivity({ summary: "Envoyer le devis", leadRef: "émilie@exemple.fr" }, 2);
  assert.ok(r.ok);
  assert.equal(r.value.type, "todo");
  assert.equal(r.value.leadEmail, "émilie@exemple.fr");
  assert.equal(r.value.leadRef, null);
});

Deno.test("validateActivity() needs a lead and something to say, and names bad fields", () => {
  const r = validateActivity({ type: "Pigeon voyageur", dueDate: "hier" }, 5);
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.code), [
    "activity_type_invalid",
    "date_invalid",
    "activity_lead_missing",
  ]);
  assert.equal(
    message(r.issues[0]),
    "« Type » : type inconnu « Pigeon voyageur » (types possibles : « Appel », « Email », « Réunion » ou « Tâche »)",
  );
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
