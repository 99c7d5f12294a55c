/**
 * What an import tells a person, by issue `code`, in French (the default) and
 * English. Parsers and validators produce data (`Issue`), never sentences, so the
 * same issue reads right in the error report, the API answer and the logs
 * (as zod keeps its texts in `locales/fr.ts`).
 *
 * Two kinds of issues share the type:
 * - row issues (`row` and `field` set) come from `lead_row.ts` / `activity_row.ts`;
 *   their message leaves the row out, since the error report shows it in its own
 *   column: `« Courriel » : adresse invalide (valeur « x »)`;
 * - file issues (thrown inside an `ImportError`) stop the import; their message
 *   stands alone and names the file, row and column where they are known.
 */

/** Every reason an import can refuse a file, a column or a row. */
export type IssueCode =
  // the file as a whole
  | "file_empty"
  | "file_blank"
  | "file_header_only"
  | "file_binary"
  | "file_xls"
  | "file_utf16"
  | "file_zip_not_xlsx"
  | "file_cr_newlines"
  | "delimiter_unsupported"
  | "encoding_invalid"
  | "csv_unterminated_quote"
  | "csv_field_too_large"
  | "xlsx_corrupt"
  | "xlsx_zip_bomb"
  | "xlsx_too_large"
  | "xlsx_no_sheet"
  | "xlsx_formula_no_value"
  // the columns
  | "column_missing"
  | "column_duplicate"
  | "mapping_unknown_header"
  | "mapping_unknown_field"
  // one row
  | "row_field_count"
  | "required"
  | "lead_identity_missing"
  | "activity_lead_missing"
  | "activity_content_missing"
  | "activity_type_invalid"
  | "too_long"
  | "email_invalid"
  | "phone_invalid"
  | "amount_invalid"
  | "amount_negative"
  | "amount_too_large"
  | "probability_invalid"
  | "probability_range"
  | "date_invalid"
  | "date_out_of_range";

/**
 * One problem found in a file. Row issues always carry `row` (the 1-based row
 * number a spreadsheet shows) and `field` (the target field, e.g. `email`);
 * `params.column` is the file's own header for that field, shown in messages.
 */
export interface Issue {
  code: IssueCode;
  row?: number;
  field?: string;
  params?: Record<string, string | number>;
}

/** An issue about one row and one field, as the row validators produce. */
export interface RowIssue extends Issue {
  row: number;
  field: string;
}

/**
 * Separates the items of a list held in one param (`params.headers`,
 * `params.fields`, `params.found`); messages quote and join them per locale.
 */
export const LIST = "\u001f";

/** The languages messages exist in. */
export type Locale = "fr" | "en";

/** Field labels as a person knows them, used when the file's own header is unknown. */
const FIELD_LABELS: Record<string, { fr: string; en: string }> = {
  title: { fr: "Titre", en: "Title" },
  contactName: { fr: "Nom du contact", en: "Contact name" },
  firstName: { fr: "Prénom", en: "First name" },
  lastName: { fr: "Nom", en: "Last name" },
  email: { fr: "Courriel", en: "Email" },
  phone: { fr: "Téléphone", en: "Phone" },
  mobile: { fr: "Mobile", en: "Mobile" },
  company: { fr: "Société", en: "Company" },
  expectedRevenue: { fr: "Montant", en: "Expected revenue" },
  probability: { fr: "Probabilité", en: "Probability" },
  stage: { fr: "Étape", en: "Stage" },
  source: { fr: "Source", en: "Source" },
  salesperson: { fr: "Commercial", en: "Salesperson" },
  externalId: { fr: "Identifiant externe", en: "External ID" },
  description: { fr: "Description", en: "Description" },
  createdAt: { fr: "Date de création", en: "Created on" },
  city: { fr: "Ville", en: "City" },
  postalCode: { fr: "Code postal", en: "Postal code" },
  country: { fr: "Pays", en: "Country" },
  type: { fr: "Type", en: "Type" },
  summary: { fr: "Résumé", en: "Summary" },
  note: { fr: "Note", en: "Note" },
  dueDate: { fr: "Échéance", en: "Due date" },
  leadEmail: { fr: "Email du lead", en: "Lead email" },
  leadRef: { fr: "Référence lead", en: "Lead reference" },
  assignedTo: { fr: "Assigné à", en: "Assigned to" },
};

