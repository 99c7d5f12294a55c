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
  | "xlsx_no_sheet"
  | "xlsx_formula_no_value"
  // the columns
  | "column_missing"
  | "column_duplicate"
  | "header_nul"
  | "mapping_unknown_header"
  | "mapping_unknown_field"
  | "activity_lead_column_unmapped"
  // one row
  | "row_field_count"
  | "required"
  | "lead_identity_missing"
  | "activity_lead_missing"
  | "activity_content_missing"
  | "activity_lead_not_found"
  | "activity_lead_ambiguous"
  | "too_long"
  | "email_invalid"
  | "phone_invalid"
  | "amount_invalid"
  | "amount_too_large"
  | "probability_invalid"
  | "probability_range"
  | "date_invalid"
  | "date_out_of_range"
  | "siret_unusual"
  // a row the commit does not write as a lead of its own
  | "duplicate_of_row"
  | "duplicate_of_lead";

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
  /**
   * `warning`: the row is imported all the same, the value kept as written
   * (`params.kept`: `field`, in its own column; `extra`, in the lead's
   * `extra_fields` under the file's header). Absent: the row is refused.
   */
  level?: "warning";
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
  siret: { fr: "SIRET", en: "SIRET" },
  tags: { fr: "Étiquettes", en: "Tags" },
  type: { fr: "Type", en: "Type" },
  summary: { fr: "Résumé", en: "Summary" },
  note: { fr: "Note", en: "Note" },
  dueDate: { fr: "Échéance", en: "Due date" },
  leadEmail: { fr: "Courriel lead", en: "Lead email" },
  leadRef: { fr: "Référence lead", en: "Lead reference" },
  leadPhone: { fr: "Téléphone lead", en: "Lead phone" },
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

/** The key a duplicate matched on (`params.on`). */
const KEYS: Record<string, { fr: string; en: string }> = {
  email: { fr: "même courriel", en: "same email" },
  phone: { fr: "même téléphone, sans courriel", en: "same phone, no email" },
  external_id: { fr: "même identifiant externe", en: "same external ID" },
};

/** What the commit did with a duplicate (`params.outcome`, the job's strategy). */
const OUTCOMES: Record<string, { fr: string; en: string }> = {
  skip: { fr: "ignorée", en: "skipped" },
  update: { fr: "le lead est mis à jour avec ses valeurs", en: "the lead is updated with its values" },
  update_first: {
    fr: "ignorée, le lead étant mis à jour par la ligne plus haut",
    en: "skipped, the lead being updated by the row above",
  },
  create: { fr: "enregistrée comme un nouveau lead", en: "written as a new lead" },
};

