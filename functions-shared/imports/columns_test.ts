import assert from "node:assert/strict";
import { columnSummary, headerKey, mapColumns } from "./columns.ts";
import { message } from "./messages.ts";

Deno.test("mapColumns() maps French and English headers whatever their case, accents and spaces", () => {
  const r = mapColumns(
    [
      "PRENOM",
      "Last name",
      "Adresse e-mail",
      "Tél.",
      "Entreprise",
      "Nom de l'opportunité",
      "Revenu attendu",
      "Probabilité (%)",
      "Étape",
      "Source",
      "Assigned to",
      "Réf",
      "Notes",
      "Date de création",
      "Colonne inutile",
      "",
    ],
    "lead",
  );
  assert.ok(r.ok);
  assert.deepEqual(r.mapping.index, {
    firstName: 0,
    lastName: 1,
    email: 2,
    phone: 3,
    company: 4,
    title: 5,
    expectedRevenue: 6,
    probability: 7,
    stage: 8,
    source: 9,
    salesperson: 10,
    externalId: 11,
    description: 12,
    createdAt: 13,
  });
  // Columns no field takes go to the lead's extra fields, by header (a blank one by its number).
  assert.deepEqual(r.mapping.extra, [
    { header: "Colonne inutile", key: "Colonne inutile", index: 14 },
    { header: "", key: "#16", index: 15 },
  ]);
  assert.deepEqual(r.mapping.ignored, []);
  assert.equal(r.mapping.header.email, "Adresse e-mail");
});

Deno.test("mapColumns() maps the address, SIRET and tags columns of French and English files", () => {
  for (
    const [headers, want] of [
      [["Société", "Ville", "Code postal", "Pays", "SIRET", "Étiquettes"], {}],
      [["Company", "City", "Postal code", "Country", "N° SIRET", "Tags"], {}],
      [["Raison sociale", "Commune", "CP", "Pays", "Numéro SIRET", "Mots-clés"], {}],
      [["Company", "Town", "ZIP", "Country", "Siret", "Labels"], {}],
    ] as const
  ) {
    const r = mapColumns(headers, "lead");
    assert.ok(r.ok, headers.join());
    assert.deepEqual(
      r.mapping.index,
      { company: 0, city: 1, postalCode: 2, country: 3, siret: 4, tags: 5, ...want },
      headers.join(),
    );
  }
  // A SIREN beside the SIRET is another identifier: kept in the extra fields, not refused as a second SIRET.
  const both = mapColumns(["Société", "SIRET", "SIREN"], "lead");
  assert.ok(both.ok);
  assert.deepEqual(both.mapping.extra.map((e) => e.header), ["SIREN"]);
});

Deno.test("columnSummary() says where each column of the file goes: a lead column, extra_fields, or nowhere", () => {
  const r = mapColumns(["Nom", "Code postal", "Secteur", "Secteur", "À ignorer"], "lead", {
    "À ignorer": null,
  });
  assert.ok(r.ok);
  assert.deepEqual(columnSummary(r.mapping), [
    { header: "Nom", to: "last_name" },
    { header: "Code postal", to: "postal_code" },
    { header: "Secteur", to: "extra_fields" },
    { header: "Secteur", to: "extra_fields" },
    { header: "À ignorer", to: null },
  ]);
  assert.deepEqual(r.mapping.extra.map((e) => e.key), ["Secteur", "Secteur (2)"]);
  assert.deepEqual(r.mapping.ignored, ["À ignorer"]);
});

Deno.test("mapColumns() maps activity headers", () => {
  const r = mapColumns(
    ["Type", "Résumé", "Note", "Échéance", "Email du lead", "Référence lead", "Assigné à", "Téléphone lead"],
    "activity",
  );
  assert.ok(r.ok);
  assert.deepEqual(r.mapping.index, {
    type: 0,
    summary: 1,
    note: 2,
    dueDate: 3,
    leadEmail: 4,
    leadRef: 5,
    assignedTo: 6,
    leadPhone: 7,
  });
});

