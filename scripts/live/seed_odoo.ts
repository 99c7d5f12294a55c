/**
 * Seeds a real Odoo (an empty database with `crm` installed, `--without-demo=all`) over /jsonrpc with a
 * deterministic CRM that has the traits real ones showed: companies whose leads point only at their
 * contacts, name-only leads whose company exists as a partner under another case, titles with a trailing
 * space, accents and emoji, archived and lost leads, tags, several salespeople; attachments of every kind
 * (an empty file, url rows, shared contents, hostile names, a few MB-sized files, ~50 MB in all), and a
 * user without CRM rights (`nocrm` / `nocrm`) for the access check.
 *
 *   deno run -A scripts/live/seed_odoo.ts --url http://127.0.0.1:18069 --db passerelle \
 *     --login admin --password admin [--leads 3000] [--attachments 400] [--seed 17]
 *
 * It writes into Odoo: point it only at a database made for it. README, "Tests and benchmarks".
 */
import { Buffer } from "node:buffer";
import { parseArgs } from "node:util";
import {
  CITIES,
  COMPANY_KINDS,
  COMPANY_PLACES,
  description,
  emailPart,
  FIRST_NAMES,
  LAST_NAMES,
  LEAD_TEMPLATES,
  phone,
  pick,
  PRODUCTS,
  rng,
} from "../odoo_simulator/vocabulary.ts";

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    url: { type: "string" },
    db: { type: "string" },
    login: { type: "string", default: "admin" },
    password: { type: "string", default: "admin" },
    leads: { type: "string", default: "3000" },
    attachments: { type: "string", default: "400" },
    seed: { type: "string", default: "17" },
  },
});
if (!args.url || !args.db) {
  console.error("usage: seed_odoo.ts --url URL --db DB [--login L --password P] [--leads N --attachments N]");
  Deno.exit(2);
}
const url = `${args.url.replace(/\/$/, "")}/jsonrpc`;
const random = rng(Number(args.seed));

async function call(service: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", method: "call", params: { service, method, args: params } }),
  });
  const body = await res.json();
  if (body.error) {
    throw new Error(`${service}.${method}: ${JSON.stringify(body.error.data?.message ?? body.error)}`);
  }
  return body.result;
}

const uid = await call("common", "authenticate", [args.db, args.login, args.password, {}]) as number | false;
if (!uid) throw new Error(`authenticate: wrong login or password for ${args.login} on ${args.db}`);
const kw = (model: string, method: string, a: unknown[], k: Record<string, unknown> = {}) =>
  call("object", "execute_kw", [args.db, uid, args.password, model, method, a, k]);
const create = async (model: string, rows: Record<string, unknown>[]) => {
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 200) {
    ids.push(
      ...await kw(model, "create", [rows.slice(i, i + 200)], {
        context: { tracking_disable: true, mail_create_nolog: true, mail_notrack: true },
      }) as number[],
    );
  }
  return ids;
};
const xmlid = async (name: string) => {
  const [module, n] = name.split(".");
  const [row] = await kw("ir.model.data", "search_read", [[["module", "=", module], ["name", "=", n]]], {
    fields: ["res_id"],
  }) as { res_id: number }[];
  return row.res_id;
};

if ((await kw("crm.lead", "search_count", [[]], { context: { active_test: false } })) as number > 0) {
  console.error("this database already has leads: seed an empty one");
  Deno.exit(1);
}

// Salespeople, and a user who may log in but has no CRM rights. Odoo 19 renamed res.users' groups_id
// to group_ids (scripts/fixtures/odoo19/fields_17_vs_19.json).
const version = await call("common", "version", []) as { server_version_info: [number | string] };
const groups = Number(version.server_version_info[0]) >= 19 ? "group_ids" : "groups_id";
const salesman = await xmlid("sales_team.group_sale_salesman");
const internal = await xmlid("base.group_user");
const sellers = [
  uid,
  ...await create("res.users", [
    { name: "Élodie Tremblay", login: "elodie", password: "elodie", [groups]: [[6, 0, [salesman]]] },
    { name: "Marc-André Roy", login: "marc", password: "marc", [groups]: [[6, 0, [salesman]]] },
  ]),
];
await create("res.users", [{
  name: "Sans CRM",
  login: "nocrm",
  password: "nocrm",
  [groups]: [[6, 0, [internal]]],
}]);

