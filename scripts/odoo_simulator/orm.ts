/**
 * The ORM behind both wire formats: `search_read`, `search`, `search_count`,
 * `read`, `fields_get` (and the few other methods the fixtures call) with the
 * Odoo semantics the transcripts show: the implicit active filter, default
 * orders, `limit: 0` as no limit, missing ids dropped by `read`, field-linked
 * and orphan attachments hidden from search, an orphan read raising
 * AccessError, CRM models refused to users without Sales rights.
 *
 * Keyset reads (`id > cursor`, order `id asc`) binary-search the id-sorted
 * table and stop at `limit`: a 1,000-row page of 50,000 leads touches about
 * 1,000 rows, not 50,000.
 */
import { compileDomain, relatedIds, type Row, type RowAccess } from "./domain.ts";
import { type FieldDef, hasActive, type ModelDef, MODELS } from "./schema.ts";
import { faults, OdooFault, pyRepr } from "./faults.ts";
import type { OdooDataset } from "./dataset.ts";
import { type ComputeContext, COMPUTED } from "./computed.ts";

/** Who is calling, and with which context. */
export interface CallEnv {
  uid: number;
  /** The user's name, as access errors show it. */
  userName: string;
  /** Whether the user has Sales rights (may read CRM models). */
  crm: boolean;
  /** Whether the user has Settings rights (base.group_system: may read mail.tracking.value); default true. */
  system?: boolean;
  context: Record<string, unknown>;
}

/** Options of a search. */
export interface SearchOptions {
  offset?: number;
  limit?: number | null | false;
  order?: string | null | false;
}

interface OrderTerm {
  field: string;
  desc: boolean;
}

/** Methods the simulator answers; `model` ones take no ids (Odoo's `@api.model`). */
const METHODS: Record<string, { params: string[]; model: boolean; only?: string; extraKw?: string[] }> = {
  search_read: { params: ["domain", "fields", "offset", "limit", "order"], model: true, extraKw: ["load"] },
  search: { params: ["domain", "offset", "limit", "order"], model: true },
  search_count: { params: ["domain", "limit"], model: true },
  read: { params: ["fields", "load"], model: false },
  fields_get: { params: ["allfields", "attributes"], model: true },
  check: { params: ["mode", "values"], model: true, only: "ir.attachment" },
  context_get: { params: [], model: true, only: "res.users" },
};

/** Public methods Odoo has that the simulator does not implement. */
const UNSUPPORTED = new Set([
  "create",
  "write",
  "unlink",
  "copy",
  "name_search",
  "read_group",
  "web_search_read",
  "web_read",
  "default_get",
  "onchange",
  "exists",
]);

const collator = new Intl.Collator("en-US");

/** The simulated ORM over a dataset. */
export class Orm {
  readonly access: RowAccess;
  readonly #compute: ComputeContext;
  #activityIndex: { version: number; byRecord: Map<string, Row[]> } | null = null;
  #attachmentIndex: { version: number; counts: Map<string, number> } | null = null;
  #childIndex: { version: number; byParent: Map<number, number[]> } | null = null;

