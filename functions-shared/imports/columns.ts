/**
 * Which column of a file feeds which field: found from French and English
 * headers, whatever their case, accents, spaces or punctuation (`Prénom`,
 * `PRENOM`, `First name`, `first_name` are one), and overridable by an explicit
 * `{ header: field }` mapping that the user chose in the import form.
 */
import { type Issue, LIST } from "./messages.ts";

/** What a file holds: leads or activities. */
export type ImportKind = "lead" | "activity";

/** The fields of a lead a file can fill. */
export const LEAD_FIELDS = [
  "title",
  "contactName",
  "firstName",
  "lastName",
  "email",
  "phone",
  "mobile",
  "company",
  "expectedRevenue",
  "probability",
  "stage",
  "source",
  "salesperson",
  "externalId",
  "description",
  "createdAt",
  "city",
  "postalCode",
  "country",
  "siret",
  "tags",
] as const;
/** One lead field. */
export type LeadField = typeof LEAD_FIELDS[number];

/** The fields of an activity a file can fill. */
export const ACTIVITY_FIELDS = [
  "type",
  "summary",
  "note",
  "dueDate",
  "leadEmail",
  "leadRef",
  "leadPhone",
  "assignedTo",
] as const;
/** One activity field. */
export type ActivityField = typeof ACTIVITY_FIELDS[number];

/**
 * Headers each field answers to, written as people write them; they are
 * compared after `headerKey()`, so `E-mail`, `Email` and `E MAIL` are one entry.
 */
const LEAD_HEADERS: Record<LeadField, string[]> = {
  title: [
    "Titre",
    "Title",
    "Nom de l'opportunité",
    "Opportunité",
    "Opportunity",
    "Opportunity name",
    "Piste",
    "Nom de la piste",
    "Lead",
    "Lead name",
    "Nom du lead",
    "Intitulé",
  ],
  contactName: [
    "Nom complet",
    "Full name",
    "Name",
    "Contact",
    "Nom du contact",
    "Contact name",
    "Interlocuteur",
  ],
  firstName: ["Prénom", "First name", "Given name", "Prénom du contact"],
  lastName: ["Nom", "Last name", "Surname", "Family name", "Nom de famille"],
  email: [
    "Courriel",
    "E-mail",
    "Email",
    "Mail",
    "Adresse e-mail",
    "Adresse mail",
    "Adresse courriel",
    "Adresse électronique",
    "Email address",
  ],
  phone: [
    "Téléphone",
    "Tél",
    "Tel",
    "Phone",
    "Phone number",
    "Numéro de téléphone",
    "N° de téléphone",
    "Téléphone fixe",
    "Fixe",
  ],
  mobile: [
    "Mobile",
    "Portable",
    "Téléphone portable",
    "Tél portable",
    "Téléphone mobile",
    "Mobile phone",
    "Cell",
  ],
  company: [
    "Société",
    "Entreprise",
    "Company",
    "Company name",
    "Nom de la société",
    "Nom de l'entreprise",
    "Raison sociale",
    "Organisation",
    "Organization",
    "Client",
    "Customer",
    "Compte",
    "Account",
  ],
  expectedRevenue: [
    "Montant",
    "Revenu attendu",
    "Revenu espéré",
    "Expected revenue",
    "Amount",
    "Chiffre d'affaires",
    "Chiffre d'affaires attendu",
    "CA",
    "Valeur",
    "Montant estimé",
    "Budget",
  ],
  probability: ["Probabilité", "Probability", "Proba", "Probabilité (%)", "Probability (%)"],
  stage: ["Étape", "Stage", "Statut", "Status", "Phase", "Étape de vente"],
  source: ["Source", "Origine", "Origin", "Canal", "Lead source", "Provenance"],
  salesperson: [
    "Commercial",
    "Salesperson",
    "Assigned to",
    "Assigné à",
    "Vendeur",
    "Responsable",
    "Owner",
    "Propriétaire",
    "Chargé d'affaires",
  ],
  externalId: [
    "Identifiant externe",
    "External ID",
    "Réf",
    "Ref",
    "Référence",
    "Reference",
    "ID",
    "ID externe",
    "Identifiant",
    "Référence externe",
  ],
  description: [
    "Description",
    "Notes",
    "Note",
    "Commentaire",
    "Commentaires",
    "Comment",
    "Comments",
    "Remarques",
    "Notes internes",
    "Internal notes",
  ],
  createdAt: [
    "Date de création",
    "Créé le",
    "Created",
    "Created on",
    "Created at",
    "Creation date",
    "Date",
  ],
  city: ["Ville", "City", "Commune", "Localité", "Town", "Ville du client", "Ville de facturation"],
  postalCode: [
    "Code postal",
    "CP",
    "C.P.",
    "Zip",
    "Zip code",
    "Postal code",
    "Postcode",
    "Post code",
    "Code postal du client",
  ],
  country: ["Pays", "Country", "Pays du client"],
  // A SIREN (9 digits) is another identifier: a `SIREN` column is kept in extra_fields,
  // so that a file with both columns maps.
  siret: [
    "SIRET",
    "N° SIRET",
    "Numéro SIRET",
    "No SIRET",
    "Num SIRET",
    "SIRET number",
    "Siret de la société",
  ],
  tags: ["Étiquettes", "Étiquette", "Tags", "Tag", "Mots-clés", "Mots clés", "Labels", "Catégories"],
};

