import assert from "node:assert/strict";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { signJwt } from "../../scripts/stack/keys.ts";
import { PasserelleError } from "../errors.ts";
import { serveBatch, type Step } from "./serve_batch.ts";

const KEY = "eyJhbGciOiJIUzI1NiJ9.service-role-key-for-tests.c2lnbmF0dXJl";
const SECRET_KEY = "sb_secret_0123456789abcdef";
const JWT_SECRET = "a-jwt-secret-of-the-project-for-tests-only";
const config = {
  serviceRoleKey: KEY,
  secretKey: SECRET_KEY,
  jwtSecret: JWT_SECRET,
  budget: { wallMs: 50_000, cpuMs: 1_500 },
  workers: 3,
  chain: true,
};

const call = (headers: Record<string, string>, body: unknown = {}) =>
  new Request("http://localhost/functions/v1/probe", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

const step = (more: boolean): Step => () =>
  Promise.resolve({
    migrated: 7,
    failed: 1,
    remaining: more ? 5 : 0,
    more,
    errors: ["item 3: odoo_error: boom"],
  });

Deno.test("serveBatch() answers and logs a successful call for the service-role key, as bearer or apikey", async () => {
  const db = await createTestDatabase("serve_ok");
  try {
    const handler = serveBatch({ name: "probe", config, sql: db.sql, step: step(false) });
    const ways: Record<string, string>[] = [{ authorization: `Bearer ${KEY}` }, { apikey: SECRET_KEY }];
    for (const headers of ways) {
      const res = await handler(call(headers));
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.equal(body.migrated, 7);
      assert.equal(body.failed, 1);
      assert.equal(body.remaining, 0);
      assert.equal(body.remainingFlag, false);
      assert.equal(typeof body.elapsedS, "number");
    }
    const logs = await db.sql`
      select function_name, status, migrated, failed, remaining, errors, cpu_ms is not null as has_cpu,
             peak_memory_mb > 0 as has_memory
        from public.migration_logs order by id`;
    assert.equal(logs.length, 2);
    assert.deepEqual({ ...logs[0] }, {
      function_name: "probe",
      status: "success",
      migrated: 7,
      failed: 1,
      remaining: 0,
      errors: ["item 3: odoo_error: boom"],
      has_cpu: true,
      has_memory: true,
    });
  } finally {
    await db.drop();
  }
});

Deno.test("serveBatch() refuses a wrong key with 401, logs auth_error, and the key appears nowhere", async () => {
  const db = await createTestDatabase("serve_auth");
  try {
    const handler = serveBatch({ name: "probe", config, sql: db.sql, step: step(false) });
    const wrong = "eyJhbGciOiJIUzI1NiJ9.wrong-key-sent-by-cron.c2lnbmF0dXJl";
    const res = await handler(call({ authorization: `Bearer ${wrong}` }));
    assert.equal(res.status, 401);
    const text = await res.text();
    assert.deepEqual(JSON.parse(text).code, "auth_invalid");
    const none = await handler(call({}));
    assert.equal(none.status, 401);
    assert.equal((await none.json()).code, "auth_missing");
    const logs = await db.sql`select status, errors::text as errors from public.migration_logs order by id`;
    assert.deepEqual(logs.map((l) => l.status), ["auth_error", "auth_error"]);
    for (const s of [text, ...logs.map((l) => l.errors)]) {
      assert.ok(!s.includes(wrong) && !s.includes(KEY), `no key in ${s}`);
    }
  } finally {
    await db.drop();
  }
});

Deno.test("serveBatch() accepts a user token only where users are allowed", async () => {
  const db = await createTestDatabase("serve_user");
  try {
    const token = await signJwt(JWT_SECRET, { role: "authenticated", sub: crypto.randomUUID() }, "1h");
    const service = serveBatch({ name: "probe", config, sql: db.sql, step: step(false) });
    assert.equal((await service(call({ authorization: `Bearer ${token}` }))).status, 403);
    let seen = "";
    const users = serveBatch({
      name: "probe",
      config,
      sql: db.sql,
      allowUsers: true,
      step: (ctx) => {
        seen = ctx.caller.kind;
        return step(false)(ctx);
      },
    });
    assert.equal((await users(call({ authorization: `Bearer ${token}` }))).status, 200);
    assert.equal(seen, "user");
    const forged = await signJwt("another-secret-entirely-not-the-project", { role: "service_role" }, "1h");
    assert.equal((await users(call({ authorization: `Bearer ${forged}` }))).status, 401);
  } finally {
    await db.drop();
  }
});

Deno.test("serveBatch() logs a crashed step as error without chaining, and hides the key in its message", async () => {
  const db = await createTestDatabase("serve_crash");
  try {
    await db.sql`select passerelle.store_secrets('http://127.0.0.1:9', ${KEY})`;
    const handler = serveBatch({
      name: "probe",
      config,
      sql: db.sql,
      step: () => Promise.reject(new PasserelleError("odoo_error", `Odoo refused ${KEY}`)),
    });
    const res = await handler(call({ authorization: `Bearer ${KEY}` }));
    assert.equal(res.status, 500);
    const body = await res.json();
    assert.equal(body.code, "odoo_error");
    assert.ok(!JSON.stringify(body).includes(KEY));
    const [log] = await db.sql`select status, errors from public.migration_logs`;
    assert.equal(log.status, "error");
    assert.ok(!log.errors.join(" ").includes(KEY));
    const [{ n }] = await db.sql`select count(*)::int as n from net.http_request_queue`;
    assert.equal(n, 0);
  } finally {
    await db.drop();
  }
});

Deno.test("serveBatch() chains through pg_net while work remains, up to the number of workers", async () => {
  const db = await createTestDatabase("serve_chain");
  try {
    await db.sql`select passerelle.store_secrets('http://127.0.0.1:9', ${KEY})`;
    const handler = serveBatch({ name: "probe", config, sql: db.sql, step: step(true) });
    const first = await (await handler(call({ authorization: `Bearer ${KEY}` }, { trigger: "cron" }))).json();
    assert.equal(first.remainingFlag, true);
    assert.equal(first.chained, 3, "a cron call fills every worker slot");
    const chained = await (await handler(call({ authorization: `Bearer ${KEY}` }, { trigger: "chain" })))
      .json();
    assert.equal(chained.chained, 1, "a chained call hands its slot to one successor");
    const queued = await db
      .sql`select url, headers->>'Authorization' as auth, convert_from(body, 'utf8') as body
                                  from net.http_request_queue order by id`;
    assert.equal(queued.length, 4);
    assert.equal(queued[0].url, "http://127.0.0.1:9/functions/v1/probe");
    assert.equal(queued[0].auth, `Bearer ${KEY}`);
    assert.equal(JSON.parse(queued[0].body).trigger, "chain");
    await db.sql`select passerelle.pause('probe')`;
    const paused = await (await handler(call({ authorization: `Bearer ${KEY}` }))).json();
    assert.equal(paused.paused, true);
  } finally {
    await db.drop();
  }
});

Deno.test("serveBatch() answers 400 to a body that is not a JSON object, and logs it", async () => {
  const db = await createTestDatabase("serve_badbody");
  try {
    const handler = serveBatch({ name: "probe", config, sql: db.sql, step: step(false) });
    const bad = await handler(
      new Request("http://localhost/functions/v1/probe", {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}` },
        body: "{not json",
      }),
    );
    assert.equal(bad.status, 400);
    assert.deepEqual(await bad.json(), {
      code: "bad_request",
      message: "The request body must be a JSON object (or empty)",
    });
    const empty = await handler(
      new Request("http://localhost/functions/v1/probe", {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}` },
      }),
    );
    assert.equal(empty.status, 200, "an empty body is a plain call");
    const logs = await db.sql`select status, errors from public.migration_logs order by id`;
    assert.deepEqual(logs.map((l) => l.status), ["error", "success"]);
  } finally {
    await db.drop();
  }
});