/** The label of a target field in `locale` (`email` → `Courriel`); unknown fields as they are. */
export function fieldLabel(field: string, locale: Locale = "fr"): string {
  return FIELD_LABELS[field]?.[locale] ?? field;
}

/** Names of the kinds of files `sniff.ts` refuses (`params.kind`). */
const KINDS: Record<string, { fr: string; en: string }> = {
  pdf: { fr: "document PDF", en: "PDF document" },
  png: { fr: "image PNG", en: "PNG image" },
  jpeg: { fr: "image JPEG", en: "JPEG image" },
  gif: { fr: "image GIF", en: "GIF image" },
  gzip: { fr: "archive gzip", en: "gzip archive" },
  rar: { fr: "archive RAR", en: "RAR archive" },
  "7z": { fr: "archive 7z", en: "7z archive" },
  rtf: { fr: "document RTF", en: "RTF document" },
  html: { fr: "page HTML", en: "HTML page" },
  xml: { fr: "fichier XML", en: "XML file" },
  binary: { fr: "contenu binaire", en: "binary content" },
  ods: { fr: "classeur OpenDocument .ods", en: "OpenDocument spreadsheet .ods" },
  docx: { fr: "document Word .docx", en: "Word document .docx" },
  pptx: { fr: "présentation PowerPoint .pptx", en: "PowerPoint presentation .pptx" },
  archive: { fr: "archive de fichiers", en: "archive of files" },
  empty: { fr: "archive vide", en: "empty archive" },
  other: { fr: "type", en: "type" },
};

function kind(p: Record<string, string | number>, locale: Locale): string {
  const k = KINDS[String(p.kind)]?.[locale] ?? String(p.kind ?? KINDS.binary[locale]);
  return p.detail ? `${k} ${p.detail}` : k;
}

/** What is wrong inside a damaged workbook (`xlsx_corrupt`'s `params.detail`). */
const DETAILS: Record<string, { fr: string; en: string }> = {
  truncated: { fr: "archive zip tronquée", en: "truncated zip archive" },
  zip64: { fr: "enregistrement ZIP64 endommagé", en: "damaged ZIP64 record" },
  checksum: { fr: "données altérées (taille ou CRC-32 faux)", en: "altered data (wrong size or CRC-32)" },
  directory: { fr: "répertoire de l'archive illisible", en: "unreadable zip directory" },
  encrypted: { fr: "partie chiffrée", en: "encrypted part" },
  method: { fr: "méthode de compression inconnue", en: "unknown compression method" },
  local_header: { fr: "en-tête de partie illisible", en: "unreadable part header" },
  deflate: { fr: "données compressées endommagées", en: "damaged compressed data" },
  missing_part: { fr: "partie manquante", en: "missing part" },
  xml: { fr: "XML mal formé", en: "malformed XML" },
  shared_string: {
    fr: "référence à un texte partagé inexistant",
    en: "reference to a missing shared string",
  },
};

function detail(p: Record<string, string | number>, locale: Locale): string {
  const d = DETAILS[String(p.detail)]?.[locale] ?? String(p.detail ?? "");
  return p.entry ? `${d}${locale === "fr" ? " : " : ": "}${p.entry}` : d;
}

const MAX_SHOWN = 60;

/** A value as a message shows it: cut past 60 characters, line breaks shown as spaces. */
function shown(v: unknown): string {
  const s = String(v ?? "").replace(/[\r\n\t]+/g, " ");
  return s.length > MAX_SHOWN ? s.slice(0, MAX_SHOWN - 1) + "…" : s;
}

type Texts = Record<IssueCode, (p: Record<string, string | number>, label: string, i: Issue) => string>;

