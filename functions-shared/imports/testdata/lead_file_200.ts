/**
 * A 200-row lead file as real French CRM exports come (issue 14), with the
 * traits that made the first imports lose rows: 29 negative amounts, 4 bad
 * e-mails, a 2-digit phone, rows with a company and an e-mail but no person's
 * name, two people sharing a switchboard number, city / postal code / country /
 * SIRET / tags columns, and a column no lead field takes (`Secteur d'activité`).
 * Plus what the report must list: two true duplicates (one by e-mail, one by
 * phone between rows without e-mail) and one row with nothing to name a lead.
 *
 * In UTF-8 (LF), Windows-1252 (CRLF, as Excel's « CSV (séparateur : point-virgule) »
 * writes) and UTF-8 with a BOM and CRLF (« CSV UTF-8 »). Each row says what an
 * import must make of it.
 */
import { encode1252 } from "./lead_csv.ts";

/** The file's header. */
export const LEAD_FILE_200_HEADERS = [
  "Référence",
  "Prénom",
  "Nom",
  "Société",
  "Courriel",
  "Téléphone",
  "Chiffre d'affaires",
  "Ville",
  "Code postal",
  "Pays",
  "SIRET",
  "Étiquettes",
  "Secteur d'activité",
];

/** One row of the file and what an import makes of it. */
export interface Row200 {
  /** The row number a spreadsheet shows (header on row 1). */
  row: number;
  /** The cells, by the header. */
  cells: string[];
  /** `lead`: committed as a lead of its own; `duplicate`: of `of` (a row number); `invalid`: refused. */
  outcome: "lead" | "duplicate" | "invalid";
  of?: number;
  /** The field a warning names (a value kept as written). */
  warns?: "email" | "phone";
}

const FIRST = ["Émilie", "Jean", "Hélène", "François", "Zoé", "Loïc", "Cécile", "Gaëlle", "Jérôme", "Noémie"];
const LAST = [
  "Lefèvre",
  "Martin",
  "Dubois",
  "Garçon",
  "Bénard",
  "Mercier",
  "Bœuf",
  "Lemaître",
  "Noël",
  "Faure",
];
const COMPANIES = ["Boulangerie", "Menuiserie", "Pâtisserie", "Brasserie", "Librairie", "Épicerie fine"];
const CITIES = ["Lyon", "Saint-Étienne", "Besançon", "Orléans", "Bourg-en-Bresse", "Nice", "Genève", "Liège"];
const POSTCODES = ["69001", "42000", "25000", "45000", "01000", "06000", "02100", "08000"];
const COUNTRIES = ["France", "France", "France", "France", "France", "France", "Suisse", "Belgique"];
const SECTORS = ["Alimentation", "Bâtiment", "Restauration", "Commerce de détail", "Artisanat"];
const BAD_EMAILS: Record<number, string> = {
  30: "jean.dupont@",
  60: "marie@@exemple.fr",
  90: "paul exemple.fr",
  120: "léa@exemple",
};

const pad = (n: number, w: number) => String(n).padStart(w, "0");
const ascii = (s: string) =>
  s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z]/g, "").toLowerCase();

/** The 200 rows. */
export function leadRows200(): Row200[] {
  const rows: Row200[] = [];
  for (let i = 1; i <= 200; i++) {
    const named = i < 11 || i > 20; // rows 11–20: a company and an e-mail, no person
    const first = named ? FIRST[i % FIRST.length] : "";
    const last = named ? LAST[(i * 3) % LAST.length] : "";
    const company = `${COMPANIES[i % COMPANIES.length]} ${i}`;
    let email = named ? `${ascii(first)}.${ascii(last)}.${i}@exemple.fr` : `contact${i}@entreprise${i}.fr`;
    let phone = `01 45 67 ${pad(Math.floor(i / 100), 2)} ${pad(i % 100, 2)}`;
    const amount = i % 7 === 3 ? `-${1000 + i},75` : `${(1000 + i * 10).toLocaleString("fr-FR")},50`;
    const siret = i % 3 === 0 ? `${pad(i, 3)} 456 789 ${pad(i, 5)}` : `0${pad(i, 8)}${pad(i, 5)}`;
    const tags = i % 4 === 0 ? "VIP, salon 2024" : i % 4 === 1 ? "prospect;export" : "";
    const r: Row200 = { row: i + 1, cells: [], outcome: "lead" };
    if (BAD_EMAILS[i]) {
      email = BAD_EMAILS[i];
      r.warns = "email";
    }
    if (i === 45) {
      phone = "12";
      r.warns = "phone";
    }
    if (i === 50 || i === 51) phone = "01 40 00 00 00"; // one switchboard, two people with their own e-mail
    if (i === 148) { // the person of row 148 (i = 147) again, the address in capitals
      email = rows[146].cells[4].toUpperCase();
      r.outcome = "duplicate";
      r.of = 148;
    }
    if (i === 151 || i === 152) { // no e-mail, no reference of its own: the phone names them
      email = "";
      phone = "04 78 00 00 15";
      if (i === 152) r.outcome = "duplicate", r.of = 152;
    }
    let ref = `R${pad(i, 3)}`;
    if (i === 151 || i === 152) ref = "";
    let cells = [
      ref,
      first,
      last,
      company,
      email,
      phone,
      amount,
      CITIES[i % 8],
      POSTCODES[i % 8],
      COUNTRIES[i % 8],
    ];
    cells.push(siret, tags, i % 6 === 5 ? "" : SECTORS[i % SECTORS.length]);
    if (i === 170) { // nothing to name a lead by: refused
      cells = ["", "", "", "", "", "06 12 34 56 78", "100", "Lyon", "69001", "France", "", "", ""];
      r.outcome = "invalid";
    }
    r.cells = cells;
    rows.push(r);
  }
  return rows;
}

/** How the file is written. */
export type Variant200 = "utf-8" | "windows-1252" | "utf-8-bom-crlf";

/** A cell as a spreadsheet writes it in a `;` file. */
function cell(v: string): string {
  return /[;"\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** The file's bytes in `variant`. */
export function leadFile200(variant: Variant200): Uint8Array {
  const nl = variant === "utf-8" ? "\n" : "\r\n";
  const text = [LEAD_FILE_200_HEADERS, ...leadRows200().map((r) => r.cells)]
    .map((cells) => cells.map(cell).join(";")).join(nl) + nl;
  if (variant === "windows-1252") return encode1252(text);
  return new TextEncoder().encode(variant === "utf-8-bom-crlf" ? "\ufeff" + text : text);
}
