/**
 * The local stack's keys, made once per stack directory and kept: a JWT
 * secret, the legacy `anon` and `service_role` JWTs signed with it (as
 * `supabase start` prints them), and a new-style `sb_secret_` key.
 */
import { jose } from "../../functions-shared/deps.ts";

export interface StackKeys {
  jwtSecret: string;
  anonKey: string;
  serviceRoleKey: string;
  secretKey: string;
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0"))
    .join(
      "",
    );
}

/** Signs a Supabase-style JWT with the given claims. */
export async function signJwt(
  secret: string,
  claims: Record<string, unknown>,
  expiresIn = "10y",
): Promise<string> {
  return await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuedAt()
    .setIssuer("supabase-local")
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

/** A new JWT secret, the anon and service-role keys it signs, and a secret API key. */
export async function makeKeys(): Promise<StackKeys> {
  const jwtSecret = randomHex(32);
  return {
    jwtSecret,
    anonKey: await signJwt(jwtSecret, { role: "anon" }),
    serviceRoleKey: await signJwt(jwtSecret, { role: "service_role" }),
    secretKey: `sb_secret_${randomHex(16)}`,
  };
}

/** Reads the keys from `file`, making and saving them on first use. */
export async function loadKeys(file: string): Promise<StackKeys> {
  try {
    return JSON.parse(await Deno.readTextFile(file));
  } catch {
    const keys = await makeKeys();
    await Deno.writeTextFile(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
    return keys;
  }
}