const q = {
  fr: (s: unknown) => `« ${shown(s)} »`,
  en: (s: unknown) => `"${shown(s)}"`,
};

/**
 * `« a », « b » ou « c »` from a LIST param: `last` joins the last two items
 * (`ou`, `et`, `,`), `labels` turns field names into labels, `none` stands for
 * an empty list.
 */
function list(
  v: string | number | undefined,
  locale: Locale,
  o: { last: string; labels?: boolean; none?: string },
): string {
  const items = String(v ?? "").split(LIST).filter((x) => x !== "");
  if (!items.length) return o.none ?? "";
  const quoted = items.map((x) => q[locale](o.labels ? fieldLabel(x, locale) : x));
  if (quoted.length === 1) return quoted[0];
  const glue = o.last === "," ? ", " : ` ${o.last} `;
  return quoted.slice(0, -1).join(", ") + glue + quoted.at(-1);
}

/** "Ligne 12, colonne 3 (« Description ») : " (or "leads.csv, ligne 12, …") where each part is known. */
function where(i: Issue, p: Record<string, string | number>, locale: Locale): string {
  const parts: string[] = [];
  if (p.file) parts.push(String(p.file));
  if (i.row !== undefined) parts.push(locale === "fr" ? `ligne ${i.row}` : `row ${i.row}`);
  if (p.cell) parts.push(locale === "fr" ? `cellule ${p.cell}` : `cell ${p.cell}`);
  else if (p.columnNumber !== undefined) {
    const header = p.column ? ` (${q[locale](p.column)})` : "";
    parts.push(locale === "fr" ? `colonne ${p.columnNumber}${header}` : `column ${p.columnNumber}${header}`);
  }
  return parts.length ? parts.join(", ") + (locale === "fr" ? " : " : ": ") : "";
}

/** "leads.csv : " or "" (file issues without a row). */
function fileWhere(p: Record<string, string | number>, locale: Locale): string {
  return p.file ? `${p.file}${locale === "fr" ? " : " : ": "}` : "";
}