/** What a warning adds: where the value went (`params.kept`). */
const KEPT: Record<string, { fr: string; en: string }> = {
  field: { fr: " ; gardée telle quelle", en: "; kept as written" },
  extra: {
    fr: " ; gardée telle quelle dans les champs supplémentaires",
    en: "; kept as written in the extra fields",
  },
};

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
  xlsx_no_sheet: (p) => `${fileWhere(p, "fr")}le classeur ne contient aucune feuille`,
  xlsx_formula_no_value: (p, _l, i) =>
    `${
      where(i, p, "fr")
    }formule sans valeur calculée (${p.formula}) : ouvrez le classeur dans Excel, puis enregistrez-le pour calculer les formules`,
  column_missing: (p) =>
    `${fileWhere(p, "fr")}colonne obligatoire absente : ${
      list(p.fields, "fr", { last: "ou", labels: true })
    } (colonnes trouvées : ${list(p.found, "fr", { last: ",", none: "aucune" })})${
      p.names
        ? ` ; noms reconnus : ${
          list(p.names, "fr", { last: "," })
        }…, ou indiquez la correspondance des colonnes`
        : ""
    }`,
  column_duplicate: (p, l) =>
    `${fileWhere(p, "fr")}les colonnes ${
      list(p.headers, "fr", { last: "et" })
    } correspondent toutes au champ ${q.fr(l)} : gardez-en une, ou indiquez la correspondance des colonnes`,
  header_nul: (p) =>
    `${fileWhere(p, "fr")}l'en-tête de la colonne ${p.columnNumber} (${
      q.fr(p.column)
    }) contient un caractère nul (U+0000) : corrigez l'en-tête ou enregistrez le fichier au format CSV UTF-8`,
  mapping_unknown_header: (p) =>
    `correspondance des colonnes : la colonne ${q.fr(p.header)} n'existe pas dans le fichier`,
  mapping_unknown_field: (p) =>
    `correspondance des colonnes : champ ${q.fr(p.target)} inconnu (champs possibles : ${p.allowed})`,
  activity_lead_column_unmapped: (p, _l, i) =>
    `${
      where(i, p, "fr")
    }la ligne n'a ni référence, ni e-mail, ni téléphone du lead dans une colonne reconnue, mais la colonne ${
      q.fr(p.header)
    }, que l'import ne reconnaît pas, semble contenir ${
      p.field === "leadEmail" ? "l'e-mail du lead" : "le lead"
    } : nommez-la ${list(p.names, "fr", { last: "ou" })}, ou indiquez la correspondance des colonnes (${
      q.fr(p.header)
    } → ${q.fr(fieldLabel(String(p.field), "fr"))}, ou à ignorer)`,
  row_field_count: (p) =>
    `${p.actual} valeurs au lieu de ${p.expected}, le nombre de colonnes de l'en-tête (séparateur ou guillemet en trop dans la ligne ?)`,
  required: (_p, l) => `${q.fr(l)} : valeur obligatoire`,
  lead_identity_missing: () => `il faut au moins un titre, un nom de contact, une société ou un courriel`,
  activity_lead_missing: () => `il faut l'email ou la référence du lead auquel rattacher l'activité`,
  activity_content_missing: () => `il faut au moins un type, un résumé ou une note`,
  activity_lead_not_found: (p) => `lead introuvable : aucun lead de la société n'a ${leadKeys(p, "fr")}`,
  activity_lead_ambiguous: (p) =>
    `lead ambigu : ${p.count} leads de la société ont ${leadKey(String(p.key), p.value, "fr")} (leads n° ${
      leadIds(p)
    }) ; l'activité n'est rattachée à aucun : donnez-lui une référence qui n'en désigne qu'un`,
  too_long: (p, l) => `${q.fr(l)} : ${p.length} caractères, au plus ${p.max} permis`,
  email_invalid: (p, l) => `${q.fr(l)} : adresse invalide (valeur ${q.fr(p.value)})`,
  phone_invalid: (p, l) => `${q.fr(l)} : numéro de téléphone invalide (valeur ${q.fr(p.value)})`,
  amount_invalid: (p, l) => `${q.fr(l)} : montant invalide (valeur ${q.fr(p.value)})`,
  amount_too_large: (p, l) => `${q.fr(l)} : montant trop élevé (valeur ${q.fr(p.value)})`,
  probability_invalid: (p, l) => `${q.fr(l)} : probabilité invalide (valeur ${q.fr(p.value)})`,
  probability_range: (p, l) =>
    `${q.fr(l)} : la probabilité doit être entre 0 et 100 (valeur ${q.fr(p.value)})`,
  date_invalid: (p, l) =>
    `${q.fr(l)} : date invalide (valeur ${q.fr(p.value)}) ; formats acceptés : jj/mm/aaaa, aaaa-mm-jj`,
  date_out_of_range: (p, l) => `${q.fr(l)} : date hors de la période 1900–2100 (valeur ${q.fr(p.value)})`,
  siret_unusual: (p, l) => `${q.fr(l)} : ni 14 chiffres (SIRET) ni 9 (SIREN) (valeur ${q.fr(p.value)})`,
  duplicate_of_row: (p) =>
    `doublon de la ligne ${p.of} (${KEYS[String(p.on)]?.fr ?? p.on} ${q.fr(p.value)}) : ${
      OUTCOMES[String(p.outcome)]?.fr ?? p.outcome
    }`,
  duplicate_of_lead: (p) =>
    `doublon du lead existant n° ${p.lead} (${KEYS[String(p.on)]?.fr ?? p.on} ${q.fr(p.value)})${
      p.of ? `, comme la ligne ${p.of}` : ""
    } : ${OUTCOMES[String(p.outcome)]?.fr ?? p.outcome}`,
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
  xlsx_no_sheet: (p) => `${fileWhere(p, "en")}the workbook has no sheet`,
  xlsx_formula_no_value: (p, _l, i) =>
    `${
      where(i, p, "en")
    }formula without a computed value (${p.formula}): open the workbook in Excel and save it to compute formulas`,
  column_missing: (p) =>
    `${fileWhere(p, "en")}required column missing: ${
      list(p.fields, "en", { last: "or", labels: true })
    } (columns found: ${list(p.found, "en", { last: ",", none: "none" })})${
      p.names
        ? `; recognised names: ${list(p.names, "en", { last: "," })}…, or give an explicit column mapping`
        : ""
    }`,
  column_duplicate: (p, l) =>
    `${fileWhere(p, "en")}columns ${list(p.headers, "en", { last: "and" })} all map to field ${
      q.en(l)
    }: keep one, or give an explicit column mapping`,
  header_nul: (p) =>
    `${fileWhere(p, "en")}the header of column ${p.columnNumber} (${
      q.en(p.column)
    }) holds a NUL character (U+0000): fix the header or save the file as CSV UTF-8`,
  mapping_unknown_header: (p) => `column mapping: the file has no column ${q.en(p.header)}`,
  mapping_unknown_field: (p) => `column mapping: unknown field ${q.en(p.target)} (fields: ${p.allowed})`,
  activity_lead_column_unmapped: (p, _l, i) =>
    `${where(i, p, "en")}the row has no lead reference, email or phone in a recognised column, but column ${
      q.en(p.header)
    }, which the import does not recognise, seems to hold ${
      p.field === "leadEmail" ? "the lead's email" : "the lead"
    }: name it ${list(p.names, "en", { last: "or" })}, or give an explicit column mapping (${
      q.en(p.header)
    } → ${q.en(fieldLabel(String(p.field), "en"))}, or ignored)`,
  row_field_count: (p) =>
    `${p.actual} values instead of ${p.expected}, the header's column count (a stray delimiter or quote in the row?)`,
  required: (_p, l) => `${q.en(l)}: a value is required`,
  lead_identity_missing: () => `a lead needs at least a title, a contact name, a company or an email`,
  activity_lead_missing: () => `an activity needs the email or reference of its lead`,
  activity_content_missing: () => `an activity needs at least a type, a summary or a note`,
  activity_lead_not_found: (p) => `lead not found: no lead of the company has ${leadKeys(p, "en")}`,
  activity_lead_ambiguous: (p) =>
    `ambiguous lead: ${p.count} leads of the company have ${leadKey(String(p.key), p.value, "en")} (leads ${
      leadIds(p)
    }); the activity is linked to none: give it a reference that names only one`,
  too_long: (p, l) => `${q.en(l)}: ${p.length} characters, at most ${p.max} allowed`,
  email_invalid: (p, l) => `${q.en(l)}: invalid address (value ${q.en(p.value)})`,
  phone_invalid: (p, l) => `${q.en(l)}: invalid phone number (value ${q.en(p.value)})`,
  amount_invalid: (p, l) => `${q.en(l)}: invalid amount (value ${q.en(p.value)})`,
  amount_too_large: (p, l) => `${q.en(l)}: amount too large (value ${q.en(p.value)})`,
  probability_invalid: (p, l) => `${q.en(l)}: invalid probability (value ${q.en(p.value)})`,
  probability_range: (p, l) => `${q.en(l)}: probability must be between 0 and 100 (value ${q.en(p.value)})`,
  date_invalid: (p, l) =>
    `${q.en(l)}: invalid date (value ${q.en(p.value)}); accepted formats: dd/mm/yyyy, yyyy-mm-dd`,
  date_out_of_range: (p, l) => `${q.en(l)}: date outside 1900–2100 (value ${q.en(p.value)})`,
  siret_unusual: (p, l) => `${q.en(l)}: neither 14 digits (SIRET) nor 9 (SIREN) (value ${q.en(p.value)})`,
  duplicate_of_row: (p) =>
    `duplicate of row ${p.of} (${KEYS[String(p.on)]?.en ?? p.on} ${q.en(p.value)}): ${
      OUTCOMES[String(p.outcome)]?.en ?? p.outcome
    }`,
  duplicate_of_lead: (p) =>
    `duplicate of existing lead #${p.lead} (${KEYS[String(p.on)]?.en ?? p.on} ${q.en(p.value)})${
      p.of ? `, as row ${p.of} is` : ""
    }: ${OUTCOMES[String(p.outcome)]?.en ?? p.outcome}`,
};

