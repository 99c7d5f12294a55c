/**
 * An error an import function answers over HTTP, kept as data (`text`,
 * `params`) so that the handler writes it in the caller's language: the
 * job's locale when the thrower knows the job, else the request's. `message`
 * is the English text, for logs.
 */
import { type ErrorCode, PasserelleError } from "../../errors.ts";
import { apiMessage, type ApiText, type Locale } from "../messages.ts";

export class ApiError extends PasserelleError {
  constructor(
    code: ErrorCode,
    readonly text: ApiText,
    readonly params: Record<string, string | number> = {},
    /** The job's locale, where the error is about a job. */
    readonly locale?: Locale,
  ) {
    super(code, apiMessage(text, params, "en"));
    this.name = "ApiError";
  }

  /** The message in `locale` (the job's own locale wins). */
  messageIn(locale: Locale): string {
    return apiMessage(this.text, this.params, this.locale ?? locale);
  }
}

/** Shorthand: `throw apiError("forbidden", "not_member", { company: 2 })`. */
export const apiError = (
  code: ErrorCode,
  text: ApiText,
  params: Record<string, string | number> = {},
  locale?: Locale,
): ApiError => new ApiError(code, text, params, locale);
