/**
 * Real pg_net and supabase_vault, or the compatibility layer
 * (`scripts/stack/compat/`): which one a stack uses, decided from what can be
 * loaded, not from `pg_available_extensions` (which lists an extension as soon
 * as its control file is installed, although `create extension pg_net` then
 * fails with "pg_net is not in shared_preload_libraries").
 *
 * Both real extensions must be preloaded (a server restart), and
 * supabase_vault reads its root key from `vault.getkey_script` at start
 * (../../README.md "Local stack"). The decision is `planExtensions`, a plain
 * function of the files installed for the PostgreSQL major; after the server
 * started, `probeExtensions` checks that each planned one really loads.
 */
import { existsSync, readFileSync } from "node:fs";
import { postgres } from "../../functions-shared/deps.ts";

export const REAL_EXTENSIONS = ["pg_net", "supabase_vault"] as const;
export type RealExtension = typeof REAL_EXTENSIONS[number];

/** What one extension has installed for a PostgreSQL major. */
export interface ExtensionFiles {
  /** `default_version` of `<name>.control`; undefined when there is no control file. */
  version?: string;
  /** `<name>.so` is in the major's library directory. */
  library: boolean;
}

export type InstalledExtensions = Record<RealExtension, ExtensionFiles>;

export type ExtensionChoice = { mode: "real"; version: string } | { mode: "compat"; reason: string };

export interface ExtensionPlan {
  /** `shared_preload_libraries`, in order. */
  preload: string[];
  /** Other server settings the preloaded libraries need. */
  settings: Record<string, string>;
  choice: Record<RealExtension, ExtensionChoice>;
}

/** The database pg_net's one worker connects to (`pg_net.database_name`, fixed at server start). */
export const PG_NET_DATABASE = "postgres";

/**
 * Decides which real extensions to preload: each one whose control file and
 * library are both installed, unless `refused` names it (it failed to load
 * when tried: `probeExtensions`) or `kept` says an existing cluster was made
 * with the compatibility layer for it (its databases hold the stand-in
 * objects; a preloaded pg_net worker would drain the stand-in's queue as a
 * second sender).
 */
export function planExtensions(installed: InstalledExtensions, o: {
  getkeyScript: string;
  refused?: Partial<Record<RealExtension, string>>;
  kept?: Partial<Record<RealExtension, "real" | "compat">>;
  dir?: string;
}): ExtensionPlan {
  const choice = {} as Record<RealExtension, ExtensionChoice>;
  for (const name of REAL_EXTENSIONS) {
    const f = installed[name];
    const kept = o.kept?.[name];
    const loadable = f.version !== undefined && f.library;
    if (kept === "real" && (!loadable || o.refused?.[name])) {
      throw new Error(
        `${name}: this cluster was created with the real extension, which no longer loads ` +
          `(${o.refused?.[name] ?? missingFiles(name, f)}): reinstall it, or delete ${
            o.dir ?? "the stack's folder"
          } to start over`,
      );
    }
    if (o.refused?.[name]) choice[name] = { mode: "compat", reason: o.refused[name]! };
    else if (f.version === undefined) choice[name] = { mode: "compat", reason: "not installed" };
    else if (!f.library) {
      choice[name] = { mode: "compat", reason: `installed without its library ${name}.so` };
    } else if (kept === "compat") {
      choice[name] = {
        mode: "compat",
        reason: `installed, but this cluster was created without it; delete ${
          o.dir ?? "the stack's folder"
        } to use it`,
      };
    } else choice[name] = { mode: "real", version: f.version };
  }
  const preload = ["pg_cron", ...REAL_EXTENSIONS.filter((n) => choice[n].mode === "real")];
  const settings: Record<string, string> = {};
  if (choice.supabase_vault.mode === "real") settings["vault.getkey_script"] = o.getkeyScript;
  return { preload, settings, choice };
}

function missingFiles(name: string, f: ExtensionFiles): string {
  return [f.version === undefined ? `${name}.control` : "", f.library ? "" : `${name}.so`].filter(Boolean)
    .join(", ") + " missing";
}

/** The choice for one database: pg_net's worker serves only `PG_NET_DATABASE`. */
export function databaseChoice(
  plan: ExtensionPlan,
  database: string,
): Record<RealExtension, ExtensionChoice> {
  if (plan.choice.pg_net.mode === "real" && database !== PG_NET_DATABASE) {
    return {
      ...plan.choice,
      pg_net: { mode: "compat", reason: `pg_net's worker serves the ${PG_NET_DATABASE} database only` },
    };
  }
  return plan.choice;
}

/** "pg_net: real 0.20.4" / "pg_net: compatibility layer (not installed)". */
export function describeChoice(choice: Record<RealExtension, ExtensionChoice>): string[] {
  return REAL_EXTENSIONS.map((n) => {
    const c = choice[n];
    return c.mode === "real" ? `${n}: real ${c.version}` : `${n}: compatibility layer (${c.reason})`;
  });
}

/** Reads the extension files of one PostgreSQL installation (Debian: /usr/lib/postgresql/<major>/lib, /usr/share/postgresql/<major>/extension). */
export function installedExtensions(dirs: { lib: string; extension: string }): InstalledExtensions {
  const out = {} as InstalledExtensions;
  for (const name of REAL_EXTENSIONS) {
    const control = `${dirs.extension}/${name}.control`;
    let version: string | undefined;
    if (existsSync(control)) {
      const m = readFileSync(control, "utf8").match(/^\s*default_version\s*=\s*'([^']*)'/m);
      version = m ? m[1] : "";
    }
    out[name] = { version, library: existsSync(`${dirs.lib}/${name}.so`) };
  }
  return out;
}

/**
 * Checks on the running server that each extension planned real loads:
 * `create extension` in a throwaway database, a secret through Vault, and
 * pg_net's worker in `pg_stat_activity`. Returns the reason of each failure.
 */
export async function probeExtensions(
  adminUrl: (db?: string) => string,
  plan: ExtensionPlan,
): Promise<Partial<Record<RealExtension, string>>> {
  const real = REAL_EXTENSIONS.filter((n) => plan.choice[n].mode === "real");
  if (real.length === 0) return {};
  const probeDb = "passerelle_extension_probe";
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  const refused: Partial<Record<RealExtension, string>> = {};
  try {
    await admin.unsafe(`drop database if exists ${probeDb} with (force)`);
    await admin.unsafe(`create database ${probeDb}`);
    const probe = postgres(adminUrl(probeDb), { max: 1, onnotice: () => {} });
    try {
      for (const name of real) {
        try {
          await probe.unsafe(`create extension ${name}`);
          if (name === "supabase_vault") {
            const [{ id }] = await probe`select vault.create_secret('probe') as id`;
            const [row] = await probe`select decrypted_secret = 'probe' as ok from vault.decrypted_secrets
                                       where id = ${id}`;
            const ok = row?.ok === true;
            if (!ok) refused[name] = "a secret read back differs";
          } else {
            const until = Date.now() + 5000;
            let worker = false;
            while (!worker && Date.now() < until) {
              [{ worker }] = await admin`
                select exists(select 1 from pg_stat_activity where backend_type like 'pg_net%worker') as worker`;
              if (!worker) await new Promise((r) => setTimeout(r, 100));
            }
            if (!worker) refused[name] = "its background worker did not start";
          }
        } catch (e) {
          refused[name] = `does not load: ${e instanceof Error ? e.message : e}`;
        }
      }
    } finally {
      await probe.end();
    }
    await admin.unsafe(`drop database ${probeDb} with (force)`);
  } finally {
    await admin.end();
  }
  return refused;
}
