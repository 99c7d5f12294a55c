/**
 * Odoo search domains: parsing the prefix notation (`'&'`, `'|'`, `'!'` and
 * implicit AND), validating field names with Odoo's error messages, and
 * compiling to a row predicate plus the id bounds a keyset query gives, so that
 * `[["id", ">", cursor]]` starts with a binary search instead of a scan.
 *
 * SQL semantics are kept where they show: a NULL (`false`) never satisfies a
 * comparison, negative operators (`!=`, `not in`, `not ilike`) do match NULL
 * (Odoo adds `OR col IS NULL`), many2one values compare by id (or by display
 * name when the value is a string), x2many values match when any id does.
 */
import type { FieldDef, ModelDef } from "./schema.ts";
import { faults } from "./faults.ts";

/** A stored record: raw values keyed by field name. */
export type Row = { id: number; [field: string]: unknown };

/** How the evaluator reads rows; the ORM provides it. */
export interface RowAccess {
  /** A field's raw value (many2one as id, `[id, name]` or false; datetimes with microseconds). */
  get(model: ModelDef, row: Row, field: string): unknown;
  /** A related record by id, archived or not. */
  row(model: string, id: number): Row | undefined;
  /** The model of a technical name. */
  model(name: string): ModelDef | undefined;
  /** What a many2one shows for a record. */
  displayName(model: ModelDef, row: Row): string;
}

/** A compiled domain. */
export interface CompiledDomain {
  test(row: Row): boolean;
  /** First path components of every leaf: `active` here disables the implicit active filter. */
  mentions: ReadonlySet<string>;
  /** Inclusive id bounds implied by top-level `id` leaves. */
  idRange: { lo: number; hi: number };
  /** Exact ids implied by a top-level `id in [...]` or `id = n`, sorted. */
  idSet: number[] | null;
}

type Node =
  | { kind: "and" | "or"; children: Node[] }
  | { kind: "not"; child: Node }
  | { kind: "leaf"; leaf: unknown[] };

const OPERATORS = new Set([
  "=",
  "!=",
  "<>",
  ">",
  ">=",
  "<",
  "<=",
  "in",
  "not in",
  "like",
  "not like",
  "ilike",
  "not ilike",
  "=like",
  "=ilike",
  "=?",
  "parent_of",
]);

/** Parses a domain into a tree; throws Odoo's ValueError for malformed ones. */
function parse(domain: unknown): Node {
  if (!Array.isArray(domain)) throw faults.invalidDomain(domain);
  let pos = 0;
  const one = (): Node => {
    if (pos >= domain.length) throw faults.invalidDomain(domain);
    const term = domain[pos++];
    if (term === "&" || term === "|") {
      const a = one();
      const b = one();
      return { kind: term === "&" ? "and" : "or", children: [a, b] };
    }
    if (term === "!") return { kind: "not", child: one() };
    if (Array.isArray(term) && term.length === 3) return { kind: "leaf", leaf: term };
    throw faults.invalidLeaf(term);
  };
  const top: Node[] = [];
  while (pos < domain.length) top.push(one());
  return { kind: "and", children: top };
}

/** Compiles `domain` for `model`. */
export function compileDomain(domain: unknown, model: ModelDef, access: RowAccess): CompiledDomain {
  const root = parse(domain);
  const mentions = new Set<string>();
  const test = compileNode(root, model, access, mentions);
  const { idRange, idSet } = idBounds(root);
  return { test, mentions, idRange, idSet };
}

function compileNode(node: Node, model: ModelDef, access: RowAccess, mentions: Set<string>): Test {
  if (node.kind === "leaf") return compileLeaf(node.leaf, model, access, mentions);
  if (node.kind === "not") {
    const child = compileNode(node.child, model, access, mentions);
    return (row: Row) => !child(row);
  }
  const children = node.children.map((c) => compileNode(c, model, access, mentions));
  if (children.length === 0) return () => true;
  if (children.length === 1) return children[0];
  if (node.kind === "and") return (row: Row) => children.every((c) => c(row));
  return (row: Row) => children.some((c) => c(row));
}