const fr: Texts = {
  file_empty: (p) => `${fileWhere(p, "fr")}le fichier est vide`,
  file_blank: (p) => `${fileWhere(p, "fr")}le fichier ne contient que des lignes vides`,
  file_header_only: (p) =>
    `${fileWhere(p, "fr")}le fichier ne contient qu'une ligne d'en-tête (${
      list(p.headers, "fr", { last: "," })
    }), aucune ligne de données`,
  file_binary: (p) =>
    `${fileWhere(p, "fr")}ce n'est ni un CSV ni un classeur Excel .xlsx (${
      kind(p, "fr")
    }) ; enregistrez le fichier au format CSV UTF-8 ou .xlsx`,
  file_xls: (p) =>
    `${
      fileWhere(p, "fr")
    }ancien format Excel 97-2003 (.xls) ou classeur protégé par mot de passe : ouvrez-le dans Excel et enregistrez-le au format .xlsx ou CSV UTF-8, sans mot de passe`,
  file_utf16: (p) =>
    `${
      fileWhere(p, "fr")
    }texte encodé en UTF-16 (« Texte Unicode ») : enregistrez le fichier au format « CSV UTF-8 (délimité par des virgules) »`,
  file_zip_not_xlsx: (p) =>
    `${fileWhere(p, "fr")}archive ZIP qui n'est pas un classeur Excel .xlsx (${
      kind(p, "fr")
    }) ; enregistrez le fichier au format .xlsx ou CSV`,
  file_cr_newlines: (p) =>
    `${
      fileWhere(p, "fr")
    }les lignes se terminent par CR seul (ancien format Mac) : enregistrez le fichier au format CSV UTF-8`,
  delimiter_unsupported: (p) =>
    `${fileWhere(p, "fr")}séparateur ${
      q.fr(p.delimiter)
    } non pris en charge : utilisez la virgule, le point-virgule ou la tabulation`,
  encoding_invalid: (p, _l, i) =>
    `${
      where(i, p, "fr")
    }octets invalides en UTF-8 (le fichier mélange plusieurs encodages ?) : enregistrez tout le fichier au format CSV UTF-8`,
  csv_unterminated_quote: (p, _l, i) =>
    `${where(i, p, "fr")}guillemet ouvert jamais fermé : le champ court jusqu'à la fin du fichier`,
  csv_field_too_large: (p, _l, i) =>
    `${where(i, p, "fr")}champ de plus de ${
      formatBytes(Number(p.max), "fr")
    } (souvent un guillemet ouvert jamais fermé)`,
  xlsx_corrupt: (p) => `${fileWhere(p, "fr")}classeur .xlsx illisible ou endommagé (${detail(p, "fr")})`,
  xlsx_zip_bomb: (p) =>
    `${fileWhere(p, "fr")}le classeur se décompresse en plus de ${
      formatBytes(Number(p.limit), "fr")
    } (${p.entry}) : fichier refusé par sécurité`,
  xlsx_too_large: (p) =>
    `${fileWhere(p, "fr")}la feuille fait ${
      formatBytes(Number(p.size), "fr")
    } une fois décompressée, plus que les ${
      formatBytes(Number(p.limit), "fr")
    } qu'un import .xlsx peut relire à chaque étape (environ 100 000 lignes) : enregistrez-la en CSV UTF-8 et importez le CSV, qui n'a pas de limite de taille`,
  xlsx_no_sheet: (p) => `${fileWhere(p, "fr")}le classeur ne contient aucune feuille`,
  xlsx_formula_no_value: (p, _l, i) =>
    `${
      where(i, p, "fr")
    }formule sans valeur calculée (${p.formula}) : ouvrez le classeur dans Excel, puis enregistrez-le pour calculer les formules`,
  column_missing: (p) =>
    `${fileWhere(p, "fr")}colonne obligatoire absente : ${
      list(p.fields, "fr", { last: "ou", labels: true })
    } (colonnes trouvées : ${list(p.found, "fr", { last: ",", none: "aucune" })})`,
  column_duplicate: (p, l) =>
    `${fileWhere(p, "fr")}les colonnes ${
      list(p.headers, "fr", { last: "et" })
    } correspondent toutes au champ ${q.fr(l)} : gardez-en une, ou indiquez la correspondance des colonnes`,
  mapping_unknown_header: (p) =>
    `correspondance des colonnes : la colonne ${q.fr(p.header)} n'existe pas dans le fichier`,
  mapping_unknown_field: (p) =>
    `correspondance des colonnes : champ ${q.fr(p.target)} inconnu (champs possibles : ${p.allowed})`,
  row_field_count: (p) =>
    `${p.actual} valeurs au lieu de ${p.expected}, le nombre de colonnes de l'en-tête (séparateur ou guillemet en trop dans la ligne ?)`,
  required: (_p, l) => `${q.fr(l)} : valeur obligatoire`,
  lead_identity_missing: () => `il faut au moins un titre, un nom de contact, une société ou un courriel`,
  activity_lead_missing: () => `il faut l'email ou la référence du lead auquel rattacher l'activité`,
  activity_content_missing: () => `il faut au moins un type, un résumé ou une note`,
  activity_type_invalid: (p, l) =>
    `${q.fr(l)} : type inconnu ${q.fr(p.value)} (types possibles : ${list(p.allowed, "fr", { last: "ou" })})`,
  too_long: (p, l) => `${q.fr(l)} : ${p.length} caractères, au plus ${p.max} permis`,
  email_invalid: (p, l) => `${q.fr(l)} : adresse invalide (valeur ${q.fr(p.value)})`,
  phone_invalid: (p, l) => `${q.fr(l)} : numéro de téléphone invalide (valeur ${q.fr(p.value)})`,
  amount_invalid: (p, l) => `${q.fr(l)} : montant invalide (valeur ${q.fr(p.value)})`,
  amount_negative: (p, l) => `${q.fr(l)} : montant négatif (valeur ${q.fr(p.value)})`,
  amount_too_large: (p, l) => `${q.fr(l)} : montant trop élevé (valeur ${q.fr(p.value)})`,
  probability_invalid: (p, l) => `${q.fr(l)} : probabilité invalide (valeur ${q.fr(p.value)})`,
  probability_range: (p, l) =>
    `${q.fr(l)} : la probabilité doit être entre 0 et 100 (valeur ${q.fr(p.value)})`,
  date_invalid: (p, l) =>
    `${q.fr(l)} : date invalide (valeur ${q.fr(p.value)}) ; formats acceptés : jj/mm/aaaa, aaaa-mm-jj`,
  date_out_of_range: (p, l) => `${q.fr(l)} : date hors de la période 1900–2100 (valeur ${q.fr(p.value)})`,
};

