/**
 * Who is calling. Cron and operators send the service-role key: the legacy
 * JWT as `Authorization: Bearer <key>`, or a new-style `sb_secret_` key in the
 * `apikey` header (edge-functions.md). Users send their access token (a JWT
 * signed with the project's secret). Keys are compared in constant time, and
 * no message ever repeats what was sent.
 */
import { timingSafeEqual } from "node:crypto";
import { jose } from "../deps.ts";
import { PasserelleError } from "../errors.ts";

export type Caller =
  | { kind: "service" }
  | { kind: "user"; userId: string; email?: string; claims: Record<string, unknown> };

export interface AuthKeys {
  serviceRoleKey: string;
  secretKey?: string;
  jwtSecret?: string;
}

const encoder = new TextEncoder();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function digest(s: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(s)));
}

/** Constant-time equality of two secrets (compares their SHA-256 digests, so lengths leak nothing). */
export async function sameSecret(a: string, b: string): Promise<boolean> {
  return timingSafeEqual(await digest(a), await digest(b));
}

function bearer(req: Request): string | undefined {
  const h = req.headers.get("authorization");
  const m = h?.match(/^Bearer\s+(.+)$/i);
  return m?.[1].trim();
}

/** Identifies the caller or throws `auth_missing` / `auth_invalid` (HTTP 401). */
export async function authenticate(req: Request, keys: AuthKeys): Promise<Caller> {
  const apikey = req.headers.get("apikey")?.trim();
  const token = bearer(req);
  const serviceKeys = [keys.serviceRoleKey, keys.secretKey].filter((k): k is string => !!k);
  for (const sent of [apikey, token]) {
    if (!sent) continue;
    for (const k of serviceKeys) if (await sameSecret(sent, k)) return { kind: "service" };
  }
  // An apikey that is the anon/publishable key says nothing about the caller:
  // the user is whoever signed the bearer token.
  if (!token) {
    throw new PasserelleError(
      "auth_missing",
      "Missing credentials: send the service-role key or a user token",
    );
  }
  if (keys.jwtSecret && token.split(".").length === 3) {
    try {
      // A token without `exp` never expires: Supabase always sets it, so one without is refused.
      const { payload } = await jose.jwtVerify(token, encoder.encode(keys.jwtSecret), {
        algorithms: ["HS256"],
        requiredClaims: ["exp"],
      });
      if (payload.role === "service_role") return { kind: "service" };
      // A user is a uuid (auth.users.id): anything else is refused here, not by the database later.
      if (payload.role === "authenticated" && typeof payload.sub === "string" && UUID.test(payload.sub)) {
        return {
          kind: "user",
          userId: payload.sub,
          email: typeof payload.email === "string" ? payload.email : undefined,
          claims: payload as Record<string, unknown>,
        };
      }
    } catch {
      // fall through: an invalid token is reported like a wrong key
    }
  }
  throw new PasserelleError("auth_invalid", "Invalid credentials: the key or token was refused");
}