const tagIds = await create(
  "crm.tag",
  [
    "Urgent",
    "VIP",
    "Rénovation",
    "Toiture",
    "Fenêtres",
    "Cuisine",
    "Salle de bain",
    "Extérieur",
    "Relance",
    "Nouveau client 🚀",
    "Partenaire",
    "Appel d'offres",
  ].map((name) => ({ name })),
);
const stages = await kw("crm.stage", "search_read", [[]], {
  fields: ["id", "is_won"],
  order: "sequence, id",
}) as { id: number; is_won: boolean }[];
const stageIds = stages.map((s) => s.id);
const won = new Set(stages.filter((s) => s.is_won).map((s) => s.id));
const [canada] = await kw("res.country", "search_read", [[["code", "=", "CA"]]], { fields: ["id"] }) as {
  id: number;
}[];

// Partners: companies (a few with a name that differs from another's only by case), their contacts,
// people on their own.
const nCompanies = Math.max(10, Math.round(Number(args.leads) / 12));
const companyRows = Array.from({ length: nCompanies }, (_, i) => {
  const base = `${pick(random, COMPANY_KINDS)} ${pick(random, COMPANY_PLACES)} ${i + 1}`;
  const name = i % 40 === 7 ? `${base} ` : base;
  return {
    name,
    is_company: true,
    email: random() < 0.7 ? `contact@${emailPart(base)}.example` : false,
    phone: random() < 0.8 ? phone(random) : false,
    street: `${1 + Math.floor(random() * 200)} rue de l'Église`,
    street2: random() < 0.2 ? "Bureau 3" : false,
    city: pick(random, CITIES),
    zip: String(10000 + Math.floor(random() * 89999)),
    country_id: canada?.id ?? false,
  };
});
const companies = await create("res.partner", companyRows);
const contactRows: Record<string, unknown>[] = [];
const contactsOf = new Map<number, number[]>();
companies.forEach((id) => {
  const n = Math.floor(random() * 4);
  for (let k = 0; k < n; k++) {
    const first = pick(random, FIRST_NAMES);
    const last = pick(random, LAST_NAMES);
    contactRows.push({
      name: `${first} ${last}`,
      parent_id: id,
      email: `${emailPart(first)}.${emailPart(last)}@${pick(random, ["gmail.com", "corp.example"])}`,
      phone: random() < 0.6 ? phone(random) : false,
    });
    contactsOf.set(id, [...(contactsOf.get(id) ?? []), -contactRows.length]);
  }
});
const contactIds = await create("res.partner", contactRows);
for (const [c, refs] of contactsOf) contactsOf.set(c, refs.map((r) => contactIds[-r - 1]));
const people = await create(
  "res.partner",
  Array.from({ length: Math.round(nCompanies / 2) }, () => {
    const first = pick(random, FIRST_NAMES);
    const last = pick(random, LAST_NAMES);
    return {
      name: `${first} ${last}`,
      email: `${emailPart(first)}.${emailPart(last)}@gmail.com`,
      phone: random() < 0.5 ? phone(random) : false,
    };
  }),
);

// Leads.
const leadRows = Array.from({ length: Number(args.leads) }, (_, i) => {
  const product = pick(random, PRODUCTS);
  let title = pick(random, LEAD_TEMPLATES)(product);
  if (i % 100 === 13) title = `${title} `; // a trailing space, as typed
  if (i % 250 === 3) title = `  ${title}`;
  const r = random();
  const company = companies[Math.floor(random() * companies.length)];
  const contacts = contactsOf.get(company) ?? [];
  const row: Record<string, unknown> = {
    name: title,
    type: random() < 0.6 ? "opportunity" : "lead",
    user_id: random() < 0.9 ? pick(random, sellers) : false,
    stage_id: pick(random, stageIds),
    tag_ids: [[6, 0, tagIds.filter(() => random() < 0.15)]],
    expected_revenue: random() < 0.8 ? Math.round(random() * 9_000_000) / 100 : 0,
    probability: Math.round(random() * 10_000) / 100,
    priority: pick(random, ["0", "0", "1", "2", "3"]),
    description: description(random, product),
  };
  if (r < 0.25) row.partner_id = company;
  else if (r < 0.55 && contacts.length) row.partner_id = pick(random, contacts); // only the company's people
  else if (r < 0.65) row.partner_id = pick(random, people);
  else if (r < 0.78) {
    // No partner, the company's name typed by hand (sometimes in another case).
    const name = (companyRows[companies.indexOf(company)].name as string).trim();
    row.partner_name = random() < 0.5 ? name.toUpperCase() : name;
    row.contact_name = `${pick(random, FIRST_NAMES)} ${pick(random, LAST_NAMES)}`;
    row.email_from = random() < 0.5 ? `Info@${emailPart(name)}.example` : false;
  } else {
    row.contact_name = random() < 0.7 ? `${pick(random, FIRST_NAMES)} ${pick(random, LAST_NAMES)}` : false;
    row.email_from = random() < 0.6 ? `${emailPart(String(row.contact_name || "x"))}@GMAIL.com` : false;
    row.phone = random() < 0.5 ? phone(random) : false;
  }
  // Odoo 19 refuses a lead in a Won stage below 100% ("A lead in a Won stage cannot be lost"); 17 sets it so.
  if (won.has(row.stage_id as number)) row.probability = 100;
  return row;
});
const leadIds = await create("crm.lead", leadRows);
// ~5% archived, a few lost (action_set_lost archives too).
const archived = leadIds.filter((_, i) => i % 20 === 9);
await kw("crm.lead", "write", [archived, { active: false }]);
const lost = leadIds.filter((_, i) => i % 50 === 21 && !won.has(leadRows[i].stage_id as number));
await kw("crm.lead", "action_set_lost", [lost]);

