/**
 * Odoo's JSON-RPC wire format (`POST /jsonrpc`, Odoo 8 to 21; deprecated in 19):
 * `common.authenticate(db, login, password, {})` gives the uid (or `false` for a
 * wrong login or password, with HTTP 200), then every call is
 * `object.execute_kw(db, uid, password, model, method, args, kwargs)`.
 * Failures come back as HTTP 200 with an `error` object; a method returning
 * None comes back without a `result` key (read as null).
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

/** The JSON-RPC transport for `config`. */
export function jsonRpcTransport(config: OdooConfig, ctx: ExchangeContext): Transport {
  const url = `${config.url.replace(/\/+$/, "")}/jsonrpc`;
  let nextId = 1;

  function request(service: string, method: string, args: unknown[], what: string): HttpRequest {
    return {
      url,
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({
        jsonrpc: "2.0",
        method: "call",
        params: { service, method, args },
        id: nextId++,
      }),
      what,
    };
  }

  function settle(answer: RawAnswer, what: string): unknown {
    const isJson = answer.contentType.includes("json");
    if (answer.status !== 200 && !(isJson && answer.status < 500)) {
      throw fromHttpStatus(answer.status, what, safeUrl(url), excerpt(answer.text));
    }
    const body = parseJson(answer, what);
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      throw new PasserelleError(
        "odoo_malformed",
        `Odoo answered ${what} with a JSON ${typeof body}, not a JSON-RPC object`,
      );
    }
    const envelope = body as { error?: { message?: string; data?: unknown }; result?: unknown };
    if (envelope.error !== undefined) {
      const data = isOdooErrorBody(envelope.error.data)
        ? envelope.error.data
        : { name: "unknown", message: String(envelope.error.message ?? JSON.stringify(envelope.error)) };
      throw fromOdooError(data, what, config.secret);
    }
    if (answer.status !== 200) throw fromHttpStatus(answer.status, what, safeUrl(url), excerpt(answer.text));
    return envelope.result ?? null; // no `result` key: the method returned None
  }

  async function rpc(service: string, method: string, args: unknown[], what: string): Promise<unknown> {
    return settle(await exchange(ctx, request(service, method, args, what)), what);
  }

  function prepare(uid: number, call: ModelCall): PreparedCall {
    const args = call.ids ? [call.ids] : [];
    const kwargs = call.context ? { ...call.kwargs, context: call.context } : call.kwargs;
    const what = `${call.model}.${call.method}`;
    return {
      request: request("object", "execute_kw", [
        config.db,
        uid,
        config.secret,
        call.model,
        call.method,
        args,
        kwargs,
      ], what),
      resultPath: ["result"],
      settle: (answer) => settle(answer, what),
    };
  }

  return {
    async authenticate() {
      const uid = await rpc(
        "common",
        "authenticate",
        [config.db, config.login, config.secret, {}],
        "common.authenticate",
      );
      if (uid === false) {
        throw new PasserelleError(
          "odoo_auth_failed",
          `Odoo refused the login "${config.login}" on database "${config.db}": wrong login or password`,
        );
      }
      if (typeof uid !== "number") {
        throw new PasserelleError(
          "odoo_malformed",
          `Odoo's common.authenticate answered ${JSON.stringify(uid)}`,
        );
      }
      return uid;
    },

    prepare,

    async version(): Promise<OdooVersion> {
      const v = await rpc("common", "version", [], "common.version") as Record<string, unknown> | null;
      const info = v?.server_version_info;
      if (!v || typeof v.server_version !== "string" || !Array.isArray(info)) {
        throw new PasserelleError("odoo_malformed", `Odoo's common.version answered ${JSON.stringify(v)}`);
      }
      return {
        serverVersion: v.server_version,
        serie: String(v.server_serie ?? v.server_version),
        versionInfo: info as (number | string)[],
        major: Number(info[0]),
      };
    },
  };
}
