/**
 * An HTTP server that answers as Odoo does, for tests, development, the demo
 * and benchmarks:
 *   - `POST /jsonrpc` (services `common`, `db`, `object`), errors as HTTP 200
 *     with `error.data.name`, transport problems as 400 HTML (fixtures 27-29);
 *   - `POST /json/2/<model>/<method>` (Odoo 19's JSON-2: bearer API key, named
 *     arguments, bare JSON result, errors as 4xx/5xx JSON bodies); absent
 *     (404 HTML, fixture 60) when the simulator plays Odoo 17;
 *   - `/web/session/authenticate`, `/web/webclient/version_info`, `/web/version`;
 *   - anything else: 404 HTML.
 * Failures can be injected at run time through `sim.failures`.
 */
import { OdooDataset } from "./dataset.ts";
import { faults, OdooFault } from "./faults.ts";
import { type CallEnv, isModelMethod, Orm, PyFloat } from "./orm.ts";
import { modelsFor } from "./schema.ts";
import { relatedIds } from "./domain.ts";

/** A login the simulator accepts. */
export interface SimulatorUser {
  login: string;
  password: string;
  /** Bearer key for JSON-2 (also accepted as a password over JSON-RPC, as Odoo does). */
  apiKey?: string;
  /** Sales rights: may read crm.* (default true). */
  crm?: boolean;
  /** Settings rights (base.group_system): may read mail.tracking.value (default true). */
  system?: boolean;
}

/** Failures to inject; counters count down as requests consume them. */
export interface Failures {
  /** Added delay before every answer, in ms. */
  latencyMs: number;
  /** The next N requests answer 502 Bad Gateway (HTML, as a reverse proxy does). */
  http502: number;
  /** The next `count` requests answer this status (e.g. 429, 503) with an HTML body. */
  status: { code: number; count: number } | null;
  /** The next N requests never answer (until the client gives up or the server closes). */
  hang: number;
  /** The next N requests answer 200 with a body that is not JSON. */
  malformed: number;
  /** The next N model calls fail with a PostgreSQL serialization failure. */
  concurrency: number;
  /** The next N model calls fail with an AccessError. */
  accessError: number;
}

/** Options of `startOdooSimulator`. */
export interface SimulatorOptions {
  dataset: OdooDataset;
  /** Port to listen on (default 0: a free one). */
  port?: number;
  /** Delay added to every answer, in ms. */
  latencyMs?: number;
  failures?: Partial<Failures>;
  /**
   * Logins (default admin/admin with API key `odoo-api-key-demo`, nocrm/nocrm without Sales rights, and
   * bob/bob with Sales rights but not Settings: no mail.tracking.value).
   */
  users?: SimulatorUser[];
  /** Odoo major version to play: 17 (as recorded: no JSON-2) or 19 (default: JSON-RPC and JSON-2). */
  version?: 17 | 19;
  /** Time Odoo spends on each request (none by default: answers as fast as the simulator can). */
  cost?: CostModel;
}

/**
 * Where a real Odoo spends its time, so that benchmarks predict real ratios. The time is spent before
 * answering, by `workers` lanes at once: a threaded Odoo (`workers = 0`, as recorded) runs Python under
 * one GIL, so one lane.
 */
export interface CostModel {
  /** Every request: routing, environment, transaction, JSON (ms). */
  requestMs: number;
  /** `common.authenticate` / `/web/session/authenticate`: the password hash (ms). */
  authenticateMs: number;
  /** Each field value a read renders (µs). */
  valueUs: number;
  /** Each many2one a read names (`[id, display_name]`; none with `load: null`), beyond its value (µs). */
  many2oneNameUs: number;
  /** Bytes of binary field content a read encodes per second (`datas`, before base64). */
  binaryBytesPerS: number;
  /** Requests Odoo works on at once. */
  workers: number;
}