const en: Texts = {
  file_empty: (p) => `${fileWhere(p, "en")}the file is empty`,
  file_blank: (p) => `${fileWhere(p, "en")}the file holds only blank lines`,
  file_header_only: (p) =>
    `${fileWhere(p, "en")}the file holds only a header row (${
      list(p.headers, "en", { last: "," })
    }), no data rows`,
  file_binary: (p) =>
    `${fileWhere(p, "en")}neither a CSV nor an Excel .xlsx workbook (${
      kind(p, "en")
    }); save the file as CSV UTF-8 or .xlsx`,
  file_xls: (p) =>
    `${
      fileWhere(p, "en")
    }old Excel 97-2003 format (.xls) or password-protected workbook: open it in Excel and save it as .xlsx or CSV UTF-8, without a password`,
  file_utf16: (p) =>
    `${fileWhere(p, "en")}UTF-16 text ("Unicode Text"): save the file as "CSV UTF-8 (Comma delimited)"`,
  file_zip_not_xlsx: (p) =>
    `${fileWhere(p, "en")}a ZIP archive that is not an Excel .xlsx workbook (${
      kind(p, "en")
    }); save the file as .xlsx or CSV`,
  file_cr_newlines: (p) =>
    `${fileWhere(p, "en")}lines end with a lone CR (old Mac format): save the file as CSV UTF-8`,
  delimiter_unsupported: (p) =>
    `${fileWhere(p, "en")}delimiter ${q.en(p.delimiter)} is not supported: use comma, semicolon or tab`,
  encoding_invalid: (p, _l, i) =>
    `${
      where(i, p, "en")
    }bytes that are not valid UTF-8 (does the file mix encodings?): save the whole file as CSV UTF-8`,
  csv_unterminated_quote: (p, _l, i) =>
    `${where(i, p, "en")}a quote opens a field that never closes: the field runs to the end of the file`,
  csv_field_too_large: (p, _l, i) =>
    `${where(i, p, "en")}field longer than ${formatBytes(Number(p.max), "en")} (often an unclosed quote)`,
  xlsx_corrupt: (p) => `${fileWhere(p, "en")}unreadable or damaged .xlsx workbook (${detail(p, "en")})`,
  xlsx_zip_bomb: (p) =>
    `${fileWhere(p, "en")}the workbook expands to more than ${
      formatBytes(Number(p.limit), "en")
    } (${p.entry}): refused for safety`,
  xlsx_too_large: (p) =>
    `${fileWhere(p, "en")}the sheet expands to ${formatBytes(Number(p.size), "en")}, more than the ${
      formatBytes(Number(p.limit), "en")
    } an .xlsx import can read again at each step (about 100,000 rows): save it as CSV UTF-8 and import the CSV, which has no size limit`,
  xlsx_no_sheet: (p) => `${fileWhere(p, "en")}the workbook has no sheet`,
  xlsx_formula_no_value: (p, _l, i) =>
    `${
      where(i, p, "en")
    }formula without a computed value (${p.formula}): open the workbook in Excel and save it to compute formulas`,
  column_missing: (p) =>
    `${fileWhere(p, "en")}required column missing: ${
      list(p.fields, "en", { last: "or", labels: true })
    } (columns found: ${list(p.found, "en", { last: ",", none: "none" })})`,
  column_duplicate: (p, l) =>
    `${fileWhere(p, "en")}columns ${list(p.headers, "en", { last: "and" })} all map to field ${
      q.en(l)
    }: keep one, or give an explicit column mapping`,
  mapping_unknown_header: (p) => `column mapping: the file has no column ${q.en(p.header)}`,
  mapping_unknown_field: (p) => `column mapping: unknown field ${q.en(p.target)} (fields: ${p.allowed})`,
  row_field_count: (p) =>
    `${p.actual} values instead of ${p.expected}, the header's column count (a stray delimiter or quote in the row?)`,
  required: (_p, l) => `${q.en(l)}: a value is required`,
  lead_identity_missing: () => `a lead needs at least a title, a contact name, a company or an email`,
  activity_lead_missing: () => `an activity needs the email or reference of its lead`,
  activity_content_missing: () => `an activity needs at least a type, a summary or a note`,
  activity_type_invalid: (p, l) =>
    `${q.en(l)}: unknown type ${q.en(p.value)} (types: ${list(p.allowed, "en", { last: "or" })})`,
  too_long: (p, l) => `${q.en(l)}: ${p.length} characters, at most ${p.max} allowed`,
  email_invalid: (p, l) => `${q.en(l)}: invalid address (value ${q.en(p.value)})`,
  phone_invalid: (p, l) => `${q.en(l)}: invalid phone number (value ${q.en(p.value)})`,
  amount_invalid: (p, l) => `${q.en(l)}: invalid amount (value ${q.en(p.value)})`,
  amount_negative: (p, l) => `${q.en(l)}: negative amount (value ${q.en(p.value)})`,
  amount_too_large: (p, l) => `${q.en(l)}: amount too large (value ${q.en(p.value)})`,
  probability_invalid: (p, l) => `${q.en(l)}: invalid probability (value ${q.en(p.value)})`,
  probability_range: (p, l) => `${q.en(l)}: probability must be between 0 and 100 (value ${q.en(p.value)})`,
  date_invalid: (p, l) =>
    `${q.en(l)}: invalid date (value ${q.en(p.value)}); accepted formats: dd/mm/yyyy, yyyy-mm-dd`,
  date_out_of_range: (p, l) => `${q.en(l)}: date outside 1900–2100 (value ${q.en(p.value)})`,
};

