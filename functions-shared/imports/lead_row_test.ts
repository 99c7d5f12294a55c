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
      siret: null,
    },
    warnings: null,
    emailKey: "émilie.lefèvre@exemple.fr",
    phoneKey: "+33612345678",
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

Deno.test("validateLead() keeps what it cannot read, as written, and warns on every such field", () => {
  const r = validateLead(
    {
      lastName: "Dupont",
      email: "Jean.Dupont@",
      phone: "12",
      expectedRevenue: "beaucoup",
      probability: "150",
      createdAt: "31/02/2024",
      city: "L".repeat(101),
      siret: "123",
    },
    9,
    { email: "Adresse e-mail", expectedRevenue: "Montant" },
  );
  assert.ok(r.ok, "a row that names a lead is imported");
  assert.deepEqual(r.warnings!.map((i) => [i.field, i.code, i.level, i.params!.kept]), [
    ["email", "email_invalid", "warning", "field"],
    ["phone", "phone_invalid", "warning", "field"],
    ["expectedRevenue", "amount_invalid", "warning", "extra"],
    ["probability", "probability_range", "warning", "extra"],
    ["createdAt", "date_invalid", "warning", "extra"],
    ["city", "too_long", "warning", "field"],
    ["siret", "siret_unusual", "warning", "field"],
  ]);
  // Text columns keep the text; the others' values go to extra_fields under the file's header.
  assert.equal(r.value.email, "Jean.Dupont@");
  assert.equal(r.emailKey, "jean.dupont@", "a mistyped address still finds its duplicates");
  assert.equal(r.value.phone, "12");
  assert.equal(r.phoneKey, null, "a phone that cannot be read finds no duplicates");
  assert.equal(r.value.city, "L".repeat(101));
  assert.equal(r.value.siret, "123");
  assert.deepEqual(r.value.extra, { Montant: "beaucoup", probability: "150", createdAt: "31/02/2024" });
  assert.equal(r.value.expectedRevenue, null);
  assert.equal(
    message(r.warnings![0]),
    "« Adresse e-mail » : adresse invalide (valeur « Jean.Dupont@ ») ; gardée telle quelle",
  );
  assert.equal(
    message(r.warnings![2], "en"),
    '"Montant": invalid amount (value "beaucoup"); kept as written in the extra fields',
  );
});

Deno.test("validateLead() keeps negative amounts, SIRETs and postal codes as written, and splits tags", () => {
  const r = validateLead({
    company: "Boulangerie Lefèvre",
    expectedRevenue: "-1500,75",
    siret: "012 345 678 00019",
    postalCode: "01000",
    tags: "VIP, salon 2024 ;VIP| export",
  }, 2);
  assert.ok(r.ok && r.warnings === null, JSON.stringify(r));
  assert.equal(r.value.expectedRevenue, -1500.75);
  assert.equal(r.value.siret, "012 345 678 00019");
  assert.equal(r.value.postalCode, "01000");
  assert.deepEqual(r.value.tags, ["VIP", "salon 2024", "export"]);
  assert.equal(r.value.tagsText, "VIP, salon 2024 ;VIP| export", "the cell as written, beside its split");
});

Deno.test("leadRowValidator() keeps the cells of unmapped columns by header, exactly", () => {
  const m = mapColumns(["Société", "Secteur", "", "Secteur"], "lead");
  assert.ok(m.ok);
  const r = leadRowValidator(m.mapping)(["ACME", " Boulangerie ", "sans en-tête", ""], 2);
  assert.ok(r.ok);
  assert.deepEqual(r.value.extra, { "Secteur": " Boulangerie ", "#3": "sans en-tête" });
});

Deno.test("validateLead() refuses a row with nothing to name it, and then keeps nothing of it", () => {
  const r = validateLead({ phone: "12", city: "Lyon" }, 4);
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => [i.code, i.level, i.params?.kept]), [
    ["phone_invalid", undefined, undefined],
    ["lead_identity_missing", undefined, undefined],
  ]);
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
