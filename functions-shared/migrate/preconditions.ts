/**
 * What a migration needs before it starts, each checked on the stack the user runs: the bucket, the
 * Vault secrets the cron jobs read, pg_cron and the jobs, Odoo, and, for the CSVs, their owner and the
 * company the synced leads belong to (`COMPANY_NAME`). Each check says what is wrong and how to fix it.
 */
import type { Sql } from "../deps.ts";
import { PasserelleError } from "../errors.ts";
import type { ObjectStore } from "../storage/object_store.ts";

/** One precondition's verdict. */
export interface Check {
  name: string;
  /** ok; warn (the migration goes on); fail (it does not start); fix (`migrate` will do it). */
  state: "ok" | "warn" | "fail" | "fix";
  detail: string;
}

/** The cron jobs of a function, as pg_cron holds them. */
export interface CronPort {
  /** False where pg_cron is not installed in this database. */
  available(): Promise<boolean>;
  /** Names of the functions scheduled (`passerelle:<name>` jobs, active). */
  scheduled(): Promise<string[]>;
  schedule(fn: string): Promise<void>;
}

/** What the checks read. */
export interface PreconditionDeps {
  sql: Sql;
  store: ObjectStore;
  cron: CronPort;
  /** Throws when Odoo cannot be reached or refuses the login. */
  odooPing(): Promise<void>;
}

/** What the migration will run. */
export interface MigrationInputs {
  zip?: string;
  leadsCsv?: string;
  activitiesCsv?: string;
  /** The user (id or email) the CSV imports belong to. */
  owner?: string;
  /** `COMPANY_NAME`: the company the synced leads (and so the CSVs) belong to. */
  companyName: string;
}

/** The functions a migration needs scheduled (the cron job restarts a chain that broke). */
export function functionsNeeded(i: MigrationInputs): string[] {
  const out = ["sync-odoo-leads", "archive-odoo-files", "sync-odoo-activities", "sync-odoo-messages"];
  if (i.leadsCsv) out.push("import-leads");
  if (i.activitiesCsv) out.push("batch-import-activities");
  return out;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function readable(path: string): Promise<string | null> {
  try {
    const s = await Deno.stat(path);
    return s.isFile || s.isDirectory ? null : `${path} is not a file`;
  } catch {
    return `${path} does not exist or cannot be read`;
  }
}

/** Runs every check (none stops the others) and returns them in order. */
export async function checkPreconditions(d: PreconditionDeps, i: MigrationInputs): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, state: Check["state"], detail: string) => checks.push({ name, state, detail });

  for (
    const [label, path] of [["backup", i.zip], ["lead CSV", i.leadsCsv], ["activities CSV", i.activitiesCsv]]
  ) {
    if (!path) continue;
    const problem = await readable(path);
    add(label!, problem ? "fail" : "ok", problem ?? path);
  }

  try {
    await d.store.checkBucket();
    add("bucket", "ok", `"${d.store.bucket}" is there`);
  } catch (e) {
    add("bucket", "fail", message(e));
  }

  const [secrets] = await d.sql<{ url: boolean; key: boolean }[]>`
    select passerelle.read_secret('project_url') is not null as url,
           passerelle.read_secret('service_role_key') is not null as key`;
  if (secrets.url && secrets.key) add("Vault secrets", "ok", "project_url and service_role_key are stored");
  else {
    const missing = [!secrets.url && "project_url", !secrets.key && "service_role_key"].filter(Boolean);
    add(
      "Vault secrets",
      "fail",
      `${
        missing.join(" and ")
      } missing from Vault: run select passerelle.store_secrets('<project url>', '<service role key>')`,
    );
  }

  if (!(await d.cron.available())) {
    add(
      "cron jobs",
      "warn",
      "pg_cron is not in this database: the chained calls carry the work, nothing restarts a broken chain",
    );
  } else {
    const have = new Set(await d.cron.scheduled());
    const missing = functionsNeeded(i).filter((f) => !have.has(f));
    if (missing.length) {
      add("cron jobs", "fix", `not scheduled yet, migrate schedules them: ${missing.join(", ")}`);
    } else add("cron jobs", "ok", `scheduled: ${functionsNeeded(i).join(", ")}`);
  }

  try {
    await d.odooPing();
    add("Odoo", "ok", "reachable, the login is accepted");
  } catch (e) {
    add("Odoo", "fail", message(e));
  }

  if (i.leadsCsv || i.activitiesCsv) {
    if (!i.owner) {
      add(
        "CSV owner",
        "fail",
        "--owner <user id or email> is missing: the imports belong to a user (deno task user add)",
      );
    } else {
      const owner = await findUser(d.sql, i.owner);
      if (!owner) {
        add("CSV owner", "fail", `no user "${i.owner}" (create one: deno task user add <email> --admin)`);
      } else add("CSV owner", "ok", `${owner.email ?? owner.id}${owner.admin ? " (admin)" : ""}`);
      if (owner && i.leadsCsv && !owner.admin) {
        add("CSV owner", "fail", `${i.owner} is not an admin: importing leads needs the admin role`);
      }
    }
  }
  return checks;
}

/** A user by id or email, with whether it is an admin. */
export async function findUser(
  sql: Sql,
  who: string,
): Promise<{ id: string; email: string | null; admin: boolean } | null> {
  const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(who);
  const rows = await sql<{ id: string; email: string | null; admin: boolean }[]>`
    select u.id::text as id, u.email::text as email, public.has_role(u.id, 'admin') as admin
      from auth.users u
     where ${isUuid ? sql`u.id = ${who}::uuid` : sql`lower(u.email) = lower(${who})`}
     limit 1`;
  return rows[0] ?? null;
}

/** The company synced leads belong to (`COMPANY_NAME`), once the sync made it. */
export async function companyId(sql: Sql, name: string): Promise<number | null> {
  const [r] = await sql<
    { id: string }[]
  >`select id from public.companies where name = ${name} order by id limit 1`;
  return r ? Number(r.id) : null;
}

/** The cron port on pg_cron through the project's SQL (`passerelle.schedule`). */
export function sqlCron(sql: Sql): CronPort {
  return {
    async available() {
      const [r] = await sql<{ ok: boolean }[]>`select to_regclass('cron.job') is not null as ok`;
      return r.ok;
    },
    async scheduled() {
      const rows = await sql.unsafe<{ name: string }[]>(
        `select substr(jobname, 12) as name from cron.job where jobname like 'passerelle:%' and active`,
      );
      return rows.map((r) => r.name);
    },
    async schedule(fn) {
      await sql`select passerelle.schedule(${fn})`;
    },
  };
}

/** Throws the failed checks as one `config_invalid` error (for callers that stop on them). */
export function assertChecks(checks: Check[]): void {
  const failed = checks.filter((c) => c.state === "fail");
  if (failed.length) {
    throw new PasserelleError("config_invalid", failed.map((c) => `${c.name}: ${c.detail}`).join("; "));
  }
}