Deno.test("serveBatch() never chains a call that did nothing, whatever it says remains", async () => {
  const db = await createTestDatabase("serve_idle");
  try {
    await db.sql`select passerelle.store_secrets('http://127.0.0.1:9', ${KEY})`;
    // A job leased by another call: nothing to claim, yet work remains.
    const idle: Step = () =>
      Promise.resolve({ migrated: 0, failed: 0, remaining: 3, more: true, errors: [] });
    const handler = serveBatch({ name: "probe", config, sql: db.sql, step: idle });
    for (const trigger of ["cron", "chain"]) {
      const body = await (await handler(call({ authorization: `Bearer ${KEY}` }, { trigger }))).json();
      assert.equal(body.remainingFlag, true, "work remains");
      assert.equal(body.chained, 0, `a ${trigger} call that did nothing chains nothing`);
    }
    const [{ n }] = await db.sql`select count(*)::int as n from net.http_request_queue`;
    assert.equal(n, 0);
    const worked = serveBatch({
      name: "probe",
      config,
      sql: db.sql,
      step: () =>
        Promise.resolve({ migrated: 0, failed: 0, remaining: 3, more: true, worked: true, errors: [] }),
    });
    const body = await (await worked(call({ authorization: `Bearer ${KEY}` }, { trigger: "chain" }))).json();
    assert.equal(body.chained, 1, "one that worked (a page of unchanged leads) goes on");
  } finally {
    await db.drop();
  }
});

