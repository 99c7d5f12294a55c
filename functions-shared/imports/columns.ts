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
  city: ["Ville", "City", "Commune"],
  postalCode: ["Code postal", "CP", "Zip", "Zip code", "Postal code", "Postcode"],
  country: ["Pays", "Country"],
};

const ACTIVITY_HEADERS: Record<ActivityField, string[]> = {
  type: ["Type", "Type d'activité", "Activity type", "Nature"],
  summary: ["Résumé", "Summary", "Objet", "Sujet", "Subject", "Titre", "Title", "Intitulé"],
  note: ["Note", "Notes", "Description", "Commentaire", "Commentaires", "Comment", "Détails", "Details"],
  dueDate: ["Échéance", "Due date", "Date d'échéance", "Date", "Deadline", "Date limite", "Due"],
  leadEmail: [
    "Email du lead",
    "Lead email",
    "Courriel du lead",
    "E-mail du lead",
    "Email",
    "E-mail",
    "Courriel",
    "Mail",
  ],
  leadRef: [
    "Lead",
    "Référence lead",
    "Référence du lead",
    "Lead reference",
    "Lead ref",
    "Réf lead",
    "Lead ID",
    "ID lead",
    "Identifiant externe du lead",
    "Identifiant externe",
    "External ID",
    "Réf",
    "Ref",
    "Référence",
    "Opportunité",
    "Opportunity",
  ],
  assignedTo: [
    "Assigné à",
    "Assigned to",
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
  activity: [["leadEmail", "leadRef"], ["type", "summary", "note"]],
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
  /** Headers no field takes (non-empty ones), kept in the import's summary. */
  ignored: readonly string[];
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
  headers.forEach((h, i) => {
    let field: string | null | undefined;
    if (chosen.has(i)) field = chosen.get(i);
    else {
      field = SYNONYMS[kind].get(headerKey(h));
      if (field && explicitFields.has(field)) field = undefined; // the user gave this field another column
    }
    if (!field) {
      if (h.trim() !== "") ignored.push(h);
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
    issues.push({
      code: "column_missing",
      field: group[0],
      params: { ...file, fields: group.join(LIST), found: headers.filter((h) => h.trim() !== "").join(LIST) },
    });
  }

  if (issues.length) return { ok: false, issues };
  return { ok: true, mapping: { kind, headers, index, header, ignored } };
}