function formatBytes(n: number, locale: Locale): string {
  if (n >= 1024 * 1024) {
    const v = n / (1024 * 1024);
    const s = Number.isInteger(v) ? String(v) : v.toFixed(1);
    return locale === "fr" ? `${s.replace(".", ",")} Mo` : `${s} MB`;
  }
  if (n >= 1024) return locale === "fr" ? `${Math.round(n / 1024)} Ko` : `${Math.round(n / 1024)} KB`;
  return locale === "fr" ? `${n} octets` : `${n} bytes`;
}

/**
 * The sentence for `issue` in `locale` (French by default).
 *
 * Row issues name the field by the file's own header (`params.column`) when
 * known, else by the field's label; they leave out the row number.
 *
 * @example message({ code: "email_invalid", row: 4, field: "email", params: { value: "x" } })
 * // → "« Courriel » : adresse invalide (valeur « x »)"
 */
export function message(issue: Issue, locale: Locale = "fr"): string {
  const p = issue.params ?? {};
  const label = p.column !== undefined && issue.field !== undefined
    ? String(p.column)
    : fieldLabel(issue.field ?? "", locale);
  const texts = locale === "en" ? en : fr;
  const text = texts[issue.code];
  const s = text ? text(p, label, issue) : issue.code;
  // A sentence starts with a capital, unless it starts with the file's name.
  return p.file ? s : s.charAt(0).toUpperCase() + s.slice(1);
}

/** Every issue code, for tests and for the API's documentation. */
export const ISSUE_CODES = Object.keys(fr) as IssueCode[];