type Test = (row: Row) => boolean;

function compileLeaf(leaf: unknown[], model: ModelDef, access: RowAccess, mentions: Set<string>): Test {
  const [path, rawOp, value] = leaf;
  // TRUE_LEAF (1, '=', 1) and FALSE_LEAF (0, '=', 1).
  if (typeof path === "number") return path === 1 ? () => true : () => false;
  if (typeof path !== "string" || typeof rawOp !== "string") throw faults.invalidLeaf(leaf);
  const op = rawOp.toLowerCase();
  if (!OPERATORS.has(op)) throw faults.invalidLeaf(leaf);
  const [head, ...rest] = path.split(".");
  mentions.add(head);
  const field = model.fields[head];
  if (!field) throw faults.invalidFieldInLeaf(model.name, path, leaf);

  if (rest.length > 0) {
    const comodel = field.relation ? access.model(field.relation) : undefined;
    if (!comodel) throw faults.invalidFieldInLeaf(model.name, path, leaf);
    const sub = compileLeaf([rest.join("."), rawOp, value], comodel, access, new Set());
    return (row) =>
      relatedIds(access.get(model, row, head)).some((id) => {
        const related = access.row(comodel.name, id);
        return related !== undefined && sub(related);
      });
  }
  return compareLeaf(field, head, op, value, model, access, leaf);
}

function compareLeaf(
  field: FieldDef,
  name: string,
  op: string,
  value: unknown,
  model: ModelDef,
  access: RowAccess,
  leaf: unknown[],
): Test {
  const get = (row: Row) => access.get(model, row, name);
  const comodel = field.relation ? access.model(field.relation) : undefined;
  const isX2many = field.type === "one2many" || field.type === "many2many";
  const isRelational = field.type === "many2one" || isX2many;
  const names = (v: unknown): string[] =>
    comodel
      ? relatedIds(v).flatMap((id) => {
        const r = access.row(comodel.name, id);
        return r ? [access.displayName(comodel, r)] : [];
      })
      : [];

  if (op === "parent_of") {
    // Odoo's hierarchy operator on `id`: the records named and all their ancestors by `parent_id`
    // (res.partner: a contact, its company, that company's parent...), archived ones included.
    if (name !== "id" || !model.fields.parent_id) throw faults.invalidLeaf(leaf);
    const wanted = new Set<number>();
    for (const start of Array.isArray(value) ? value : [value]) {
      let id: number | undefined = typeof start === "number" ? start : undefined;
      while (id !== undefined && !wanted.has(id)) {
        const row = access.row(model.name, id);
        if (!row) break;
        wanted.add(id);
        id = relatedIds(access.get(model, row, "parent_id"))[0];
      }
    }
    return (row) => wanted.has(row.id);
  }
  if (op === "=?") {
    if (value === false || value === null || value === undefined) return () => true;
    return compareLeaf(field, name, "=", value, model, access, leaf);
  }
  if (op === "!=" || op === "<>" || op === "not in" || op.startsWith("not ")) {
    const positive = op === "not in" ? "in" : op.startsWith("not ") ? op.slice(4) : "=";
    const test = compareLeaf(field, name, positive, value, model, access, leaf);
    return (row) => !test(row);
  }

  if (op === "=" || op === "in") {
    let values: unknown[];
    if (op === "in") {
      if (!Array.isArray(value)) {
        if (value === false || value === null) values = [false];
        else values = [value];
      } else values = value;
    } else values = [value];
    const wantsNull = values.some((v) => v === false || v === null);
    const ids = new Set(values.filter((v) => typeof v === "number"));
    const strings = values.filter((v): v is string => typeof v === "string");
    if (isRelational) {
      return (row) => {
        const v = get(row);
        const related = relatedIds(v);
        if (related.length === 0) return wantsNull;
        if (related.some((id) => ids.has(id))) return true;
        return strings.length > 0 && names(v).some((n) => strings.includes(n));
      };
    }
    const wanted = values.filter((v) => v !== false && v !== null);
    return (row) => {
      const v = get(row);
      if (isNull(v, field)) return wantsNull;
      const c = v;
      return wanted.some((w) => w === c || (typeof w !== typeof c && String(w) === String(c)));
    };
  }

  if (op === ">" || op === ">=" || op === "<" || op === "<=") {
    if (value === false || value === null) return () => false;
    const w = value;
    return (row) => {
      const v = get(row);
      if (isNull(v, field) || isX2many) return false;
      const c = field.type === "many2one" ? relatedIds(v)[0] : v;
      const cmp = typeof c === "number" && typeof w === "number"
        ? c - w
        : String(c) < String(w)
        ? -1
        : String(c) > String(w)
        ? 1
        : 0;
      return op === ">" ? cmp > 0 : op === ">=" ? cmp >= 0 : op === "<" ? cmp < 0 : cmp <= 0;
    };
  }

  // like, ilike, =like, =ilike
  if (typeof value !== "string") {
    if (value === false || value === null) return (row) => isNull(get(row), field);
    throw faults.invalidLeaf(leaf);
  }
  const pattern = op.startsWith("=") ? value : `%${value}%`;
  const regex = likeRegex(pattern, op.includes("ilike"));
  if (isRelational) return (row) => names(get(row)).some((n) => regex.test(n));
  return (row) => {
    const v = get(row);
    return !isNull(v, field) && regex.test(String(v));
  };
}