/** `la référence « R »` / `reference "R"`: one key an activity names its lead by. */
function leadKey(key: string, value: unknown, locale: Locale): string {
  const words: Record<string, { fr: string; en: string }> = {
    ref: { fr: "la référence", en: "reference" },
    email: { fr: "l'e-mail", en: "email" },
    phone: { fr: "le téléphone", en: "phone" },
  };
  return `${words[key]?.[locale] ?? key} ${q[locale](value)}`;
}

/** Every key an activity gave for its lead (`params.ref`, `.email`, `.phone`), joined with `ni` / `or`. */
function leadKeys(p: Record<string, string | number>, locale: Locale): string {
  const keys = (["ref", "email", "phone"] as const).filter((k) => p[k] !== undefined && p[k] !== "")
    .map((k) => leadKey(k, p[k], locale));
  if (keys.length <= 1) return keys[0] ?? "";
  return keys.slice(0, -1).join(", ") + (locale === "fr" ? " ni " : " or ") + keys.at(-1);
}

/** The lead ids of an ambiguous match (`params.leads`, the first few), `…` when there are more. */
function leadIds(p: Record<string, string | number>): string {
  const ids = String(p.leads ?? "").split(LIST).filter((x) => x !== "");
  return ids.join(", ") + (Number(p.count) > ids.length ? ", …" : "");
}

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
  let s = text ? text(p, label, issue) : issue.code;
  if (issue.level === "warning" && p.kept !== undefined) s += KEPT[String(p.kept)]?.[locale] ?? "";
  // A sentence starts with a capital, unless it starts with the file's name.
  return p.file ? s : s.charAt(0).toUpperCase() + s.slice(1);
}