/**
 * Measured on a real Odoo 17.0 built here (README, "Tests and benchmarks"), threaded, 3,000 leads and 392
 * attachments (53.2 MB) seeded by scripts/live/seed_odoo.ts, as the Odoo process's own CPU time (a
 * threaded Odoo runs Python under one GIL: one lane, its wall time on an idle machine):
 * - a read of one attachment's id, 392 times: 3.98 s, so 10 ms a request;
 * - search_read of the 3,000 leads' 18 fields: 418–444 ms (54,000 values); with `load: null` 296–298 ms,
 *   so 5.3 µs a value and 15.7 µs more for each of the 9,000 many2ones named;
 * - the 392 attachments read in 14 batched calls of 4 MB: 1.23 s, so 49 MB/s of content; one per call
 *   5.96 s (15 ms a call);
 * - common.authenticate: 0.41 s (issue 16), 0.52 s here. Each execute_kw checks the password too, but
 *   Odoo caches the check per process (`res.users.check` is an ormcache on uid and password): a server
 *   hashes it once per process (fixture odoo17_live/03), which a benchmark's warm-up pays.
 */
export const ODOO17_COSTS: CostModel = {
  requestMs: 10,
  authenticateMs: 410,
  valueUs: 5.3,
  many2oneNameUs: 15.7,
  binaryBytesPerS: 49e6,
  workers: 1,
};

/**
 * The same Odoo 17 run as Odoo.sh runs it, prefork (`--workers 2 --max-cron-threads 0`): each worker a
 * process of its own, so two requests are served at once on two cores. Its costs per request, value and
 * byte are the threaded server's: the same 392 attachments in 14 batched calls cost its workers 1.08–1.28 s
 * of CPU (and 0.05–0.07 s of its PostgreSQL), one per call 3.79–3.93 s (and 1.05–1.06 s); fixture
 * odoo17_live/04.
 */
export const ODOO17_PREFORK_COSTS: CostModel = { ...ODOO17_COSTS, workers: 2 };

/** The cost models by the name `--cost` takes. */
export const COST_MODELS: Record<string, CostModel> = {
  odoo17: ODOO17_COSTS,
  "odoo17-prefork": ODOO17_PREFORK_COSTS,
};

/**
 * The time (ms) Odoo spends rendering a read's `result` beyond the request itself: every field value, the
 * name of every many2one rendered as `[id, name]`, and the binary content (`datas`, base64 on the wire).
 */
export function readCostMs(cost: CostModel, result: unknown): number {
  if (!Array.isArray(result)) return 0;
  let values = 0, named = 0, bytes = 0;
  for (const row of result) {
    if (row && typeof row === "object") {
      for (const v of Object.values(row)) {
        values++;
        if (Array.isArray(v) && v.length === 2 && typeof v[0] === "number" && typeof v[1] === "string") {
          named++;
        }
      }
      const datas = (row as Record<string, unknown>).datas;
      if (typeof datas === "string") bytes += (datas.length * 3) / 4;
    }
  }
  return (values * cost.valueUs + named * cost.many2oneNameUs) / 1000 + (bytes / cost.binaryBytesPerS) * 1000;
}

/**
 * Odoo's `workers` lanes: `reserve(now, ms)` gives the time at which a request that costs `ms` and arrives
 * at `now` is answered, served by the first lane free (a threaded server's GIL is one lane).
 */
export function odooLanes(workers: number): { reserve(now: number, ms: number): number } {
  const lanes = new Array(Math.max(1, workers)).fill(0);
  return {
    reserve(now, ms) {
      let lane = 0;
      for (let i = 1; i < lanes.length; i++) if (lanes[i] < lanes[lane]) lane = i;
      lanes[lane] = Math.max(now, lanes[lane]) + ms;
      return lanes[lane];
    },
  };
}

/** A running simulator. */
export interface OdooSimulator {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  dataset: OdooDataset;
  /** HTTP requests served, and model calls by `model.method` (or `service.method`). */
  stats: { calls: number; byMethod: Record<string, number> };
  /** Mutable: set fields to inject failures into the next requests. */
  failures: Failures;
  close(): Promise<void>;
}

/** The default credentials, as in the fixtures. */
export const DEFAULT_USERS: SimulatorUser[] = [
  { login: "admin", password: "admin", apiKey: "odoo-api-key-demo", crm: true },
  { login: "nocrm", password: "nocrm", apiKey: "odoo-api-key-nocrm", crm: false, system: false },
  // A salesman (Sales rights, no Settings): reads leads and their chatter, not its tracking values.
  { login: "bob", password: "bob", apiKey: "odoo-api-key-bob", crm: true, system: false },
];

const VERSIONS = {
  17: {
    server_version: "17.0-20240709",
    server_version_info: [17, 0, 0, "final", 0, ""],
    server_serie: "17.0",
  },
  19: {
    // A 19.0 source build answers "19.0" in common.version as in /web/version (fixtures odoo19/11,
    // odoo19_live/08).
    server_version: "19.0",
    server_version_info: [19, 0, 0, "final", 0, ""],
    server_serie: "19.0",
  },
};

