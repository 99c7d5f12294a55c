/**
 * Parsers for the values one cell can hold: text, email, phone, amount,
 * probability, date. Shared by `lead_row.ts` and `activity_row.ts`.
 *
 * They are hand-written, not zod schemas: a zod 4 `safeParse` of a 7-field
 * object costs about 3 s per million rows here (performance-floors.md), more
 * than a whole Edge Function call may spend, while these checks cost a few
 * hundred nanoseconds a row. Each returns the clean value, or a `Fail`
 * (one of a few frozen constants, so failing allocates nothing) whose `code`
 * the validator turns into an issue.
 */
import type { IssueCode } from "./messages.ts";
import { excelSerialToIso, MAX_EXCEL_SERIAL } from "./excel_date.ts";

/** Why a value was refused; compare with `typeof r === "object"`. */
export interface Fail {
  readonly code: IssueCode;
}

const fail = (code: IssueCode): Fail => Object.freeze({ code });
const F = {
  tooLong: fail("too_long"),
  email: fail("email_invalid"),
  phone: fail("phone_invalid"),
  amount: fail("amount_invalid"),
  amountTooLarge: fail("amount_too_large"),
  probability: fail("probability_invalid"),
  probabilityRange: fail("probability_range"),
  date: fail("date_invalid"),
  dateRange: fail("date_out_of_range"),
};

/**
 * Trimmed text, `null` when absent or blank. Trimming removes the spaces
 * spreadsheets leave, no-break spaces (U+00A0, U+202F) included. Refuses text
 * longer than `max` characters. (U+0000, which PostgreSQL's `text` cannot
 * hold, never gets here: the CSV and XLSX readers remove it.)
 */
export function cleanText(raw: string | undefined, max: number): string | null | Fail {
  if (raw === undefined) return null;
  const s = raw.trim();
  if (s === "") return null;
  return s.length > max ? F.tooLong : s;
}

/** Emails as SMTP allows them, at most 254 characters (RFC 5321). */
export const EMAIL_MAX = 254;

// ASCII addresses (the vast majority) take the quick pattern; others the Unicode one.
const EMAIL_ASCII =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,63}|xn--[A-Za-z0-9-]{1,59})$/;
const EMAIL_UNICODE =
  /^[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+)*@(?:[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]{0,61}[\p{L}\p{M}\p{N}])?\.)+(?:[\p{L}\p{M}]{2,63}|xn--[A-Za-z0-9-]{1,59})$/u;
// deno-lint-ignore no-control-regex
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A trimmed, lower-cased email, or a `Fail`.
 *
 * Decision (French CRM): addresses with accented letters, in the local part as
 * in the domain (`émilie.lefèvre@exemple.fr`, RFC 6531 internationalised
 * email), are VALID. People write their names that way and mail providers
 * deliver them; refusing them, as zod 4's `z.email()` does, would drop real
 * leads. They are stored in Unicode NFC form so that a decomposed `é` (e + U+0301)
 * and a composed one compare equal.
 *
 * Lower-casing the whole address (as Odoo's `email_normalized` does) lets
 * duplicates be found by email; local parts are case-sensitive on paper only.
 * No display names (`Jean <j@x.fr>`), lists or `mailto:`: one address per cell.
 */
export function parseEmail(raw: string): string | Fail {
  let s = raw.trim().toLowerCase();
  if (s.length > EMAIL_MAX) return F.email;
  if (!EMAIL_ASCII.test(s)) {
    if (!NON_ASCII.test(s)) return F.email;
    s = s.normalize("NFC");
    if (!EMAIL_UNICODE.test(s)) return F.email;
  }
  if (s.indexOf("@") > 64) return F.email; // local part over RFC 5321's 64 octets
  return s;
}

// French overseas departments have their own country codes, though their numbers
// are dialled from France with a leading 0 like any other: 0590… is +590 590….
const OVERSEAS: Record<string, string> = {
  "0590": "590",
  "0690": "590",
  "0691": "590", // Guadeloupe, Saint-Martin, Saint-Barthélemy
  "0594": "594",
  "0694": "594", // Guyane
  "0596": "596",
  "0696": "596",
  "0697": "596", // Martinique
  "0262": "262",
  "0263": "262",
  "0692": "262",
  "0693": "262", // La Réunion
  "0269": "262",
  "0639": "262", // Mayotte
  "0508": "508", // Saint-Pierre-et-Miquelon
};

const PHONE_SEPARATORS = /[ .\-/()\u00a0\u202f]/g;

/**
 * A phone number in E.164 form (`+33612345678`), or a `Fail`.
 *
 * French forms: `06 12 34 56 78`, `06.12.34.56.78`, `+33 6 12…`, `+33 (0)6 12…`,
 * `0033 6 12…`, `33 6 12…` (11 digits), and 9 digits without the leading 0,
 * which is how Excel shows a number typed into a numeric cell. Overseas
 * departments get their own codes (`0692…` → `+262692…`). Other international
 * numbers (`+44 20…`, `0044…`) keep their digits, 8 to 15 of them (E.164).
 * Letters, extensions (`poste 12`) or several numbers in one cell are refused.
 */
export function normalizePhone(raw: string): string | Fail {
  let s = raw.trim();
  if (s.indexOf("(0)") !== -1) s = s.replace("(0)", "");
  // One pass: digits, separators, and a leading '+'; anything else refuses the value.
  let separators = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    if (c === 32 || c === 46 || c === 45 || c === 47 || c === 40 || c === 41 || c === 0xa0 || c === 0x202f) {
      separators = true;
    } else if (!(c === 43 && i === 0)) return F.phone;
  }
  if (separators) s = s.replace(PHONE_SEPARATORS, "");
  let international = false;
  if (s.charCodeAt(0) === 43 /* + */) {
    international = true;
    s = s.slice(1);
  } else if (s.charCodeAt(0) === 48 && s.charCodeAt(1) === 48) {
    international = true;
    s = s.slice(2);
  }
  if (s.length === 0) return F.phone;
  if (international) {
    if (s.charCodeAt(0) === 51 && s.charCodeAt(1) === 51) {
      let national = s.slice(2);
      if (national.length === 10 && national.charCodeAt(0) === 48) national = national.slice(1); // +33 06…
      return frenchNational("0" + national);
    }
    // Country codes never start with 0; E.164 numbers have at most 15 digits.
    return s.length >= 8 && s.length <= 15 && s.charCodeAt(0) !== 48 ? "+" + s : F.phone;
  }
  if (s.length === 10 && s.charCodeAt(0) === 48) return frenchNational(s);
  if (s.length === 9 && s.charCodeAt(0) !== 48) return frenchNational("0" + s);
  if (s.length === 11 && s.startsWith("33")) return frenchNational("0" + s.slice(2));
  return F.phone;
}

