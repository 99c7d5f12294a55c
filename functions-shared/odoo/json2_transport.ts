/**
 * Odoo 19's External JSON-2 API, as its documentation describes it
 * (odoo/documentation, content/developer/reference/external_api.rst, 19.0):
 * `POST /json/2/<model>/<method>` with `Authorization: bearer <API key>`,
 * `X-Odoo-Database: <db>` and a JSON object of named arguments (`ids`,
 * `context`, and the method's own parameters); success is HTTP 200 with the
 * bare JSON result; failure is 4xx/5xx with `{name, message, arguments,
 * context, debug}` (UserError 422, AccessError/AccessDenied 403, MissingError
 * 404, a bad key 401 `werkzeug.exceptions.Unauthorized`, other exceptions 500).
 * The uid comes from `res.users/context_get`; the version from `GET /web/version`.
 */
import { PasserelleError } from "../errors.ts";
import type { OdooConfig } from "../config.ts";
import { excerpt, fromHttpStatus, fromOdooError, isOdooErrorBody } from "./errors.ts";
import {
  exchange,
  type ExchangeContext,
  type HttpRequest,
  type ModelCall,
  type OdooVersion,
  parseJson,
  type PreparedCall,
  type RawAnswer,
  safeUrl,
  type Transport,
} from "./transport.ts";

/** The JSON-2 transport for `config`. */
export function json2Transport(config: OdooConfig, ctx: ExchangeContext): Transport {
  const base = config.url.replace(/\/+$/, "");
  const headers = {
    authorization: `bearer ${config.secret}`,
    "x-odoo-database": config.db,
    "content-type": "application/json; charset=utf-8",
    accept: "application/json",
    "user-agent": "passerelle",
  };

  function request(model: string, method: string, body: Record<string, unknown>): HttpRequest {
    const what = `${model}.${method}`;
    const url = `${base}/json/2/${encodeURIComponent(model)}/${encodeURIComponent(method)}`;
    return { url, method: "POST", headers, body: JSON.stringify(body), what };
  }

  function settle(answer: RawAnswer, req: HttpRequest, model: string, method: string): unknown {
    const { what, url } = req;
    if (answer.status === 200) return parseJson(answer, what);
    let error: unknown;
    try {
      error = JSON.parse(answer.text);
    } catch {
      error = undefined;
    }
    if (isOdooErrorBody(error)) throw fromOdooError(error, what, config.secret);
    if (answer.status === 404 && /No database is selected|X-Odoo-Database/i.test(answer.text)) {
      // Odoo 19 answers a database it does not have with its server-wide 404 page (fixture odoo19/09).
      throw new PasserelleError(
        "odoo_error",
        `Odoo at ${safeUrl(base)} has no database "${config.db}" (HTTP 404 on /json/2/${model}/${method}: ` +
          `${excerpt(answer.text, 120)}): check ODOO_DB`,
      );
    }
    if (answer.status === 404) {
      throw new PasserelleError(
        "odoo_error",
        `Odoo at ${safeUrl(base)} has no JSON-2 API (HTTP 404 on /json/2/${model}/${method}): ` +
          'JSON-2 needs Odoo 19 or later; use ODOO_TRANSPORT "jsonrpc" for older servers',
      );
    }
    throw fromHttpStatus(answer.status, what, safeUrl(url), excerpt(answer.text));
  }

  async function call(model: string, method: string, body: Record<string, unknown>): Promise<unknown> {
    const req = request(model, method, body);
    return settle(await exchange(ctx, req), req, model, method);
  }

  function prepare(_uid: number, c: ModelCall): PreparedCall {
    const body: Record<string, unknown> = { ...c.kwargs };
    if (c.ids) body.ids = c.ids;
    if (c.context) body.context = c.context;
    const req = request(c.model, c.method, body);
    return { request: req, resultPath: [], settle: (answer) => settle(answer, req, c.model, c.method) };
  }

  return {
    async authenticate() {
      // The key names the user: context_get without ids answers its context, uid included.
      const context = await call("res.users", "context_get", {});
      const uid = (context as { uid?: unknown } | null)?.uid;
      if (typeof uid !== "number") {
        throw new PasserelleError("odoo_malformed", `Odoo's res.users.context_get answered no uid`);
      }
      return uid;
    },

    prepare,

    async version(): Promise<OdooVersion> {
      const what = "GET /web/version";
      const answer = await exchange(ctx, {
        url: `${base}/web/version`,
        method: "GET",
        headers: { accept: "application/json" },
        what,
      });
      if (answer.status !== 200) {
        throw fromHttpStatus(answer.status, what, safeUrl(`${base}/web/version`), excerpt(answer.text));
      }
      const v = parseJson(answer, what) as { version?: unknown; version_info?: unknown } | null;
      if (!v || typeof v.version !== "string" || !Array.isArray(v.version_info)) {
        throw new PasserelleError(
          "odoo_malformed",
          `Odoo's /web/version answered ${excerpt(JSON.stringify(v))}`,
        );
      }
      return {
        serverVersion: v.version,
        serie: v.version,
        versionInfo: v.version_info as (number | string)[],
        major: Number(v.version_info[0]),
      };
    },
  };
}
