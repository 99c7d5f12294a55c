/**
 * mail.tracking.value is readable by Settings users only (addons/mail/security/ir.model.access.csv of
 * odoo/odoo 17.0 gives it to base.group_system alone). The simulator refuses it to a salesman as Odoo
 * refuses a model to a user without its groups: the recorded AccessErrors of fixtures 23 (JSON-RPC, HTTP
 * 200) and odoo19/05 (JSON-2, HTTP 403), replayed with the salesman's credentials and that model.
 */
import assert from "node:assert/strict";
import { generateDataset } from "./dataset.ts";
import { startOdooSimulator } from "./server.ts";

const fixture = (path: string) =>
  JSON.parse(Deno.readTextFileSync(new URL(`../fixtures/${path}`, import.meta.url)));
const REFUSED = "You are not allowed to access 'Mail Tracking Value' (mail.tracking.value) records.\n\n" +
  "This operation is allowed for the following groups:\n\t- Administration/Settings\n\n" +
  "Contact your administrator to request access if necessary.";

Deno.test("mail.tracking.value refused to a salesman over JSON-RPC as fixture 23 refuses crm.lead; admin reads it", async () => {
  const recorded = fixture("odoo/23-error-access-denied-no-crm-user.json");
  const sim = await startOdooSimulator({ dataset: generateDataset({ leads: 30, attachments: 0, seed: 5 }) });
  try {
    const ask = async (uid: number, password: string) => {
      const body = structuredClone(recorded.request.body);
      body.params.args.splice(1, 4, uid, password, "mail.tracking.value", "search_read");
      body.params.args[6] = { fields: ["id", "field_id"], limit: 2 };
      const res = await fetch(sim.url + recorded.request.path, {
        method: "POST",
        headers: recorded.request.headers,
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    const bob = await ask(9, "bob");
    assert.equal(bob.status, recorded.response.status);
    const want = recorded.response.body.error;
    const got = bob.body.error;
    assert.equal(got.code, want.code);
    assert.equal(got.message, want.message);
    assert.deepEqual(Object.keys(got.data).sort(), Object.keys(want.data).sort());
    assert.equal(got.data.name, want.data.name);
    assert.equal(got.data.message, REFUSED);
    assert.deepEqual(got.data.arguments, [REFUSED]);
    const admin = await ask(2, "admin");
    assert.equal(admin.body.error, undefined);
    assert.equal(admin.body.result.length, 2);
  } finally {
    await sim.close();
  }
});

Deno.test("mail.tracking.value refused to a salesman over JSON-2 as odoo19/05 refuses crm.lead (403, the error as body)", async () => {
  const recorded = fixture("odoo19/05-error-access-nocrm.json");
  const sim = await startOdooSimulator({ dataset: generateDataset({ leads: 30, attachments: 0, seed: 5 }) });
  try {
    const res = await fetch(sim.url + "/json/2/mail.tracking.value/search_read", {
      method: "POST",
      headers: {
        ...recorded.request.headers,
        Authorization: "bearer odoo-api-key-bob",
        "X-Odoo-Database": "crm_src",
      },
      body: JSON.stringify(recorded.request.body),
    });
    const body = await res.json();
    assert.equal(res.status, recorded.response.status);
    assert.deepEqual(Object.keys(body).sort(), Object.keys(recorded.response.body).sort());
    assert.equal(body.name, recorded.response.body.name);
    assert.equal(body.message, REFUSED);
    assert.deepEqual(body.arguments, [REFUSED]);
    // The same salesman reads the messages themselves.
    const messages = await fetch(sim.url + "/json/2/mail.message/search_read", {
      method: "POST",
      headers: {
        ...recorded.request.headers,
        Authorization: "bearer odoo-api-key-bob",
        "X-Odoo-Database": "crm_src",
      },
      body: JSON.stringify({ domain: [["model", "=", "crm.lead"]], fields: ["id"], limit: 1 }),
    });
    assert.equal(messages.status, 200);
    assert.equal((await messages.json()).length, 1);
  } finally {
    await sim.close();
  }
});