// Attachments: mostly small office files, a few MB-sized, shared contents, an empty file, url rows,
// hostile names; some on archived leads; one whose lead does not exist.
const nAtt = Number(args.attachments);
const base64 = (b: Uint8Array) => Buffer.from(b).toString("base64");
const bytes = (n: number) => {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (random() * 256) | 0;
  return b;
};
const shared = bytes(48_000);
const names = [
  "  espaces  dans le nom .docx",
  "devis final (2).pdf",
  "plan_cuisine_é.png",
  "contrat 📄.pdf",
  "notes.txt",
  "photo toiture.jpg",
  "../../etc/passwd",
  "soumission\u00a0client.xlsx",
];
const mimes: Record<string, string> = {
  docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
  pdf: "application/pdf",
  png: "image/png",
  txt: "text/plain",
  jpg: "image/jpeg",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
};
let total = 0;
for (let i = 0; i < nAtt; i += 10) {
  const rows: Record<string, unknown>[] = [];
  for (let k = i; k < Math.min(nAtt, i + 10); k++) {
    const lead = k % 37 === 5 ? archived[k % archived.length] : pick(random, leadIds);
    const name = k < names.length
      ? names[k]
      : `${pick(random, ["devis", "plan", "photo", "facture"])}-${k}.${
        pick(random, ["pdf", "png", "jpg", "docx"])
      }`;
    const ext = name.split(".").pop() ?? "";
    const base = {
      name,
      res_model: "crm.lead",
      res_id: lead,
      mimetype: mimes[ext] ?? "application/octet-stream",
    };
    if (k % 50 === 11) {
      rows.push({ ...base, type: "url", url: `https://example.com/docs/${k}?a=1&b=é`, mimetype: false });
      continue;
    }
    const size = k === 1
      ? 0
      : k % 60 === 17
      ? 2_000_000 + Math.floor(random() * 3_000_000)
      : k % 9 === 4
      ? shared.length
      : Math.floor(random() * 160_000);
    const content = k % 9 === 4 ? shared : bytes(size);
    total += content.length;
    rows.push({ ...base, type: "binary", datas: base64(content) });
  }
  await create("ir.attachment", rows);
}
// An attachment whose lead does not exist. Odoo 19 refuses to make one over RPC ("Sorry, you are not
// allowed to access this document": a missing record is inaccessible, even to admin); README says how to
// make it from `odoo-bin shell` there.
const orphan = {
  name: "orphelin.pdf",
  res_model: "crm.lead",
  res_id: Math.max(...leadIds) + 1000,
  type: "binary",
  datas: base64(bytes(1000)),
};
if (Number(version.server_version_info[0]) < 19) await create("ir.attachment", [orphan]);
else {console.log(
    `Odoo 19: make the orphan attachment (res_id ${orphan.res_id}) from odoo-bin shell (README)`,
  );}
console.log(
  `seeded ${leadIds.length} leads (${
    archived.length + lost.length
  } archived or lost), ${companies.length} companies, ` +
    `${contactIds.length + people.length} people, ${nAtt + 1} attachments (${(total / 1e6).toFixed(1)} MB)`,
);
