/**
 * The fixed records every simulated database starts with (users, stages, tags,
 * teams, activity types… exactly as the recorded Odoo 17 database has them,
 * fixtures 35-39 and 53) and the word lists generated records draw from
 * (French names with accents, emoji, apostrophes: what broke importers before).
 */
import type { Row } from "./domain.ts";

/** A small deterministic PRNG (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One element of `list`, by `random`. */
export function pick<T>(random: () => number, list: readonly T[]): T {
  return list[Math.floor(random() * list.length)];
}

/** An e-mail local part as the seeding script made them: `Łukasz` → `ukasz`, `N'Diaye` → `n-diaye`. */
export function emailPart(name: string): string {
  let part = emailParts.get(name);
  if (part === undefined) {
    part = foldEmail(name);
    emailParts.set(name, part);
  }
  return part;
}

const emailParts = new Map<string, string>();

function foldEmail(name: string): string {
  return name.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/['’ ]/g, "-")
    .replace(/[^a-z0-9-]/g, "");
}

/** First names: accents, Ł (which e-mail folding drops), ø, ë. */
export const FIRST_NAMES = [
  "Łukasz",
  "Hélène",
  "Amélie",
  "Léa",
  "Thérèse",
  "Kévin",
  "Céline",
  "Gaëlle",
  "François",
  "Élodie",
  "José",
  "Søren",
  "Noël",
  "Chloé",
  "Jérôme",
  "Ana",
  "John",
  "Zoë",
  "Mário",
  "Björn",
] as const;

/** Last names: apostrophes (N'Diaye, O'Brien), umlauts, accents. */
export const LAST_NAMES = [
  "Bernard",
  "Leroy",
  "N'Diaye",
  "Rousseau",
  "Côté",
  "Thomas",
  "Faure",
  "Lefèvre",
  "Garcia",
  "Gagné",
  "Blanc",
  "Moreau",
  "Boyer",
  "Simon",
  "Chevalier",
  "Dupont",
  "Müller",
  "O'Brien",
] as const;

/** First word of company names. */
export const COMPANY_KINDS = [
  "Laboratoires",
  "Éditions",
  "Atelier",
  "Brasserie",
  "Société",
  "Boulangerie",
] as const;
/** Second part of company names: accents, ampersands, apostrophes, superscripts. */
export const COMPANY_PLACES = [
  "du Léman",
  "Dakar",
  "Genève",
  "Québec",
  "Montréal",
  "Bretagne & Fils",
  "Château-Thierry",
  "Casablanca",
  "Saint-Étienne",
  "Lyon 3ᵉ",
  "Côte d'Azur",
] as const;

/** What leads are about, some with emoji. */
export const PRODUCTS = [
  "logiciel",
  "hébergement",
  "pâtisseries",
  "fromages affinés",
  "maintenance",
  "vin rosé 🍷",
  "conseil RGPD",
  "café crème",
  "éclairage LED ✨",
  "mobilier de bureau",
  "crêpes 🥞",
  "formation",
] as const;

/** Lead name templates seen in the recorded database. */
export const LEAD_TEMPLATES: readonly ((p: string) => string)[] = [
  (p) => `Projet ${p} 2025`,
  (p) => `Projet ${p} 2025 🚀`,
  (p) => `Intérêt pour l'offre Pro ${p}`,
  (p) => `Rendez-vous salon ✨ ${p}`,
  (p) => `Offre spéciale été ☀️ ${p}`,
  (p) => `Renouvellement contrat ${p}`,
  (p) => `Devis ${p}`,
  (p) => `Appel d'offres ${p}`,
  (p) => `Migration ERP – ${p}`,
  (p) => `Demande d'info – ${p}`,
  (p) => `${p} : extension de licence`,
];

/** Phone formats seen in the recorded database, filled from `random`. */
export function phone(random: () => number): string {
  const d = (n: number) => {
    let s = "";
    for (let i = 0; i < n; i++) s += Math.floor(random() * 10);
    return s;
  };
  switch (Math.floor(random() * 5)) {
    case 0:
      return `+1 (514) 555-${d(4)} x${d(4)}`;
    case 1:
      return `0${d(2)} ${d(2)} ${d(2)} ${d(2)}`;
    case 2:
      return `+33 6 ${d(2)} ${d(2)} ${d(2)} ${d(2)}`;
    case 3:
      return `06.${d(2)}.${d(2)}.${d(2)}.${d(2)}`;
    default:
      return `0${d(1)} ${d(2)} ${d(2)} ${d(2)}`;
  }
}

/** Lead descriptions: sanitized HTML, plain text wrapped in <p>, rich text, or none (fixtures 08, 10). */
export function description(random: () => number, product: string): string | false {
  switch (Math.floor(random() * 5)) {
    case 0:
    case 1:
      return "<p>Ligne 1<br>Ligne 2 &amp; suite</p>";
    case 2:
      return "<p>Texte brut sans HTML, avec accents: éàçù</p>";
    case 3:
      return `<p>Client intéressé par <b>${product}</b>.</p><p>Rappeler après le 22/01 — «urgent» ✅</p>`;
    default:
      return false;
  }
}

/** Cities for addresses. */
export const CITIES = [
  "Genève",
  "Lyon",
  "Paris",
  "Montréal",
  "Dakar",
  "Bruxelles",
  "Québec",
  "Nantes",
] as const;

/** Odoo's ids for a few countries. */
export const COUNTRIES: readonly [number, string, string][] = [
  [75, "France", "FR"],
  [38, "Canada", "CA"],
  [57, "Germany", "DE"],
  [20, "Belgium", "BE"],
  [43, "Switzerland", "CH"],
  [196, "Senegal", "SN"],
  [149, "Morocco", "MA"],
];

/** mail.activity summaries, as recorded (fixture 52). */
export const ACTIVITY_SUMMARIES = [
  "Envoyer le devis",
  "Relance après salon",
  "Réunion à l'agence",
  "Rappeler le client ☎️",
  "Préparer la démo",
] as const;

/** mail.activity notes: HTML or none, as recorded (fixture 52). */
export const ACTIVITY_NOTES = [
  "<p>Client <b>très</b> intéressé 👍</p>",
  "<p>Penser à mentionner la remise de 10 %</p>",
  false,
] as const;

/** Salespeople (res.users ids) and the team each belongs to. */
export const SALESPEOPLE: readonly [number, number][] = [[2, 1], [6, 1], [7, 1], [8, 5], [9, 5]];

const T0 = "2026-11-24 08:18:53.000001";

/** The records of a fresh CRM database, as recorded: returns rows per model. */
export function referenceRows(): Record<string, Row[]> {
  const users: [number, string, string, string | false, boolean, boolean, number][] = [
    [1, "OdooBot", "__system__", "odoobot@example.com", false, false, 2],
    [2, "Administrator", "admin", "admin@example.com", true, false, 3],
    [3, "Default User Template", "default", false, false, false, 4],
    [4, "Public user", "public", false, false, true, 5],
    [5, "Portal User Template", "portaltemplate", false, false, true, 6],
    [6, "Amélie Dupont", "amelie", "amelie@passerelle.test", true, false, 7],
    [7, "Jean-François Lefèvre", "jf.lefevre", "jf.lefevre@passerelle.test", true, false, 8],
    [8, "Zoë Ñúñez", "zoe", "zoe@passerelle.test", true, false, 9],
    [9, "Bob Smith", "bob", "bob@passerelle.test", true, false, 10],
    [10, "Nadia Sans-CRM", "nocrm", "nocrm@passerelle.test", true, false, 11],
  ];
  const partners: Row[] = [
    partner(1, "My Company", true, false, { phone: "", street: "", city: "", zip: "" }),
    partner(2, "OdooBot", false, "odoobot@example.com", { active: false }),
    partner(3, "Administrator", false, "admin@example.com"),
    partner(4, "Default User Template", false, false, { active: false }),
    partner(5, "Public user", false, false, { active: false }),
    partner(6, "Portal User Template", false, false, { active: false }),
    ...users.slice(5).map(([, name, , email, , , pid]) => partner(pid, name, false, email)),
  ];
  return {
    "res.company": [{ id: 1, name: "My Company", currency_id: 1, create_date: T0, write_date: T0 }],
    "res.currency": [{ id: 1, name: "USD", symbol: "$" }, { id: 125, name: "EUR", symbol: "€" }],
    "res.country": COUNTRIES.map(([id, name, code]) => ({ id, name, code })),
    "ir.model": [{ id: 393, name: "Lead/Opportunity", model: "crm.lead" }, {
      id: 85,
      name: "Contact",
      model: "res.partner",
    }],
    "mail.message.subtype": [
      { id: 1, name: "Discussions" },
      { id: 2, name: "Note" },
      { id: 5, name: "Opportunity Created" },
    ],
    "res.users": users.map(([id, name, login, email, active, share, partnerId]) => ({
      id,
      name,
      login,
      email,
      active,
      share,
      partner_id: partnerId,
      company_id: 1,
      company_ids: [1],
      lang: "en_US",
      tz: false,
      create_date: T0,
      write_date: T0,
      create_uid: 1,
      write_uid: 1,
    })),
    "res.partner": partners,
    "crm.team": [
      {
        id: 1,
        name: "Sales",
        sequence: 10,
        active: true,
        company_id: 1,
        user_id: false,
        member_ids: [2, 6, 7],
      },
      {
        id: 5,
        name: "Export & Outre-mer 🌍",
        sequence: 11,
        active: true,
        company_id: 1,
        user_id: 7,
        member_ids: [8, 9],
      },
    ].map(stamp),
    "crm.stage": [
      [1, "New", 1, false, false],
      [2, "Qualified", 2, false, false],
      [3, "Proposition", 3, false, false],
      [4, "Won", 70, true, false],
      [5, "Négociation 🤝", 3, false, false],
      [6, "Export – qualifié", 2, false, 5],
    ].map(([id, name, sequence, isWon, team]) =>
      stamp({
        id: id as number,
        name,
        sequence,
        is_won: isWon,
        fold: false,
        team_id: team,
        requirements: false,
      })
    ),
    "crm.tag": [
      "Chaud 🔥",
      "Froid ❄️",
      "Salon Pro 2024",
      "Référence client",
      "Éducation",
      "Santé",
      "Industrie",
      "Grand compte",
      "PME",
      "Rappel ☎️",
      "Partenaire",
      "Prix élevé €€€",
    ].map((name, i) => stamp({ id: i + 1, name, color: (i % 11) + 1 })),
    "crm.lost.reason": [
      [1, "Too expensive"],
      [2, "We don't have people/skills"],
      [3, "Not enough stock"],
    ].map(([id, name]) => stamp({ id: id as number, name, active: true })),
    "mail.activity.type": [
      [1, "Email", "default", 0, "fa-envelope"],
      [2, "Call", "phonecall", 2, "fa-phone"],
      [3, "Meeting", "meeting", 0, "fa-users"],
      [4, "To-Do", "default", 5, "fa-check"],
      [5, "Upload Document", "upload_file", 5, "fa-upload"],
    ].map(([id, name, category, delay, icon]) =>
      stamp({
        id: id as number,
        name,
        category,
        delay_count: delay,
        icon,
        sequence: (id as number) * 2,
        active: true,
        res_model: false,
        delay_unit: "days",
        delay_from: "previous_activity",
        decoration_type: false,
        summary: false,
      })
    ),
  };
}

function stamp(row: Row): Row {
  return { create_date: T0, write_date: T0, create_uid: 1, write_uid: 1, ...row };
}

function partner(
  id: number,
  name: string,
  isCompany: boolean,
  email: string | false,
  extra: Record<string, unknown> = {},
): Row {
  return stamp({
    id,
    name,
    is_company: isCompany,
    parent_id: false,
    type: "contact",
    email,
    phone: false,
    street: false,
    city: false,
    zip: false,
    country_id: false,
    active: true,
    company_id: isCompany ? false : 1,
    ...extra,
  });
}
