/**
 * The error that stops an import: a `PasserelleError` with code `import_invalid`
 * (never retryable: the same bytes fail the same way) that carries the `Issue`
 * behind it, so a caller can show it in French with `message(err.issue, "fr")`
 * and store `err.issue` as data in `import_jobs.error_details`.
 */
import { PasserelleError } from "../errors.ts";
import { type Issue, message } from "./messages.ts";

/** A file-level import failure; `message` is the English text, `issue` the data. */
export class ImportError extends PasserelleError {
  constructor(readonly issue: Issue, options?: { cause?: unknown }) {
    super("import_invalid", message(issue, "en"), false, options);
    this.name = "ImportError";
  }
}

/** Throws an `ImportError` for `issue`; a shorthand where an expression is wanted. */
export function fail(issue: Issue, options?: { cause?: unknown }): never {
  throw new ImportError(issue, options);
}
