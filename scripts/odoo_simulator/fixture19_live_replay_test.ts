/**
 * What a real Odoo 19.0 built here answered where the simulator's `--version 19` disagreed with it
 * (scripts/fixtures/odoo19_live/, its README and INDEX.txt), replayed against the simulator: the
 * AccessError of a login without Sales rights asking for crm.lead's attachments, crm.lead's
 * commercial_partner_id and won_status as 19.0 computes them, common.version, and fields_get.
 */
import assert from "node:assert/strict";
import { generateDataset } from "./dataset.ts";
import { DEFAULT_USERS, startOdooSimulator } from "./server.ts";

interface Transcript {
  request: { path: string; headers: Record<string, string>; body: Record<string, unknown> };
  response: { status: number; headers: Record<string, string>; body: unknown };
}
type Rec = Record<string, unknown> & { id: number };

const DIR = new URL("../fixtures/odoo19_live/", import.meta.url);
const load = (file: string): Transcript => JSON.parse(Deno.readTextFileSync(new URL(file, DIR)));
const dataset = generateDataset({ leads: 400, attachments: 40, activities: 0, seed: 19, db: "passerelle" });
const [admin, nocrm] = DEFAULT_USERS;
const m2o = (v: unknown) => (Array.isArray(v) ? v[0] as number : false);

