/**
 * Records, from a real Odoo 19 seeded by `seed_odoo.ts` (README, "Tests and benchmarks"), the answers
 * in which the simulator's `--version 19` disagreed with it, as transcripts in
 * `scripts/fixtures/odoo19_live/` (same format as `../fixtures/odoo19/`; keys and passwords redacted,
 * server paths rewritten to /opt/odoo), and the fields of the models Passerelle reads (`fields19.json`).
 * It only reads from Odoo.
 *
 *   deno run -A scripts/live/record_odoo19.ts --url http://127.0.0.1:18070 --db passerelle \
 *     --admin-key KEY --nocrm-key KEY [--src /tmp/odoo19-src] [--out scripts/fixtures/odoo19_live]
 */
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    url: { type: "string" },
    db: { type: "string" },
    "admin-key": { type: "string" },
    "nocrm-key": { type: "string" },
    src: { type: "string", default: "/tmp/odoo19-src" },
    out: { type: "string", default: "scripts/fixtures/odoo19_live" },
  },
});
if (!args.url || !args.db || !args["admin-key"] || !args["nocrm-key"]) {
  console.error("usage: record_odoo19.ts --url URL --db DB --admin-key KEY --nocrm-key KEY");
  Deno.exit(2);
}
const base = args.url.replace(/\/$/, "");
const secrets = [args["admin-key"], args["nocrm-key"], "nocrm"];
const scrub = (text: string) => {
  let t = text.replaceAll(args.src!, "/opt/odoo");
  for (const s of secrets) t = t.replaceAll(s, "<redacted>");
  return t;
};

interface Probe {
  name: string;
  description: string;
  path: string;
  key?: string;
  body: unknown;
}

async function send(p: Probe) {
  const headers: Record<string, string> = {
    Accept: "application/json",
    "User-Agent": "passerelle-recorder",
    "Content-Type": "application/json; charset=utf-8",
  };
  if (p.path.startsWith("/json/2/")) {
    headers.Authorization = `bearer ${p.key}`;
    headers["X-Odoo-Database"] = args.db!;
  }
  const res = await fetch(base + p.path, { method: "POST", headers, body: JSON.stringify(p.body) });
  const text = await res.text();
  let body: unknown = text;
  let json = false;
  try {
    body = JSON.parse(scrub(text));
    json = true;
  } catch { /* HTML */ }
  const recorded = {
    ...headers,
    ...(headers.Authorization ? { Authorization: "bearer <redacted>" } : {}),
  };
  return {
    name: p.name,
    description: p.description,
    target: "odoo19_live",
    request: {
      method: "POST",
      path: p.path,
      headers: recorded,
      body: JSON.parse(scrub(JSON.stringify(p.body))),
    },
    response: {
      status: res.status,
      headers: Object.fromEntries([...res.headers].filter(([k]) => !["date", "set-cookie"].includes(k))),
      body_is_json: json,
      body,
    },
    raw: json ? body : undefined,
  };
}

const admin = args["admin-key"];
const json2 = async (model: string, method: string, body: unknown) => {
  const r = await send({ name: "", description: "", path: `/json/2/${model}/${method}`, key: admin, body });
  if (r.response.status !== 200) throw new Error(`${model}.${method}: HTTP ${r.response.status}`);
  return r.raw as Record<string, unknown>[];
};
const ALL = { active_test: false };
const one = async (domain: unknown[]) =>
  (await json2("crm.lead", "search_read", { domain, fields: ["id"], limit: 2, order: "id", context: ALL }))
    .map((r) => r.id as number);
const uid =
  (await json2("res.users", "search_read", { domain: [["login", "=", "nocrm"]], fields: ["id"] }))[0]
    .id;

// Leads of each kind the customer rules know: on a company, on a company's contact, on a person alone,
// no partner but the exact name of a company, or that name in another case.
const exact = await json2("crm.lead", "search_read", {
  domain: [["partner_id", "=", false], ["partner_name", "!=", false]],
  fields: ["id", "partner_name"],
  context: ALL,
});
const upper = exact.filter((l) => l.partner_name === String(l.partner_name).toUpperCase()).slice(0, 2);
const asTyped = exact.filter((l) => l.partner_name !== String(l.partner_name).toUpperCase()).slice(0, 2);
const kinds = [
  ...await one([["partner_id.is_company", "=", true]]),
  ...await one([["partner_id.parent_id", "!=", false]]),
  ...await one([["partner_id", "!=", false], ["partner_id.is_company", "=", false], [
    "partner_id.parent_id",
    "=",
    false,
  ]]),
  ...asTyped.map((l) => l.id as number),
  ...upper.map((l) => l.id as number),
];
// Leads of each won/lost state: archived with a probability, lost (archived at 0 %), in a Won stage.
const states = [
  ...await one([["active", "=", false], ["probability", ">", 0]]),
  ...await one([["active", "=", false], ["probability", "=", 0]]),
  ...await one([["stage_id.is_won", "=", true]]),
  ...await one([["active", "=", true], ["probability", "=", 100], ["stage_id.is_won", "=", false]]),
  ...await one([["active", "=", true], ["probability", "<", 100]]),
];