/** `0X XX XX XX XX` (ten digits, X ≠ 0) to E.164. */
function frenchNational(s: string): string | Fail {
  if (s.length !== 10 || s.charCodeAt(1) === 48) return F.phone;
  // Overseas prefixes are 02[6], 05[0-9], 06[39]: look them up only then (a slice per number costs).
  const c1 = s.charCodeAt(1), c2 = s.charCodeAt(2);
  const maybe = (c1 === 50 && c2 === 54) || c1 === 53 || (c1 === 54 && (c2 === 51 || c2 === 57));
  const overseas = maybe ? OVERSEAS[s.slice(0, 4)] : undefined;
  return overseas ? `+${overseas}${s.slice(1)}` : `+33${s.slice(1)}`;
}

/** Amounts are kept below 10^12 in absolute value (`leads.expected_revenue` is numeric(14,2)), to the cent. */
export const AMOUNT_MAX = 1e12;

const PLAIN_NUMBER = /^\d+(?:\.\d+)?$/;
const AMOUNT_NOISE = /[\s\u00a0\u202f\u2009'€$£]/g;
const MINUS_SIGN = /\u2212/g;
const CURRENCY_WORD = /^(?:eur|usd|gbp)|(?:eur|usd|gbp)$/i;
const AMOUNT_SHAPE = /^-?\d[\d.,]*$/;

/**
 * An amount rounded to the cent, or a `Fail`. Negative amounts are amounts
 * (`-1500,75`: a credit, a correction) and are kept as the file has them.
 *
 * Accepts `1234.56` (what an .xlsx cell holds), French `1 234,56 €` (spaces,
 * no-break spaces, U+202F, apostrophes or dots between thousands) and English
 * `1,234.56`. Where both `,` and `.` appear, the last one is the decimal mark.
 * A single `,` is a decimal mark (French); several `,` or `.` separate
 * thousands (`1.234.567`). So `1,234` is 1.234, not 1234: French first.
 */
export function parseAmount(raw: string): number | Fail {
  let s = raw.trim();
  let n: number;
  if (PLAIN_NUMBER.test(s)) n = Number(s);
  else {
    s = s.replace(AMOUNT_NOISE, "").replace(MINUS_SIGN, "-");
    if (!AMOUNT_SHAPE.test(s)) {
      s = s.replace(CURRENCY_WORD, "");
      if (!AMOUNT_SHAPE.test(s)) return F.amount;
    }
    const comma = s.lastIndexOf(","), dot = s.lastIndexOf(".");
    if (comma !== -1 && dot !== -1) {
      // the later mark is the decimal one; the other separates thousands
      const [thousands, decimal] = comma > dot ? [/\./g, ","] : [/,/g, "."];
      s = s.replace(thousands, "");
      if (s.indexOf(decimal) !== s.lastIndexOf(decimal)) return F.amount;
      s = s.replace(decimal, ".");
    } else if (comma !== -1) {
      s = s.indexOf(",") === comma ? s.replace(",", ".") : thousandsOnly(s, ",");
    } else if (dot !== -1 && s.indexOf(".") !== dot) {
      s = thousandsOnly(s, ".");
    }
    if (s === "" || !/^-?\d+(?:\.\d+)?$/.test(s)) return F.amount;
    n = Number(s);
  }
  if (!Number.isFinite(n)) return F.amount;
  if (Math.abs(n) >= AMOUNT_MAX) return F.amountTooLarge;
  return Math.round(n * 100) / 100;
}

/** `1.234.567` → `1234567`, if every group after the first has 3 digits; else "" (refused). */
function thousandsOnly(s: string, mark: string): string {
  const groups = s.split(mark);
  for (let i = 1; i < groups.length; i++) if (groups[i].length !== 3) return "";
  return groups.join("");
}

/**
 * A probability in percent, 0 to 100, or a `Fail`. `50`, `50 %`, `12,5` and
 * `12.5` all read as percents; a fraction needs its `%` to be read as one, which
 * the XLSX reader writes for percent-formatted cells (Excel stores 50 % as 0.5).
 */
export function parseProbability(raw: string): number | Fail {
  let s = raw.trim();
  if (s.endsWith("%")) s = s.slice(0, -1).trimEnd();
  s = s.replace(",", ".");
  if (!PLAIN_NUMBER.test(s)) {
    return s.startsWith("-") && PLAIN_NUMBER.test(s.slice(1)) ? F.probabilityRange : F.probability;
  }
  const n = Number(s);
  if (n > 100) return F.probabilityRange;
  return Math.round(n * 100) / 100;
}

const ISO_DATE =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const FRENCH_DATE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T,]+(\d{1,2})[:h](\d{2})(?::(\d{2}))?)?$/;
const SERIAL = /^\d{1,7}(?:\.\d+)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written by the digits of s[from, to), or -1 if one is no digit. */
function digits(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** `YYYY-MM-DD` if the day exists and the year is within 1900–2100. */
function checkedDate(y: number, mo: number, d: number): string | Fail {
  if (mo < 1 || mo > 12 || d < 1) return F.date;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (d > (mo === 2 && leap ? 29 : DAYS_IN_MONTH[mo - 1])) return F.date;
  if (y < 1900 || y > 2100) return F.dateRange;
  return `${y}-${pad2(mo)}-${pad2(d)}`;
}

function pad2(n: number): string {
  return n < 10 ? "0" + n : String(n);
}

/**
 * An ISO date (`2024-03-15`) or date-time (`2024-03-15T10:30:00`, with the
 * zone only if the cell had one), or a `Fail`. A date-time without a zone is a
 * wall-clock time (Europe/Paris for a French team); the database layer decides.
 *
 * Accepts `jj/mm/aaaa` (also with `-` or `.`, two-digit years as 20yy below 70
 * and 19yy from 70, and a time `14:30` or `14h30`), `aaaa-mm-jj` with an optional
 * time, and Excel serial numbers (`45366` → 2024-03-15, 1900 date system).
 * Month-first American dates are not accepted: `03/15/2024` is refused, not
 * silently read as the 3rd of the 15th month. Years outside 1900–2100 are refused.
 */
export function parseDate(raw: string): string | Fail {
  const s = raw.trim();
  if (s.length === 10) {
    // Quick paths for the two shapes nearly every file uses: jj/mm/aaaa and aaaa-mm-jj.
    const sep = s.charCodeAt(2);
    if ((sep === 47 || sep === 46 || sep === 45) && s.charCodeAt(5) === sep) {
      const d = digits(s, 0, 2), mo = digits(s, 3, 5), y = digits(s, 6, 10);
      if (d >= 0 && mo >= 0 && y >= 0) return checkedDate(y, mo, d);
    } else if (s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
      const y = digits(s, 0, 4), mo = digits(s, 5, 7), d = digits(s, 8, 10);
      if (d >= 0 && mo >= 0 && y >= 0) return checkedDate(y, mo, d);
    }
  }
  let y: number, mo: number, d: number, h: string | undefined, mi: string | undefined, se: string | undefined;
  let zone = "";
  let m = ISO_DATE.exec(s);
  if (m) {
    y = +m[1], mo = +m[2], d = +m[3], h = m[4], mi = m[5], se = m[6];
    zone = m[7] ?? "";
  } else if ((m = FRENCH_DATE.exec(s))) {
    d = +m[1], mo = +m[2], y = +m[3], h = m[4], mi = m[5], se = m[6];
    if (m[3].length === 2) y += y < 70 ? 2000 : 1900;
  } else if (SERIAL.test(s)) {
    const n = Number(s);
    if (n > MAX_EXCEL_SERIAL) return F.date;
    const iso = excelSerialToIso(n);
    if (iso === null) return F.date;
    const year = +iso.slice(0, 4);
    return year < 1900 || year > 2100 ? F.dateRange : iso;
  } else return F.date;
  const date = checkedDate(y, mo, d);
  if (h === undefined || typeof date === "object") return date;
  const hh = +h, mm = +mi!, ss = se === undefined ? 0 : +se;
  if (hh > 23 || mm > 59 || ss > 59) return F.date;
  return `${date}T${pad2(hh)}:${pad2(mm)}:${pad2(ss)}${zone}`;
}
