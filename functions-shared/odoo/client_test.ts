import assert from "node:assert/strict";
import { createOdooClient } from "./client.ts";
import { generateDataset, type OdooDataset } from "../../scripts/odoo_simulator/dataset.ts";
import {
  type OdooSimulator,
  type SimulatorOptions,
  startOdooSimulator,
} from "../../scripts/odoo_simulator/server.ts";
import { config, deps, rejects } from "./client_test_kit.ts";

const dataset = generateDataset({ leads: 600, seed: 7, attachments: 40 });

async function withSim(
  opts: Partial<SimulatorOptions>,
  fn: (sim: OdooSimulator, ds: OdooDataset) => Promise<void>,
): Promise<void> {
  const sim = await startOdooSimulator({ dataset, ...opts });
  try {
    await fn(sim, sim.dataset);
  } finally {
    await sim.close();
  }
}

const LEAD_FIELDS = ["id", "name", "email_from", "partner_id", "stage_id", "tag_ids", "write_date", "active"];

for (const transport of ["jsonrpc", "json2"] as const) {
  const secret = transport === "json2" ? "odoo-api-key-demo" : "admin";

  Deno.test(`${transport}: authenticate() answers the admin uid and asks Odoo only once`, async () => {
    await withSim({}, async (sim) => {
      const odoo = createOdooClient(config(sim.url, { transport, secret }), deps());
      assert.equal(await odoo.authenticate(), 2);
      assert.equal(await odoo.authenticate(), 2);
      assert.equal(odoo.stats.calls, 1);
    });
  });

  Deno.test(`${transport}: keyset paging with searchRead() reads every lead once, archived included`, async () => {
    await withSim({}, async (sim, ds) => {
      const odoo = createOdooClient(config(sim.url, { transport, secret }), deps());
      const seen: number[] = [];
      let cursor = 0;
      for (;;) {
        const page = await odoo.searchRead<{ id: number; write_date: string }>("crm.lead", [[
          "id",
          ">",
          cursor,
        ]], {
          fields: LEAD_FIELDS,
          order: "id asc",
          limit: 100,
          context: { active_test: false },
        });
        if (page.length === 0) break;
        seen.push(...page.map((r) => r.id));
        cursor = page[page.length - 1].id;
        assert.match(page[0].write_date, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      }
      assert.deepEqual(seen, ds.table("crm.lead").rows.map((r) => r.id));
      const all = await odoo.searchCount("crm.lead", [], { context: { active_test: false } });
      const active = await odoo.searchCount("crm.lead", []);
      assert.equal(all, seen.length);
      assert.ok(active < all, "archived leads are hidden without active_test: false");
    });
  });

  Deno.test(`${transport}: searchRead() passes offset, order and many2one values through`, async () => {
    await withSim({}, async (sim, ds) => {
      const odoo = createOdooClient(config(sim.url, { transport, secret }), deps());
      const rows = await odoo.searchRead<{ id: number; stage_id: [number, string] }>("crm.lead", [], {
        fields: ["stage_id"],
        order: "id desc",
        offset: 1,
        limit: 2,
      });
      const active = ds.table("crm.lead").rows.filter((r) => r.active).map((r) => r.id).reverse();
      assert.deepEqual(rows.map((r) => r.id), active.slice(1, 3));
      assert.equal(typeof rows[0].stage_id[1], "string");
    });
  });

  Deno.test(`${transport}: read() drops ids Odoo lacks and keeps archived records`, async () => {
    await withSim({}, async (sim, ds) => {
      const archived = ds.table("crm.lead").rows.find((r) => r.active === false)!.id;
      const odoo = createOdooClient(config(sim.url, { transport, secret }), deps());
      const rows = await odoo.read<{ id: number; active: boolean }>("crm.lead", [archived, 99_999_999], [
        "active",
      ]);
      assert.deepEqual(rows, [{ id: archived, active: false }]);
      assert.deepEqual(await odoo.read("crm.lead", [], ["name"]), []);
    });
  });

  Deno.test(`${transport}: version() reports the server's major version`, async () => {
    await withSim({}, async (sim) => {
      const v = await createOdooClient(config(sim.url, { transport, secret }), deps()).version();
      assert.equal(v.major, 19);
      assert.equal(v.serie, "19.0");
    });
  });

  Deno.test(`${transport}: a wrong secret fails as odoo_auth_failed, without retry and without the secret`, async () => {
    await withSim({}, async (sim) => {
      const d = deps();
      const wrong = "Sup3r-Secret-Value";
      const odoo = createOdooClient(config(sim.url, { transport, secret: wrong }), d);
      const e = await rejects(odoo.searchCount("crm.lead", []));
      assert.equal(e.code, "odoo_auth_failed");
      assert.equal(e.retryable, false);
      assert.deepEqual(d.sleeps, []);
      assert.ok(!JSON.stringify({ m: e.message, c: e.cause }).includes(wrong));
    });
  });

  Deno.test(`${transport}: a user without Sales rights gets odoo_access_denied with Odoo's message`, async () => {
    await withSim({}, async (sim) => {
      const nocrm = transport === "json2" ? "odoo-api-key-nocrm" : "nocrm";
      const odoo = createOdooClient(config(sim.url, { transport, login: "nocrm", secret: nocrm }), deps());
      const e = await rejects(odoo.searchRead("crm.lead", [], { fields: ["name"] }));
      assert.equal(e.code, "odoo_access_denied");
      // Odoo 17 says 'Lead/Opportunity' (fixture odoo/23), Odoo 19 'Lead' (odoo19/05): the simulator plays 19.
      assert.match(e.message, /You are not allowed to access 'Lead' \(crm\.lead\) records/);
    });
  });

  Deno.test(`${transport}: an unknown field is an odoo_error carrying Odoo's message`, async () => {
    await withSim({}, async (sim) => {
      const odoo = createOdooClient(config(sim.url, { transport, secret }), deps());
      const e = await rejects(odoo.searchRead("crm.lead", [], { fields: ["id", "no_such_field"], limit: 1 }));
      assert.equal(e.code, "odoo_error");
      assert.equal(e.retryable, false);
      assert.match(e.message, /Invalid field 'no_such_field' on 'crm\.lead'/); // odoo19/10 (17: "on model")
    });
  });

  Deno.test(`${transport}: 502s are retried with exponential backoff and jitter, then succeed`, async () => {
    await withSim({}, async (sim) => {
      const d = deps({ random: () => 0.5 });
      const odoo = createOdooClient(config(sim.url, { transport, secret }), d);
      await odoo.authenticate();
      sim.failures.http502 = 2;
      assert.equal(typeof (await odoo.searchCount("crm.lead", [])), "number");
      // cap/2 + cap/2 * 0.5 with cap = 500, 1000
      assert.deepEqual(d.sleeps, [375, 750]);
      assert.equal(odoo.stats.calls, 1 + 3);
    });
  });

  Deno.test(`${transport}: a serialization failure is retried; one that persists ends as odoo_unavailable`, async () => {
    await withSim({}, async (sim) => {
      const d = deps({ retries: 2, random: () => 0 });
      const odoo = createOdooClient(config(sim.url, { transport, secret }), d);
      await odoo.authenticate();
      sim.failures.concurrency = 1;
      assert.equal(typeof (await odoo.searchCount("crm.lead", [])), "number");
      sim.failures.concurrency = 5;
      const e = await rejects(odoo.searchCount("crm.lead", []));
      assert.equal(e.code, "odoo_unavailable");
      assert.equal(e.retryable, true);
      assert.match(e.message, /could not serialize access due to concurrent update/);
      assert.deepEqual(d.sleeps, [250, 250, 500]);
    });
  });

  Deno.test(`${transport}: a non-JSON answer is odoo_malformed and not retried`, async () => {
    await withSim({}, async (sim) => {
      const d = deps();
      const odoo = createOdooClient(config(sim.url, { transport, secret }), d);
      await odoo.authenticate();
      sim.failures.malformed = 1;
      const e = await rejects(odoo.searchCount("crm.lead", []));
      assert.equal(e.code, "odoo_malformed");
      assert.deepEqual(d.sleeps, []);
    });
  });

  Deno.test(`${transport}: a call that hangs times out as odoo_timeout, and the retry gets through`, async () => {
    await withSim({}, async (sim) => {
      const d = deps({ retries: 1 });
      const odoo = createOdooClient(config(sim.url, { transport, secret, timeoutMs: 150 }), d);
      await odoo.authenticate();
      sim.failures.hang = 1;
      assert.equal(typeof (await odoo.searchCount("crm.lead", [])), "number");
      assert.equal(d.sleeps.length, 1);
      sim.failures.hang = 2;
      const e = await rejects(odoo.searchCount("crm.lead", []));
      assert.equal(e.code, "odoo_timeout");
      assert.equal(e.retryable, true);
    });
  });

  Deno.test(`${transport}: HTTP 429 is retried`, async () => {
    await withSim({}, async (sim) => {
      const d = deps();
      const odoo = createOdooClient(config(sim.url, { transport, secret }), d);
      await odoo.authenticate();
      sim.failures.status = { code: 429, count: 1 };
      assert.equal(typeof (await odoo.searchCount("crm.lead", [])), "number");
      assert.equal(d.sleeps.length, 1);
    });
  });
}

Deno.test("jsonrpc: an unknown login is odoo_auth_failed naming the login, not the password", async () => {
  await withSim({}, async (sim) => {
    const odoo = createOdooClient(config(sim.url, { login: "nobody@nowhere", secret: "pw-123456" }), deps());
    const e = await rejects(odoo.authenticate());
    assert.equal(e.code, "odoo_auth_failed");
    assert.match(e.message, /nobody@nowhere/);
    assert.ok(!e.message.includes("pw-123456"));
  });
});

Deno.test("jsonrpc: an unknown database is a non-retryable odoo_error that says so", async () => {
  await withSim({}, async (sim) => {
    const d = deps();
    const e = await rejects(createOdooClient(config(sim.url, { db: "no_such_db" }), d).authenticate());
    assert.equal(e.code, "odoo_error");
    assert.match(e.message, /database "no_such_db" does not exist/);
    assert.deepEqual(d.sleeps, []);
  });
});

Deno.test("jsonrpc: the API key works as a password too", async () => {
  await withSim({}, async (sim) => {
    const odoo = createOdooClient(config(sim.url, { secret: "odoo-api-key-demo" }), deps());
    assert.equal(await odoo.searchCount("res.users", [["login", "=", "admin"]]), 1);
  });
});

Deno.test("jsonrpc: the uid is asked again after Odoo refuses the password, not after an AccessError", async () => {
  const users = [{ login: "admin", password: "admin" }];
  await withSim({ users }, async (sim) => {
    const odoo = createOdooClient(config(sim.url), deps());
    await odoo.searchCount("crm.lead", []);
    let calls = odoo.stats.calls;
    sim.failures.accessError = 1;
    assert.equal((await rejects(odoo.searchCount("crm.lead", []))).code, "odoo_access_denied");
    await odoo.searchCount("crm.lead", []);
    assert.equal(odoo.stats.calls, calls + 2, "no new authenticate after an AccessError");
    users[0].password = "changed";
    assert.equal((await rejects(odoo.searchCount("crm.lead", []))).code, "odoo_auth_failed");
    users[0].password = "admin";
    calls = odoo.stats.calls;
    await odoo.searchCount("crm.lead", []);
    assert.equal(odoo.stats.calls, calls + 2, "authenticate, then the call");
  });
});

Deno.test("json2: against Odoo 17, which has no JSON-2, the error says to use jsonrpc", async () => {
  await withSim({ version: 17 }, async (sim) => {
    const odoo = createOdooClient(
      config(sim.url, { transport: "json2", secret: "odoo-api-key-demo" }),
      deps(),
    );
    const e = await rejects(odoo.authenticate());
    assert.equal(e.code, "odoo_error");
    assert.match(e.message, /no JSON-2 API.*Odoo 19/);
  });
});

Deno.test("json2: a wrong ODOO_DB (Odoo 19's 404 text/html 'No database is selected', fixture odoo19/09) says to check ODOO_DB", async () => {
  await withSim({ version: 19 }, async (sim) => {
    const odoo = createOdooClient(
      config(sim.url, { transport: "json2", secret: "odoo-api-key-demo", db: "no_such_db" }),
      deps(),
    );
    const e = await rejects(odoo.authenticate());
    assert.equal(e.code, "odoo_error");
    assert.equal(e.retryable, false);
    assert.match(e.message, /has no database "no_such_db" .*No database is selected.*: check ODOO_DB$/);
    assert.doesNotMatch(e.message, /Odoo 19 or later/, "not the advice for a server without JSON-2");
  });
});

Deno.test("json2: an unknown model is an odoo_error with Odoo's message", async () => {
  await withSim({}, async (sim) => {
    const odoo = createOdooClient(
      config(sim.url, { transport: "json2", secret: "odoo-api-key-demo" }),
      deps(),
    );
    const e = await rejects(odoo.searchCount("crm.nope", []));
    assert.equal(e.code, "odoo_error");
    assert.match(e.message, /the model 'crm\.nope' does not exist/);
  });
});

Deno.test("a server nobody listens on is a retryable odoo_unavailable", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const d = deps({ retries: 1 });
  const odoo = createOdooClient(
    {
      url: `http://127.0.0.1:${port}`,
      db: "crm_src",
      login: "admin",
      secret: "admin",
      transport: "jsonrpc",
      timeoutMs: 2000,
    },
    d,
  );
  const e = await rejects(odoo.authenticate());
  assert.equal(e.code, "odoo_unavailable");
  assert.equal(e.retryable, true);
  assert.equal(
    e.message,
    `Cannot reach Odoo at http://127.0.0.1:${port} for common.authenticate: connection refused`,
    "the message names the URL and the cause",
  );
  assert.equal(d.sleeps.length, 1);
  assert.equal(odoo.stats.calls, 2);
});

