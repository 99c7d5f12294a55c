/**
 * Large, valid-looking lead CSVs for tests and benchmarks: French names with
 * accents, quoted descriptions (delimiters, doubled quotes, line breaks), some
 * duplicates by email or phone, and a few invalid rows, all from a seed, so the
 * same options give the same bytes.
 */
import { rng } from "../../../scripts/odoo_simulator/vocabulary.ts";

/** What to generate. */
export interface LeadCsvOptions {
  rows: number;
  delimiter?: "," | ";" | "\t";
  seed?: number;
  /** Default `utf-8`. `windows-1252` writes what French Excel writes. */
  encoding?: "utf-8" | "utf-8-bom" | "windows-1252";
  /** Share of rows with one invalid value; default 0.01. */
  invalidRate?: number;
  /** Share of rows that repeat an earlier email or phone; default 0.02. */
  duplicateRate?: number;
  /** Line end; default CRLF, as Excel writes. */
  newline?: "\r\n" | "\n";
}

/** The header the generator writes. */
export const LEAD_CSV_HEADERS = [
  "Identifiant externe",
  "Prénom",
  "Nom",
  "Courriel",
  "Téléphone",
  "Société",
  "Titre",
  "Montant",
  "Probabilité",
  "Étape",
  "Commercial",
  "Date de création",
  "Description",
];

const FIRST = [
  "Émilie",
  "Jean",
  "Hélène",
  "François",
  "Zoé",
  "Gaël",
  "Anaïs",
  "Jérôme",
  "Cécile",
  "Noël",
  "Loïc",
  "Agnès",
  "Benoît",
  "Clémence",
  "Frédéric",
  "Léa",
  "Maël",
  "Océane",
  "Raphaël",
  "Thérèse",
];
const LAST = [
  "Lefèvre",
  "Dupont",
  "Bézier",
  "Müller",
  "Garçon",
  "Côté",
  "Lemaître",
  "Rousseau",
  "Fournier",
  "Girard",
  "Mercier",
  "Bonnet",
  "Dubois",
  "Lambert",
  "Fontaine",
  "Chevalier",
  "Gauthier",
  "Perrin",
  "Moreau",
  "Lefebvre",
];
const COMPANIES = [
  "Boulangerie Lefèvre",
  "Électricité Générale du Sud",
  "Hôtel de l'Étoile",
  "Crème & Café",
  "Société Générale d'Œuvres",
  "Menuiserie Côté",
  "Garage Müller",
  "Pâtisserie Zoé",
  'Agence "Horizon"',
  "Bâtiments Réunis, SARL",
];
const STAGES = ["Nouveau", "Qualifié", "Proposition", "Négociation", "Gagné", "Perdu"];
const SALES = ["claire.martin@exemple.fr", "Paul Dépée", "sophie.gérard@exemple.fr", ""];
const DESCRIPTIONS = [
  "",
  "",
  "Rappeler après le salon",
  "Intéressé par l'offre « Premium »; budget validé",
  'Client dit "urgent", voir devis',
  "Première ligne\nDeuxième ligne",
  "Contact via le site, formulaire n°42",
];

function ascii(s: string): string {
  return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^A-Za-z0-9]+/g, "").toLowerCase();
}

function cell(v: string, delimiter: string): string {
  return v.includes(delimiter) || v.includes('"') || v.includes("\n") || v.includes("\r")
    ? `"${v.replaceAll('"', '""')}"`
    : v;
}

/** Windows-1252 bytes of `s` (Latin-1 plus the few characters French needs above it). */
export function encode1252(s: string): Uint8Array {
  const extra: Record<string, number> = {
    "\u202f": 0xa0,
    "€": 0x80,
    "’": 0x92,
    "œ": 0x9c,
    "Œ": 0x8c,
    "«": 0xab,
    "»": 0xbb,
  };
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out[i] = c < 0x80 || (c >= 0xa0 && c <= 0xff) ? c : extra[s[i]] ?? 0x3f;
  }
  return out;
}