/**
 * Activity headers. Odoo 17's export of `mail.activity` writes its field labels
 * (addons/mail/models/mail_activity.py): `Activity Type`, `Summary`, `Note`,
 * `Due Date`, `Assigned to`, `Related Document ID` (the lead's Odoo id), in
 * French (addons/mail/i18n/fr.po) `Type d'activité`, `Résumé`, `Note`, `Date
 * d'échéance`, `Assigné à` (16.0: `Attribué à`), `ID du document associé`. A hand-made file names
 * the lead in its own words: `Courriel lead`, `E-mail du lead`, `Lead email`,
 * `Référence lead`, `Téléphone lead`…
 */
const ACTIVITY_HEADERS: Record<ActivityField, string[]> = {
  type: ["Type", "Type d'activité", "Activity type", "Activité", "Activity", "Nature", "Type d'action"],
  summary: ["Résumé", "Summary", "Objet", "Sujet", "Subject", "Titre", "Title", "Intitulé", "Libellé"],
  note: [
    "Note",
    "Notes",
    "Description",
    "Commentaire",
    "Commentaires",
    "Comment",
    "Comments",
    "Détails",
    "Details",
    "Remarque",
    "Remarques",
  ],
  dueDate: [
    "Échéance",
    "Date d'échéance",
    "Due date",
    "Deadline",
    "Date limite",
    "Due",
    "Due on",
    "Date",
    "Date prévue",
    "Prévu le",
  ],
  leadEmail: [
    "Courriel lead",
    "E-mail du lead",
    "Lead email",
    "Courriel du lead",
    "E-mail lead",
    "Email lead",
    "Email du lead",
    "Mail lead",
    "Mail du lead",
    "Adresse e-mail du lead",
    "Adresse mail du lead",
    "Lead e-mail",
    "Lead mail",
    "Lead email address",
    "Courriel de la piste",
    "E-mail de la piste",
    "Email de l'opportunité",
    "Opportunity email",
    "Courriel du contact",
    "E-mail du contact",
    "Email du contact",
    "Contact email",
    "Email",
    "E-mail",
    "Courriel",
    "Mail",
    "Adresse e-mail",
    "Adresse mail",
    "Adresse électronique",
    "Email address",
  ],
  leadRef: [
    "Référence lead",
    "Lead reference",
    "Lead",
    "Référence du lead",
    "Réf lead",
    "Réf. du lead",
    "Lead ref",
    "Lead ID",
    "ID lead",
    "ID du lead",
    "Identifiant lead",
    "Identifiant du lead",
    "Identifiant externe du lead",
    "Lead external ID",
    "Référence opportunité",
    "Référence de l'opportunité",
    "Opportunity reference",
    "Opportunity ID",
    "Référence piste",
    "Référence de la piste",
    "Identifiant externe",
    "External ID",
    "Réf",
    "Ref",
    "Référence",
    "Reference",
    "Opportunité",
    "Opportunity",
    // Odoo's `res_id`: the lead's id in Odoo (synced leads keep it).
    "Related Document ID",
    "ID du document associé",
    "ID du document lié",
    "Document ID",
  ],
  leadPhone: [
    "Téléphone lead",
    "Lead phone",
    "Téléphone du lead",
    "Tél lead",
    "Tél. du lead",
    "Lead phone number",
    "Lead telephone",
    "Téléphone du contact",
    "Contact phone",
    "Téléphone",
    "Tél",
    "Tel",
    "Phone",
    "Phone number",
    "Numéro de téléphone",
  ],
  assignedTo: [
    "Assigné à",
    "Attribué à",
    "Affecté à",
    "Assigned to",
    "Assignee",
    "Responsable",
    "Commercial",
    "Salesperson",
    "Utilisateur",
    "User",
    "Owner",
    "Propriétaire",
  ],
};