  /**
   * `models`: the schema of the version played (`modelsFor`); `version` words a few messages as that
   * version does (fixtures odoo19/07, 10, 17).
   */
  constructor(
    readonly ds: OdooDataset,
    readonly models: ReadonlyMap<string, ModelDef> = MODELS,
    readonly version: 17 | 19 = 17,
  ) {
    this.access = {
      get: (model, row, field) => this.value(model, row, field),
      row: (model, id) => this.ds.table(model).get(id),
      model: (name) => this.models.get(name),
      displayName: (model, row) => this.displayName(model, row),
    };
    this.#compute = {
      ds,
      activitiesOf: (model, id) => this.#activities().get(`${model},${id}`) ?? [],
      attachmentCount: (model, id) => this.#attachmentCounts().get(`${model},${id}`) ?? 0,
      displayNameOf: (model, id) => {
        const def = this.models.get(model);
        const row = def ? this.ds.table(model).get(id) : undefined;
        return def && row ? this.displayName(def, row) : false;
      },
      childrenOf: (id) => this.#children().get(id) ?? [],
    };
  }

  // -- values --------------------------------------------------------------

  /** A field's raw value: stored, computed, or the type's empty value. */
  value(model: ModelDef, row: Row, field: string): unknown {
    if (Object.hasOwn(row, field)) return row[field];
    const compute = COMPUTED[model.name]?.[field];
    if (compute) return compute(row, this.#compute);
    return emptyValue(model.fields[field]);
  }

  /** What a many2one to this record shows. */
  displayName(model: ModelDef, row: Row): string {
    const v = this.value(model, row, "display_name");
    if (typeof v === "string") return v;
    return typeof row.name === "string" ? row.name : `${model.name},${row.id}`;
  }

  /**
   * A field as the API renders it: many2one `[id, name]` (a bare id when `read`'s `load` is not
   * "_classic_read", fixture odoo17_live/01), datetimes to the second, never null.
   */
  render(model: ModelDef, row: Row, field: string, classic = true): unknown {
    // Every model's display_name is what a many2one to it shows (the sync names stages and users by it).
    if (field === "display_name") return this.displayName(model, row);
    const def = model.fields[field];
    const v = this.value(model, row, field);
    if (v === null || v === undefined) return emptyValue(def);
    switch (def?.type) {
      case "many2one": {
        if (!classic) return Array.isArray(v) ? v[0] : typeof v === "number" ? v : false;
        if (Array.isArray(v)) return v; // stored as recorded: [id, name]
        if (typeof v !== "number") return false;
        const comodel = this.models.get(def.relation!);
        const related = comodel ? this.ds.table(comodel.name).get(v) : undefined;
        return related && comodel ? [v, this.displayName(comodel, related)] : false;
      }
      case "datetime":
        return typeof v === "string" ? v.slice(0, 19) : v;
      case "one2many":
      case "many2many":
        return Array.isArray(v) ? [...v] : [];
      case "float":
      case "monetary":
        return typeof v === "number" ? new PyFloat(v) : v;
      default:
        return typeof v === "object" && v !== null ? structuredClone(v) : v;
    }
  }

  /** Rows as `read` returns them: `id` first, then the fields asked for. */
  renderRows(model: ModelDef, rows: Row[], fields: string[], load?: unknown): Record<string, unknown>[] {
    const names = fields.filter((f) => f !== "id");
    const classic = load === undefined || load === "_classic_read";
    return rows.map((row) => {
      const out: Record<string, unknown> = { id: row.id };
      for (const f of names) out[f] = this.render(model, row, f, classic);
      return out;
    });
  }

  // -- search --------------------------------------------------------------

  /** Rows matching a domain, in order, with offset and limit. */
  search(model: ModelDef, domain: unknown, opts: SearchOptions, env: CallEnv): Row[] {
    const { candidates, streamable, test, order } = this.#plan(model, domain ?? [], opts.order, env);
    const offset = Math.max(0, Number(opts.offset) || 0);
    const limit = opts.limit ? Number(opts.limit) : Infinity; // 0, null, false: no limit (fixture 56)
    if (streamable) {
      const out: Row[] = [];
      let skipped = 0;
      for (const row of candidates) {
        if (!test(row)) continue;
        if (skipped < offset) {
          skipped++;
          continue;
        }
        out.push(row);
        if (out.length >= limit) break;
      }
      return out;
    }
    const matches: Row[] = [];
    for (const row of candidates) if (test(row)) matches.push(row);
    matches.sort(this.#comparator(model, order));
    return matches.slice(offset, offset + limit);
  }

  /** Number of rows matching a domain. */
  count(model: ModelDef, domain: unknown, env: CallEnv, limit?: number | null): number {
    const { candidates, test } = this.#plan(model, domain ?? [], "id", env);
    let n = 0;
    for (const row of candidates) {
      if (test(row) && ++n === limit) break;
    }
    return n;
  }

  #plan(model: ModelDef, domain: unknown, orderSpec: unknown, env: CallEnv) {
    this.#checkModelAccess(model, env);
    if (this.version >= 19 && model.name === "ir.attachment") this.#checkNamedModels(domain, env);
    const compiled = compileDomain(domain, model, this.access);
    const tests: ((row: Row) => boolean)[] = [];
    if (hasActive(model) && env.context.active_test !== false && !compiled.mentions.has("active")) {
      tests.push((row) => row.active !== false);
    }
    if (model.name === "ir.attachment") {
      // Field-linked attachments (a partner's image_128) hide unless the domain names res_field (47/48).
      if (!compiled.mentions.has("res_field")) tests.push((row) => !row.res_field);
      tests.push((row) => this.#linkedReadable(row.res_model, row.res_id, env));
    } else if (model.name === "mail.activity" || model.name === "mail.message") {
      const field = model.name === "mail.activity" ? "res_model" : "model";
      tests.push((row) => this.#linkedReadable(row[field], row.res_id, env));
    }
    tests.push(compiled.test);
    const test = tests.length === 1 ? tests[0] : (row: Row) => tests.every((t) => t(row));
    const order = parseOrder(
      typeof orderSpec === "string" && orderSpec.trim() ? orderSpec : model.order,
      model,
    );
    const byId = order.length === 1 && order[0].field === "id";
    const desc = byId && order[0].desc;
    return {
      candidates: this.#candidates(model, compiled.idRange, compiled.idSet, desc),
      streamable: byId,
      test,
      order,
    };
  }

  /** Rows whose ids fit the domain's id bounds, in id order, without scanning the rest. */
  *#candidates(model: ModelDef, range: { lo: number; hi: number }, idSet: number[] | null, desc: boolean) {
    const table = this.ds.table(model.name);
    if (idSet) {
      const ids = desc ? [...idSet].reverse() : idSet;
      for (const id of ids) {
        const row = table.get(id);
        if (row) yield row;
      }
      return;
    }
    const rows = table.rows;
    const start = range.lo === -Infinity ? 0 : table.lowerBound(range.lo);
    const end = range.hi === Infinity ? rows.length : table.lowerBound(range.hi + 1);
    if (desc) { for (let i = end - 1; i >= start; i--) yield rows[i]; }
    else for (let i = start; i < end; i++) yield rows[i];
  }

  #comparator(model: ModelDef, order: OrderTerm[]): (a: Row, b: Row) => number {
    const terms = order.some((t) => t.field === "id") ? order : [...order, { field: "id", desc: false }];
    const keys = terms.map((t) => ({ desc: t.desc, key: this.#sortKey(model, t.field) }));
    return (a, b) => {
      for (const { desc, key } of keys) {
        const c = compareKeys(key(a), key(b), desc);
        if (c !== 0) return c;
      }
      return 0;
    };
  }

  /** A sort key; many2one sorts by the comodel's own order, as Odoo does. */
  #sortKey(model: ModelDef, field: string): (row: Row) => unknown {
    const def = model.fields[field];
    if (def?.type === "many2one" && def.relation) {
      const comodel = this.models.get(def.relation);
      if (comodel) {
        const terms = parseOrder(comodel.order, comodel).filter((t) =>
          comodel.fields[t.field]?.type !== "many2one"
        );
        const table = this.ds.table(comodel.name);
        return (row) => {
          const id = relatedIds(this.value(model, row, field))[0];
          const related = id === undefined ? undefined : table.get(id);
          if (!related) return null;
          return terms.map((t) => this.value(comodel, related, t.field));
        };
      }
    }
    return (row) => this.value(model, row, field);
  }

  // -- access --------------------------------------------------------------

  #checkModelAccess(model: ModelDef, env: CallEnv): void {
    if (model.crmGroups && !env.crm) throw faults.modelAccess(model.description, model.name, model.crmGroups);
    if (model.systemGroups && env.system === false) {
      throw faults.modelAccess(model.description, model.name, model.systemGroups);
    }
  }

  /**
   * Odoo 19's ir.attachment search checks the access to the models its domain names (`res_model` in an
   * AND of conditions): a user without Sales rights asking for crm.lead's attachments gets crm.lead's
   * AccessError, where Odoo 17 answered [] (fixtures odoo19_live/01 and 02; odoo/50).
   */
  #checkNamedModels(domain: unknown, env: CallEnv): void {
    if (!Array.isArray(domain) || domain.some((t) => t === "|" || t === "!")) return;
    for (const term of domain) {
      if (!Array.isArray(term) || term[0] !== "res_model") continue;
      const names = term[1] === "=" ? [term[2]] : term[1] === "in" && Array.isArray(term[2]) ? term[2] : [];
      for (const name of names) {
        const target = typeof name === "string" ? this.models.get(name) : undefined;
        if (target) this.#checkModelAccess(target, env);
      }
    }
  }

  /** Whether the record an attachment or activity hangs on exists and may be read. */
  #linkedReadable(resModel: unknown, resId: unknown, env: CallEnv): boolean {
    if (typeof resModel !== "string" || !resModel || typeof resId !== "number" || !resId) return true;
    const target = this.models.get(resModel);
    if (!target) return true;
    if (target.crmGroups && !env.crm) return false;
    return this.ds.table(resModel).get(resId) !== undefined;
  }

  // -- methods -------------------------------------------------------------

  /**
   * Runs a public method. `ids` are the records (`read`); `args`/`kwargs` are
   * bound to the method's parameters as Python would, so misuse gets a TypeError.
   */
  call(
    modelName: string,
    method: string,
    call: { ids?: unknown; args: unknown[]; kwargs: Record<string, unknown> },
    env: CallEnv,
  ): unknown {
    const model = this.models.get(modelName);
    if (!model) throw faults.unknownModel(modelName);
    const v19 = this.version >= 19;
    if (method.startsWith("_")) throw faults.privateMethod(v19 ? `'${modelName}.${method}'` : method);
    const spec = METHODS[method];
    if (!spec || (spec.only && spec.only !== modelName)) {
      if (UNSUPPORTED.has(method)) throw faults.notSupported(`${modelName}.${method}`);
      throw faults.unknownMethod(modelName, method);
    }
    const a = bind(method, spec.params, call.args, call.kwargs, spec.extraKw);
    switch (method) {
      case "search_read": {
        const fields = this.#fields(model, a.fields);
        const rows = this.search(model, a.domain, a, env);
        return this.renderRows(model, rows, fields, a.load);
      }
      case "search":
        return this.search(model, a.domain, a, env).map((r) => r.id);
      case "search_count":
        return this.count(model, a.domain, env, a.limit as number | null);
      case "read": {
        const fields = this.#fields(model, a.fields);
        return this.renderRows(model, this.#browse(model, call.ids, env), fields, a.load);
      }
      case "fields_get":
        return fieldsGet(model, a.allfields, a.attributes);
      case "check":
        return undefined; // Odoo's ir.attachment.check returns None (fixture 30)
      case "context_get":
        return { lang: "en_US", tz: false, uid: env.uid };
    }
    throw faults.unknownMethod(modelName, method);
  }

  /** Records by id for `read`: missing ids dropped, archived kept, hidden ones refused. */
  #browse(model: ModelDef, ids: unknown, env: CallEnv): Row[] {
    this.#checkModelAccess(model, env);
    const list = Array.isArray(ids) ? ids : ids === undefined || ids === null || ids === false ? [] : [ids];
    const table = this.ds.table(model.name);
    const rows: Row[] = [];
    for (const id of list) {
      const row = typeof id === "number" ? table.get(id) : undefined;
      if (!row) continue; // fixtures 25, 46, 49: no MissingError through read()
      if (model.name === "ir.attachment" && !this.#linkedReadable(row.res_model, row.res_id, env)) {
        throw faults.recordAccess(env.userName, env.uid, model.description, model.name);
      }
      rows.push(row);
    }
    return rows;
  }

  /** The fields to read: all of them when none are given; unknown ones raise ValueError (fixture 20). */
  #fields(model: ModelDef, fields: unknown): string[] {
    if (fields === undefined || fields === null || fields === false) return allFields(model);
    if (!Array.isArray(fields)) throw faults.typeError("fields must be a list of field names");
    if (fields.length === 0) return allFields(model);
    for (const f of fields) {
      if (typeof f !== "string" || !model.fields[f]) {
        // Odoo 19 drops "model" (fixture odoo19/10: "Invalid field 'no_such_field' on 'crm.lead'").
        const on = this.version >= 19 ? "" : "model ";
        throw new OdooFault(
          "builtins.ValueError",
          `Invalid field ${pyRepr(String(f))} on ${on}${pyRepr(model.name)}`,
          500,
        );
      }
    }
    return fields as string[];
  }

  #activities(): Map<string, Row[]> {
    const t = this.ds.table("mail.activity");
    if (this.#activityIndex?.version !== t.version) {
      const byRecord = new Map<string, Row[]>();
      for (const a of t.rows) {
        const key = `${a.res_model},${a.res_id}`;
        const list = byRecord.get(key);
        if (list) list.push(a);
        else byRecord.set(key, [a]);
      }
      this.#activityIndex = { version: t.version, byRecord };
    }
    return this.#activityIndex.byRecord;
  }

  #attachmentCounts(): Map<string, number> {
    const t = this.ds.table("ir.attachment");
    if (this.#attachmentIndex?.version !== t.version) {
      const counts = new Map<string, number>();
      for (const a of t.rows) {
        if (a.res_field) continue;
        const key = `${a.res_model},${a.res_id}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
      this.#attachmentIndex = { version: t.version, counts };
    }
    return this.#attachmentIndex.counts;
  }

  #children(): Map<number, number[]> {
    const t = this.ds.table("res.partner");
    if (this.#childIndex?.version !== t.version) {
      const byParent = new Map<number, number[]>();
      for (const p of t.rows) {
        if (typeof p.parent_id !== "number") continue;
        const list = byParent.get(p.parent_id);
        if (list) list.push(p.id);
        else byParent.set(p.parent_id, [p.id]);
      }
      this.#childIndex = { version: t.version, byParent };
    }
    return this.#childIndex.byParent;
  }
}

/**
 * A float field's value: Python's JSON writes `45000.0` where JavaScript writes `45000` (fixture
 * odoo19/02); the server's serializer writes it back as Python does. `valueOf` keeps it a number.
 */
export class PyFloat {
  static readonly MARK = "\u0000pyfloat:";
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  /** The marked text the serializer unquotes. */
  text(): string {
    const s = String(this.value);
    return PyFloat.MARK + (/[.e]/.test(s) || !Number.isFinite(this.value) ? s : `${s}.0`);
  }
}

/** Every field of a model, `id` first (what `search_read` without `fields` answers, fixture 19). */
export function allFields(model: ModelDef): string[] {
  return ["id", ...Object.keys(model.fields).filter((f) => f !== "id")];
}

/** The value Odoo shows for an empty field of this type: false, 0, 0.0 or []. */
function emptyValue(def: FieldDef | undefined): unknown {
  switch (def?.type) {
    case "integer":
    case "float":
    case "monetary":
      return 0;
    case "one2many":
    case "many2many":
    case "properties":
      return [];
    default:
      return false;
  }
}

/** Parses an Odoo `order` string ("write_date asc, id asc"). */
export function parseOrder(spec: string, model: ModelDef): OrderTerm[] {
  const terms: OrderTerm[] = [];
  for (const part of spec.split(",")) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    const [field, dir = "asc", ...rest] = words;
    const d = dir.toLowerCase();
    if (!model.fields[field] || (d !== "asc" && d !== "desc") || rest.length > 0) {
      throw faults.invalidOrder(spec);
    }
    terms.push({ field, desc: d === "desc" });
  }
  if (terms.length === 0) throw faults.invalidOrder(spec);
  return terms;
}

/** PostgreSQL's order: NULLs last ascending, first descending. */
function compareKeys(a: unknown, b: unknown, desc: boolean): number {
  const an = isNullKey(a);
  const bn = isNullKey(b);
  if (an || bn) {
    if (an && bn) return 0;
    return (an ? 1 : -1) * (desc ? -1 : 1);
  }
  const c = compareValues(a, b);
  return desc ? -c : c;
}

function isNullKey(v: unknown): boolean {
  return v === null || v === undefined || v === false;
}

function compareValues(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const an = isNullKey(a[i]);
      const bn = isNullKey(b[i]);
      if (an !== bn) return an ? 1 : -1;
      const c = an ? 0 : compareValues(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  const as = String(a);
  const bs = String(b);
  // Dates and digit strings sort bytewise; names sort as PostgreSQL's en_US collation roughly does.
  if (/^[\d\s:.-]+$/.test(as) && /^[\d\s:.-]+$/.test(bs)) return as < bs ? -1 : as > bs ? 1 : 0;
  return collator.compare(as, bs);
}

/** fields_get: the attributes asked for (all when none), sorted by name as Odoo serializes them. */
function fieldsGet(model: ModelDef, allfields: unknown, attributes: unknown): Record<string, unknown> {
  const names = Array.isArray(allfields) && allfields.length
    ? allfields.filter((f): f is string => typeof f === "string" && f in model.fields)
    : Object.keys(model.fields);
  const attrs = Array.isArray(attributes) && attributes.length ? attributes.map(String) : null;
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const def = model.fields[name] as unknown as Record<string, unknown>;
    const entry: Record<string, unknown> = {};
    for (const key of Object.keys(def).sort()) {
      if (!attrs || attrs.includes(key)) entry[key] = def[key];
    }
    out[name] = entry;
  }
  return out;
}

/** Binds positional and keyword arguments to a method's parameters, as Python does. */
function bind(
  method: string,
  params: string[],
  args: unknown[],
  kwargs: Record<string, unknown>,
  extraKw: string[] = [],
): Record<string, unknown> {
  const qualified = `BaseModel.${method}()`;
  if (args.length > params.length) {
    throw faults.typeError(
      `${qualified} takes from 1 to ${params.length + 1} positional arguments but ${
        args.length + 1
      } were given`,
    );
  }
  const out: Record<string, unknown> = {};
  args.forEach((v, i) => (out[params[i]] = v));
  for (const [k, v] of Object.entries(kwargs)) {
    if (!params.includes(k) && !extraKw.includes(k)) {
      throw faults.typeError(`${qualified} got an unexpected keyword argument '${k}'`);
    }
    if (k in out) throw faults.typeError(`${qualified} got multiple values for argument '${k}'`);
    out[k] = v;
  }
  return out;
}

/** Whether a method takes no record ids (JSON-2 refuses ids for those). */
export function isModelMethod(method: string): boolean {
  return METHODS[method]?.model ?? false;
}