/** One row's values, by the header above. */
export function leadCsvRow(
  i: number,
  random: () => number,
  recent: { emails: string[]; phones: string[] },
  o: {
    invalidRate: number;
    duplicateRate: number;
  },
): string[] {
  const first = FIRST[Math.floor(random() * FIRST.length)];
  const last = LAST[Math.floor(random() * LAST.length)];
  const company = COMPANIES[Math.floor(random() * COMPANIES.length)];
  let email = `${ascii(first)}.${ascii(last)}.${i}@exemple.fr`;
  if (random() < 0.05) email = `${first.toLowerCase()}.${last.toLowerCase()}${i}@exemple.fr`; // accented local part
  const n = 600000000 + Math.floor(random() * 99999999);
  let phone = random() < 0.5
    ? `0${String(n).replace(/(\d)(\d\d)(\d\d)(\d\d)(\d\d)/, "$1 $2 $3 $4 $5")}`
    : `+33 ${String(n).slice(0, 1)} ${String(n).slice(1, 3)} ${String(n).slice(3, 5)} ${
      String(n).slice(5, 7)
    } ${String(n).slice(7)}`;
  if (random() < o.duplicateRate && recent.emails.length) {
    if (random() < 0.5) email = recent.emails[Math.floor(random() * recent.emails.length)];
    else phone = recent.phones[Math.floor(random() * recent.phones.length)];
  } else if (i % 97 === 0) {
    const k = recent.emails.length < 50 ? recent.emails.length : (i / 97) % 50;
    recent.emails[k] = email;
    recent.phones[k] = phone;
  }
  const amount = Math.floor(random() * 5_000_000) / 100;
  let amountText = random() < 0.5
    ? `${amount.toLocaleString("fr-FR", { minimumFractionDigits: 2 })} €`
    : amount.toFixed(2);
  let probability = String(Math.floor(random() * 101));
  const day = 1 + Math.floor(random() * 28), month = 1 + Math.floor(random() * 12);
  let created = random() < 0.7
    ? `${String(day).padStart(2, "0")}/${String(month).padStart(2, "0")}/2024`
    : `2024-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
  if (random() < o.invalidRate) {
    switch (Math.floor(random() * 5)) {
      case 0:
        email = `${ascii(first)}.${ascii(last)}@`;
        break;
      case 1:
        phone = "12 34";
        break;
      case 2:
        amountText = "environ mille";
        break;
      case 3:
        probability = "150";
        break;
      default:
        created = "31/02/2024";
    }
  }
  return [
    `EXT-${i}`,
    first,
    last,
    email,
    phone,
    company,
    `Projet ${company}`,
    amountText,
    probability,
    STAGES[Math.floor(random() * STAGES.length)],
    SALES[Math.floor(random() * SALES.length)],
    created,
    DESCRIPTIONS[Math.floor(random() * DESCRIPTIONS.length)],
  ];
}

/**
 * A lead CSV of `rows` data rows plus the header, as a stream (1,000,000 rows
 * are about 170 MB: never held whole).
 *
 * @example
 * const file = await Deno.create("/tmp/leads.csv");
 * await generateLeadCsv({ rows: 1_000_000, delimiter: ";", seed: 1 }).pipeTo(file.writable);
 */
export function generateLeadCsv(opts: LeadCsvOptions): ReadableStream<Uint8Array> {
  const delimiter = opts.delimiter ?? ";";
  const newline = opts.newline ?? "\r\n";
  const random = rng(opts.seed ?? 1);
  const o = { invalidRate: opts.invalidRate ?? 0.01, duplicateRate: opts.duplicateRate ?? 0.02 };
  const recent = { emails: [] as string[], phones: [] as string[] };
  const encoder = new TextEncoder();
  const encode = opts.encoding === "windows-1252" ? encode1252 : (s: string) => encoder.encode(s);
  let i = 0;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const bom = opts.encoding === "utf-8-bom" ? "\ufeff" : "";
      controller.enqueue(
        encode(bom + LEAD_CSV_HEADERS.map((h) => cell(h, delimiter)).join(delimiter) + newline),
      );
    },
    pull(controller) {
      if (i >= opts.rows) {
        controller.close();
        return;
      }
      const lines: string[] = [];
      const end = Math.min(opts.rows, i + 2000);
      for (; i < end; i++) {
        lines.push(leadCsvRow(i + 1, random, recent, o).map((v) => cell(v, delimiter)).join(delimiter));
      }
      controller.enqueue(encode(lines.join(newline) + newline));
    },
  });
}