/** What Odoo 19 answers a request naming a database it lacks (fixture odoo19/09-error-wrong-db.json). */
const NO_DATABASE_PAGE = "<!DOCTYPE html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n" +
  "<p>No database is selected and the requested URL was not found in the server-wide controllers.</p>\n" +
  "<p>Please verify the hostname, <a href=/web/login>login</a> and try again.</p>\n\n" +
  "<!-- Alternatively, use the X-Odoo-Database header. -->\n";

/** What Odoo 19 answers a JSON-2 call whose body is not JSON (fixture odoo19/22). */
const UNSUPPORTED_TYPE_PAGE = "<!doctype html>\n<html lang=en>\n<title>415 Unsupported Media Type</title>\n" +
  "<h1>Unsupported Media Type</h1>\n<p>Request inferred type is compatible with [&#39;http&#39;] but " +
  "&#39;/json/2/&lt;__model__&gt;/&lt;__method__&gt;&#39; is type=&#39;json2&#39;.<br><br>Please verify the " +
  "Content-Type request header and try again.</p>\n";

const JSON_TYPE = "application/json; charset=utf-8";
const HTML_TYPE = "text/html; charset=utf-8";
const SERVER = "Werkzeug/2.2.2 Python/3.11.2";

/** Starts a simulator on 127.0.0.1; it listens when this returns (awaiting the result is harmless). */
export function startOdooSimulator(opts: SimulatorOptions): OdooSimulator {
  const ds = opts.dataset;
  const users = opts.users ?? DEFAULT_USERS;
  const version = opts.version ?? 19;
  const MODELS = modelsFor(version);
  const orm = new Orm(ds, MODELS, version);
  const failures: Failures = {
    latencyMs: opts.latencyMs ?? 0,
    http502: 0,
    status: null,
    hang: 0,
    malformed: 0,
    concurrency: 0,
    accessError: 0,
    ...opts.failures,
  };
  const stats = { calls: 0, byMethod: {} as Record<string, number> };
  const waiting = new Set<() => void>();
  let closed = false;
  const cost = opts.cost;
  // Time charged by the request being answered: model calls run synchronously, so the charge made
  // between a call's start and its result is that call's alone.
  let charged = 0;
  const charge = (ms: number) => (charged += ms);
  const chargeRead = (result: unknown) => {
    if (cost) charge(readCostMs(cost, result));
  };
  const lanes = odooLanes(cost?.workers ?? 1);
  /** Spends `ms` of Odoo's time on the first lane free, as a real server's workers (or GIL) do. */
  const spend = async (ms: number) => {
    const now = performance.now();
    await wait(lanes.reserve(now, ms) - now);
  };
  const costs = new WeakMap<Response, number>();

  /**
   * Waits `ms` (until close when Infinity), ending early when the simulator
   * closes. It does not watch `request.signal`: Deno's legacy abort semantics
   * warn on that, and a client that gave up does not mind a late answer.
   */
  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        waiting.delete(done);
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      waiting.add(done);
      if (closed) done();
    });

  const count = (key: string) => (stats.byMethod[key] = (stats.byMethod[key] ?? 0) + 1);

  const userByLogin = (login: unknown) => {
    const cred = users.find((u) => u.login === login);
    if (!cred) return undefined;
    const row = ds.table("res.users").rows.find((u) => u.login === login && u.active !== false);
    return row ? { cred, row } : undefined;
  };

  const envFor = (row: { id: number; name?: unknown }, cred: SimulatorUser, context: unknown): CallEnv => ({
    uid: row.id,
    userName: String(row.name ?? ""),
    crm: cred.crm ?? true,
    system: cred.system ?? true,
    context: isObject(context) ? context : {},
  });

  /** `execute_kw` credentials: unknown database, then uid and password (fixtures 04, 24). */
  const checkCredentials = (db: unknown, uid: unknown, secret: unknown) => {
    if (db !== ds.db) throw faults.unknownDatabase(String(db));
    for (const cred of users) {
      const u = userByLogin(cred.login);
      if (u && u.row.id === uid && (secret === cred.password || (cred.apiKey && secret === cred.apiKey))) {
        return u;
      }
    }
    throw faults.accessDenied();
  };

  /** Injected model-call failures, consumed in order. */
  const injectedFault = (model: string): OdooFault | null => {
    if (failures.concurrency > 0) {
      failures.concurrency--;
      return faults.serializationFailure();
    }
    if (failures.accessError > 0) {
      failures.accessError--;
      const def = MODELS.get(model);
      return faults.modelAccess(def?.description ?? model, model, def?.crmGroups ?? ["Sales/Administrator"]);
    }
    return null;
  };

  // -- JSON-RPC --------------------------------------------------------------

  const rpc = (params: Record<string, unknown>): unknown => {
    const service = params.service;
    const method = String(params.method);
    const args = Array.isArray(params.args) ? params.args : [];
    if (service === "common") {
      count(`common.${method}`);
      if (method === "version") return { ...VERSIONS[version], protocol_version: 1 };
      if (method === "authenticate" || method === "login") {
        if (cost) charge(cost.authenticateMs);
        const [db, login, password] = args;
        if (db !== ds.db) throw faults.unknownDatabase(String(db));
        const u = userByLogin(login);
        // Wrong password and unknown login are not errors here: result false (fixtures 03, 05).
        if (!u || (password !== u.cred.password && !(u.cred.apiKey && password === u.cred.apiKey))) {
          return false;
        }
        return u.row.id;
      }
      throw methodNotFound(method);
    }
    if (service === "db") {
      count(`db.${method}`);
      if (method === "list") return [ds.db];
      if (method === "server_version") return VERSIONS[version].server_version;
      throw methodNotFound(method);
    }
    if (service === "object") {
      if (method !== "execute_kw" && method !== "execute") {
        throw new OdooFault("builtins.KeyError", `Method not supported ${method}`, 500);
      }
      const [db, uid, secret, model, name] = args;
      const u = checkCredentials(db, uid, secret);
      count(`${model}.${name}`);
      const injected = injectedFault(String(model));
      if (injected) throw injected;
      let callArgs: unknown[];
      let kwargs: Record<string, unknown> = {};
      if (method === "execute_kw") {
        callArgs = args[5] === undefined ? [] : args[5] as unknown[];
        if (args[6] !== undefined && args[6] !== null) kwargs = args[6] as Record<string, unknown>;
        if (!Array.isArray(callArgs) || !isObject(kwargs)) {
          throw faults.typeError("execute_kw() expects a list of arguments and a dict of keyword arguments");
        }
      } else callArgs = args.slice(5);
      const { context, ...rest } = kwargs;
      const env = envFor(u.row, u.cred, context);
      const modelName = String(model);
      const methodName = String(name);
      if (MODELS.has(modelName) && !methodName.startsWith("_") && !isModelMethod(methodName)) {
        // Record methods take their ids from the first positional argument.
        const result = orm.call(
          modelName,
          methodName,
          { ids: callArgs[0], args: callArgs.slice(1), kwargs: rest },
          env,
        );
        chargeRead(result);
        return result;
      }
      const result = orm.call(modelName, methodName, { args: callArgs, kwargs: rest }, env);
      chargeRead(result);
      return result;
    }
    throw faults.keyError(String(service)); // fixture 31
  };

  const jsonRpcAnswer = (id: unknown, run: () => unknown, headers: Record<string, string> = {}): Response => {
    charged = 0;
    try {
      const result = run();
      // A method returning None gives no `result` key at all (fixture 30).
      const body = result === undefined || result === null
        ? { jsonrpc: "2.0", id }
        : { jsonrpc: "2.0", id, result };
      return costed(json(body, 200, headers));
    } catch (e) {
      const fault = asFault(e);
      const error = { code: 200, message: "Odoo Server Error", data: fault.serialize() };
      return costed(json({ jsonrpc: "2.0", id, error }, 200, headers));
    }
  };

  /** Odoo's `type='json'` routes: POST with a JSON body, else 400 HTML (fixtures 27-29). */
  const readJsonRoute = async (req: Request, path: string): Promise<Record<string, unknown> | Response> => {
    const mimetype = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (req.method !== "POST" || (mimetype !== "application/json" && mimetype !== "application/json-rpc")) {
      await req.body?.cancel();
      return html(
        400,
        "<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n<h1>Bad Request</h1>\n" +
          `<p>Request inferred type is compatible with [&#39;http&#39;] but &#39;${path}&#39; is ` +
          "type=&#39;json&#39;.</p>\n",
      );
    }
    try {
      const body = JSON.parse(await req.text());
      if (!isObject(body)) throw new Error("not an object");
      return body;
    } catch {
      return html(400, "Invalid JSON data");
    }
  };

  // -- JSON-2 ---------------------------------------------------------------

  const json2 = async (req: Request, path: string): Promise<Response> => {
    const [, , , modelName, methodName] = path.split("/").map(decodeURIComponent);
    const dbHeader = req.headers.get("x-odoo-database");
    if (dbHeader !== null && dbHeader !== ds.db) {
      // Odoo's server-wide 404 page, HTML (fixture odoo19/09); without the header a server with one
      // database serves that one (fixture odoo19/16).
      await req.body?.cancel();
      return html(404, NO_DATABASE_PAGE);
    }
    if (req.method !== "POST") {
      await req.body?.cancel();
      return json2Error(werkzeug("NotFound", 404, "Did you mean POST /json/2/<model>/<method>?")); // 19
    }
    const text = await req.text();
    const mimetype = (req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (text.length > 0 && mimetype !== "application/json") {
      // fixture odoo19/22: a text/plain body is refused before authentication, as HTML.
      return html(415, UNSUPPORTED_TYPE_PAGE, { accept: "application/json" });
    }
    const authorization = req.headers.get("authorization");
    const auth = /^bearer\s+(.+)$/i.exec(authorization ?? "");
    const cred = auth ? users.find((u) => u.apiKey && u.apiKey === auth[1].trim()) : undefined;
    const user = cred ? userByLogin(cred.login) : undefined;
    if (!cred || !user) {
      // fixtures odoo19/15 (no Authorization) and 08 (a wrong key).
      const said = auth
        ? "Invalid apikey"
        : "User not authenticated, use an API Key with a Bearer Authorization header.";
      return json2Error(werkzeug("Unauthorized", 401, said), {}, { "www-authenticate": "Bearer " });
    }
    let body: Record<string, unknown> = {};
    if (text.length > 0) {
      try {
        const parsed = JSON.parse(text);
        if (!isObject(parsed)) throw new SyntaxError("expecting a json object");
        body = parsed;
      } catch (e) {
        return json2Error(
          werkzeug("BadRequest", 400, `could not parse the body as json: ${(e as Error).message}`),
        );
      }
    }
    const { ids, context, ...kwargs } = body;
    const env = envFor(user.row, user.cred, context);
    count(`${modelName}.${methodName}`);
    try {
      if (!MODELS.has(modelName)) throw werkzeug("NotFound", 404, `the model '${modelName}' does not exist`);
      const injected = injectedFault(modelName);
      if (injected) throw injected;
      if (isModelMethod(methodName) && Array.isArray(ids) && ids.length > 0) {
        throw werkzeug("UnprocessableEntity", 422, `cannot call ${modelName}.${methodName} with ids`);
      }
      charged = 0;
      const result = orm.call(modelName, methodName, { ids, args: [], kwargs }, env);
      chargeRead(result);
      return costed(json(result ?? null, 200));
    } catch (e) {
      let fault = asFault(e);
      if (fault.odooName === "builtins.AttributeError") {
        // fixture odoo19/07: "The method 'crm.lead.no_such_method' does not exist"
        fault = werkzeug("NotFound", 404, `The method '${modelName}.${methodName}' does not exist`);
      } else if (fault.odooName === "builtins.TypeError") {
        fault = werkzeug("UnprocessableEntity", 422, fault.message);
      }
      return json2Error(fault, env.context);
    }
  };

  // -- other routes ----------------------------------------------------------

  const sessionInfo = (row: { id: number; [k: string]: unknown }) => {
    const partnerId = relatedIds(row.partner_id)[0] ?? false;
    const partner = partnerId ? ds.table("res.partner").get(partnerId) : undefined;
    const isAdmin = row.id === 2;
    return {
      uid: row.id,
      is_system: isAdmin,
      is_admin: isAdmin,
      is_internal_user: !row.share,
      user_context: { lang: "en_US", tz: false, uid: row.id },
      db: ds.db,
      user_settings: {
        id: row.id - 1,
        user_id: { id: row.id },
        is_discuss_sidebar_category_channel_open: true,
        is_discuss_sidebar_category_chat_open: true,
        push_to_talk_key: false,
        use_push_to_talk: false,
        voice_active_duration: 200,
        volume_settings_ids: [["ADD", []]],
      },
      server_version: VERSIONS[version].server_version,
      server_version_info: VERSIONS[version].server_version_info,
      support_url: "https://www.odoo.com/buy",
      name: row.name,
      username: row.login,
      partner_display_name: partner?.name ?? row.name,
      partner_id: partnerId,
      "web.base.url": "http://127.0.0.1:8069",
      active_ids_limit: 20000,
      profile_session: null,
      profile_collectors: null,
      profile_params: null,
      max_file_upload_size: 134217728,
      home_action_id: false,
      cache_hashes: {
        translations: "74e93d8e04f7a47bc723f4e5e1c22150d7e0a76a",
        load_menus: "fff9c55f5ab5e131395263023d3e33f086004b191657bd93f2fc3e2b9c5f8e66",
      },
      currencies: { "1": { symbol: "$", position: "before", digits: [69, 2] } },
      bundle_params: { lang: "en_US" },
      user_companies: {
        current_company: 1,
        allowed_companies: {
          "1": { id: 1, name: "My Company", sequence: 0, child_ids: [], parent_id: false },
        },
        disallowed_ancestor_companies: {},
      },
      show_effect: true,
      display_switch_company_menu: false,
      user_id: [row.id],
      web_tours: [],
      tour_disable: false,
      notification_type: "email",
      odoobot_initialized: false,
      iap_company_enrich: true,
    };
  };

  /** A response carrying the time charged while it was made. */
  const costed = (res: Response) => {
    costs.set(res, charged);
    charged = 0;
    return res;
  };

  const handler = async (req: Request): Promise<Response> => {
    const res = await route(req);
    if (cost) await spend(cost.requestMs + (costs.get(res) ?? 0));
    return res;
  };

  const route = async (req: Request): Promise<Response> => {
    stats.calls++;
    const path = new URL(req.url).pathname;
    if (failures.latencyMs > 0) await wait(failures.latencyMs);
    if (failures.hang > 0) {
      failures.hang--;
      await wait(Infinity);
      return html(504, "<html><body><h1>504 Gateway Time-out</h1></body></html>\n");
    }
    if (failures.http502 > 0) {
      failures.http502--;
      await req.body?.cancel();
      return html(
        502,
        "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<center><h1>502 Bad Gateway" +
          "</h1></center>\n<hr><center>nginx</center>\n</body>\n</html>\n",
      );
    }
    if (failures.status && failures.status.count > 0) {
      failures.status.count--;
      const code = failures.status.code;
      await req.body?.cancel();
      return html(code, `<html><body><h1>${code}</h1></body></html>\n`);
    }
    if (failures.malformed > 0) {
      failures.malformed--;
      await req.body?.cancel();
      return new Response("<html><body>Proxy error: upstream sent garbage</body></html>", {
        status: 200,
        headers: { "content-type": JSON_TYPE, server: SERVER },
      });
    }

    if (path === "/jsonrpc") {
      const body = await readJsonRoute(req, path);
      if (body instanceof Response) return body;
      const params = isObject(body.params) ? body.params : {};
      return jsonRpcAnswer(body.id ?? null, () => rpc(params));
    }
    if (path === "/web/session/authenticate") {
      const body = await readJsonRoute(req, path);
      if (body instanceof Response) return body;
      const params = isObject(body.params) ? body.params : {};
      count("web.session.authenticate");
      let ok = false;
      const answer = jsonRpcAnswer(body.id ?? null, () => {
        if (params.db !== ds.db) throw faults.unknownDatabase(String(params.db));
        if (cost) charge(cost.authenticateMs);
        const u = userByLogin(params.login);
        if (!u || params.password !== u.cred.password) throw faults.accessDenied(); // fixture 59
        ok = true;
        return sessionInfo(u.row);
      });
      if (ok) answer.headers.set("set-cookie", sessionCookie());
      return answer;
    }
    if (path === "/web/webclient/version_info") {
      const body = await readJsonRoute(req, path);
      if (body instanceof Response) return body;
      count("web.webclient.version_info");
      return jsonRpcAnswer(body.id ?? null, () => ({ ...VERSIONS[version], protocol_version: 1 }), {
        "set-cookie": sessionCookie(),
      });
    }
    if (path === "/web/version") {
      await req.body?.cancel();
      count("web.version");
      return json({
        version_info: VERSIONS[version].server_version_info,
        version: VERSIONS[version].server_serie,
      }, 200);
    }
    if (path.startsWith("/json/2/") && version >= 19 && path.split("/").length === 5) {
      return await json2(req, path);
    }
    await req.body?.cancel();
    return notFoundPage();
  };

  const server = Deno.serve({ hostname: "127.0.0.1", port: opts.port ?? 0, onListen: () => {} }, handler);
  const { port } = server.addr as Deno.NetAddr;
  return {
    url: `http://127.0.0.1:${port}`,
    dataset: ds,
    stats,
    failures,
    async close() {
      closed = true;
      for (const done of [...waiting]) done();
      await server.shutdown();
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function asFault(e: unknown): OdooFault {
  if (e instanceof OdooFault) return e;
  // A simulator bug: say so as Odoo would say an unexpected error.
  const message = e instanceof Error ? e.message : String(e);
  return new OdooFault("builtins.Exception", message, 500);
}

function methodNotFound(method: string): OdooFault {
  return new OdooFault("builtins.Exception", `Method not found: ${method}`, 500);
}

function werkzeug(name: string, status: number, description: string): OdooFault {
  const reason = STATUS_TEXT[status] ?? "Error";
  return new OdooFault(
    `werkzeug.exceptions.${name}`,
    description,
    status,
    [description, status],
    `werkzeug.exceptions.${name}: ${status} ${reason}: ${description}`,
  );
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  422: "Unprocessable Entity",
};

function json2Error(
  fault: OdooFault,
  context: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return json(fault.serialize(context), fault.json2Status, headers);
}

function json(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  const ok: Record<string, string> = status === 200 ? { "x-content-type-options": "nosniff" } : {};
  return new Response(pyJson(body), {
    status,
    headers: { "content-type": JSON_TYPE, server: SERVER, ...ok, ...headers },
  });
}

const MARK = JSON.stringify(PyFloat.MARK).slice(1, -1); // as JSON.stringify escapes it
const MARKED = new RegExp(`"${MARK.replace(/\\/g, "\\\\")}([^"]*)"`, "g");

/** JSON as Python writes it: a float stays a float (`45000.0`, fixture odoo19/02), an int an int. */
function pyJson(body: unknown): string {
  const text = JSON.stringify(body, (_k, v) => (v instanceof PyFloat ? v.text() : v));
  return text.includes(MARK) ? text.replace(MARKED, "$1") : text;
}

function html(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": HTML_TYPE, server: SERVER, ...headers } });
}

function sessionCookie(): string {
  const id = crypto.getRandomValues(new Uint8Array(20)).reduce(
    (s, b) => s + b.toString(16).padStart(2, "0"),
    "",
  );
  const expires = new Date(Date.now() + 604800_000).toUTCString();
  return `session_id=${id}; Expires=${expires}; Max-Age=604800; HttpOnly; Path=/`;
}

/** Odoo's website 404 page (fixture 60: what Odoo 17 answers for /json/2/...). */
function notFoundPage(): Response {
  const body = '<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="utf-8"/>\n' +
    '        <meta http-equiv="X-UA-Compatible" content="IE=edge"/>\n' +
    '        <meta name="viewport" content="width=device-width, initial-scale=1"/>\n' +
    "        <title>Odoo</title>\n" +
    '        <link type="image/x-icon" rel="shortcut icon" href="/web/static/img/favicon.ico"/>\n' +
    '        <link rel="preload" href="/web/static/src/libs/fontawesome/fonts/fontawesome-webfont.woff2?v=4.7.0" ' +
    'as="font" crossorigin=""/>\n' +
    '        <link type="text/css" rel="stylesheet" href="/web/assets/131af65/web.assets_frontend.min.css"/>\n' +
    '        <script id="web.layout.odooscript" type="text/javascript">var odoo = {csrf_token: "", debug: ""};' +
    "</script>\n    </head>\n    <body>\n        <h1>404: Page not found</h1>\n" +
    "        <p>The page you were looking for could not be found; it is possible you have typed the address " +
    "incorrectly, but it has most probably been removed due to the recent website reorganisation.</p>\n" +
    "    </body>\n</html>\n";
  return new Response(body, {
    status: 404,
    headers: { "content-type": "text/html;charset=utf-8", server: SERVER, "set-cookie": sessionCookie() },
  });
}
