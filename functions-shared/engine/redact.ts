/**
 * Secrets never appear in logs, errors or `migration_logs`: every text that
 * leaves a call passes through here with the secrets the call knows.
 */

/** Replaces every occurrence of each secret (and of JWT-looking tokens) by `[redacted]`. */
export function redact(text: string, secrets: (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 6) out = out.split(s).join("[redacted]");
  return out
    .replace(/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, "[redacted]")
    .replace(/sb_secret_[A-Za-z0-9_-]+/g, "[redacted]");
}
