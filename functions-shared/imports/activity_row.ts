/**
 * Validation of one activity row. An activity belongs to a lead, named by the
 * lead's email or its reference (external id), and says something: a type, a
 * summary or a note. Types are read from French and English words (`Appel`,
 * `Call`, `Réunion`, `RDV`, `Tâche`…); a blank type with a summary or note is a
 * to-do, Odoo's default activity type.
 */
import type { ActivityField, ColumnMapping } from "./columns.ts";
import { headerKey } from "./columns.ts";
import { LIST, type RowIssue } from "./messages.ts";
import { cleanText, type Fail, parseDate, parseEmail } from "./field_values.ts";
import { at, fieldCountIssue, RowIssues } from "./row_check.ts";

/** The kinds of activity, as Odoo's default activity types. */
export type ActivityType = "call" | "email" | "meeting" | "todo";

const TYPE_WORDS: Record<ActivityType, string[]> = {
  call: ["Appel", "Appel téléphonique", "Call", "Phone call", "Téléphone", "Tél"],
  email: ["Email", "E-mail", "Mail", "Courriel"],
  meeting: ["Réunion", "Rendez-vous", "RDV", "Meeting", "Rencontre", "Visite", "Visio", "Visioconférence"],
  todo: ["Tâche", "À faire", "To do", "To-do", "Todo", "Task", "Relance", "Follow-up"],
};
const TYPES = new Map<string, ActivityType>();
for (const [type, words] of Object.entries(TYPE_WORDS) as [ActivityType, string[]][]) {
  for (const w of words) TYPES.set(headerKey(w), type);
}

/** An activity as the file describes it, clean and typed. */
export interface ActivityInput {
  type: ActivityType;
  summary: string | null;
  note: string | null;
  /** `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[zone]`. */
  dueDate: string | null;
  /** The lead's email (lower-cased), where the file gives one. */
  leadEmail: string | null;
  /** The lead's external id, where the file gives one. At least one of the two is set. */
  leadRef: string | null;
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

  const rawType = text("type");
  let type: ActivityType = "todo";
  if (rawType !== null) {
    const t = TYPES.get(headerKey(rawType));
    if (t) type = t;
    else {
      r.add("type", "activity_type_invalid", rawType, {
        allowed: Object.values(TYPE_WORDS).map((w) => w[0]).join(LIST),
      });
    }
  }
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
  const assignedTo = text("assignedTo");

  if (leadEmail === null && leadRef === null && rawEmail === null) r.add("leadRef", "activity_lead_missing");
  if (rawType === null && summary === null && note === null) r.add("summary", "activity_content_missing");
  if (r.issues) return { ok: false, issues: r.issues };
  return { ok: true, value: { type, summary, note, dueDate, leadEmail, leadRef, assignedTo } };
}

/** A function that picks an activity's cells from a row of the file (see `leadPicker`). */
function activityPicker(
  index: Readonly<Partial<Record<ActivityField, number>>>,
): (v: readonly string[]) => ActivityRecord {
  const i = (f: ActivityField) => index[f] ?? -1;
  const type = i("type"), summary = i("summary"), note = i("note"), dueDate = i("dueDate");
  const leadEmail = i("leadEmail"), leadRef = i("leadRef"), assignedTo = i("assignedTo");
  return (v) => ({
    type: at(v, type),
    summary: at(v, summary),
    note: at(v, note),
    dueDate: at(v, dueDate),
    leadEmail: at(v, leadEmail),
    leadRef: at(v, leadRef),
    assignedTo: at(v, assignedTo),
  });
}

/**
 * A validator for rows of a mapped activity file, compiled once per file
 * (see `leadRowValidator`).
 */
export function activityRowValidator(
  mapping: ColumnMapping<ActivityField>,
): (values: readonly string[], row: number) => ActivityRowResult {
  const toRecord = activityPicker(mapping.index);
  return (values, row) => {
    const count = fieldCountIssue(mapping, values, row);
    if (count) return { ok: false, issues: [count] };
    return validateActivity(toRecord(values), row, mapping.header);
  };
}
