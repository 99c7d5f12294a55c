import assert from "node:assert/strict";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { signJwt } from "../../scripts/stack/keys.ts";
import { importKit, testConfig } from "../../scripts/testing/import_kit.ts";
import { readStatus } from "../status/read_status.ts";
import { statusHandler } from "../status/status_handler.ts";
import { authenticate } from "./auth.ts";
import { serveBatch, type Step } from "./serve_batch.ts";

const KEY = "eyJhbGciOiJIUzI1NiJ9.service-role-key-for-tests.c2lnbmF0dXJl";
const JWT_SECRET = "a-jwt-secret-of-the-project-for-tests-only";
const config = {
  serviceRoleKey: KEY,
  jwtSecret: JWT_SECRET,
  budget: { wallMs: 50_000, cpuMs: 1_500 },
  workers: 2,
  chain: true,
  maxBodyBytes: 4096,
};
const step: Step = () => Promise.resolve({ migrated: 1, failed: 0, remaining: 0, more: false, errors: [] });

/** A body of `total` bytes made as it is read, counting what the server pulled. */
function countedBody(total: number, chunk = 1 << 20) {
  let pulled = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(c) {
      if (pulled >= total) return c.close();
      const n = Math.min(chunk, total - pulled);
      pulled += n;
      c.enqueue(new Uint8Array(n).fill(0x20));
    },
  });
  return { stream, pulled: () => pulled };
}

Deno.test("a 300 MB body without a key is refused 401 without being read", async () => {
  const db = await createTestDatabase("guard_big");
  try {
    const handler = serveBatch({ name: "archive-odoo-files", config, sql: db.sql, step });
    const body = countedBody(300 * 1024 * 1024);
    const res = await handler(
      new Request("http://localhost/functions/v1/archive-odoo-files", { method: "POST", body: body.stream }),
    );
    assert.equal(res.status, 401);
    assert.equal((await res.json()).code, "auth_missing");
    // A ReadableStream pulls one chunk ahead of its reader at most: nothing was read.
    assert.ok(body.pulled() <= 2 * 1024 * 1024, `pulled ${body.pulled()} bytes`);
  } finally {
    await db.drop();
  }
});

Deno.test("a body over MAX_BODY_BYTES answers 413, by its length or by the bytes read, and is not read past the cap", async () => {
  const db = await createTestDatabase("guard_cap");
  try {
    const handler = serveBatch({ name: "probe", config, sql: db.sql, step });
    const declared = await handler(
      new Request("http://localhost/f", {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}`, "content-length": "999999" },
        body: "{}",
      }),
    );
    assert.equal(declared.status, 413);
    assert.equal((await declared.json()).code, "body_too_large");
    const body = countedBody(50 * 1024 * 1024, 1024);
    const streamed = await handler(
      new Request("http://localhost/f", {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}` },
        body: body.stream,
      }),
    );
    assert.equal(streamed.status, 413);
    assert.ok(body.pulled() <= 4096 + 2 * 1024, `pulled ${body.pulled()} bytes`);
    const ok = await handler(
      new Request("http://localhost/f", {
        method: "POST",
        headers: { authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ note: "x".repeat(3000) }),
      }),
    );
    assert.equal(ok.status, 200, "a body under the cap is served");
  } finally {
    await db.drop();
  }
});

Deno.test("2,000 junk requests leave one log row, counted, and a green status", async () => {
  const db = await createTestDatabase("guard_junk");
  try {
    const handler = serveBatch({ name: "archive-odoo-files", config, sql: db.sql, step });
    // A call that worked first: the migration is alive.
    const good = await handler(
      new Request("http://x/f", { method: "POST", headers: { authorization: `Bearer ${KEY}` } }),
    );
    assert.equal(good.status, 200);
    const wrong = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.bm90LXRoZS1rZXk";
    for (let i = 0; i < 2000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, () =>
        handler(
          new Request("http://x/f", {
            method: "POST",
            headers: { authorization: `Bearer ${wrong}` },
            body: "junk".repeat(100),
          }),
        ).then((r) => assert.equal(r.status, 401))));
    }
    const rows = await db.sql`
      select status, code, calls, errors from public.migration_logs
       where function_name = 'archive-odoo-files' and code = 'auth_invalid'`;
    // One row per minute: the run may straddle a minute boundary.
    assert.ok(rows.length >= 1 && rows.length <= 2, `${rows.length} rows`);
    assert.equal(rows.reduce((n, r) => n + r.calls, 0), 2000);
    assert.equal(rows[0].status, "auth_error");
    assert.ok(!JSON.stringify(rows).includes(wrong), "the key sent appears nowhere");
    const doc = await readStatus(db.sql);
    const files = doc.migrations.find((m) => m.key === "files")!;
    assert.equal(files.cron.failing, false, "junk is not the cron job's failure");
    assert.equal(files.alive, true);
    assert.equal(files.last_failure_at, null, "a refused stranger is no failure of the migration");
    assert.equal((files as unknown as { refused: number }).refused, 2000);
  } finally {
    await db.drop();
  }
});

