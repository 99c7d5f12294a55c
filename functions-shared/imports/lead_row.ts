/**
 * Validation of one lead row. Values are kept as the file has them unless
 * they are wrong beyond doubt (README, "Validity policy"):
 *
 * - a row is REFUSED only when it cannot be a lead: its values do not line up
 *   with the header (`row_field_count`), or nothing names it (no title,
 *   contact name, company or email: `lead_identity_missing`; a phone number
 *   alone is not enough, since a salesperson could not tell such leads apart);
 * - a value the import cannot read is a WARNING on that field: the row is
 *   imported and the value kept as written, in its own column when the column
 *   is text (an email `jean.dupont@` or a phone `12`: `kept: "field"`; such
 *   values are not used to find duplicates), else in the lead's `extra_fields`
 *   under the file's header (an amount `environ 5k`, a date `31/02/2024`:
 *   `kept: "extra"`). Too long a text is kept whole, with a warning: the
 *   columns are `text`, the limits are there to catch shifted columns.
 *
 * Negative amounts are amounts (a credit, a correction). The lead's `title` is
 * never empty: without a title column it is taken from the company, then the
 * contact's name, then the email (as Odoo names leads that arrive by email).
 * The columns no field takes are returned in `extra`, by the file's header.
 */
import type { ColumnMapping, LeadField } from "./columns.ts";
import type { IssueCode, RowIssue } from "./messages.ts";
import {
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
  /** Lower-cased, NFC; accented addresses are valid (see `parseEmail`); an unreadable one as written. */
  email: string | null;
  /** E.164, `+33612345678`; an unreadable number as written. */
  phone: string | null;
  /** E.164; an unreadable number as written. */
  mobile: string | null;
  company: string | null;
  /** Euros, rounded to the cent; negative amounts are kept. */
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
  /** As written: `01000` keeps its zero. */
  postalCode: string | null;
  country: string | null;
  /** As written (spaces and leading zeros kept). */
  siret: string | null;
  /** The tags cell split at `,` `;` `|` and line breaks, trimmed, each once (absent without a tags cell). */
  tags?: string[];
  /** The tags cell as written. */
  tagsText?: string;
  /** Cells of unmapped columns and values that could not be read, by the file's header (absent when none). */
  extra?: Record<string, string>;
}

/** A lead row's cells, by field, as mapped from the file (`undefined`: no such column). */
export type LeadRecord = Partial<Record<LeadField, string>>;

/**
 * The clean lead with its warnings (null when none) and the keys that find
 * its duplicates (values kept as written are no keys), or the issues that
 * refuse the row.
 */
export type LeadRowResult =
  | {
    ok: true;
    value: LeadInput;
    warnings: RowIssue[] | null;
    /** The email to match on (lower-cased), or null. */
    emailKey: string | null;
    /** The phone (else mobile) to match on, in E.164, or null. */
    phoneKey: string | null;
  }
  | { ok: false; issues: RowIssue[] };

/**
 * Longest text expected per field, in characters: a longer one is kept whole,
 * with a warning (the columns are `text`; such a length usually means shifted
 * columns or a cell pasted into the wrong place).
 */
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
  siret: 40,
  tags: 2_000,
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
  const postalCode = i("postalCode"), country = i("country"), siret = i("siret"), tags = i("tags");
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
    siret: at(v, siret),
    tags: at(v, tags),
  });
}

const TAG_SEPARATORS = /[,;|\r\n]+/;
const SIRET_SHAPE = /^(?:\d{14}|\d{9})$/;
const SPACES = /[\s\u00a0\u202f]+/g;

/** One row's warnings and the values it keeps in `extra_fields`. */
class Findings extends RowIssues {
  extra: Record<string, string> | undefined;

  /** A warning on `field`: the row is imported, its value `kept` in its column or in `extra`. */
  warn(field: string, code: IssueCode, raw: string, kept: "field" | "extra", max?: number): void {
    const before = this.issues?.length ?? 0;
    if (code === "too_long") this.add(field, code, undefined, { max: max!, length: raw.trim().length });
    else this.add(field, code, raw.trim());
    const issue = this.issues![before];
    issue.level = "warning";
    issue.params!.kept = kept;
    if (kept === "extra") (this.extra ??= {})[this.headers[field] ?? field] = raw;
  }
}

/**
 * Validates one lead row given by field. `row` is the row number the issues
 * carry; `headers` (field → the file's header) names fields in messages and
 * keys the values kept in `extra`; `extra` holds the cells of the file's
 * other columns, already keyed by header.
 *
 * @example
 * validateLead({ firstName: " Émilie ", email: "Émilie.Lefèvre@exemple.fr", expectedRevenue: "-1 234,56 €" }, 2)
 * // → { ok: true, value: { title: "Émilie", email: "émilie.lefèvre@exemple.fr", expectedRevenue: -1234.56, … },
 * //     warnings: null, emailKey: "émilie.lefèvre@exemple.fr", phoneKey: null }
 */
