/**
 * Configuration, read once at the edge (a function's `index.ts`, a script's
 * `main`) and validated as a whole: one error names every missing or malformed
 * setting. Nothing under functions-shared reads the environment itself.
 */
import { PasserelleError } from "./errors.ts";

export type Env = Record<string, string | undefined>;

export interface OdooConfig {
  url: string;
  db: string;
  login: string;
  /** Password (JSON-RPC) or API key (JSON-2, and accepted by JSON-RPC too). */
  secret: string;
  transport: "jsonrpc" | "json2";
  timeoutMs: number;
}

export interface BudgetConfig {
  /** Wall time one call may spend on work, in ms (Supabase kills at 150 s / 400 s). */
  wallMs: number;
  /** CPU time one call may spend, in ms (Supabase kills at 2 s with status 546). */
  cpuMs: number;
}

export interface Config {
  supabaseUrl: string;
  serviceRoleKey: string;
  /** New-style secret key (`sb_secret_...`), accepted in the `apikey` header. */
  secretKey?: string;
  anonKey?: string;
  /** HS256 secret that signs user JWTs (the project's JWT secret). */
  jwtSecret?: string;
  dbUrl: string;
  budget: BudgetConfig;
  /** Parallel workers per function when chaining. */
  workers: number;
  /** Fire the next call at once while work remains. */
  chain: boolean;
  /** Uploads at once in the file archive and the backup import. */
  uploadConcurrency: number;
  /** Seconds a claimed item stays leased before another call may take it again. */
  leaseS: number;
  /** Days an import's rows are kept whole after it ends (`IMPORT_ROWS_KEEP_DAYS`), then compacted. */
  importRowsKeepDays: number;
  /** Largest JSON body a call reads (`MAX_BODY_BYTES`); larger ones answer 413 unread. */
  maxBodyBytes: number;
  /** Largest multipart upload an import accepts (`MAX_UPLOAD_BYTES`); streamed, never held whole. */
  maxUploadBytes: number;
  /** The company (tenant) Odoo's leads belong to. */
  companyName: string;
  storage: { kind: "supabase" | "local"; bucket: string; localDir?: string };
  odoo?: OdooConfig;
  resend?: { apiKey: string; url: string; from: string; to?: string };
}

type Issue = string;

function required(env: Env, name: string, issues: Issue[]): string {
  const v = env[name];
  if (v === undefined || v.trim() === "") {
    issues.push(`${name} is missing`);
    return "";
  }
  return v.trim();
}

function integer(env: Env, name: string, fallback: number, issues: Issue[], min = 1): number {
  const v = env[name];
  if (v === undefined || v.trim() === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    issues.push(`${name} must be a whole number >= ${min} (got "${v}")`);
    return fallback;
  }
  return n;
}

function url(env: Env, name: string, issues: Issue[]): string {
  const v = required(env, name, issues);
  if (v && !URL.canParse(v)) issues.push(`${name} is not a URL`);
  return v.replace(/\/+$/, "");
}

/** Odoo settings, present when `ODOO_URL` is set (the import functions need none). */
function odooConfig(env: Env, issues: Issue[]): OdooConfig | undefined {
  if (!env.ODOO_URL?.trim()) return undefined;
  const transport = env.ODOO_TRANSPORT ?? "jsonrpc";
  if (transport !== "jsonrpc" && transport !== "json2") {
    issues.push(`ODOO_TRANSPORT must be "jsonrpc" or "json2" (got "${transport}")`);
  }
  // An empty setting is an unset one: an empty ODOO_API_KEY leaves ODOO_PASSWORD in force.
  const secret = env.ODOO_API_KEY?.trim() || env.ODOO_PASSWORD?.trim() || undefined;
  if (!secret) issues.push("ODOO_PASSWORD or ODOO_API_KEY is missing");
  return {
    url: url(env, "ODOO_URL", issues),
    db: required(env, "ODOO_DB", issues),
    login: required(env, "ODOO_LOGIN", issues),
    secret: secret ?? "",
    transport: transport as OdooConfig["transport"],
    timeoutMs: integer(env, "ODOO_TIMEOUT_MS", 30_000, issues),
  };
}