/** Every issue code, for tests and for the API's documentation. */
export const ISSUE_CODES = Object.keys(fr) as IssueCode[];

/**
 * What the import functions answer over HTTP (400, 403, 404, 409 bodies), by
 * `ApiText`, in French (the default) and English, as row messages are: the
 * job's `locale`, else the request's `options.locale`, else `Accept-Language`.
 */
export type ApiText =
  | "body_invalid"
  | "body_too_large"
  | "body_field"
  | "service_only"
  | "action_unknown"
  | "multipart_file_missing"
  | "multipart_field_after_file"
  | "multipart_file_first"
  | "owner_required"
  | "owner_user"
  | "file_required"
  | "path_outside"
  | "path_folder"
  | "path_missing"
  | "company_missing"
  | "not_member"
  | "leads_need_admin"
  | "assignee_not_member"
  | "duplicate_file"
  | "duplicate_file_other"
  | "job_not_found"
  | "job_not_active"
  | "job_not_retryable"
  | "job_not_ready"
  | "job_undone"
  | "job_undone_retry"
  | "job_undo_ready"
  | "job_undo_running"
  | "job_has_leads"
  | "job_running";

const STATUS_NAMES: Record<string, { fr: string; en: string }> = {
  queued: { fr: "en attente", en: "queued" },
  parsing: { fr: "en cours de lecture", en: "being read" },
  ready: { fr: "prêt à enregistrer", en: "ready to commit" },
  committing: { fr: "en cours d'enregistrement", en: "being committed" },
  completed: { fr: "terminé", en: "completed" },
  failed: { fr: "en échec", en: "failed" },
  cancelled: { fr: "annulé", en: "cancelled" },
};
const st = (s: unknown, l: Locale) => STATUS_NAMES[String(s)]?.[l] ?? String(s);
const day = (d: unknown, l: Locale) => {
  const t = new Date(String(d));
  return isNaN(t.getTime()) ? String(d) : t.toLocaleString(l === "fr" ? "fr-FR" : "en-GB", {
    dateStyle: "long",
    timeStyle: "short",
    timeZone: "UTC",
  }) + " UTC";
};

type ApiTexts = Record<ApiText, (p: Record<string, string | number>) => string>;