Deno.test("searchRead() and read() refuse to run without fields", async () => {
  const odoo = createOdooClient(
    { url: "http://127.0.0.1:9", db: "d", login: "l", secret: "s", transport: "jsonrpc", timeoutMs: 1000 },
    deps(),
  );
  assert.equal((await rejects(odoo.searchRead("crm.lead", [], { fields: [] }))).code, "bad_request");
  assert.equal((await rejects(odoo.read("crm.lead", [1], []))).code, "bad_request");
  assert.equal(odoo.stats.calls, 0);
});

Deno.test("an Odoo error message that echoes the secret is redacted", async () => {
  const secret = "hunter2-very-secret";
  const fakeFetch = (() =>
    Promise.resolve(
      new Response(
        JSON.stringify({
          jsonrpc: "2.0",
          id: 1,
          error: {
            code: 200,
            message: "Odoo Server Error",
            data: {
              name: "builtins.ValueError",
              message: `bad value ${secret}`,
              arguments: [],
              debug: secret,
            },
          },
        }),
        { headers: { "content-type": "application/json" } },
      ),
    )) as typeof fetch;
  const odoo = createOdooClient(
    { url: "http://odoo.test", db: "d", login: "l", secret, transport: "jsonrpc", timeoutMs: 1000 },
    deps({ fetch: fakeFetch }),
  );
  const e = await rejects(odoo.authenticate());
  assert.equal(e.code, "odoo_error");
  assert.match(e.message, /bad value \[redacted\]/);
  assert.ok(!JSON.stringify({ m: e.message, c: e.cause }).includes(secret));
});