const nocrmDomain = [["res_model", "=", "crm.lead"], ["id", ">", 0]];
const probes: Probe[] = [
  {
    name: "attachment-search-read-nocrm",
    description:
      "ir.attachment/search_read of crm.lead attachments as a user without Sales rights (nocrm's key)",
    path: "/json/2/ir.attachment/search_read",
    key: args["nocrm-key"],
    body: { domain: nocrmDomain, fields: ["id", "name"], limit: 5, order: "id asc" },
  },
  {
    name: "jsonrpc-attachment-search-read-nocrm",
    description: "the same over /jsonrpc (execute_kw as nocrm, password nocrm)",
    path: "/jsonrpc",
    body: {
      jsonrpc: "2.0",
      method: "call",
      id: 1,
      params: {
        service: "object",
        method: "execute_kw",
        args: [args.db, uid, "nocrm", "ir.attachment", "search_read", [nocrmDomain], {
          fields: ["id", "name"],
          limit: 5,
          order: "id asc",
        }],
      },
    },
  },
  {
    name: "attachment-search-count-nocrm-no-model",
    description:
      "ir.attachment/search_count without a res_model in the domain, as nocrm: no error, none seen",
    path: "/json/2/ir.attachment/search_count",
    key: args["nocrm-key"],
    body: { domain: [["id", ">", 0], ["res_field", "=", false], ["create_uid", "!=", uid]] },
  },
  {
    name: "lead-commercial-partner",
    description: "crm.lead/read of leads on a company, a company's contact, a person, no partner with a " +
      "company's name as typed and in upper case: commercial_partner_id",
    path: "/json/2/crm.lead/read",
    key: admin,
    body: { ids: kinds, fields: ["id", "partner_id", "partner_name", "commercial_partner_id"], context: ALL },
  },
  {
    name: "partner-of-leads",
    description: "res.partner/read of those leads' partners: is_company, parent_id, commercial_partner_id",
    path: "/json/2/res.partner/read",
    key: admin,
    body: {
      ids: [],
      fields: ["id", "name", "is_company", "parent_id", "commercial_partner_id"],
      context: ALL,
    },
  },
  {
    name: "lead-won-status",
    description: "crm.lead/read of an archived lead with a probability, a lost one (archived, 0 %), one in " +
      "a Won stage, one at 100 % outside a Won stage, an open one: won_status",
    path: "/json/2/crm.lead/read",
    key: admin,
    body: { ids: states, fields: ["id", "active", "probability", "stage_id", "won_status"], context: ALL },
  },
  {
    name: "stage-is-won",
    description: "crm.stage/search_read: which stages are Won stages",
    path: "/json/2/crm.stage/search_read",
    key: admin,
    body: { domain: [], fields: ["id", "name", "is_won"], order: "id" },
  },
  {
    name: "jsonrpc-common-version",
    description: "common.version over /jsonrpc: the same version /web/version gives",
    path: "/jsonrpc",
    body: {
      jsonrpc: "2.0",
      method: "call",
      id: 2,
      params: { service: "common", method: "version", args: [] },
    },
  },
];

await Deno.mkdir(args.out!, { recursive: true });
const index: string[] = [];
let n = 0;
let partnerIds: number[] = [];
for (const p of probes) {
  if (p.name === "partner-of-leads") p.body = { ...(p.body as object), ids: partnerIds };
  const t = await send(p);
  if (p.name === "lead-commercial-partner") {
    partnerIds = [
      ...new Set(
        (t.raw as unknown as Record<string, unknown>[]).flatMap((l) => [
          Array.isArray(l.partner_id) ? l.partner_id[0] as number : 0,
          Array.isArray(l.commercial_partner_id) ? l.commercial_partner_id[0] as number : 0,
        ]).filter(Boolean),
      ),
    ];
  }
  const { raw: _, ...transcript } = t;
  const file = `${String(++n).padStart(2, "0")}-${p.name}.json`;
  await Deno.writeTextFile(`${args.out}/${file}`, JSON.stringify({ n, ...transcript }, null, 1) + "\n");
  index.push(`${file}\tPOST ${p.path} -> ${t.response.status}\t${p.description}`);
}

// The fields of the models Passerelle reads, as Odoo 19 describes them.
const attributes = ["type", "string", "store", "readonly", "required", "relation"];
const fields: Record<string, unknown> = {};
for (const model of ["crm.lead", "res.partner", "ir.attachment", "crm.stage", "crm.tag", "res.users"]) {
  const r = await send({
    name: "",
    description: "",
    path: `/json/2/${model}/fields_get`,
    key: admin,
    body: {
      attributes,
    },
  });
  const all = r.raw as unknown as Record<string, Record<string, unknown>>;
  fields[model] = Object.fromEntries(Object.keys(all).sort().map((k) => [k, all[k]]));
}
await Deno.writeTextFile(`${args.out}/fields19.json`, JSON.stringify(fields, null, 1) + "\n");
const version = await (await fetch(`${base}/web/version`)).json();
await Deno.writeTextFile(
  `${args.out}/INDEX.txt`,
  `Recorded from a real Odoo ${version.version} (${JSON.stringify(version.version_info)}) by ` +
    `scripts/live/record_odoo19.ts on ${new Date().toISOString().slice(0, 10)}; see README.md here.\n\n` +
    index.join("\n") + "\nfields19.json\tfields_get (type, string, store, readonly, required, relation) of " +
    Object.keys(fields).join(", ") + "\n",
);
console.log(`recorded ${index.length} transcripts and fields19.json into ${args.out}`);
