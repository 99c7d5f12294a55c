/**
 * Validation of one activity row. An activity belongs to a lead, named by the
 * lead's reference (external id, or Odoo id), e-mail or phone, and says
 * something: a type, a summary or a note.
 *
 * Any type is kept as the file writes it (`typeLabel`); Odoo's default types
 * (addons/mail/data/mail_activity_type_data.xml: Email, Call, Meeting, To-Do,
 * Upload Document, Exception; Request Signature from Odoo's sign app), in
 * English and French (addons/mail/i18n/fr.po: Appeler, Réunion, À faire,
 * Téléverser un document…), and the common words for them (`RDV`, `Tâche`…)
 * give its kind (`type`). A type no list knows (« Relance devis ») has no kind
 * and is not refused for that. A blank type with a summary or note is a to-do,
 * Odoo's default activity type.
 */
import type { ActivityField, ColumnMapping, ExplicitMapping } from "./columns.ts";
import { activityHeaderNames, headerKey } from "./columns.ts";
import { ImportError } from "./import_error.ts";
import { LIST, type RowIssue } from "./messages.ts";
import { cleanText, type Fail, normalizePhone, parseDate, parseEmail } from "./field_values.ts";
import { at, fieldCountIssue, RowIssues } from "./row_check.ts";

/** The known kinds of activity: Odoo's default activity types. */
export type ActivityKind =
  | "email"
  | "call"
  | "meeting"
  | "todo"
  | "upload_document"
  | "request_signature"
  | "exception";

/**
 * Words of each kind, compared after `headerKey()`. Odoo 17's names first
 * (as a real Odoo 17 answers: scripts/fixtures/odoo/53-activity-type-search-read.json,
 * with Exception inactive there), then their French names in Odoo's
 * addons/mail/i18n/fr.po, which changed across versions (17.0: « Appeler »,
 * « Charger un document »; 16.0: « Télécharger un document »; the issue's
 * export: « Téléverser un document »), then how people write them.
 */
const KIND_WORDS: Record<ActivityKind, string[]> = {
  email: ["Email", "E-mail", "Mail", "Courriel", "Envoyer un e-mail", "Send email"],
  call: ["Call", "Appeler", "Appel", "Appel téléphonique", "Phone call", "Phonecall", "Téléphone", "Tél"],
  meeting: ["Meeting", "Réunion", "Rendez-vous", "RDV", "Rencontre", "Visite", "Visio", "Visioconférence"],
  todo: ["To-Do", "To do", "Todo", "À faire", "Tâche", "Task", "Relance", "Follow-up"],
  upload_document: [
    "Upload Document",
    "Téléverser un document",
    "Télécharger un document",
    "Charger un document",
    "Upload file",
    "Document",
  ],
  request_signature: [
    "Request Signature",
    "Demande de signature",
    "Demander une signature",
    "Signature request",
    "Signature",
  ],
  exception: ["Exception"],
};
const KINDS = new Map<string, ActivityKind>();
for (const [kind, words] of Object.entries(KIND_WORDS) as [ActivityKind, string[]][]) {
  for (const w of words) KINDS.set(headerKey(w), kind);
}

/** The known kind of a type as a file writes it, or null for a type of its own (« Relance devis »). */
export function activityKind(type: string): ActivityKind | null {
  return KINDS.get(headerKey(type)) ?? null;
}

/** An activity as the file describes it, clean and typed. */
export interface ActivityInput {
  /** The known kind of the type, or null for a type no list knows; `todo` when the file gives none. */
  type: ActivityKind | null;
  /** The type as the file writes it (trimmed), or null when it gives none. */
  typeLabel: string | null;
  summary: string | null;
  note: string | null;
  /** `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[zone]`. */
  dueDate: string | null;
  /** The lead's email (lower-cased), where the file gives one. */
  leadEmail: string | null;
  /** The lead's reference (external id, `odoo_crm_<id>` or Odoo id), where the file gives one. */
  leadRef: string | null;
  /** The lead's phone in E.164, where the file gives one. At least one of the three lead keys is set. */
  leadPhone: string | null;
  /** As the file writes it (email or name); the commit resolves it to a user. */
  assignedTo: string | null;
}

/** An activity row's cells, by field. */
export type ActivityRecord = Partial<Record<ActivityField, string>>;

/** The clean activity, or every issue the row has. */
export type ActivityRowResult = { ok: true; value: ActivityInput } | { ok: false; issues: RowIssue[] };

/** Longest text accepted per field, in characters. */
export const ACTIVITY_MAX_LENGTH = {
  type: 50,
  summary: 255,
  note: 20_000,
  dueDate: 40,
  leadEmail: 254,
  leadRef: 100,
  leadPhone: 40,
  assignedTo: 255,
} as const;

/**
 * Validates one activity row given by field; `headers` names fields in messages.
 * A `leadRef` that is an email address (a `Lead` column holding emails) is
 * taken as the lead's email when the row has no other.
 */