Deno.test("serveBatch() pauses the function on a refused Odoo key, with the reason the status shows; resume goes on", async () => {
  const db = await createTestDatabase("serve_pause");
  try {
    await db.sql`select passerelle.store_secrets('http://127.0.0.1:9', ${KEY})`;
    let refuse = true;
    const handler = serveBatch({
      name: "sync-odoo-leads",
      config,
      sql: db.sql,
      step: () =>
        refuse
          ? Promise.reject(new PasserelleError("odoo_auth_failed", "Odoo refused the login admin on crm_src"))
          : step(false)({} as never),
    });
    const res = await handler(call({ authorization: `Bearer ${KEY}` }, { trigger: "cron" }));
    assert.equal(res.status, 500);
    const body = await res.json();
    assert.equal(body.code, "odoo_auth_failed");
    assert.equal(body.paused, true);
    assert.match(body.message, /^Odoo refused the key: fix ODOO_API_KEY/);
    const [leads] = await db.sql`
      select m->>'paused' as paused, m->>'paused_reason' as reason
        from jsonb_array_elements(passerelle.status()->'migrations') m where m->>'key' = 'leads'`;
    assert.equal(leads.paused, "true");
    assert.match(leads.reason, /^Odoo refused the key: fix ODOO_API_KEY .*then resume/);
    const [summary] = await db.sql`select cron from passerelle.status_summary() where migration = 'leads'`;
    assert.match(summary.cron, /^paused: Odoo refused the key/);
    const [{ n }] = await db.sql`select count(*)::int as n from net.http_request_queue`;
    assert.equal(n, 0, "nothing chained");
    const paused = await (await handler(call({ authorization: `Bearer ${KEY}` }))).json();
    assert.equal(paused.paused, true, "calls while paused do nothing");

    refuse = false; // the key was fixed
    await db.sql`select passerelle.resume('sync-odoo-leads')`;
    const resumed = await handler(call({ authorization: `Bearer ${KEY}` }));
    assert.equal(resumed.status, 200);
    assert.equal((await resumed.json()).migrated, 7);
    const [after] = await db
      .sql`select paused, reason from passerelle.controls where function_name = 'sync-odoo-leads'`;
    assert.deepEqual({ ...after }, { paused: false, reason: null });
  } finally {
    await db.drop();
  }
});