Deno.test("a JSON-RPC answer without a result key reads as null", async () => {
  const fakeFetch = (() =>
    Promise.resolve(
      new Response(JSON.stringify({ jsonrpc: "2.0", id: 1 }), {
        headers: { "content-type": "application/json" },
      }),
    )) as typeof fetch;
  const odoo = createOdooClient(
    {
      url: "http://odoo.test",
      db: "d",
      login: "l",
      secret: "pw-s3cr3t",
      transport: "jsonrpc",
      timeoutMs: 1000,
    },
    deps({ fetch: fakeFetch }),
  );
  // authenticate() expects a uid: null (None) is not one.
  const e = await rejects(odoo.authenticate());
  assert.equal(e.code, "odoo_malformed");
  assert.match(e.message, /answered null/);
});

Deno.test("jsonrpc: a later client of the process for the same URL, database and login reuses the uid and version (no password hashing again); an auth error forgets them", async () => {
  await withSim({}, async (sim) => {
    const first = createOdooClient(config(sim.url), deps());
    await first.searchCount("crm.lead", []);
    await first.version();
    const authenticated = sim.stats.byMethod["common.authenticate"];
    assert.equal(authenticated, 1);
    const second = createOdooClient(config(sim.url), deps());
    await second.searchCount("crm.lead", []);
    assert.equal((await second.version()).major, 19);
    assert.equal(sim.stats.byMethod["common.authenticate"], 1, "the uid learnt by the first client");
    assert.equal(sim.stats.byMethod["common.version"], 1, "the version too");
    assert.equal(second.stats.calls, 1, "one request: the call itself");
    const wrong = createOdooClient(config(sim.url, { secret: "not-the-password" }), deps());
    assert.equal((await rejects(wrong.searchCount("crm.lead", []))).code, "odoo_auth_failed");
    const third = createOdooClient(config(sim.url), deps());
    await third.searchCount("crm.lead", []);
    assert.equal(
      sim.stats.byMethod["common.authenticate"],
      2,
      "asked again after Odoo refused the credentials",
    );
  });
});

Deno.test("json2: model calls go without asking for the uid first (the key names the user)", async () => {
  await withSim({}, async (sim) => {
    const odoo = createOdooClient(
      config(sim.url, { transport: "json2", secret: "odoo-api-key-demo" }),
      deps(),
    );
    await odoo.searchCount("crm.lead", []);
    assert.equal(odoo.stats.calls, 1);
    assert.equal(sim.stats.byMethod["res.users.context_get"], undefined);
  });
});
