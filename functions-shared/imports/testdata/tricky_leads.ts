/**
 * The same 30 tricky lead rows for every writer: accents, emoji, leading zeros in phones (as text, and
 * as the number Excel leaves), `1 234,50` amounts (as text, and as numbers shown so), dates as dates
 * (built-in and custom formats) and as text, formulas with cached values (numbers and text), an empty
 * row, a merged title row above the header, a hidden column. As a spec the real writers read
 * (`real_writers.ts`), and as the CSV a French office would export of the same rows, which the files
 * must import like.
 */

/** One cell, as a spreadsheet holds it. */
export type TrickyCell =
  | { s: string }
  | { n: number; fmt?: string }
  | { date: string; fmt: string }
  | { f: string; v: number | string }
  | null;

/** What the writers write. */
export interface TrickySpec {
  /** The merged title row, above the header (row 1, over every column). */
  title: string;
  headers: string[];
  /** 0-based index of the hidden column. */
  hidden: number;
  /** Data rows; `null` is an empty row. */
  rows: (TrickyCell[] | null)[];
}

const HEADERS = [
  "Titre",
  "Prénom",
  "Nom",
  "Courriel",
  "Téléphone",
  "Société",
  "Montant",
  "Date de création",
  "Probabilité",
  "Description",
];

const FIRST = ["Émilie", "Zoé", "François", "Anaïs", "Jérôme", "Chloé", "Noël", "Maëlle", "Loïc", "Hélène"];
const LAST = [
  "Lefèvre",
  "Côté",
  "Dupré",
  "N'Guyen",
  "Müller",
  "Garçon",
  "Brontë",
  "Éluard",
  "Ødegaard",
  "Ñúñez",
];
const COMPANY = ["Boulangerie Lefèvre & Fils", 'Cabinet "Côté"', "<SARL> Dupré", "Œuvres Müller", "ACME"];

/** `n` days after 2024-03-15, as an ISO date. */
function day(n: number): string {
  return new Date(Date.UTC(2024, 2, 15 + n)).toISOString().slice(0, 10);
}

/** A row of the 30: every kind of tricky cell, cycled. */
function trickyRow(i: number): TrickyCell[] {
  const first = FIRST[i % FIRST.length], last = LAST[(i * 3) % LAST.length];
  const title: TrickyCell = i % 7 === 3 ? { s: `Devis ${first} 😀 🥐` } : { s: `Projet ${last} n°${i + 1}` };
  const phone: TrickyCell = [
    { s: `06 12 34 ${String(10 + i).padStart(2, "0")} 78` },
    { s: `07${String(12345600 + i)}` },
    { n: 612345600 + i, fmt: "0" }, // Excel's lost leading 0
    { s: `+33 6 98 76 54 ${String(10 + i).padStart(2, "0")}` },
  ][i % 4];
  const company: TrickyCell = i % 6 === 5
    ? { f: 'CONCATENATE("ACME"," SARL")', v: "ACME SARL" }
    : { s: COMPANY[i % COMPANY.length] };
  const amount: TrickyCell = i % 3 === 0
    ? { s: `${1 + (i % 9)} 234,50` }
    : i % 3 === 1
    ? { n: 1234.5 + i * 1000, fmt: "#,##0.00" }
    : { n: 99 + i, fmt: "0" };
  const date: TrickyCell = i % 4 === 0
    ? { s: formatFr(day(i)) }
    : i % 4 === 1
    ? { date: day(i), fmt: "dd/mm/yyyy" }
    : i % 4 === 2
    ? { date: day(i), fmt: 'd" "mmmm" "yyyy' } // a custom format, as Excel writes « 15 mars 2024 »
    : { date: day(i), fmt: "yyyy-mm-dd" };
  const probability: TrickyCell = i % 2 === 0 ? { f: `${i}+30`, v: i + 30 } : { n: (i * 7) % 101 };
  return [
    title,
    { s: first },
    { s: last },
    { s: `${first}.${last}${i}@exemple.fr`.toLowerCase().replace(/[^a-z0-9.@éèëêçàâîïôöüûñøœ]/g, "") },
    phone,
    company,
    amount,
    date,
    probability,
    { s: `Note cachée ${i} : « rappeler » ; ligne 1\nligne 2` },
  ];
}

/** `2024-03-15` → `15/03/2024`. */
function formatFr(iso: string): string {
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
}

/** A small pseudo-random generator, so that large files are the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The 30 tricky rows (an empty row among them), and with `filler` rows more after them: plain leads
 * whose hidden description is 160 random letters, so that a file passes 1 MB with few rows.
 */
export function trickySpec(filler = 0): TrickySpec {
  const rows: (TrickyCell[] | null)[] = [];
  for (let i = 0; i < 30; i++) {
    if (i === 15) rows.push(null);
    rows.push(trickyRow(i));
  }
  const random = prng(30);
  const letters = "abcdefghijklmnopqrstuvwxyzéèàç";
  for (let k = 0; k < filler; k++) {
    let note = "";
    for (let j = 0; j < 160; j++) note += letters[Math.floor(random() * letters.length)];
    rows.push([
      { s: `Piste ${k}` },
      { s: FIRST[k % FIRST.length] },
      { s: LAST[k % LAST.length] },
      { s: `piste${k}@exemple.fr` },
      { s: `01${String(k).padStart(8, "0").replace(/(\d\d)/g, " $1")}` },
      { s: COMPANY[k % COMPANY.length] },
      { n: 100 + (k % 1000), fmt: "0" },
      { date: day(k % 700), fmt: "dd/mm/yyyy" },
      { n: k % 101 },
      { s: note },
    ]);
  }
  return { title: "Export des leads — 1er décembre 2026", headers: HEADERS, hidden: 9, rows };
}

/** A cell as a French office's CSV export shows it. */
function csvText(c: TrickyCell): string {
  if (c === null) return "";
  if ("s" in c) return c.s;
  if ("date" in c) return formatFr(c.date);
  if ("f" in c) return String(c.v);
  if (c.fmt === "#,##0.00") {
    const [int, dec] = c.n.toFixed(2).split(".");
    return `${int.replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f")},${dec}`;
  }
  return String(c.n);
}

/** The spec as a CSV: `;`, CRLF, UTF-8 with BOM, quotes where needed; the title row and empty row kept. */
export function trickyCsv(spec: TrickySpec): Uint8Array {
  const cell = (v: string) => /[;"\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
  const width = spec.headers.length;
  const lines = [
    [spec.title, ...Array(width - 1).fill("")].map(cell).join(";"),
    spec.headers.map(cell).join(";"),
    ...spec.rows.map((r) => r === null ? ";".repeat(width - 1) : r.map((c) => cell(csvText(c))).join(";")),
  ];
  return new TextEncoder().encode("\ufeff" + lines.join("\r\n") + "\r\n");
}

/** The ISO date's serial in Excel's 1900 date system. */
export function excelSerial(iso: string): number {
  return Math.round((Date.parse(`${iso}T00:00:00Z`) - Date.UTC(1899, 11, 30)) / 86_400_000);
}
