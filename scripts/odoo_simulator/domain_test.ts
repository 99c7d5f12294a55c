import assert from "node:assert/strict";
import { compileDomain } from "./domain.ts";
import { OdooDataset } from "./dataset.ts";
import { Orm } from "./orm.ts";
import { MODELS } from "./schema.ts";
import { OdooFault } from "./faults.ts";
import { referenceRows } from "./vocabulary.ts";

const ds = new OdooDataset();
for (const [model, rows] of Object.entries(referenceRows())) ds.insert(model, rows);
ds.insert("crm.lead", [
  lead(1, { name: "Devis café", email_from: "a@x.example", stage_id: 1, tag_ids: [1, 2], priority: "3" }),
  lead(2, { name: "Projet logiciel 🚀", email_from: false, stage_id: 2, tag_ids: [], user_id: false }),
  lead(3, { name: "devis LED", email_from: "", stage_id: 5, tag_ids: [2], active: false }),
  lead(4, {
    name: "Autre",
    email_from: "B@Y.example",
    stage_id: 4,
    write_date: "2026-11-24 08:19:59.057254",
  }),
]);
const orm = new Orm(ds);
const LEAD = MODELS.get("crm.lead")!;

function lead(id: number, values: Record<string, unknown>) {
  return {
    id,
    active: true,
    user_id: 2,
    write_date: "2026-11-24 08:19:08.000001",
    expected_revenue: id * 1000,
    ...values,
  };
}

function ids(domain: unknown[]): number[] {
  const d = compileDomain(domain, LEAD, orm.access);
  return ds.table("crm.lead").rows.filter((r) => d.test(r)).map((r) => r.id);
}

Deno.test("compileDomain() reads prefix operators and an implicit AND", () => {
  assert.deepEqual(ids(["|", ["id", "=", 1], ["id", "=", 3]]), [1, 3]);
  assert.deepEqual(ids(["!", ["id", "=", 1]]), [2, 3, 4]);
  assert.deepEqual(ids([["id", ">", 1], ["id", "<", 4]]), [2, 3]);
  assert.deepEqual(ids(["&", ["id", ">", 1], "|", ["stage_id", "=", 2], ["stage_id", "=", 4]]), [2, 4]);
  assert.deepEqual(ids([]), [1, 2, 3, 4]);
  assert.deepEqual(ids([[0, "=", 1]]), [], "FALSE_LEAF");
});

Deno.test("compileDomain() treats false as SQL NULL: comparisons miss it, negations match it", () => {
  assert.deepEqual(ids([["email_from", "=", false]]), [2, 3], "false and '' are both empty");
  assert.deepEqual(ids([["email_from", "!=", false]]), [1, 4]);
  assert.deepEqual(ids([["email_from", "!=", "a@x.example"]]), [2, 3, 4]);
  assert.deepEqual(ids([["user_id", "=", false]]), [2]);
  assert.deepEqual(ids([["user_id", "in", [false, 99]]]), [2]);
  assert.deepEqual(ids([["expected_revenue", ">", 2000]]), [3, 4]);
  assert.deepEqual(ids([["email_from", "<", "zzz"]]), [1, 4], "NULLs never compare");
});

Deno.test("compileDomain() matches like, ilike and =like as SQL patterns", () => {
  assert.deepEqual(ids([["name", "ilike", "devis"]]), [1, 3]);
  assert.deepEqual(ids([["name", "like", "devis"]]), [3]);
  assert.deepEqual(ids([["name", "=like", "Devis%"]]), [1]);
  assert.deepEqual(ids([["name", "=ilike", "devis _af_"]]), [1]);
  assert.deepEqual(ids([["name", "not ilike", "devis"]]), [2, 4]);
  assert.deepEqual(ids([["email_from", "ilike", "b@y"]]), [4]);
});

Deno.test("compileDomain() compares many2one by id or name, x2many by any id", () => {
  assert.deepEqual(ids([["stage_id", "in", [1, 5]]]), [1, 3]);
  assert.deepEqual(ids([["stage_id", "=", "Won"]]), [4]);
  assert.deepEqual(ids([["stage_id", "ilike", "qualif"]]), [2]);
  assert.deepEqual(ids([["tag_ids", "in", [2]]]), [1, 3]);
  assert.deepEqual(ids([["tag_ids", "=", false]]), [2, 4]);
  assert.deepEqual(ids([["stage_id.is_won", "=", true]]), [4], "dotted path through a many2one");
});

Deno.test("compileDomain() keeps microseconds: '>' a displayed second still matches that second's rows", () => {
  assert.deepEqual(ids([["write_date", ">", "2026-11-24 08:19:59"]]), [4]);
  assert.deepEqual(ids([["write_date", ">=", "2026-11-24 08:19:59"]]), [4]);
  assert.deepEqual(ids([["write_date", "=", "2026-11-24 08:19:59"]]), []);
});

Deno.test("compileDomain() raises Odoo's ValueError for unknown fields and operators", () => {
  assert.throws(() => ids([["no_such_field", "=", 1]]), (e: unknown) => {
    assert.ok(e instanceof OdooFault);
    assert.equal(e.odooName, "builtins.ValueError");
    assert.equal(e.message, "Invalid field crm.lead.no_such_field in leaf ('no_such_field', '=', 1)");
    return true;
  });
  assert.throws(() => ids([["id", "~", 1]]), /Invalid leaf/);
  assert.throws(() => ids(["|", ["id", "=", 1]]), /Invalid domain/);
});

Deno.test("compileDomain() derives id bounds from top-level id leaves only", () => {
  const d = compileDomain([["id", ">", 10], ["id", "<=", 20], ["name", "ilike", "x"]], LEAD, orm.access);
  assert.deepEqual(d.idRange, { lo: 11, hi: 20 });
  assert.equal(d.idSet, null);
  assert.deepEqual(compileDomain([["id", "in", [5, 3, 5]]], LEAD, orm.access).idSet, [3, 5]);
  assert.deepEqual(compileDomain(["|", ["id", ">", 10], ["id", "=", 1]], LEAD, orm.access).idRange, {
    lo: -Infinity,
    hi: Infinity,
  });
  assert.ok(compileDomain([["active", "=", false]], LEAD, orm.access).mentions.has("active"));
});