/** Ids of a raw relational value: many2one id, `[id, name]`, or x2many list. */
export function relatedIds(v: unknown): number[] {
  if (typeof v === "number") return [v];
  if (Array.isArray(v)) {
    if (v.length === 2 && typeof v[0] === "number" && typeof v[1] === "string") return [v[0]];
    return v.filter((x): x is number => typeof x === "number");
  }
  return [];
}

function isNull(v: unknown, field: FieldDef): boolean {
  if (v === false || v === null || v === undefined) return true;
  // Odoo treats an empty char like NULL when comparing to False.
  if (v === "" && (field.type === "char" || field.type === "text" || field.type === "html")) return true;
  return false;
}

function likeRegex(pattern: string, insensitive: boolean): RegExp {
  let source = "";
  for (const ch of pattern) {
    if (ch === "%") source += "[\\s\\S]*";
    else if (ch === "_") source += "[\\s\\S]";
    else source += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^${source}$`, insensitive ? "iu" : "u");
}

/** Id bounds from the top-level conjunction, so the caller can binary-search the rows. */
function idBounds(root: Node): { idRange: { lo: number; hi: number }; idSet: number[] | null } {
  let lo = -Infinity;
  let hi = Infinity;
  let idSet: number[] | null = null;
  const conjuncts: Node[] = [];
  const flatten = (n: Node) => {
    if (n.kind === "and") n.children.forEach(flatten);
    else conjuncts.push(n);
  };
  flatten(root);
  for (const n of conjuncts) {
    if (n.kind !== "leaf") continue;
    const [path, rawOp, value] = n.leaf;
    if (path !== "id" || typeof rawOp !== "string") continue;
    const op = rawOp.toLowerCase();
    if (typeof value === "number") {
      if (op === ">") lo = Math.max(lo, Math.floor(value) + 1);
      else if (op === ">=") lo = Math.max(lo, Math.ceil(value));
      else if (op === "<") hi = Math.min(hi, Math.ceil(value) - 1);
      else if (op === "<=") hi = Math.min(hi, Math.floor(value));
      else if (op === "=") idSet = intersect(idSet, [value]);
    } else if (op === "in" && Array.isArray(value) && value.every((v) => typeof v === "number")) {
      idSet = intersect(idSet, value as number[]);
    }
  }
  if (idSet) idSet = [...new Set(idSet)].filter((id) => id >= lo && id <= hi).sort((a, b) => a - b);
  return { idRange: { lo, hi }, idSet };
}

function intersect(a: number[] | null, b: number[]): number[] {
  if (a === null) return b;
  const s = new Set(b);
  return a.filter((x) => s.has(x));
}