/**
 * Fields of which at least one must have a column, per group: a lead needs
 * something to name it by; an activity needs its lead, and something to say.
 */
const REQUIRED: Record<ImportKind, readonly (readonly string[])[]> = {
  lead: [["title", "contactName", "firstName", "lastName", "company", "email"]],
  activity: [["leadEmail", "leadRef", "leadPhone"], ["type", "summary", "note"]],
};

/**
 * A header reduced to what identifies it: accents, case, spaces and punctuation
 * removed (`Adresse e-mail` → `adresseemail`, `Tél.` → `tel`).
 */
export function headerKey(header: string): string {
  return header.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "");
}

function synonymIndex(table: Record<string, string[]>): Map<string, string> {
  const index = new Map<string, string>();
  for (const [field, headers] of Object.entries(table)) {
    for (const h of headers) index.set(headerKey(h), field);
  }
  return index;
}

const SYNONYMS: Record<ImportKind, Map<string, string>> = {
  lead: synonymIndex(LEAD_HEADERS),
  activity: synonymIndex(ACTIVITY_HEADERS),
};

/**
 * A few of the headers an activity field answers to, the most common first
 * (`leadEmail` → `Courriel lead`, `E-mail du lead`, `Lead email`), for messages
 * that say what a missing column may be called.
 */
export function activityHeaderNames(field: string, count = 3): string[] {
  return ACTIVITY_HEADERS[field as ActivityField]?.slice(0, count) ?? [];
}

/** The fields of `kind`. */
export function fieldsOf(kind: ImportKind): readonly string[] {
  return kind === "lead" ? LEAD_FIELDS : ACTIVITY_FIELDS;
}

/** Where each field's values are in a row of the file. */
export interface ColumnMapping<F extends string = string> {
  kind: ImportKind;
  /** The file's headers, as they are. */
  headers: readonly string[];
  /** Field → index of its column in `values`. */
  index: Readonly<Partial<Record<F, number>>>;
  /** Field → the file's header for it (for messages: « Adresse e-mail » : …). */
  header: Readonly<Partial<Record<F, string>>>;
  /**
   * Columns no field takes and the user's mapping does not ignore: their
   * non-blank cells go to the lead's `extra_fields`, under `key` (the header
   * as the file writes it; `#7` for a blank header of column 7, `Header (2)`
   * for a header written twice).
   */
  extra: readonly { header: string; key: string; index: number }[];
  /** Headers the user's mapping ignores (`{ "Header": null }`): their cells are not imported. */
  ignored: readonly string[];
}

/** The column of `public.leads` each lead field is written to. */
export const LEAD_COLUMNS: Record<LeadField, string> = {
  title: "title",
  contactName: "contact_name",
  firstName: "first_name",
  lastName: "last_name",
  email: "email",
  phone: "phone",
  mobile: "mobile",
  company: "company_name",
  expectedRevenue: "expected_revenue",
  probability: "probability",
  stage: "stage",
  source: "source",
  salesperson: "salesperson",
  externalId: "external_id",
  description: "description",
  createdAt: "source_created_at",
  city: "city",
  postalCode: "postal_code",
  country: "country",
  siret: "siret",
  tags: "tags",
};

/**
 * Where each column of a file goes, in the file's order: for leads, the
 * column of `public.leads` (`extra_fields` for the others), for activities
 * the field; `null` for a column the user's mapping ignores.
 */
export function columnSummary(m: ColumnMapping): { header: string; to: string | null }[] {
  const byIndex = new Map<number, string | null>();
  for (const [field, i] of Object.entries(m.index) as [string, number][]) {
    byIndex.set(i, m.kind === "lead" ? LEAD_COLUMNS[field as LeadField] ?? field : field);
  }
  for (const e of m.extra) byIndex.set(e.index, "extra_fields");
  return m.headers.map((header, i) => ({ header, to: byIndex.get(i) ?? null }));
}

/**
 * Header → field (or `null` to ignore the column), as the user chose it. Keys
 * are headers as the file writes them; a key matching no header exactly is
 * matched by `headerKey()`.
 */
export type ExplicitMapping = Record<string, string | null>;

/** The mapping, or the issues (every one of them) that keep the file from being imported. */
export type MappingResult<F extends string> =
  | { ok: true; mapping: ColumnMapping<F> }
  | { ok: false; issues: Issue[] };