/**
 * The settings a function uses beyond the common ones: `odoo` (sync, archive:
 * required; default: read when ODOO_URL is set; imports and status: ignored,
 * so that a half-set Odoo never stops them) and `storage` (default true).
 */
export interface ConfigNeeds {
  odoo?: "required" | "optional" | "ignored";
  storage?: boolean;
}

/** Reads and validates every setting the function needs; throws one error naming all problems. */
export function loadConfig(env: Env, needs: ConfigNeeds = {}): Config {
  const issues: Issue[] = [];
  const storageKind = env.STORAGE_KIND ?? "supabase";
  const odooNeed = needs.odoo ?? "optional";
  if (odooNeed === "required" && !env.ODOO_URL?.trim()) {
    issues.push("ODOO_URL is missing (with ODOO_DB, ODOO_LOGIN and ODOO_PASSWORD or ODOO_API_KEY)");
  }
  if ((needs.storage ?? true) && storageKind !== "supabase" && storageKind !== "local") {
    issues.push(`STORAGE_KIND must be "supabase" or "local" (got "${storageKind}")`);
  }
  const config: Config = {
    supabaseUrl: url(env, "SUPABASE_URL", issues),
    serviceRoleKey: required(env, "SUPABASE_SERVICE_ROLE_KEY", issues),
    secretKey: env.SUPABASE_SECRET_KEY || undefined,
    anonKey: env.SUPABASE_ANON_KEY || undefined,
    jwtSecret: env.SUPABASE_JWT_SECRET || env.JWT_SECRET || undefined,
    dbUrl: required(env, "SUPABASE_DB_URL", issues),
    budget: {
      wallMs: integer(env, "BATCH_WALL_MS", 50_000, issues),
      cpuMs: integer(env, "BATCH_CPU_MS", 1_500, issues),
    },
    workers: integer(env, "PARALLEL_WORKERS", 2, issues),
    chain: (env.CHAIN ?? "on") !== "off",
    uploadConcurrency: integer(env, "UPLOAD_CONCURRENCY", 5, issues),
    leaseS: integer(env, "LEASE_S", 180, issues),
    importRowsKeepDays: integer(env, "IMPORT_ROWS_KEEP_DAYS", 30, issues, 0),
    maxBodyBytes: integer(env, "MAX_BODY_BYTES", 1_048_576, issues),
    maxUploadBytes: integer(env, "MAX_UPLOAD_BYTES", 2 * 1024 ** 3, issues),
    companyName: env.COMPANY_NAME?.trim() || "Odoo",
    storage: {
      kind: storageKind as "supabase" | "local",
      bucket: env.STORAGE_BUCKET || "estimation-files",
      localDir: env.STORAGE_LOCAL_DIR || undefined,
    },
    odoo: odooNeed === "ignored" ? undefined : odooConfig(env, issues),
    resend: env.RESEND_API_KEY
      ? {
        apiKey: env.RESEND_API_KEY,
        url: env.RESEND_URL || "https://api.resend.com",
        from: env.RESEND_FROM || "Passerelle <imports@passerelle.local>",
        to: env.RESEND_TO || undefined,
      }
      : undefined,
  };
  if ((needs.storage ?? true) && storageKind === "local" && !config.storage.localDir) {
    issues.push("STORAGE_LOCAL_DIR is missing");
  }
  if (issues.length) {
    throw new PasserelleError("config_invalid", `Invalid configuration: ${issues.join("; ")}`);
  }
  return config;
}

/** The Odoo settings, required by the functions that talk to Odoo. */
export function requireOdoo(config: Config): OdooConfig {
  if (!config.odoo) {
    throw new PasserelleError(
      "config_invalid",
      "Invalid configuration: ODOO_URL is missing (with ODOO_DB, ODOO_LOGIN and ODOO_PASSWORD or ODOO_API_KEY)",
    );
  }
  return config.odoo;
}
