/**
 * The dotenv files the local stack and the Supabase CLI write
 * (`supabase/functions/.env`): `KEY=VALUE` lines, `export ` allowed, values
 * optionally quoted; comments and other lines skipped.
 */

/** Parses a dotenv file's `KEY=VALUE` lines. */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith("#")) continue;
    out[m[1]] = m[2].replace(/^(['"])(.*)\1$/, "$2");
  }
  return out;
}
