import assert from "node:assert/strict";
import { normalizePhone, parseAmount, parseDate, parseEmail, parseProbability } from "./field_values.ts";
import { excelSerialToIso } from "./excel_date.ts";

const code = (v: unknown) => (typeof v === "object" && v !== null ? (v as { code: string }).code : v);

Deno.test("parseEmail() accepts accented addresses, as a French CRM must, and lower-cases them", () => {
  assert.equal(parseEmail("émilie.lefèvre@exemple.fr"), "émilie.lefèvre@exemple.fr");
  assert.equal(parseEmail(" Émilie.Lefèvre@Exemple.FR "), "émilie.lefèvre@exemple.fr");
  assert.equal(parseEmail("françois@société.fr"), "françois@société.fr");
  // A decomposed é (e + U+0301) is stored composed, so duplicates compare equal.
  assert.equal(parseEmail("e\u0301milie@exemple.fr"), "émilie@exemple.fr");
  assert.equal(parseEmail("jean+crm@sub.exemple.co.uk"), "jean+crm@sub.exemple.co.uk");
  assert.equal(parseEmail("x@xn--socit-esab.fr"), "x@xn--socit-esab.fr");
});

Deno.test("parseEmail() refuses what is not one address", () => {
  for (
    const bad of [
      "jean.dupont@",
      "jean.dupont",
      "jean dupont@exemple.fr",
      "jean..dupont@exemple.fr",
      ".jean@exemple.fr",
      "jean@exemple",
      "jean@-exemple.fr",
      "a@b.fr; c@d.fr",
      "Jean <jean@exemple.fr>",
      `${"a".repeat(65)}@exemple.fr`,
    ]
  ) assert.equal(code(parseEmail(bad)), "email_invalid", bad);
});

Deno.test("normalizePhone() writes French numbers in E.164 whatever their form", () => {
  for (
    const [input, want] of [
      ["06 12 34 56 78", "+33612345678"],
      ["06.12.34.56.78", "+33612345678"],
      ["0612345678", "+33612345678"],
      ["+33 6 12 34 56 78", "+33612345678"],
      ["+33 (0)6 12 34 56 78", "+33612345678"],
      ["+33 06 12 34 56 78", "+33612345678"],
      ["0033 1 23 45 67 89", "+33123456789"],
      ["33 1 23 45 67 89", "+33123456789"],
      ["612345678", "+33612345678"], // Excel dropped the leading 0
      ["01-23-45-67-89", "+33123456789"],
      ["0262 12 34 56", "+262262123456"], // La Réunion
      ["0692 12 34 56", "+262692123456"],
      ["0590 12 34 56", "+590590123456"], // Guadeloupe
      ["+44 20 7946 0958", "+442079460958"],
      ["0044 20 7946 0958", "+442079460958"],
    ]
  ) assert.equal(normalizePhone(input), want, input);
});

Deno.test("normalizePhone() refuses letters, extensions, short and malformed numbers", () => {
  for (
    const bad of [
      "12 34",
      "06 12 34 56 7",
      "06 12 34 56 78 poste 12",
      "tel: 0612345678",
      "0012",
      "+1 23",
      "+06 12 34 56 78",
    ]
  ) {
    assert.equal(code(normalizePhone(bad)), "phone_invalid", bad);
  }
});

Deno.test("parseAmount() reads French, English and spreadsheet amounts", () => {
  for (
    const [input, want] of [
      ["1 234,56 €", 1234.56],
      ["1\u202f234,56\u00a0€", 1234.56],
      ["1234.56", 1234.56],
      ["1,234.56", 1234.56],
      ["1.234,56", 1234.56],
      ["1.234.567", 1234567],
      ["1,5", 1.5],
      ["€ 12", 12],
      ["EUR 12,5", 12.5],
      ["12 EUR", 12],
      ["0", 0],
      ["1234.567", 1234.57],
      ["1'234.50", 1234.5],
      // negative amounts are amounts: a credit, a correction
      ["-1500,75", -1500.75],
      ["-12,50", -12.5],
      ["- 1 234,56 €", -1234.56],
      ["\u22123,5", -3.5],
    ] as const
  ) assert.equal(parseAmount(input), want, input);
  assert.equal(code(parseAmount("environ mille")), "amount_invalid");
  assert.equal(code(parseAmount("1,23,4")), "amount_invalid");
  assert.equal(code(parseAmount("99999999999999")), "amount_too_large");
  assert.equal(code(parseAmount("1000000000000")), "amount_too_large", "numeric(14,2) holds less");
  assert.equal(parseAmount("999999999999,99"), 999999999999.99);
});

Deno.test("parseProbability() reads percents from 0 to 100", () => {
  assert.equal(parseProbability("50"), 50);
  assert.equal(parseProbability("50 %"), 50);
  assert.equal(parseProbability("12,5"), 12.5);
  assert.equal(parseProbability("50%"), 50);
  assert.equal(code(parseProbability("150")), "probability_range");
  assert.equal(code(parseProbability("-5")), "probability_range");
  assert.equal(code(parseProbability("haute")), "probability_invalid");
});

Deno.test("parseDate() reads jj/mm/aaaa, aaaa-mm-jj, times and Excel serials", () => {
  for (
    const [input, want] of [
      ["15/03/2024", "2024-03-15"],
      ["5/3/2024", "2024-03-05"],
      ["15-03-2024", "2024-03-15"],
      ["15.03.24", "2024-03-15"],
      ["15/03/99", "1999-03-15"],
      ["2024-03-15", "2024-03-15"],
      ["2024-03-15 14:30", "2024-03-15T14:30:00"],
      ["2024-03-15T14:30:05Z", "2024-03-15T14:30:05Z"],
      ["15/03/2024 14h30", "2024-03-15T14:30:00"],
      ["29/02/2024", "2024-02-29"],
      ["45366", "2024-03-15"],
      ["45366.5", "2024-03-15T12:00:00"],
    ]
  ) assert.equal(parseDate(input), want, input);
  for (const bad of ["31/02/2024", "29/02/2023", "03/15/2024", "2024-13-01", "demain", "15/03/2024 25:00"]) {
    assert.equal(code(parseDate(bad)), "date_invalid", bad);
  }
  assert.equal(code(parseDate("01/01/1850")), "date_out_of_range");
  assert.equal(code(parseDate("60")), "date_invalid"); // the phantom 1900-02-29
});

Deno.test("excelSerialToIso() follows Excel's 1900 system, its 1900-02-29 bug, and the 1904 system", () => {
  assert.equal(excelSerialToIso(1), "1900-01-01");
  assert.equal(excelSerialToIso(59), "1900-02-28");
  assert.equal(excelSerialToIso(60), null);
  assert.equal(excelSerialToIso(61), "1900-03-01");
  assert.equal(excelSerialToIso(45366), "2024-03-15");
  assert.equal(excelSerialToIso(45366.75), "2024-03-15T18:00:00");
  assert.equal(excelSerialToIso(45366.99999999), "2024-03-16");
  assert.equal(excelSerialToIso(0), null);
  assert.equal(excelSerialToIso(0, true), "1904-01-01");
  assert.equal(excelSerialToIso(43904, true), "2024-03-15");
  assert.equal(excelSerialToIso(2958465), "9999-12-31");
  assert.equal(excelSerialToIso(2958466), null);
});