const apiFr: ApiTexts = {
  body_invalid: () => "Le corps de la requête doit être un objet JSON ou un formulaire multipart/form-data",
  body_too_large: (p) =>
    `Corps de requête de plus de ${
      formatBytes(Number(p.max), "fr")
    } (MAX_BODY_BYTES, MAX_UPLOAD_BYTES pour un envoi multipart)`,
  body_field: (p) => `${p.detail}`,
  service_only: () => "Un appel sans action est une suite de travail : réservé à la clé de service",
  action_unknown: (p) =>
    `Action inconnue ${
      q.fr(p.action)
    } (actions possibles : start, status, cancel, retry, commit, undo, delete)`,
  multipart_file_missing: () => `Le champ multipart « file » (le fichier à importer) est absent`,
  multipart_field_after_file: (p) =>
    `Le champ multipart ${
      q.fr(p.field)
    } vient après le fichier : envoyez les champs (companyId, options…) avant « file »`,
  multipart_file_first: () =>
    `Le fichier (champ multipart « file ») arrive avant « companyId » : envoyez les champs (companyId, options…) avant le fichier`,
  owner_user: () => "ownerId est réservé à la clé de service : un utilisateur importe en son propre nom",
  owner_required: () =>
    "Un démarrage par la clé de service doit nommer le propriétaire de l'import (ownerId)",
  file_required: () => `Envoyez le fichier dans le champ multipart « file » ou donnez file.path`,
  path_outside: (p) =>
    `file.path doit être dans votre dossier de dépôt ${q.fr(p.folder)} (valeur ${q.fr(p.path)})`,
  path_folder: (p) => `file.path ${q.fr(p.path)} est un dossier, pas un fichier`,
  path_missing: (p) => `Aucun fichier ${q.fr(p.path)} dans le stockage`,
  company_missing: (p) => `La société ${p.company} n'existe pas`,
  not_member: (p) => `Vous n'êtes pas membre de la société ${p.company}`,
  leads_need_admin: (p) => `Importer des leads demande d'être administrateur de la société ${p.company}`,
  assignee_not_member: (p) =>
    `options.assignment : l'utilisateur ${p.user} n'est pas membre de la société ${p.company}`,
  duplicate_file: (p) =>
    `Ce fichier a déjà été importé par l'import ${p.jobId} (${st(p.status, "fr")}, le ${
      day(p.at, "fr")
    }) : envoyez options.force = true pour l'importer à nouveau`,
  duplicate_file_other: (p) =>
    `Ce fichier a déjà été importé dans cette société par un autre utilisateur le ${
      day(p.at, "fr")
    } : envoyez options.force = true pour l'importer à nouveau`,
  job_not_found: (p) => `Aucun import ${q.fr(p.jobId)}`,
  job_not_active: (p) => `L'import ${p.jobId} est ${st(p.status, "fr")} : rien à arrêter`,
  job_not_retryable: (p) =>
    `L'import ${p.jobId} est ${st(p.status, "fr")} : seul un import en échec ou annulé se relance`,
  job_not_ready: (p) => `L'import ${p.jobId} est ${st(p.status, "fr")}, pas prêt à enregistrer`,
  job_undone: (p) => `L'import ${p.jobId} a déjà été annulé`,
  job_undone_retry: (p) => `L'import ${p.jobId} a été défait : relancez un nouvel import plutôt`,
  job_undo_ready: (p) =>
    `L'import ${p.jobId} est prêt : rien n'est encore enregistré (supprimez-le, ou enregistrez-le)`,
  job_undo_running: (p) =>
    `L'import ${p.jobId} est ${st(p.status, "fr")} : arrêtez-le (cancel) avant de le défaire`,
  job_has_leads: (p) =>
    `L'import ${p.jobId} a encore ${p.rows} ligne(s) enregistrée(s) : défaites-le d'abord ({"action": "undo"}), ` +
    `ou supprimez-le avec {"undo": true} pour le défaire puis le supprimer`,
  job_running: (p) => `L'import ${p.jobId} est ${st(p.status, "fr")} : arrêtez-le d'abord (cancel)`,
};

