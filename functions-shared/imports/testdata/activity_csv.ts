/**
 * Activity CSVs in the shape of an Odoo export (`Référence lead;Courriel
 * lead;Type;Résumé;Échéance;Assigné à;Note`, Odoo's French type names, HTML
 * notes), for a database whose leads follow `ActivityLeads`: synced Odoo
 * leads, leads of a CRM, leads of a leads import beside the activities, and
 * e-mails that two leads share. Each row names its lead one way (a synced
 * lead's `odoo_crm_<id>` or bare Odoo id, an imported lead's external id, an
 * e-mail in any case, or a reference no lead has with an e-mail one has), or
 * names one that is ambiguous or unknown; the generator says which rows are
 * which, so a test can check every one. Same options, same bytes.
 */
import { rng } from "../../../scripts/odoo_simulator/vocabulary.ts";
import { csvCell } from "../../csv_cell.ts";

/** The leads a database holds for the activities to name. */
export interface ActivityLeads {
  /** Synced Odoo leads: `odoo_id` 1…n, `source_email_id` `odoo_crm_<id>`, e-mail `odoo<id>@exemple.fr`. */
  odoo: number;
  /** A CRM's leads: external id `CRM-<n>`, e-mail `client<n>@exemple.fr`. */
  crm: number;
  /**
   * Of the CRM's leads, the first n have a bare number for external id,
   * `100000 + n`, which is also a synced lead's Odoo id: that reference names two leads.
   */
  numericCrm: number;
  /** Leads of the leads import: external id `DEV-<n>`, e-mail `dev<n>@exemple.fr`. */
  imported: number;
  /** E-mails `partage<n>@exemple.fr`, each held by two leads. */
  shared: number;
}

/** What to generate. */
export interface ActivityCsvOptions {
  rows: number;
  leads: ActivityLeads;
  seed?: number;
}

/** A generated file and what an import must make of it. */
export interface ActivityCsv {
  bytes: Uint8Array;
  /** File row numbers (the header is row 1) whose lead is two leads or more. */
  ambiguous: number[];
  /** File row numbers whose lead no lead is. */
  unknown: number[];
  /** Rows whose lead is one lead: all the others. */
  linked: number;
  /** Rows per type, as written. */
  types: Record<string, number>;
}

/** The header an Odoo export of activities has, as the files had it. */
export const ACTIVITY_CSV_HEADERS = [
  "Référence lead",
  "Courriel lead",
  "Type",
  "Résumé",
  "Échéance",
  "Assigné à",
  "Note",
];

/**
 * Odoo 17's default types in French (addons/mail/i18n/fr.po), and a type of
 * the company's own, with their shares: a third of the issue's file was
 * « Téléverser un document » or « Relance devis ».
 */
const TYPES: [string, number][] = [
  ["E-mail", 0.14],
  ["Appel", 0.14],
  ["Réunion", 0.12],
  ["À faire", 0.14],
  ["Téléverser un document", 0.2],
  ["Relance devis", 0.13],
  ["Demande de signature", 0.08],
  ["Exception", 0.05],
];
const SUMMARIES = ["Envoyer le devis", "Relance après salon", "Réunion à l'agence", "Appeler le gérant", ""];
const USERS = ["Zoë Ñúñez", "Bob Smith", "Mitchell Admin", ""];
const NOTES = [
  "",
  "",
  "<p>Client <b>très</b> intéressé 👍</p>",
  'Rappeler avant 10h; demander "le" devis signé\nsecond paragraphe',
];

/** One header and `o.rows` activity rows, `;`-separated, CRLF, UTF-8. */
export function generateOdooActivityCsv(o: ActivityCsvOptions): ActivityCsv {
  const random = rng(o.seed ?? 17);
  const int = (n: number) => 1 + Math.floor(random() * n);
  const L = o.leads;
  const lines = [ACTIVITY_CSV_HEADERS.join(";")];
  const ambiguous: number[] = [];
  const unknown: number[] = [];
  const types: Record<string, number> = {};
  const shout = (email: string) => random() < 0.3 ? email.toUpperCase() : email;
  for (let i = 0; i < o.rows; i++) {
    const row = i + 2;
    let ref = "", email = "";
    const k = random();
    if (k < 0.3) {
      const id = int(L.odoo);
      ref = `odoo_crm_${id}`;
      if (random() < 0.5) email = `odoo${id}@exemple.fr`;
    } else if (k < 0.38) {
      // Odoo's `res_id` (« ID du document associé »), below the numbers some CRM leads use.
      ref = String(int(Math.min(L.odoo, 100000)));
    } else if (k < 0.5) {
      ref = `DEV-${int(L.imported)}`;
    } else if (k < 0.55) {
      ref = `CRM-${int(L.crm - L.numericCrm) + L.numericCrm}`;
    } else if (k < 0.86) {
      email = shout(random() < 0.6 ? `odoo${int(L.odoo)}@exemple.fr` : `client${int(L.crm)}@exemple.fr`);
    } else if (k < 0.87) {
      // A reference no lead has, with an e-mail one has: linked by the e-mail.
      ref = `ANCIEN-${row}`;
      email = `client${int(L.crm)}@exemple.fr`;
    } else if (k < 0.9) {
      email = shout(`partage${int(L.shared)}@exemple.fr`);
      ambiguous.push(row);
    } else if (k < 0.905 && L.numericCrm > 0) {
      ref = String(100000 + int(L.numericCrm));
      ambiguous.push(row);
    } else if (k < 0.95) {
      ref = `odoo_crm_${L.odoo + row}`;
      unknown.push(row);
    } else {
      email = `inconnu${row}@exemple.fr`;
      unknown.push(row);
    }
    const type = weighted(random, TYPES);
    types[type] = (types[type] ?? 0) + 1;
    const due = `${String(int(28)).padStart(2, "0")}/${String(int(12)).padStart(2, "0")}/2026`;
    const cells = [
      ref,
      email,
      type,
      SUMMARIES[Math.floor(random() * SUMMARIES.length)],
      due,
      USERS[Math.floor(random() * USERS.length)],
      NOTES[Math.floor(random() * NOTES.length)],
    ];
    lines.push(cells.map((c) => csvCell(c, ";")).join(";"));
  }
  return {
    bytes: new TextEncoder().encode(lines.join("\r\n") + "\r\n"),
    ambiguous,
    unknown,
    linked: o.rows - ambiguous.length - unknown.length,
    types,
  };
}

/** The leads import beside the activities: `DEV-<n>` leads, `;`-separated. */
export function importedLeadsCsv(leads: ActivityLeads): Uint8Array {
  const lines = ["Identifiant externe;Nom;Courriel;Société"];
  for (let n = 1; n <= leads.imported; n++) {
    lines.push(`DEV-${n};Client ${n};dev${n}@exemple.fr;Société ${n}`);
  }
  return new TextEncoder().encode(lines.join("\r\n") + "\r\n");
}

function weighted(random: () => number, items: [string, number][]): string {
  let r = random();
  for (const [v, w] of items) {
    if ((r -= w) < 0) return v;
  }
  return items[items.length - 1][0];
}
