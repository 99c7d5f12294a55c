import assert from "node:assert/strict";
import { leadRowValidator, validateLead } from "./lead_row.ts";
import { mapColumns } from "./columns.ts";
import { message } from "./messages.ts";

Deno.test("validateLead() cleans and types every field", () => {
  const r = validateLead({
    firstName: " Émilie ",
    lastName: "Lefèvre",
    email: "Émilie.Lefèvre@Exemple.fr",
    phone: "06 12 34 56 78",
    company: "Boulangerie Lefèvre",
    expectedRevenue: "1 234,56 €",
    probability: "40 %",
    createdAt: "15/03/2024",
    externalId: " EXT-1 ",
    stage: "",
  }, 2);
  assert.deepEqual(r, {
    ok: true,
    value: {
      title: "Boulangerie Lefèvre",
      contactName: "Émilie Lefèvre",
      firstName: "Émilie",
      lastName: "Lefèvre",
      email: "émilie.lefèvre@exemple.fr",
      phone: "+33612345678",
      mobile: null,
      company: "Boulangerie Lefèvre",
      expectedRevenue: 1234.56,
      probability: 40,
      stage: null,
      source: null,
      salesperson: null,
      externalId: "EXT-1",
      description: null,
      createdAt: "2024-03-15",
      city: null,
      postalCode: null,
      country: null,
    },
  });
});

Deno.test("validateLead() takes the title from company, contact or email when there is none", () => {
  const title = (rec: Record<string, string>) => {
    const r = validateLead(rec, 2);
    assert.ok(r.ok);
    return r.value.title;
  };
  assert.equal(title({ title: "Projet X", company: "ACME" }), "Projet X");
  assert.equal(title({ company: "ACME", firstName: "Jean" }), "ACME");
  assert.equal(title({ firstName: "Jean", lastName: "Dupont" }), "Jean Dupont");
  assert.equal(title({ email: "jean@exemple.fr" }), "jean@exemple.fr");
});

Deno.test("validateLead() needs a title, name, company or email", () => {
  const r = validateLead({ phone: "0612345678", city: "Lyon" }, 7);
  assert.ok(!r.ok);
  assert.deepEqual(r.issues, [{ row: 7, field: "title", code: "lead_identity_missing", params: {} }]);
  assert.equal(
    message(r.issues[0]),
    "Il faut au moins un titre, un nom de contact, une société ou un courriel",
  );
});

Deno.test("validateLead() reports every bad field of a row, named by the file's header", () => {
  const r = validateLead(
    {
      lastName: "Dupont",
      email: "x",
      phone: "12",
      expectedRevenue: "beaucoup",
      probability: "150",
      createdAt: "31/02/2024",
      city: "L".repeat(101),
    },
    9,
    { email: "Adresse e-mail" },
  );
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => [i.field, i.code]), [
    ["email", "email_invalid"],
    ["phone", "phone_invalid"],
    ["expectedRevenue", "amount_invalid"],
    ["probability", "probability_range"],
    ["createdAt", "date_invalid"],
    ["city", "too_long"],
  ]);
  assert.equal(message(r.issues[0]), "« Adresse e-mail » : adresse invalide (valeur « x »)");
  assert.equal(message(r.issues[1]), "« Téléphone » : numéro de téléphone invalide (valeur « 12 »)");
  assert.equal(message(r.issues[5], "en"), '"City": 101 characters, at most 100 allowed');
});

Deno.test("leadRowValidator() picks mapped cells and refuses rows of the wrong width", () => {
  const m = mapColumns(["Prénom", "Courriel", "Ignorée"], "lead");
  assert.ok(m.ok);
  const validate = leadRowValidator(m.mapping);
  const ok = validate(["Jean", "jean@exemple.fr", "x"], 2);
  assert.ok(ok.ok && ok.value.email === "jean@exemple.fr" && ok.value.firstName === "Jean");
  assert.ok(validate(["Jean", "jean@exemple.fr", "x", "", " "], 3).ok); // trailing empty cells
  const shifted = validate(["Jean", "Dupont", "jean@exemple.fr", "x"], 4);
  assert.ok(!shifted.ok);
  assert.equal(shifted.issues[0].code, "row_field_count");
  assert.equal(
    message(shifted.issues[0]),
    "4 valeurs au lieu de 3, le nombre de colonnes de l'en-tête (séparateur ou guillemet en trop dans la ligne ?)",
  );
  const short = validate(["Jean"], 5);
  assert.ok(!short.ok && short.issues[0].code === "row_field_count");
});
