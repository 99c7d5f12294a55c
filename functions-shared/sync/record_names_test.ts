/**
 * The names the sync gives stages and salespeople (leads are read with `load: null`): read once, reused by
 * later calls, read again for an id not known yet or once the TTL passed, and an id Odoo hides is not
 * asked for at every page.
 */
import assert from "node:assert/strict";
import type { OdooReader } from "./odoo_reader.ts";
import { recordNames } from "./record_names.ts";

function fakeOdoo(rows: { id: number; display_name: string }[]) {
  const asked: string[] = [];
  const odoo = {
    searchRead: (model: string, _domain: unknown, opts: { fields: string[] }) => {
      asked.push(`${model}:${opts.fields.join(",")}`);
      return Promise.resolve(rows.map((r) => ({ ...r })));
    },
  } as unknown as OdooReader;
  return { odoo, asked };
}

Deno.test("stage names are read once, then again for a stage created since, and after the TTL", async () => {
  const rows = [{ id: 1, display_name: "New" }, { id: 2, display_name: "Qualified" }];
  const { odoo, asked } = fakeOdoo(rows);
  let t = 0;
  const names = recordNames(odoo, "crm.stage", { ttlMs: 1000, now: () => t });
  assert.deepEqual([...(await names.of([1, 2]))], [[1, "New"], [2, "Qualified"]]);
  await names.of([2]);
  assert.deepEqual(asked, ["crm.stage:id,display_name"], "known ids: no second read");
  rows.push({ id: 3, display_name: "Gagné ✅" });
  assert.equal((await names.of([3])).get(3), "Gagné ✅", "an unknown id reads the names again");
  assert.equal(asked.length, 2);
  t = 1001;
  await names.of([1]);
  assert.equal(asked.length, 3, "read again once the TTL passed");
});

Deno.test("an id Odoo hides is asked once, not at every page; a name learnt elsewhere is kept", async () => {
  const { odoo, asked } = fakeOdoo([{ id: 2, display_name: "Admin" }]);
  const names = recordNames(odoo, "res.users", { now: () => 0 });
  assert.equal((await names.of([9])).has(9), false);
  await names.of([9]);
  assert.equal(asked.length, 1, "the hidden user 9 did not trigger a second read");
  names.learn([[9, "Vendeur d'une autre société"]]);
  assert.equal((await names.of([9])).get(9), "Vendeur d'une autre société");
});

Deno.test("tags are named by their name field, as before", async () => {
  const { odoo, asked } = fakeOdoo([{ id: 5, display_name: "VIP" }]);
  await recordNames(odoo, "crm.tag", { field: "name" }).of([5]);
  assert.deepEqual(asked, ["crm.tag:id,name"]);
});