Deno.test("mapColumns() knows the French and English names of an activity's lead and of Odoo's export headers", () => {
  const names: Record<string, string[]> = {
    leadEmail: [
      "Courriel lead",
      "Courriel du lead",
      "E-mail du lead",
      "Email du lead",
      "E-mail lead",
      "Lead email",
      "Lead e-mail",
      "Lead Email Address",
      "Email",
      "Courriel",
    ],
    leadRef: [
      "Référence lead",
      "Référence du lead",
      "Réf. lead",
      "Lead reference",
      "Lead ref",
      "Lead ID",
      "Identifiant externe",
      "External ID",
      // Odoo 17's mail.activity `res_id` (addons/mail/models/mail_activity.py) and its fr.po name
      "Related Document ID",
      "ID du document associé",
    ],
    leadPhone: ["Téléphone lead", "Téléphone du lead", "Tél. lead", "Lead phone", "Téléphone"],
    // Odoo's field labels for mail.activity, English then French (addons/mail/i18n/fr.po)
    type: ["Type", "Activity Type", "Type d'activité", "Activité"],
    summary: ["Summary", "Résumé"],
    dueDate: ["Due Date", "Date d'échéance", "Échéance", "Deadline"],
    assignedTo: ["Assigned to", "Attribué à", "Assigné à"],
    note: ["Note", "Notes"],
  };
  for (const [field, headers] of Object.entries(names)) {
    for (const h of headers) {
      const lead = field.startsWith("lead") ? [] : ["Courriel lead"];
      const content = ["type", "summary", "note"].includes(field) ? [] : ["Résumé"];
      const r = mapColumns([h, ...lead, ...content], "activity");
      assert.ok(r.ok, h);
      assert.equal((r.mapping.index as Record<string, number>)[field], 0, `${h} → ${field}`);
    }
  }
  const odoo = mapColumns([
    "Référence lead",
    "Courriel lead",
    "Type",
    "Résumé",
    "Échéance",
    "Assigné à",
    "Note",
  ], "activity");
  assert.ok(odoo.ok);
  assert.deepEqual(odoo.mapping.ignored, []);
});

Deno.test("headerKey() ignores accents, case, spaces and punctuation", () => {
  assert.equal(headerKey(" Adresse E-Mail "), "adresseemail");
  assert.equal(headerKey("Téléphone"), headerKey("TELEPHONE"));
  assert.equal(headerKey("first_name"), headerKey("First Name"));
});

Deno.test("mapColumns() lets an explicit mapping win, move a field and ignore a column", () => {
  const r = mapColumns(["Nom", "Contact", "Mail perso", "Mail pro"], "lead", {
    "Mail pro": "email",
    "Contact": null,
    "mail perso": "description",
  });
  assert.ok(r.ok);
  assert.deepEqual(r.mapping.index, { lastName: 0, description: 2, email: 3 });
  assert.deepEqual(r.mapping.ignored, ["Contact"]);
});

Deno.test("mapColumns() refuses two columns for one field, naming both", () => {
  const r = mapColumns(["Nom", "Email", "Courriel"], "lead", undefined, "leads.csv");
  assert.ok(!r.ok);
  assert.equal(r.issues[0].code, "column_duplicate");
  assert.equal(
    message(r.issues[0]),
    "leads.csv : les colonnes « Email » et « Courriel » correspondent toutes au champ « Courriel » : gardez-en une, ou indiquez la correspondance des colonnes",
  );
  const same = mapColumns(["Nom", "Nom"], "lead");
  assert.ok(!same.ok && same.issues[0].code === "column_duplicate");
});

Deno.test("mapColumns() names the missing required column", () => {
  const r = mapColumns(["Téléphone", "Ville"], "lead", undefined, "leads.csv");
  assert.ok(!r.ok);
  assert.equal(r.issues[0].code, "column_missing");
  assert.equal(
    message(r.issues[0]),
    "leads.csv : colonne obligatoire absente : « Titre », « Nom du contact », « Prénom », « Nom », « Société » ou « Courriel » (colonnes trouvées : « Téléphone », « Ville »)",
  );
  const a = mapColumns(["Type", "Résumé"], "activity");
  assert.ok(!a.ok);
  assert.equal(
    message(a.issues[0], "en"),
    'Required column missing: "Lead email", "Lead reference" or "Lead phone" (columns found: "Type", "Résumé"); recognised names: "Courriel lead", "E-mail du lead", "Lead email", "Référence lead", "Lead reference", "Lead", "Téléphone lead", "Lead phone", "Téléphone du lead"…, or give an explicit column mapping',
  );
});

Deno.test("mapColumns() refuses an explicit mapping to an unknown header or field", () => {
  const r = mapColumns(["Nom"], "lead", { "Nom": "nom_de_famille", "Absente": "email" });
  assert.ok(!r.ok);
  assert.deepEqual(r.issues.map((i) => i.code).sort(), ["mapping_unknown_field", "mapping_unknown_header"]);
});