Deno.test("user tokens without exp, or whose sub is not a uuid, are refused as 401", async () => {
  const keys = { serviceRoleKey: KEY, jwtSecret: JWT_SECRET };
  const req = (token: string) => new Request("http://x/f", { headers: { authorization: `Bearer ${token}` } });
  const good = await signJwt(JWT_SECRET, { role: "authenticated", sub: crypto.randomUUID() }, "1h");
  assert.equal((await authenticate(req(good), keys)).kind, "user");
  const header = btoa(JSON.stringify({ alg: "HS256", typ: "JWT" })).replace(/=+$/, "");
  const noExp = await hs256(header, { role: "authenticated", sub: crypto.randomUUID() });
  await assert.rejects(authenticate(req(noExp), keys), { code: "auth_invalid" });
  const notUuid = await signJwt(JWT_SECRET, { role: "authenticated", sub: "admin" }, "1h");
  await assert.rejects(authenticate(req(notUuid), keys), { code: "auth_invalid" });
  const db = await createTestDatabase("guard_sub");
  try {
    const handler = serveBatch({ name: "probe", config, sql: db.sql, step, allowUsers: true });
    const res = await handler(req(notUuid));
    assert.equal(res.status, 401, "not a 500 from the database");
  } finally {
    await db.drop();
  }
});

async function hs256(header: string, payload: Record<string, unknown>): Promise<string> {
  const b64 = (b: Uint8Array) =>
    btoa(String.fromCharCode(...b)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  const body = b64(new TextEncoder().encode(JSON.stringify(payload)));
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(JWT_SECRET),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const sig = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(`${header}.${body}`)),
  );
  return `${header}.${body}.${b64(sig)}`;
}

Deno.test("the import and status functions authenticate first too: a big multipart without a key is not read, and refusals are counted", async () => {
  const kit = await importKit("guard_import");
  try {
    const h = kit.handler("leads", { config: { ...testConfig, maxUploadBytes: 1024 * 1024 } });
    const body = countedBody(300 * 1024 * 1024);
    const res = await h(
      new Request("http://localhost/functions/v1/import-leads", {
        method: "POST",
        headers: { "content-type": "multipart/form-data; boundary=x" },
        body: body.stream,
      }),
    );
    assert.equal(res.status, 401);
    assert.ok(body.pulled() <= 2 * 1024 * 1024, `pulled ${body.pulled()} bytes`);

    // With a key, a multipart body past MAX_UPLOAD_BYTES stops at the cap.
    const admin = await kit.token(kit.admin, "admin@exemple.fr");
    const big = countedBody(300 * 1024 * 1024, 64 * 1024);
    const capped = await h(
      new Request("http://localhost/functions/v1/import-leads", {
        method: "POST",
        headers: { authorization: `Bearer ${admin}`, "content-type": "multipart/form-data; boundary=x" },
        body: big.stream,
      }),
    );
    assert.equal(capped.status, 413);
    assert.equal((await capped.json()).code, "body_too_large");
    assert.ok(big.pulled() <= 1024 * 1024 + 3 * 64 * 1024, `pulled ${big.pulled()} bytes`);

    const status = statusHandler({ sql: kit.db.sql, keys: testConfig });
    for (let i = 0; i < 3; i++) {
      assert.equal((await status(new Request("http://x/functions/v1/migration-status"))).status, 401);
    }
    const member = await kit.token(kit.member);
    const forbidden = await status(
      new Request("http://x/functions/v1/migration-status", {
        headers: { authorization: `Bearer ${member}` },
      }),
    );
    assert.equal(forbidden.status, 403);
    const rows = await kit.db.sql`
      select function_name, code, calls from public.migration_logs where minute is not null order by function_name, code`;
    assert.deepEqual(rows.map((r) => ({ ...r })), [
      { function_name: "import-leads", code: "auth_missing", calls: 1 },
      { function_name: "import-leads", code: "body_too_large", calls: 1 },
      { function_name: "migration-status", code: "auth_missing", calls: 3 },
      { function_name: "migration-status", code: "forbidden", calls: 1 },
    ]);
  } finally {
    await kit.close();
  }
});
