/**
 * Prepares one database of the stack: the Supabase compatibility layer where
 * the real extensions are not used (stack_cluster.ts decides), then
 * `supabase/migrations` applied by the real Supabase CLI
 * (`supabase db push --remote=<url>`).
 */
import { postgres } from "../../functions-shared/deps.ts";
import type { ExtensionChoice, RealExtension } from "./extensions.ts";

const root = new URL("../../", import.meta.url).pathname;
const compat = new URL("./compat/", import.meta.url).pathname;

async function psqlFile(url: string, file: string): Promise<void> {
  const out = await new Deno.Command("psql", {
    args: [url, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", file],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`psql -f ${file} failed:\n${new TextDecoder().decode(out.stderr)}`);
}

/**
 * Installs the stand-ins for what this database does not get for real
 * (`databaseChoice`); the migrations create the real extensions. Returns what
 * was installed.
 */
export async function installCompat(
  url: string,
  choice: Record<RealExtension, ExtensionChoice>,
): Promise<string[]> {
  const installed: string[] = [];
  await psqlFile(url, `${compat}/00_roles_auth.sql`);
  installed.push("roles+auth");
  if (choice.supabase_vault.mode === "compat") {
    await psqlFile(url, `${compat}/10_vault.sql`);
    installed.push("vault");
  }
  if (choice.pg_net.mode === "compat") {
    await psqlFile(url, `${compat}/20_net.sql`);
    installed.push("net");
  }
  return installed;
}

/** Applies supabase/migrations with the Supabase CLI. */
export async function pushMigrations(url: string): Promise<void> {
  const out = await new Deno.Command("supabase", {
    args: ["db", "push", `--remote=${url}`, "--yes", "--skip-vault", "--workdir", root],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
    env: { SUPABASE_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`supabase db push failed:\n${text}`);
}

/** Creates `name` if missing. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<boolean> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select 1 from pg_database where datname = ${name}`;
    if (row) return false;
    await sql.unsafe(`create database "${name}"`);
    return true;
  } finally {
    await sql.end();
  }
}