export function validateActivity(
  record: ActivityRecord,
  row: number,
  headers: Readonly<Partial<Record<ActivityField, string>>> = {},
): ActivityRowResult {
  const r = new RowIssues(row, headers);
  const text = (field: ActivityField): string | null => {
    const raw = record[field];
    if (raw === undefined) return null;
    const v = cleanText(raw, ACTIVITY_MAX_LENGTH[field]);
    if (v !== null && typeof v === "object") {
      r.fail(field, v, raw, ACTIVITY_MAX_LENGTH[field]);
      return null;
    }
    return v;
  };

  const typeLabel = text("type");
  const summary = text("summary");
  const note = text("note");

  let dueDate: string | null = null;
  const rawDue = text("dueDate");
  if (rawDue !== null) {
    const v = parseDate(rawDue);
    if (typeof v === "object") r.fail("dueDate", v as Fail, rawDue);
    else dueDate = v;
  }

  let leadEmail: string | null = null;
  const rawEmail = text("leadEmail");
  if (rawEmail !== null) {
    const v = parseEmail(rawEmail);
    if (typeof v === "object") r.add("leadEmail", v.code, rawEmail);
    else leadEmail = v;
  }
  let leadRef = text("leadRef");
  if (leadEmail === null && rawEmail === null && leadRef !== null && leadRef.includes("@")) {
    const v = parseEmail(leadRef);
    if (typeof v === "string") {
      leadEmail = v;
      leadRef = null;
    }
  }
  let leadPhone: string | null = null;
  const rawPhone = text("leadPhone");
  if (rawPhone !== null) {
    const v = normalizePhone(rawPhone);
    if (typeof v === "object") r.add("leadPhone", v.code, rawPhone);
    else leadPhone = v;
  }
  const assignedTo = text("assignedTo");

  if (leadEmail === null && leadRef === null && rawEmail === null && rawPhone === null) {
    r.add("leadRef", "activity_lead_missing");
  }
  if (typeLabel === null && summary === null && note === null) r.add("summary", "activity_content_missing");
  if (r.issues) return { ok: false, issues: r.issues };
  const type = typeLabel === null ? "todo" : activityKind(typeLabel);
  return {
    ok: true,
    value: { type, typeLabel, summary, note, dueDate, leadEmail, leadRef, leadPhone, assignedTo },
  };
}

/** A function that picks an activity's cells from a row of the file (see `leadPicker`). */
function activityPicker(
  index: Readonly<Partial<Record<ActivityField, number>>>,
): (v: readonly string[]) => ActivityRecord {
  const i = (f: ActivityField) => index[f] ?? -1;
  const type = i("type"), summary = i("summary"), note = i("note"), dueDate = i("dueDate");
  const leadEmail = i("leadEmail"), leadRef = i("leadRef"), leadPhone = i("leadPhone");
  const assignedTo = i("assignedTo");
  return (v) => ({
    type: at(v, type),
    summary: at(v, summary),
    note: at(v, note),
    dueDate: at(v, dueDate),
    leadEmail: at(v, leadEmail),
    leadRef: at(v, leadRef),
    leadPhone: at(v, leadPhone),
    assignedTo: at(v, assignedTo),
  });
}

/**
 * A validator for rows of a mapped activity file, compiled once per file
 * (see `leadRowValidator`).
 *
 * A row naming no lead in the columns the file maps, while the file has no
 * column for the lead's e-mail and a column no field takes holds an e-mail
 * address in that row, is the file's fault, not the row's: the lead's e-mail is under a
 * header the import does not know (`Mail de la piste`). That stops the import
 * (an `ImportError`, `activity_lead_column_unmapped`, naming the header and
 * what it may be called) rather than refusing row after row for a lead they
 * do give. Columns the user's mapping (`explicit`) says to ignore are left
 * alone; `fileName` is named in the message.
 */
export function activityRowValidator(
  mapping: ColumnMapping<ActivityField>,
  explicit: ExplicitMapping = {},
  fileName?: string,
): (values: readonly string[], row: number) => ActivityRowResult {
  const toRecord = activityPicker(mapping.index);
  const dropped = new Set(
    Object.entries(explicit).filter(([, f]) => f === null || f === "").map(([h]) => headerKey(h)),
  );
  const taken = new Set(Object.values(mapping.index) as number[]);
  const unused = mapping.index.leadEmail !== undefined
    ? []
    : mapping.headers.flatMap((h, i) =>
      !taken.has(i) && h.trim() !== "" && !dropped.has(headerKey(h)) ? [i] : []
    );
  return (values, row) => {
    const count = fieldCountIssue(mapping, values, row);
    if (count) return { ok: false, issues: [count] };
    const r = validateActivity(toRecord(values), row, mapping.header);
    if (!r.ok && unused.length && r.issues.some((i) => i.code === "activity_lead_missing")) {
      for (const i of unused) {
        const v = values[i]?.trim();
        if (v && v.includes("@") && typeof parseEmail(v) === "string") {
          throw new ImportError({
            code: "activity_lead_column_unmapped",
            row,
            params: {
              ...(fileName ? { file: fileName } : {}),
              header: mapping.headers[i],
              field: "leadEmail",
              names: activityHeaderNames("leadEmail").join(LIST),
            },
          });
        }
      }
    }
    return r;
  };
}
