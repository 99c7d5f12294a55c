/**
 * Boots a function: builds its handler from the environment once, at the
 * edge. A configuration error does not crash the worker into Supabase's
 * opaque BOOT_ERROR: every call answers 500 with the message naming each
 * missing setting (never a value), so the cron job's failures say what to fix.
 */
import { asPasserelleError } from "../errors.ts";

export type Handler = (req: Request) => Promise<Response>;

/** Returns `build(env)`'s handler, or one that explains why it could not be built. */
export function bootHandler(
  env: Record<string, string | undefined>,
  build: (env: Record<string, string | undefined>) => Handler,
): Handler {
  try {
    return build(env);
  } catch (e) {
    const err = asPasserelleError(e);
    console.error(`[boot] ${err.code}: ${err.message}`);
    return () =>
      Promise.resolve(
        new Response(JSON.stringify({ code: err.code, message: err.message }), {
          status: 500,
          headers: { "content-type": "application/json" },
        }),
      );
  }
}