/**
 * Maps `headers` to the fields of `kind`. An explicit mapping wins over the
 * automatic one for the headers it names, and takes its field from any header
 * the automatic mapping gave it. Fails, naming them, on:
 * - two columns that map to one field (`column_duplicate`): `Email` and
 *   `Courriel` in one file, or a header written twice;
 * - a required column missing (`column_missing`);
 * - an explicit mapping naming an unknown header or field.
 *
 * @example
 * const r = mapColumns(["Prénom", "Nom", "Adresse e-mail"], "lead");
 * // r.ok && r.mapping.index → { firstName: 0, lastName: 1, email: 2 }
 */
export function mapColumns(
  headers: readonly string[],
  kind: "lead",
  explicit?: ExplicitMapping,
  fileName?: string,
): MappingResult<LeadField>;
export function mapColumns(
  headers: readonly string[],
  kind: "activity",
  explicit?: ExplicitMapping,
  fileName?: string,
): MappingResult<ActivityField>;
export function mapColumns(
  headers: readonly string[],
  kind: ImportKind,
  explicit?: ExplicitMapping,
  fileName?: string,
): MappingResult<string>;
export function mapColumns(
  headers: readonly string[],
  kind: ImportKind,
  explicit: ExplicitMapping = {},
  fileName?: string,
): MappingResult<string> {
  const issues: Issue[] = [];
  const fields = fieldsOf(kind);
  const file: Record<string, string> = fileName ? { file: fileName } : {};

  // PostgreSQL text and jsonb cannot hold U+0000: such a header would fail every call that stores it.
  headers.forEach((h, i) => {
    if (h.includes("\u0000")) {
      issues.push({
        code: "header_nul",
        params: { ...file, columnNumber: i + 1, column: h.replaceAll("\u0000", "\u2400") },
      });
    }
  });

  // Explicit choices, by column index.
  const chosen = new Map<number, string | null>();
  for (const [key, target] of Object.entries(explicit)) {
    let i = headers.findIndex((h) => h.trim() === key.trim());
    if (i === -1) i = headers.findIndex((h) => headerKey(h) === headerKey(key));
    if (i === -1) {
      issues.push({ code: "mapping_unknown_header", params: { header: key } });
      continue;
    }
    if (target !== null && target !== "" && !fields.includes(target)) {
      issues.push({ code: "mapping_unknown_field", params: { target, allowed: fields.join(", ") } });
      continue;
    }
    chosen.set(i, target || null);
  }
  const explicitFields = new Set([...chosen.values()].filter((f): f is string => f !== null));

  const byField = new Map<string, number[]>();
  const ignored: string[] = [];
  const extra: { header: string; key: string; index: number }[] = [];
  const keys = new Set<string>();
  headers.forEach((h, i) => {
    let field: string | null | undefined;
    if (chosen.has(i)) field = chosen.get(i);
    else {
      field = SYNONYMS[kind].get(headerKey(h));
      if (field && explicitFields.has(field)) field = undefined; // the user gave this field another column
    }
    if (field === null) {
      ignored.push(h);
      return;
    }
    if (!field) {
      let key = h.trim() === "" ? `#${i + 1}` : h;
      for (let n = 2; keys.has(key); n++) key = `${h} (${n})`;
      keys.add(key);
      extra.push({ header: h, key, index: i });
      return;
    }
    const at = byField.get(field);
    if (at) at.push(i);
    else byField.set(field, [i]);
  });

  const index: Record<string, number> = {};
  const header: Record<string, string> = {};
  for (const [field, at] of byField) {
    if (at.length > 1) {
      issues.push({
        code: "column_duplicate",
        field,
        params: { ...file, headers: at.map((i) => headers[i]).join(LIST) },
      });
      continue;
    }
    index[field] = at[0];
    header[field] = headers[at[0]];
  }

  for (const group of REQUIRED[kind]) {
    if (group.some((f) => byField.has(f))) continue;
    // An activity file says which names it could have used: the lead's columns go by many.
    const names: Record<string, string> = kind === "activity"
      ? { names: group.flatMap((f) => activityHeaderNames(f)).join(LIST) }
      : {};
    issues.push({
      code: "column_missing",
      field: group[0],
      params: {
        ...file,
        fields: group.join(LIST),
        found: headers.filter((h) => h.trim() !== "").join(LIST),
        ...names,
      },
    });
  }

  if (issues.length) return { ok: false, issues };
  return { ok: true, mapping: { kind, headers, index, header, extra, ignored } };
}
