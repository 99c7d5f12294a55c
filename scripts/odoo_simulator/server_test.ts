import assert from "node:assert/strict";
import { generateDataset } from "./dataset.ts";
import { type OdooSimulator, startOdooSimulator } from "./server.ts";
import { Orm } from "./orm.ts";
import { MODELS } from "./schema.ts";

const dataset = generateDataset({ leads: 800, seed: 3, attachments: 60 });

async function withSim(fn: (sim: OdooSimulator) => Promise<void>, version: 17 | 19 = 19): Promise<void> {
  const sim = await startOdooSimulator({ dataset, version });
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

function json2(sim: OdooSimulator, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${sim.url}/json/2/${path}`, {
    method: "POST",
    headers: {
      authorization: "bearer odoo-api-key-demo",
      "x-odoo-database": "crm_src",
      "content-type": "application/json",
      ...headers,
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

async function rpc(
  sim: OdooSimulator,
  model: string,
  method: string,
  args: unknown[],
  kwargs = {},
  pw = "admin",
) {
  const res = await fetch(`${sim.url}/jsonrpc`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      jsonrpc: "2.0",
      method: "call",
      params: {
        service: "object",
        method: "execute_kw",
        args: ["crm_src", 2, pw, model, method, args, kwargs],
      },
      id: 9,
    }),
  });
  return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
}

Deno.test("JSON-2: success is HTTP 200 with the bare result", async () => {
  await withSim(async (sim) => {
    const res = await json2(sim, "crm.lead/search_read", {
      domain: [["id", ">", 0]],
      fields: ["name"],
      order: "id asc",
      limit: 2,
      context: { active_test: false },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type")!, /^application\/json/);
    const rows = await res.json();
    assert.deepEqual(
      rows.map((r: { id: number }) => r.id),
      dataset.table("crm.lead").rows.slice(0, 2).map((r) => r.id),
    );
    const count = await (await json2(sim, "crm.lead/search_count", { domain: [] })).json();
    assert.equal(typeof count, "number");
    const read = await (await json2(sim, "crm.lead/read", { ids: [rows[0].id], fields: ["active"] })).json();
    assert.deepEqual(Object.keys(read[0]), ["id", "active"]);
    const ctx = await (await json2(sim, "res.users/context_get", {})).json();
    assert.equal(ctx.uid, 2);
  });
});

Deno.test("JSON-2: errors are 4xx/5xx with Odoo's serialized exception as the body", async () => {
  await withSim(async (sim) => {
    const cases: [Promise<Response>, number, string, RegExp][] = [
      [
        json2(sim, "crm.lead/search_count", {}, { authorization: "bearer nope" }),
        401,
        "werkzeug.exceptions.Unauthorized",
        /^Invalid apikey$/,
      ],
      [
        json2(sim, "crm.lead/search_count", {}, { authorization: "bearer odoo-api-key-nocrm" }),
        403,
        "odoo.exceptions.AccessError",
        /not allowed to access 'Lead' \(crm\.lead\)/, // Odoo 19's description (fixture odoo19/05)
      ],
      [
        json2(sim, "crm.nope/search_count", {}),
        404,
        "werkzeug.exceptions.NotFound",
        /the model 'crm.nope' does not exist/,
      ],
      [
        json2(sim, "crm.lead/nope", {}),
        404,
        "werkzeug.exceptions.NotFound",
        /The method 'crm\.lead\.nope' does not exist/, // fixture odoo19/07
      ],
      [
        json2(sim, "crm.lead/_compute_display_name", {}),
        403,
        "odoo.exceptions.AccessError",
        /Private methods/,
      ],
      [
        json2(sim, "crm.lead/search_read", { ids: [1], fields: ["id"] }),
        422,
        "werkzeug.exceptions.UnprocessableEntity",
        /cannot call crm.lead.search_read with ids/,
      ],
      [
        json2(sim, "crm.lead/search_read", { fields: ["nope"] }),
        500,
        "builtins.ValueError",
        /Invalid field 'nope' on 'crm.lead'/, // fixture odoo19/10
      ],
      [
        json2(sim, "crm.lead/search_read", { fields: ["id"], bogus: 1 }),
        422,
        "werkzeug.exceptions.UnprocessableEntity",
        /unexpected keyword argument 'bogus'/,
      ],
      [
        json2(sim, "crm.lead/search_read", "{not json"),
        400,
        "werkzeug.exceptions.BadRequest",
        /could not parse the body as json/,
      ],
    ];
    for (const [pending, status, name, message] of cases) {
      const res = await pending;
      const body = await res.json();
      assert.equal(res.status, status, name);
      assert.equal(body.name, name);
      assert.match(body.message, message);
      assert.deepEqual(Object.keys(body).sort(), ["arguments", "context", "debug", "message", "name"]);
    }
    const get = await fetch(`${sim.url}/json/2/crm.lead/search_read`, {
      headers: { authorization: "bearer odoo-api-key-demo" },
    });
    assert.equal(get.status, 404); // "Did you mean POST /json/2/<model>/<method>?" (fixture odoo19/19)
    await get.body?.cancel();
  });
});

Deno.test("JSON-2 is absent when the simulator plays Odoo 17 (fixture 60)", async () => {
  await withSim(async (sim) => {
    const res = await json2(sim, "crm.lead/search_read", { fields: ["id"] });
    assert.equal(res.status, 404);
    assert.match(await res.text(), /^<!DOCTYPE html>/);
  }, 17);
});

Deno.test("JSON-RPC: orphan and field-linked attachments hide from search; reading the orphan is an AccessError", async () => {
  await withSim(async (sim) => {
    const t = dataset.table("ir.attachment");
    const orphan = t.rows.find((a) => a.name === "orphelin.pdf")!;
    const linked = t.rows.filter((a) => a.res_model === "crm.lead");
    const count = await rpc(sim, "ir.attachment", "search_count", [[["res_model", "=", "crm.lead"]]]);
    assert.equal(count.body.result, linked.length - 1);
    const partners = await rpc(sim, "ir.attachment", "search_count", [[["res_model", "=", "res.partner"]]]);
    assert.equal(partners.body.result, 0);
    const shown = await rpc(sim, "ir.attachment", "search_count", [[["res_model", "=", "res.partner"], [
      "res_field",
      "!=",
      false,
    ]]]);
    assert.equal(shown.body.result, 60);
    const read = await rpc(sim, "ir.attachment", "read", [[orphan.id], ["name"]]);
    assert.equal(read.status, 200);
    assert.equal(read.body.error.data.name, "odoo.exceptions.AccessError");
    assert.match(read.body.error.data.message, /Sorry, Administrator \(id=2\) doesn't have 'read' access/);
  });
});

Deno.test("JSON-RPC: datas is the base64 of the bytes; url attachments have none", async () => {
  await withSim(async (sim) => {
    const t = dataset.table("ir.attachment");
    const file = t.rows.find((a) => a.name === "données.csv")!;
    const url = t.rows.find((a) => a.type === "url")!;
    const { body } = await rpc(sim, "ir.attachment", "read", [[file.id, url.id], [
      "datas",
      "checksum",
      "file_size",
    ]]);
    const [f, u] = body.result;
    assert.equal(
      new TextDecoder().decode(Uint8Array.from(atob(f.datas), (c) => c.charCodeAt(0))),
      "id;nom;montant\n1;Éric;12,50\n2;Zoë;7,00\n",
    );
    assert.equal(f.checksum, "5ef38475555eb2cf21b7ef4071a2525831eb6911");
    assert.deepEqual([u.datas, u.checksum, u.file_size], ["", false, 0]);
  });
});

Deno.test("JSON-RPC: default orders are Odoo's, not id asc", async () => {
  await withSim(async (sim) => {
    const { body } = await rpc(sim, "crm.lead", "search_read", [[]], { fields: ["priority"], limit: 20 });
    const keys = body.result.map((r: { id: number; priority: string }) => [r.priority, r.id]);
    const sorted = [...keys].sort((a, b) => (a[0] === b[0] ? b[1] - a[1] : a[0] < b[0] ? 1 : -1));
    assert.deepEqual(keys, sorted, "priority desc, id desc");
    const att = await rpc(sim, "ir.attachment", "search_read", [[["res_model", "=", "crm.lead"]]], {
      fields: ["id"],
      limit: 3,
    });
    const ids = att.body.result.map((r: { id: number }) => r.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), "ir.attachment: id desc");
  });
});

Deno.test("failure injection: 502, other statuses, malformed bodies, concurrency and access errors", async () => {
  await withSim(async (sim) => {
    sim.failures.http502 = 1;
    let res = await fetch(`${sim.url}/jsonrpc`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 502);
    assert.match(await res.text(), /502 Bad Gateway/);
    sim.failures.status = { code: 503, count: 1 };
    res = await fetch(`${sim.url}/web/version`);
    assert.equal(res.status, 503);
    await res.body?.cancel();
    sim.failures.malformed = 1;
    res = await fetch(`${sim.url}/web/version`);
    assert.equal(res.status, 200);
    await assert.rejects(res.json());
    sim.failures.concurrency = 1;
    let r = await rpc(sim, "crm.lead", "search_count", [[]]);
    assert.equal(r.body.error.data.name, "psycopg2.errors.SerializationFailure");
    sim.failures.accessError = 1;
    r = await rpc(sim, "crm.lead", "search_count", [[]]);
    assert.equal(r.body.error.data.name, "odoo.exceptions.AccessError");
    r = await rpc(sim, "crm.lead", "search_count", [[]]);
    assert.equal(typeof r.body.result, "number", "failures are used up");
    assert.equal(sim.stats.byMethod["crm.lead.search_count"], 3);
    assert.equal(sim.stats.calls, 6);
  });
});

Deno.test("a hung call answers only when the simulator closes", async () => {
  const sim = await startOdooSimulator({ dataset });
  sim.failures.hang = 1;
  const pending = fetch(`${sim.url}/web/version`).then(async (r) => (await r.body?.cancel(), r.status));
  await new Promise((r) => setTimeout(r, 20));
  await sim.close();
  assert.equal(await pending, 504);
});

Deno.test("HTTP-level errors: GET and text/plain on /jsonrpc are 400 HTML, unknown routes 404 HTML", async () => {
  await withSim(async (sim) => {
    const get = await fetch(`${sim.url}/jsonrpc`);
    assert.equal(get.status, 400);
    assert.match(await get.text(), /is type=&#39;json&#39;/);
    const bad = await fetch(`${sim.url}/jsonrpc`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    assert.equal(bad.status, 400);
    assert.equal(await bad.text(), "Invalid JSON data");
    const missing = await fetch(`${sim.url}/nowhere`);
    assert.equal(missing.status, 404);
    assert.match(missing.headers.get("content-type")!, /^text\/html/);
    await missing.body?.cancel();
  });
});

Deno.test("a keyset page reads about `limit` rows, not the whole table", () => {
  const ds = generateDataset({ leads: 20_000, seed: 5, attachments: 0, activities: 0 });
  const orm = new Orm(ds);
  const table = ds.table("crm.lead");
  let touched = 0;
  const rows = table.rows;
  const counting = new Proxy(rows, {
    get(target, key, receiver) {
      if (typeof key === "string" && /^\d+$/.test(key)) touched++;
      return Reflect.get(target, key, receiver);
    },
  });
  Object.defineProperty(table, "rows", { value: counting });
  const env = { uid: 2, userName: "Administrator", crm: true, context: { active_test: false } };
  const cursor = rows[12_000].id;
  const page = orm.search(
    MODELS.get("crm.lead")!,
    [["id", ">", cursor]],
    { order: "id asc", limit: 1000 },
    env,
  );
  assert.equal(page.length, 1000);
  assert.equal(page[0].id, rows[12_001].id);
  assert.ok(touched < 1100, `${touched} rows looked at`);
});