export function validateLead(
  record: LeadRecord,
  row: number,
  headers: Readonly<Partial<Record<LeadField, string>>> = {},
  extra?: Record<string, string>,
): LeadRowResult {
  const r = new Findings(row, headers);
  r.extra = extra;
  const title = text(r, record.title, "title");
  const firstName = text(r, record.firstName, "firstName");
  const lastName = text(r, record.lastName, "lastName");
  let contactName = text(r, record.contactName, "contactName");
  const company = text(r, record.company, "company");

  let email: string | null = null, emailKey: string | null = null;
  const rawEmail = record.email;
  if (rawEmail !== undefined && rawEmail !== "") {
    const t = rawEmail.trim();
    if (t !== "") {
      const v = parseEmail(t);
      if (typeof v === "string") email = emailKey = v;
      else {
        // Kept as written, and still a key: two rows with one mistyped address are one person.
        email = t;
        emailKey = t.toLowerCase();
        if (t.length > EMAIL_MAX) r.warn("email", "too_long", t, "field", EMAIL_MAX);
        else r.warn("email", v.code, t, "field");
      }
    }
  }

  const phone = phoneOf(r, record.phone, "phone");
  const mobile = phoneOf(r, record.mobile, "mobile");
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
  const siret = text(r, record.siret, "siret");
  if (siret !== null && !SIRET_SHAPE.test(siret.replace(SPACES, ""))) {
    r.warn("siret", "siret_unusual", siret, "field");
  }
  const tagsText = text(r, record.tags, "tags");

  if (contactName === null && (firstName !== null || lastName !== null)) {
    contactName = firstName === null ? lastName : lastName === null ? firstName : `${firstName} ${lastName}`;
  }
  if (title === null && contactName === null && company === null && email === null) {
    // Refused: nothing of the row is kept, so its other findings are no longer warnings.
    const others = (r.issues ?? []).map(({ level: _, params: { kept: __, ...params } = {}, ...i }) => ({
      ...i,
      params,
    }));
    return { ok: false, issues: [...others, identityIssue(r)] };
  }

  const value: LeadInput = {
    title: title ?? company ?? contactName ?? email!,
    contactName,
    firstName,
    lastName,
    email,
    phone: phone.value,
    mobile: mobile.value,
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
    siret,
  };
  if (tagsText !== null) {
    value.tags = [...new Set(tagsText.split(TAG_SEPARATORS).map((t) => t.trim()).filter((t) => t !== ""))];
    value.tagsText = tagsText;
  }
  if (r.extra) value.extra = r.extra;
  return { ok: true, value, warnings: r.issues, emailKey, phoneKey: phone.key ?? mobile.key };
}

function identityIssue(r: RowIssues): RowIssue {
  return { row: r.row, field: "title", code: "lead_identity_missing", params: {} };
}

/** Trimmed text of `field`, or null; a text longer than expected is kept whole, with a warning. */
function text(r: Findings, raw: string | undefined, field: Max): string | null {
  if (raw === undefined) return null;
  const s = raw.trim();
  if (s === "") return null;
  if (s.length > LEAD_MAX_LENGTH[field]) r.warn(field, "too_long", s, "field", LEAD_MAX_LENGTH[field]);
  return s;
}

/** A phone in E.164 and as a key; an unreadable one as written, with a warning, and no key. */
function phoneOf(
  r: Findings,
  raw: string | undefined,
  field: "phone" | "mobile",
): { value: string | null; key: string | null } {
  if (raw === undefined) return NO_PHONE;
  const t = raw.trim();
  if (t === "") return NO_PHONE;
  const v = t.length > LEAD_MAX_LENGTH[field] ? null : normalizePhone(t);
  if (typeof v === "string") return { value: v, key: v };
  r.warn(field, v === null ? "too_long" : v.code, t, "field", LEAD_MAX_LENGTH[field]);
  return { value: t, key: null };
}

const NO_PHONE = Object.freeze({ value: null, key: null });

/** `parse` of the trimmed text of `field`, or null; an unreadable value is kept in `extra`, with a warning. */
function parsed<T>(
  r: Findings,
  raw: string | undefined,
  field: Max,
  parse: (s: string) => T | Fail,
): T | null {
  if (raw === undefined) return null;
  const t = raw.trim();
  if (t === "") return null;
  const v = t.length > LEAD_MAX_LENGTH[field] ? null : parse(t);
  if (v === null) {
    r.warn(field, "too_long", raw, "extra", LEAD_MAX_LENGTH[field]);
    return null;
  }
  if (typeof v === "object") {
    r.warn(field, (v as Fail).code, raw, "extra");
    return null;
  }
  return v as T;
}

/**
 * A validator for rows of a mapped file, compiled once per file: it picks the
 * mapped cells from `values` (as `readCsvRows`/`readXlsxRows` give them) and
 * the non-blank cells of the other columns (`mapping.extra`, by header), and
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
  const extraColumns = mapping.extra;
  return (values, row) => {
    const count = fieldCountIssue(mapping, values, row);
    if (count) return { ok: false, issues: [count] };
    let extra: Record<string, string> | undefined;
    for (let k = 0; k < extraColumns.length; k++) {
      const c = extraColumns[k];
      const v = values[c.index];
      if (v !== undefined && v.trim() !== "") (extra ??= {})[c.key] = v;
    }
    return validateLead(toRecord(values), row, mapping.header, extra);
  };
}
