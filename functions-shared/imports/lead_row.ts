/**
 * Validation of one lead row: trimmed text, a clean email, an E.164 phone, an
 * amount in euros, a probability in percent, ISO dates, bounded lengths. Every
 * issue of the row is reported at once, so the error report lists them all.
 *
 * A lead needs something to be known by: a title, a contact name (full, first
 * or last), a company or an email; a phone number alone is not enough, since a
 * salesperson could not tell such leads apart in a list. The lead's `title` is
 * never empty: without a title column it is taken from the company, then the
 * contact's name, then the email (as Odoo names leads that arrive by email).
 */
import type { ColumnMapping, LeadField } from "./columns.ts";
import type { RowIssue } from "./messages.ts";
import {
  cleanText,
  EMAIL_MAX,
  type Fail,
  normalizePhone,
  parseAmount,
  parseDate,
  parseEmail,
  parseProbability,
} from "./field_values.ts";
import { at, fieldCountIssue, RowIssues } from "./row_check.ts";

/** A lead as the file describes it, clean and typed; `null` where the file says nothing. */
export interface LeadInput {
  /** Never empty: the file's title, else company, contact name or email. */
  title: string;
  /** The file's full name, else first and last names joined. */
  contactName: string | null;
  firstName: string | null;
  lastName: string | null;
  /** Lower-cased, NFC; accented addresses are valid (see `parseEmail`). */
  email: string | null;
  /** E.164, `+33612345678`. */
  phone: string | null;
  /** E.164. */
  mobile: string | null;
  company: string | null;
  /** Euros, rounded to the cent, ≥ 0. */
  expectedRevenue: number | null;
  /** Percent, 0 to 100. */
  probability: number | null;
  stage: string | null;
  source: string | null;
  /** As the file writes it (email or name); the commit resolves it to a user. */
  salesperson: string | null;
  externalId: string | null;
  description: string | null;
  /** `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[zone]`. */
  createdAt: string | null;
  city: string | null;
  postalCode: string | null;
  country: string | null;
}

/** A lead row's cells, by field, as mapped from the file (`undefined`: no such column). */
export type LeadRecord = Partial<Record<LeadField, string>>;

/** The clean lead, or every issue the row has. */
export type LeadRowResult = { ok: true; value: LeadInput } | { ok: false; issues: RowIssue[] };

/** Longest text accepted per field, in characters (the database columns' limits). */
export const LEAD_MAX_LENGTH = {
  title: 255,
  contactName: 255,
  firstName: 100,
  lastName: 100,
  company: 255,
  stage: 100,
  source: 100,
  salesperson: 255,
  externalId: 100,
  description: 20_000,
  city: 100,
  postalCode: 20,
  country: 100,
  // raw lengths, before parsing
  phone: 40,
  mobile: 40,
  expectedRevenue: 40,
  probability: 20,
  createdAt: 40,
} as const;

type Max = keyof typeof LEAD_MAX_LENGTH;

/**
 * A function that picks a lead's cells from a row of the file. Written out
 * field by field, so that every record has one shape and every read is a
 * plain index: built key by key, records cost a third of validation.
 */
function leadPicker(
  index: Readonly<Partial<Record<LeadField, number>>>,
): (v: readonly string[]) => LeadRecord {
  const i = (f: LeadField) => index[f] ?? -1;
  const title = i("title"),
    contactName = i("contactName"),
    firstName = i("firstName"),
    lastName = i("lastName");
  const email = i("email"), phone = i("phone"), mobile = i("mobile"), company = i("company");
  const expectedRevenue = i("expectedRevenue"), probability = i("probability"), stage = i("stage");
  const source = i("source"), salesperson = i("salesperson"), externalId = i("externalId");
  const description = i("description"), createdAt = i("createdAt"), city = i("city");
  const postalCode = i("postalCode"), country = i("country");
  return (v) => ({
    title: at(v, title),
    contactName: at(v, contactName),
    firstName: at(v, firstName),
    lastName: at(v, lastName),
    email: at(v, email),
    phone: at(v, phone),
    mobile: at(v, mobile),
    company: at(v, company),
    expectedRevenue: at(v, expectedRevenue),
    probability: at(v, probability),
    stage: at(v, stage),
    source: at(v, source),
    salesperson: at(v, salesperson),
    externalId: at(v, externalId),
    description: at(v, description),
    createdAt: at(v, createdAt),
    city: at(v, city),
    postalCode: at(v, postalCode),
    country: at(v, country),
  });
}

