/**
 * Replays the 22 transcripts recorded from a real Odoo 19.0 server over JSON-2
 * (scripts/fixtures/odoo19/, see its INDEX.txt) against the simulator playing
 * Odoo 19: statuses, content types, the headers that matter, error classes,
 * messages and arguments exactly; data answers by shape (the recorded
 * database, crm19, is not the simulator's: same keys in the same order, same
 * JSON types, floats written as Python writes them).
 */
import assert from "node:assert/strict";
import { generateDataset } from "./dataset.ts";
import { startOdooSimulator } from "./server.ts";
import { DEFAULT_USERS } from "./server.ts";

interface Transcript19 {
  name: string;
  request: { method: string; path: string; headers: Record<string, string>; body: unknown };
  response: { status: number; headers: Record<string, string>; body: unknown; body_is_json: boolean };
}

const DIR = new URL("../fixtures/odoo19/", import.meta.url);
const files = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) => /^\d\d-.*\.json$/.test(n)).sort();
const load = (file: string): Transcript19 => JSON.parse(Deno.readTextFileSync(new URL(file, DIR)));

const dataset = generateDataset({ leads: 120, attachments: 40, activities: 0, seed: 19, db: "crm19" });
const [admin, nocrm] = DEFAULT_USERS;
const t = dataset.table("ir.attachment");
const byName = (name: string) => t.rows.find((a) => a.name === name)!.id as number;
const archived = dataset.table("crm.lead").rows.find((l) => l.active === false)!.id as number;

/** The recorded request, with the simulator's keys and ids where the recording used crm19's. */
function requestOf(file: string, tr: Transcript19): { headers: Record<string, string>; body: unknown } {
  const headers: Record<string, string> = {};
  const key = file.startsWith("05-") ? nocrm.apiKey! : file.startsWith("08-") ? "not-a-key" : admin.apiKey!;
  for (const [k, v] of Object.entries(tr.request.headers)) {
    headers[k] = k === "Authorization"
      ? `bearer ${key}`
      : k === "X-Odoo-Database" && v === "crm19"
      ? "crm19"
      : v;
  }
  let body = tr.request.body as Record<string, unknown> | null;
  if (file.startsWith("03-")) body = { ...body, ids: [byName("what?.txt"), byName("vide.txt")] };
  if (file.startsWith("06-")) body = { ...body, ids: [byName("orphelin.pdf")] };
  if (file.startsWith("12-")) body = { ...body, ids: [3, 12] };
  if (file.startsWith("20-")) body = { ...body, ids: [archived] };
  return { headers, body };
}

/**
 * Whether `got` has the shape of `want`: same JSON types, same keys in rows; Odoo's empty value (`false`,
 * or `[]` for a list) fits any field, since which fields are empty depends on the data.
 */
function sameShape(got: unknown, want: unknown, at = "answer"): void {
  const empty = (v: unknown) => v === false || (Array.isArray(v) && v.length === 0);
  if (empty(got) || empty(want)) return;
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(got), `${at}: a list`);
    const m2o = (v: unknown[]) => v.length === 2 && typeof v[0] === "number" && typeof v[1] === "string";
    if (m2o(want)) return assert.ok(m2o(got as unknown[]), `${at}: a many2one [id, name]`);
    return sameShape((got as unknown[])[0], want[0], `${at}[0]`);
  }
  if (want && typeof want === "object") {
    assert.ok(got && typeof got === "object", `${at}: an object`);
    assert.deepEqual(Object.keys(got as object), Object.keys(want), `${at}: keys in the recorded order`);
    for (const [k, v] of Object.entries(want)) {
      sameShape((got as Record<string, unknown>)[k], v, `${at}.${k}`);
    }
    return;
  }
  assert.equal(typeof got, typeof want, `${at}: a ${typeof want}`);
}

