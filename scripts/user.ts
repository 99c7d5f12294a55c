/**
 * `deno task user add <email> [--admin] [--company <id>] [--hours <n>]`: a user
 * of the local stack, the stand-in for Supabase Auth's sign-up and sign-in
 * there (the local stack has no Auth server). Creates the user in
 * `auth.users` (or finds them by e-mail), makes them a member of `--company`
 * (`admin` there with `--admin`; `--admin` also gives the operator role of
 * `user_roles`, which reads the migration status and logs), and prints an
 * access token signed with the stack's JWT secret, valid `--hours` (1, as
 * Supabase Auth's `jwt_expiry`). The token goes to stdout alone, the rest to
 * stderr: `TOKEN=$(deno task user add a@b.fr --company 1)`.
 * Settings: SUPABASE_DB_URL and JWT_SECRET from the environment, else from
 * supabase/functions/.env (written by `deno task dev`).
 */
import { parseArgs } from "node:util";
import { connectDb, type Sql } from "../functions-shared/db.ts";
import { signJwt } from "./stack/keys.ts";
import { parseEnvFile } from "./stack/env_file.ts";

/** What `add` asks for. */
export interface AddUser {
  email: string;
  admin: boolean;
  company?: number;
}

/** Creates (or finds) the user and sets their roles; returns their id and memberships. */
export async function addUser(
  sql: Sql,
  u: AddUser,
): Promise<{ id: string; created: boolean; memberships: { company_id: number; role: string }[] }> {
  const [found] = await sql<
    { id: string }[]
  >`select id from auth.users where lower(email) = lower(${u.email})`;
  const id = found?.id ??
    (await sql<{ id: string }[]>`insert into auth.users (email) values (${u.email}) returning id`)[0].id;
  if (u.admin) {
    await sql`insert into public.user_roles (user_id, role) values (${id}, 'admin') on conflict do nothing`;
  }
  if (u.company !== undefined) {
    await sql`select passerelle.add_member(${u.company}, ${id}, ${u.admin ? "admin" : "member"})`;
  }
  const memberships = await sql<{ company_id: number; role: string }[]>`
    select company_id::int, role from public.company_members where user_id = ${id} order by company_id`;
  return { id, created: !found, memberships: [...memberships] };
}

/** An access token for the user, as Supabase Auth signs one. */
export function accessToken(secret: string, id: string, email: string, hours: number): Promise<string> {
  return signJwt(secret, { sub: id, email, role: "authenticated", aud: "authenticated" }, `${hours}h`);
}

/** SUPABASE_DB_URL and JWT_SECRET: the environment's, else the env file's. */
export async function settings(
  env: Record<string, string | undefined>,
  envFile: URL,
): Promise<{ dbUrl?: string; jwtSecret?: string }> {
  let file: Record<string, string> = {};
  try {
    file = parseEnvFile(await Deno.readTextFile(envFile));
  } catch { /* no stack started yet */ }
  return {
    dbUrl: env.SUPABASE_DB_URL || file.SUPABASE_DB_URL || undefined,
    jwtSecret: env.JWT_SECRET || file.JWT_SECRET || undefined,
  };
}

const USAGE = "usage: deno task user add <email> [--admin] [--company <id>] [--hours <n>]";

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: {
      admin: { type: "boolean", default: false },
      company: { type: "string" },
      hours: { type: "string", default: "1" },
    },
  });
  const [command, email] = positionals;
  const company = values.company === undefined ? undefined : Number(values.company);
  const hours = Number(values.hours);
  if (command !== "add" || !email || !/^[^@\s]+@[^@\s]+$/.test(email) || positionals.length > 2) {
    console.error(USAGE);
    return 2;
  }
  if (company !== undefined && !(Number.isSafeInteger(company) && company > 0)) {
    console.error(`--company must be a company id (got ${values.company})`);
    return 2;
  }
  if (!(hours > 0)) {
    console.error(`--hours must be a positive number (got ${values.hours})`);
    return 2;
  }
  const s = await settings(Deno.env.toObject(), new URL("../supabase/functions/.env", import.meta.url));
  if (!s.dbUrl || !s.jwtSecret) {
    console.error(
      "No SUPABASE_DB_URL or JWT_SECRET: start the local stack with `deno task dev` (it writes " +
        "supabase/functions/.env), or set them in the environment",
    );
    return 2;
  }
  const sql = connectDb(s.dbUrl, { max: 1 });
  try {
    const u = await addUser(sql, { email, admin: values.admin, company });
    const roles = u.memberships.map((m) => `${m.role} of company ${m.company_id}`).join(", ") ||
      "member of no company (add one with --company <id>)";
    console.error(
      `${u.created ? "Created" : "Found"} ${email} (${u.id}): ${roles}${values.admin ? "; operator" : ""}`,
    );
    console.error(`Access token, valid ${hours} h (send it as Authorization: Bearer <token>):`);
    console.log(await accessToken(s.jwtSecret, u.id, email, hours));
    return 0;
  } catch (e) {
    console.error(`Could not add ${email}: ${(e as Error).message}`);
    return 1;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

if (import.meta.main) Deno.exit(await main());
