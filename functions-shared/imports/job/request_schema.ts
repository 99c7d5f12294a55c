/**
 * The bodies the import functions accept, as zod schemas: a start (company,
 * file, name, options with mapping and assignment) and a job action. What
 * does not match is refused with 400 naming each wrong field, in the
 * caller's language (zod's own French and English texts), never ignored.
 * Per-row validation stays hand-written (`lead_row.ts`, `activity_row.ts`):
 * it runs millions of times, where a schema's cost shows.
 */
import { z } from "../../deps.ts";
import type { Locale } from "../messages.ts";
import { apiError } from "./api_error.ts";

/** The longest job name kept (it is repeated in every status document). */
export const MAX_NAME = 200;

const userId = z.guid();

const MODES = ["none", "single", "round_robin", "by_column"] as const;
const assignment = z.discriminatedUnion("mode", [
  z.strictObject({ mode: z.literal("none") }),
  z.strictObject({ mode: z.literal("single"), userId }),
  z.strictObject({ mode: z.literal("round_robin"), userIds: z.array(userId).min(1).max(1000) }),
  z.strictObject({ mode: z.literal("by_column"), column: z.string().min(1).max(200).optional() }),
]);

/** `options` of a start: every key optional, none unknown. */
export const jobOptionsSchema = z.strictObject({
  mapping: z.record(z.string().max(200), z.string().max(100).nullable()).optional(),
  duplicateStrategy: z.enum(["skip", "update", "create"]).default("skip"),
  matchOn: z.array(z.enum(["email", "phone", "external_id"])).min(1).default([
    "email",
    "phone",
    "external_id",
  ]),
  assignment: assignment.default({ mode: "none" }),
  locale: z.enum(["fr", "en"]).default("fr"),
  autoCommit: z.boolean().default(true),
  force: z.boolean().default(false),
});

const companyId = z.union([
  z.number().int().positive(),
  z.string().regex(/^[1-9][0-9]{0,17}$/).transform(Number),
]).pipe(z.number().int().positive().max(Number.MAX_SAFE_INTEGER));

/** A start request (JSON, or the fields of a multipart one). */
export const startSchema = z.strictObject({
  action: z.literal("start"),
  companyId,
  name: z.string().min(1).max(MAX_NAME).optional(),
  file: z.strictObject({ path: z.string().min(1).max(1024) }).optional(),
  options: z.unknown().optional(),
  /** A service-role start names the job's owner. */
  ownerId: userId.optional(),
});

/** The actions on an existing job. */
export const JOB_ACTIONS = ["status", "cancel", "retry", "commit", "undo", "delete"] as const;

/** An action on a job: the job id is checked by `visibleJob` (a malformed one is just not found). */
export const jobActionSchema = z.strictObject({
  action: z.enum(JOB_ACTIONS),
  jobId: z.string().max(100),
  /** `delete`: undo what the job committed first. */
  undo: z.boolean().optional(),
});

/** `value` as `schema` reads it, or a `bad_request` naming every wrong field, in `locale`. */
export function parseBody<S extends z.ZodType>(
  schema: S,
  value: unknown,
  locale: Locale,
  prefix = "",
): z.output<S> {
  const r = schema.safeParse(value, { error: z.locales[locale]().localeError });
  if (r.success) return r.data;
  const texts = z.locales[locale]().localeError;
  const detail = r.error.issues.map((i) => {
    const path = [prefix, ...i.path.map(String)].filter(Boolean).join(".");
    // A wrong `assignment.mode`: zod says only "invalid input"; say which modes exist.
    const text = i.code === "invalid_union" && i.path.at(-1) === "mode"
      ? textOf(texts({ code: "invalid_value", values: [...MODES], input: undefined } as never))
      : i.message;
    return path ? `${path}${locale === "fr" ? " : " : ": "}${text}` : text;
  }).join(locale === "fr" ? " ; " : "; ");
  throw apiError("bad_request", "body_field", { detail }, locale);
}

function textOf(r: unknown): string {
  return typeof r === "string" ? r : (r as { message?: string } | undefined)?.message ?? "";
}
