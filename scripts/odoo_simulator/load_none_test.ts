/**
 * A fact of a real Odoo 17 (fixtures odoo17_live/01 and 02): `search_read` passes `load` on to `read`, and
 * with `load: null` answers many2one fields as bare ids (false when empty), computing no display name.
 * The sync reads leads so; the simulator answers the recorded request as Odoo did, in shape.
 */
import assert from "node:assert/strict";
import { generateDataset } from "./dataset.ts";
import { startOdooSimulator } from "./server.ts";

const DIR = new URL("../fixtures/odoo17_live/", import.meta.url);
const load = (f: string) => JSON.parse(Deno.readTextFileSync(new URL(f, DIR)));
const shape = (v: unknown) =>
  Array.isArray(v) ? (v.length === 2 && typeof v[1] === "string" ? "[id, name]" : "ids") : typeof v;

Deno.test("search_read with load: null answers many2one fields as bare ids, false when empty (real Odoo 17)", async () => {
  const none = load("01-lead-search-read-load-none.json");
  const classic = load("02-lead-search-read-load-default.json");
  // What Odoo answered, shape by shape.
  const recorded = (tr: { response: { body: { result: Record<string, unknown>[] } } }) =>
    tr.response.body.result.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, shape(v)])));
  assert.deepEqual(recorded(none), [
    { id: "number", partner_id: "boolean", stage_id: "number", user_id: "number", tag_ids: "ids" },
    { id: "number", partner_id: "number", stage_id: "number", user_id: "number", tag_ids: "ids" },
  ]);
  assert.equal(shape(classic.response.body.result[1].partner_id), "[id, name]");

  const dataset = generateDataset({ db: "passerelle", leads: 50, attachments: 0, seed: 3 });
  const sim = await startOdooSimulator({ dataset, version: 17 });
  try {
    const lead = dataset.table("crm.lead").rows.find((r) => r.partner_id && r.user_id && r.stage_id)!;
    const bare = dataset.table("crm.lead").rows.find((r) => !r.partner_id)!;
    const ask = async (kwargs: Record<string, unknown>) => {
      const body = structuredClone(none.request.body);
      body.params.args[0] = "passerelle";
      body.params.args[5] = [[["id", "in", [bare.id, lead.id].sort((a, b) => a - b)]]];
      body.params.args[6] = { ...kwargs, fields: body.params.args[6].fields, order: "id asc" };
      const res = await fetch(`${sim.url}/jsonrpc`, {
        method: "POST",
        headers: none.request.headers,
        body: JSON.stringify(body),
      });
      return (await res.json()).result as Record<string, unknown>[];
    };
    const rows = await ask({ load: null });
    const got = rows.find((r) => r.id === lead.id)!;
    assert.equal(got.partner_id, Array.isArray(lead.partner_id) ? lead.partner_id[0] : lead.partner_id);
    assert.equal(typeof got.stage_id, "number");
    assert.equal(typeof got.user_id, "number");
    assert.equal(rows.find((r) => r.id === bare.id)!.partner_id, false);
    const named = await ask({});
    assert.equal(shape(named.find((r) => r.id === lead.id)!.partner_id), "[id, name]");
  } finally {
    await sim.close();
  }
});