const apiEn: ApiTexts = {
  body_invalid: () => "The body must be a JSON object or multipart/form-data",
  body_too_large: (p) =>
    `Request body larger than ${formatBytes(Number(p.max), "en")}: send the file as multipart`,
  body_field: (p) => `${p.detail}`,
  service_only: () => "A call without an action continues the work: for the service role only",
  action_unknown: (p) =>
    `Unknown action ${q.en(p.action)} (actions: start, status, cancel, retry, commit, undo, delete)`,
  multipart_file_missing: () => `Multipart field "file" (the file to import) is missing`,
  multipart_field_after_file: (p) =>
    `Multipart field ${
      q.en(p.field)
    } comes after the file: send the fields (companyId, options…) before "file"`,
  multipart_file_first: () =>
    `The file (multipart field "file") comes before "companyId": send the fields (companyId, options…) before the file`,
  owner_user: () => "ownerId is for the service role: a user imports in their own name",
  owner_required: () => "A service-role start names the job's ownerId",
  file_required: () => `Send the file as multipart field "file" or give file.path`,
  path_outside: (p) => `file.path must be under your upload folder ${q.en(p.folder)} (value ${q.en(p.path)})`,
  path_folder: (p) => `file.path ${q.en(p.path)} is a folder, not a file`,
  path_missing: (p) => `No file ${q.en(p.path)} in Storage`,
  company_missing: (p) => `Company ${p.company} does not exist`,
  not_member: (p) => `You are not a member of company ${p.company}`,
  leads_need_admin: (p) => `Importing leads needs the admin role in company ${p.company}`,
  assignee_not_member: (p) => `options.assignment: user ${p.user} is not a member of company ${p.company}`,
  duplicate_file: (p) =>
    `This file was already imported by job ${p.jobId} (${st(p.status, "en")}, ${
      day(p.at, "en")
    }): send options.force = true to import it again`,
  duplicate_file_other: (p) =>
    `This file was already imported into this company by another user on ${
      day(p.at, "en")
    }: send options.force = true to import it again`,
  job_not_found: (p) => `No import job ${q.en(p.jobId)}`,
  job_not_active: (p) => `Job ${p.jobId} is ${st(p.status, "en")}: nothing to cancel`,
  job_not_retryable: (p) =>
    `Job ${p.jobId} is ${st(p.status, "en")}: only failed or cancelled jobs are retried`,
  job_not_ready: (p) => `Job ${p.jobId} is ${st(p.status, "en")}, not ready`,
  job_undone: (p) => `Job ${p.jobId} was already undone`,
  job_undone_retry: (p) => `Job ${p.jobId} was undone: start the import again instead`,
  job_undo_ready: (p) => `Job ${p.jobId} is ready: nothing is committed yet (delete it, or commit it)`,
  job_undo_running: (p) => `Job ${p.jobId} is ${st(p.status, "en")}: cancel it before undoing it`,
  job_has_leads: (p) =>
    `Job ${p.jobId} still has ${p.rows} committed row(s): undo it first ({"action": "undo"}), ` +
    `or delete it with {"undo": true} to undo it, then delete it`,
  job_running: (p) => `Job ${p.jobId} is ${st(p.status, "en")}: cancel it first`,
};

/** The HTTP answer's sentence for `text` in `locale` (French by default). */
export function apiMessage(
  text: ApiText,
  params: Record<string, string | number> = {},
  locale: Locale = "fr",
): string {
  return (locale === "en" ? apiEn : apiFr)[text](params);
}

/** Every HTTP message, for tests. */
export const API_TEXTS = Object.keys(apiFr) as ApiText[];

/** The caller's language from `Accept-Language` (the first of `fr`/`en` by preference), else French. */
export function acceptLocale(header: string | null | undefined): Locale {
  const langs = (header ?? "").split(",").map((part, i) => {
    const [tag, ...ps] = part.trim().toLowerCase().split(";");
    const qv = ps.map((x) => x.trim()).find((x) => x.startsWith("q="));
    return { tag, q: qv ? Number(qv.slice(2)) || 0 : 1, i };
  }).filter((l) => l.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  for (const l of langs) {
    if (l.tag === "fr" || l.tag.startsWith("fr-")) return "fr";
    if (l.tag === "en" || l.tag.startsWith("en-")) return "en";
  }
  return "fr";
}