async function withSim(
  fn: (call: (path: string, body: unknown, key?: string) => Promise<Response>) => Promise<void>,
) {
  const sim = await startOdooSimulator({ dataset, version: 19 });
  try {
    await fn((path, body, key = admin.apiKey!) =>
      fetch(sim.url + path, {
        method: "POST",
        headers: { authorization: `bearer ${key}`, "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify(body),
      })
    );
  } finally {
    await sim.close();
  }
}

Deno.test("Odoo 19 refuses crm.lead's attachments to a login without Sales rights with crm.lead's AccessError, over JSON-2 and /jsonrpc (odoo19_live/01, 02)", async () => {
  const j2 = load("01-attachment-search-read-nocrm.json");
  const rpc = load("02-jsonrpc-attachment-search-read-nocrm.json");
  const nocrmUid = dataset.table("res.users").rows.find((u) => u.login === "nocrm")!.id;
  await withSim(async (call) => {
    const res = await call(j2.request.path, j2.request.body, nocrm.apiKey);
    assert.equal(res.status, j2.response.status);
    assert.equal(res.headers.get("content-type"), j2.response.headers["content-type"]);
    const got = await res.json();
    const want = j2.response.body as Record<string, unknown>;
    assert.deepEqual([got.name, got.message, got.arguments], [want.name, want.message, want.arguments]);

    const params = rpc.request.body.params as { args: unknown[] };
    const args = [...params.args];
    args[0] = "passerelle";
    args[1] = nocrmUid;
    args[2] = nocrm.password; // recorded "<redacted>"
    const r = await call("/jsonrpc", { ...rpc.request.body, params: { ...params, args } });
    assert.equal(r.status, rpc.response.status);
    const data = (await r.json()).error.data;
    const wanted = (rpc.response.body as { error: { data: Record<string, unknown> } }).error.data;
    assert.deepEqual([data.name, data.message, data.arguments], [
      wanted.name,
      wanted.message,
      wanted.arguments,
    ]);

    // Without a res_model in the domain Odoo 19 filters, as before (odoo19_live/03): no error.
    const c = load("03-attachment-search-count-nocrm-no-model.json");
    const count = await call(c.request.path, { domain: [["id", ">", 0]] }, nocrm.apiKey);
    assert.equal(count.status, 200);
    assert.equal(typeof await count.json(), "number");
  });
});

/** crm.lead.commercial_partner_id as 19.0's _compute_commercial_partner_id gives it. */
function commercialOf(lead: Rec, partners: Map<number, Rec>, companies: Rec[]): number | false {
  const p = partners.get(m2o(lead.partner_id) as number);
  if (p) {
    const company = partners.get(m2o(p.commercial_partner_id) as number);
    return company?.is_company && company.id !== p.id ? company.id : false;
  }
  if (lead.partner_id || !lead.partner_name) return false;
  const named = companies.filter((c) => c.name === lead.partner_name).map((c) => c.id);
  return named.length ? Math.min(...named) : false;
}

Deno.test("crm.lead.commercial_partner_id as Odoo 19 computes it: a contact's company, never the company itself or a person alone; without a partner, the company named exactly (odoo19_live/04, 05)", async () => {
  // The recorded leads follow that rule (the recording's companies: those its leads and partners name).
  const leads = load("04-lead-commercial-partner.json").response.body as Rec[];
  const partners = new Map((load("05-partner-of-leads.json").response.body as Rec[]).map((p) => [p.id, p]));
  const named = leads.filter((l) => !l.partner_id && l.commercial_partner_id);
  assert.ok(named.length > 0 && leads.some((l) => !l.partner_id && !l.commercial_partner_id));
  const recordedCompanies = named.map((l) => ({
    id: m2o(l.commercial_partner_id) as number,
    name: (l.commercial_partner_id as unknown[])[1],
  }));
  for (const l of leads) {
    assert.equal(m2o(l.commercial_partner_id), commercialOf(l, partners, recordedCompanies), `lead ${l.id}`);
  }
  assert.ok(
    leads.some((l) => l.partner_name === String(l.partner_name).toUpperCase() && !l.commercial_partner_id),
  );

  await withSim(async (call) => {
    const read = async (model: string, fields: string[]) =>
      await (await call(`/json/2/${model}/search_read`, {
        domain: [],
        fields,
        context: { active_test: false },
      }))
        .json() as Rec[];
    const simLeads = await read("crm.lead", ["id", "partner_id", "partner_name", "commercial_partner_id"]);
    const simPartners = await read("res.partner", ["id", "name", "is_company", "commercial_partner_id"]);
    const byId = new Map(simPartners.map((p) => [p.id, p]));
    const companies = simPartners.filter((p) => p.is_company);
    for (const l of simLeads) {
      assert.equal(m2o(l.commercial_partner_id), commercialOf(l, byId, companies), `simulated lead ${l.id}`);
    }
    assert.ok(simLeads.some((l) => l.partner_id && l.commercial_partner_id), "a contact's company");
    assert.ok(simLeads.some((l) => l.partner_id && !l.commercial_partner_id), "a company or a person alone");
  });
});

/** crm.lead.won_status as 19.0's _compute_won_status gives it. */
function wonStatusOf(lead: Rec, won: Set<number>): string {
  if (lead.probability === 100 && won.has(m2o(lead.stage_id) as number)) return "won";
  return lead.active === false && lead.probability === 0 ? "lost" : "pending";
}

Deno.test("crm.lead.won_status as Odoo 19 computes it: won at 100 % in a Won stage, lost when archived at 0 %, else pending (odoo19_live/06, 07)", async () => {
  const stages = load("07-stage-is-won.json").response.body as Rec[];
  const won = new Set(stages.filter((s) => s.is_won).map((s) => s.id));
  const leads = load("06-lead-won-status.json").response.body as Rec[];
  for (const l of leads) assert.equal(l.won_status, wonStatusOf(l, won), `lead ${l.id}`);
  assert.ok(leads.some((l) => l.active === false && l.won_status === "pending"), "archived is not lost");
  assert.ok(leads.some((l) => l.active === false && l.won_status === "won"), "archived and won");

  // Leads as Odoo has them beside the dataset's: archived without being lost (the probability kept, as
  // the seeder's `write({active: false})` leaves it), and at 100 % outside a Won stage.
  const rows = dataset.table("crm.lead").rows;
  const archivedOpen = rows.find((l) => l.active !== false && l.stage_id === 2)!;
  const fullNotWon = rows.find((l) => l.active !== false && l.stage_id === 3)!;
  Object.assign(archivedOpen, { active: false, probability: 40 });
  Object.assign(fullNotWon, { probability: 100 });
  await withSim(async (call) => {
    const simStages =
      await (await call("/json/2/crm.stage/search_read", { domain: [], fields: ["id", "is_won"] }))
        .json() as Rec[];
    const simWon = new Set(simStages.filter((s) => s.is_won).map((s) => s.id));
    const simLeads = await (await call("/json/2/crm.lead/search_read", {
      domain: [],
      fields: ["id", "active", "probability", "stage_id", "won_status"],
      context: { active_test: false },
    })).json() as Rec[];
    for (const l of simLeads) assert.equal(l.won_status, wonStatusOf(l, simWon), `simulated lead ${l.id}`);
    const status = (id: number) => simLeads.find((l) => l.id === id)!.won_status;
    assert.deepEqual([status(archivedOpen.id), status(fullNotWon.id)], ["pending", "pending"]);
    assert.deepEqual(new Set(simLeads.map((l) => l.won_status)), new Set(["won", "lost", "pending"]));
  });
});

Deno.test("the simulator playing Odoo 19 answers common.version as the real 19.0 did, the version /web/version gives (odoo19_live/08)", async () => {
  const tr = load("08-jsonrpc-common-version.json");
  await withSim(async (call) => {
    const res = await call("/jsonrpc", tr.request.body);
    assert.deepEqual(await res.json(), tr.response.body);
  });
});

Deno.test("the simulator playing Odoo 19 describes every field it serves as the real 19.0's fields_get does (odoo19_live/fields19.json)", async () => {
  const real = JSON.parse(Deno.readTextFileSync(new URL("fields19.json", DIR))) as Record<
    string,
    Record<string, Record<string, unknown>>
  >;
  const attributes = ["type", "string", "store", "readonly", "required", "relation"];
  await withSim(async (call) => {
    for (const [model, fields] of Object.entries(real)) {
      const res = await call(`/json/2/${model}/fields_get`, { attributes });
      assert.equal(res.status, 200, model);
      const served = await res.json() as Record<string, Record<string, unknown>>;
      if (model === "crm.lead" || model === "crm.tag") {
        assert.deepEqual(Object.keys(served).sort(), Object.keys(fields).sort(), `${model}: every field`);
      }
      for (const [name, def] of Object.entries(served)) {
        assert.ok(fields[name], `${model}.${name} exists in Odoo 19`);
        assert.deepEqual(def, fields[name], `${model}.${name}`);
      }
    }
  });
});