/**
 * Validates one lead row given by field. `row` is the row number the issues
 * carry; `headers` (field → the file's header) names fields in messages.
 *
 * @example
 * validateLead({ firstName: " Émilie ", email: "Émilie.Lefèvre@exemple.fr", expectedRevenue: "1 234,56 €" }, 2)
 * // → { ok: true, value: { title: "Émilie", email: "émilie.lefèvre@exemple.fr", expectedRevenue: 1234.56, … } }
 */
export function validateLead(
  record: LeadRecord,
  row: number,
  headers: Readonly<Partial<Record<LeadField, string>>> = {},
): LeadRowResult {
  const r = new RowIssues(row, headers);
  const title = text(r, record.title, "title");
  const firstName = text(r, record.firstName, "firstName");
  const lastName = text(r, record.lastName, "lastName");
  let contactName = text(r, record.contactName, "contactName");
  const company = text(r, record.company, "company");

  let email: string | null = null;
  const rawEmail = record.email;
  if (rawEmail !== undefined && rawEmail !== "") {
    const t = rawEmail.trim();
    if (t !== "") {
      const v = parseEmail(t);
      if (typeof v === "string") email = v;
      else if (t.length > EMAIL_MAX) {
        r.add("email", "too_long", undefined, { max: EMAIL_MAX, length: t.length });
      } else r.add("email", v.code, t);
    }
  }

  const phone = parsed(r, record.phone, "phone", normalizePhone);
  const mobile = parsed(r, record.mobile, "mobile", normalizePhone);
  const expectedRevenue = parsed(r, record.expectedRevenue, "expectedRevenue", parseAmount);
  const probability = parsed(r, record.probability, "probability", parseProbability);
  const createdAt = parsed(r, record.createdAt, "createdAt", parseDate);
  const stage = text(r, record.stage, "stage");
  const source = text(r, record.source, "source");
  const salesperson = text(r, record.salesperson, "salesperson");
  const externalId = text(r, record.externalId, "externalId");
  const description = text(r, record.description, "description");
  const city = text(r, record.city, "city");
  const postalCode = text(r, record.postalCode, "postalCode");
  const country = text(r, record.country, "country");

  if (contactName === null && (firstName !== null || lastName !== null)) {
    contactName = firstName === null ? lastName : lastName === null ? firstName : `${firstName} ${lastName}`;
  }
  // Checked on the clean values: an invalid email does not name a lead either,
  // but it has its own issue already, so it is not reported twice.
  if (title === null && contactName === null && company === null && email === null && !r.issues) {
    r.add("title", "lead_identity_missing");
  }
  if (r.issues) return { ok: false, issues: r.issues };

  return {
    ok: true,
    value: {
      title: (title ?? company ?? contactName ?? email!).slice(0, LEAD_MAX_LENGTH.title),
      contactName,
      firstName,
      lastName,
      email,
      phone,
      mobile,
      company,
      expectedRevenue,
      probability,
      stage,
      source,
      salesperson,
      externalId,
      description,
      createdAt,
      city,
      postalCode,
      country,
    },
  };
}

/** Trimmed text of `field`, or null; records too long a text on `r`. */
function text(r: RowIssues, raw: string | undefined, field: Max): string | null {
  if (raw === undefined) return null;
  const v = cleanText(raw, LEAD_MAX_LENGTH[field]);
  if (v === null || typeof v === "string") return v;
  r.fail(field, v, raw, LEAD_MAX_LENGTH[field]);
  return null;
}

/** `parse` of the trimmed text of `field`, or null; records a refusal on `r`. */
function parsed<T>(
  r: RowIssues,
  raw: string | undefined,
  field: Max,
  parse: (s: string) => T | Fail,
): T | null {
  const t = text(r, raw, field);
  if (t === null) return null;
  const v = parse(t);
  if (typeof v === "object" && v !== null) {
    r.fail(field, v as Fail, t);
    return null;
  }
  return v as T;
}

/**
 * A validator for rows of a mapped file, compiled once per file: it picks the
 * mapped cells from `values` (as `readCsvRows`/`readXlsxRows` give them) and
 * validates them, after checking the row has the header's number of values.
 *
 * @example
 * const validate = leadRowValidator(mapping);
 * for (const { rowNumber, values } of batch.rows) {
 *   const r = validate(values, rowNumber);
 *   if (r.ok) leads.push(r.value); else issues.push(...r.issues);
 * }
 */
export function leadRowValidator(
  mapping: ColumnMapping<LeadField>,
): (values: readonly string[], row: number) => LeadRowResult {
  const toRecord = leadPicker(mapping.index);
  return (values, row) => {
    const count = fieldCountIssue(mapping, values, row);
    if (count) return { ok: false, issues: [count] };
    return validateLead(toRecord(values), row, mapping.header);
  };
}
