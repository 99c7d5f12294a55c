/**
 * A stand-in of Resend's HTTP API for tests and the local stack: `POST /emails`
 * answers as Resend does (resend.com/docs/api-reference/errors):
 * - 200 `{"id": "<uuid>"}` for a well-formed email sent with a known key;
 * - 401 `missing_api_key` without `Authorization: Bearer …`;
 * - 403 `invalid_api_key` for a key it does not know;
 * - 422 `validation_error` for a missing `from`/`to`/`subject`, no `html` nor
 *   `text`, or an address that is not `email@example.com` / `Name <email@example.com>`;
 * - 400 `validation_error` for a body that is not JSON.
 * Errors carry `{statusCode, message, name}`. `GET /emails/:id` gives a sent
 * email back. What it accepted is kept in `sent`, for tests to read.
 */

/** An email as the stand-in received it. */
export interface SentEmail {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  created_at: string;
}

/** A running stand-in. */
export interface ResendStandin {
  url: string;
  sent: SentEmail[];
  close(): Promise<void>;
}

const error = (statusCode: number, name: string, message: string) =>
  Response.json({ statusCode, message, name }, { status: statusCode });

const ADDRESS = /^(?:[^<>]*<)?[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+>?$/;

/** The request handler, over `keys` (the API keys it accepts) and the `sent` list it fills. */
export function resendHandler(keys: string[], sent: SentEmail[]): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    const auth = req.headers.get("authorization") ?? "";
    const m = auth.match(/^Bearer\s+(\S+)$/i);
    if (!m) return error(401, "missing_api_key", "Missing API key in the authorization header.");
    if (!keys.includes(m[1])) return error(403, "invalid_api_key", "API key is invalid.");
    const get = url.pathname.match(/^\/emails\/([0-9a-f-]{36})$/);
    if (get && req.method === "GET") {
      const found = sent.find((e) => e.id === get[1]);
      return found
        ? Response.json({ object: "email", ...found })
        : error(404, "not_found", "Email not found.");
    }
    if (url.pathname !== "/emails" || req.method !== "POST") {
      await req.body?.cancel();
      return error(404, "not_found", "The requested endpoint does not exist.");
    }
    let body: Record<string, unknown>;
    try {
      body = await req.json();
      if (!body || typeof body !== "object" || Array.isArray(body)) throw new Error();
    } catch {
      return error(400, "validation_error", "Invalid JSON body.");
    }
    for (const field of ["from", "to", "subject"]) {
      if (body[field] === undefined || body[field] === null || body[field] === "") {
        return error(422, "validation_error", `Missing \`${field}\` field.`);
      }
    }
    const to = (Array.isArray(body.to) ? body.to : [body.to]).map(String);
    if (typeof body.from !== "string" || !ADDRESS.test(body.from)) {
      return error(
        422,
        "validation_error",
        "Invalid `from` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.",
      );
    }
    if (to.length > 50) return error(422, "validation_error", "Too many recipients: 50 at most.");
    if (!to.every((a) => ADDRESS.test(a))) {
      return error(
        422,
        "validation_error",
        "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.",
      );
    }
    if (typeof body.html !== "string" && typeof body.text !== "string") {
      return error(422, "validation_error", "Missing `html` or `text` field.");
    }
    const email: SentEmail = {
      id: crypto.randomUUID(),
      from: body.from,
      to,
      subject: String(body.subject),
      ...(typeof body.html === "string" ? { html: body.html } : {}),
      ...(typeof body.text === "string" ? { text: body.text } : {}),
      created_at: new Date().toISOString(),
    };
    sent.push(email);
    return Response.json({ id: email.id });
  };
}

/** Serves the stand-in on 127.0.0.1 (`port` 0: a free one). */
export function startResendStandin(opts: { keys: string[]; port?: number }): ResendStandin {
  const sent: SentEmail[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: opts.port ?? 0, onListen: () => {} },
    resendHandler(opts.keys, sent),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    sent,
    close: () => server.shutdown(),
  };
}

if (import.meta.main) {
  const key = Deno.env.get("RESEND_API_KEY") ?? "re_local_standin";
  const s = startResendStandin({ keys: [key], port: Number(Deno.env.get("PORT") ?? 54399) });
  console.log(`Resend stand-in at ${s.url} (key ${key.slice(0, 5)}…)`);
}