Deno.test("fixture replay: the simulator playing Odoo 19 answers the 22 JSON-2 transcripts as Odoo 19.0 did", async (tt) => {
  assert.equal(files.length, 22);
  const sim = await startOdooSimulator({ dataset, version: 19 });
  try {
    for (const file of files) {
      await tt.step(file, async () => {
        const tr = load(file);
        const { headers, body } = requestOf(file, tr);
        const res = await fetch(sim.url + tr.request.path, {
          method: tr.request.method,
          headers,
          body: body === null ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        const want = tr.response;
        assert.equal(res.status, want.status, "HTTP status");
        assert.equal(res.headers.get("content-type"), want.headers["content-type"], "content type");
        for (const h of ["www-authenticate", "accept", "x-content-type-options"]) {
          // (fetch trims header values: the recorded "Bearer " reads "Bearer")
          assert.equal(res.headers.get(h), want.headers[h]?.trim() ?? null, `header ${h}`);
        }
        if (!want.body_is_json) {
          assert.equal(text, want.body, "the HTML body, byte for byte");
          return;
        }
        const got = JSON.parse(text);
        const wanted = want.body as Record<string, unknown>;
        if (want.status !== 200) {
          assert.deepEqual(Object.keys(got).sort(), Object.keys(wanted).sort(), "error keys");
          assert.equal(got.name, wanted.name, "error class");
          assert.equal(got.message, wanted.message, "error message");
          assert.deepEqual(got.arguments, wanted.arguments, "error arguments");
          assert.match(got.debug, /^Traceback \(most recent call last\):\n/);
          return;
        }
        if (file.startsWith("01-") || file.startsWith("11-") || file.startsWith("16-")) {
          assert.deepEqual(got, wanted);
          return;
        }
        sameShape(got, wanted);
        // Python's JSON keeps floats floats: "expected_revenue": 45000.0, never 45000.
        for (const m of JSON.stringify(wanted).matchAll(/"(expected_revenue|probability)":/g)) {
          assert.match(text, new RegExp(`"${m[1]}":\\s?-?\\d+\\.\\d+`), `${m[1]} written as a float`);
        }
        if (file.startsWith("03-")) {
          // fixture 03: an empty file has checksum false and datas "".
          assert.deepEqual({ checksum: got[1].checksum, datas: got[1].datas, file_size: got[1].file_size }, {
            checksum: false,
            datas: "",
            file_size: 0,
          });
        }
      });
    }
  } finally {
    await sim.close();
  }
});

Deno.test("the simulator playing Odoo 19 has Odoo 19's crm.lead: no mobile, kanban_state or title; won_status and commercial_partner_id", async () => {
  // scripts/fixtures/odoo19/fields_17_vs_19.json: crm.lead only17 / only19.
  const diff = JSON.parse(Deno.readTextFileSync(new URL("fields_17_vs_19.json", DIR)))["crm.lead"];
  const sim = await startOdooSimulator({ dataset, version: 19 });
  const call = (b: unknown) =>
    fetch(`${sim.url}/json/2/crm.lead/search_read`, {
      method: "POST",
      headers: { authorization: `bearer ${admin.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify(b),
    });
  try {
    for (const field of ["mobile", "kanban_state", "title"]) {
      assert.ok(diff.only17.includes(field));
      const res = await call({ domain: [], fields: ["id", field], limit: 1 });
      assert.equal(res.status, 500);
      assert.equal((await res.json()).message, `Invalid field '${field}' on 'crm.lead'`);
    }
    const res = await call({ domain: [], fields: ["won_status", "commercial_partner_id"], limit: 1 });
    assert.equal(res.status, 200);
    const [row] = await res.json();
    assert.ok(diff.only19.includes("won_status") && diff.only19.includes("commercial_partner_id"));
    assert.ok(["won", "lost", "pending"].includes(row.won_status));
    assert.ok(row.commercial_partner_id === false || Array.isArray(row.commercial_partner_id));
  } finally {
    await sim.close();
  }
});
