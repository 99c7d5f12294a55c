import assert from "node:assert/strict";
import { createTestDatabase } from "../../scripts/testing/test_database.ts";
import { signJwt } from "../../scripts/stack/keys.ts";
import { readStatus } from "./read_status.ts";
import { statusHandler } from "./status_handler.ts";
import { AT, EXPECTED, seedMigrationInProgress } from "./testdata/migration_in_progress.ts";

const KEY = "eyJhbGciOiJIUzI1NiJ9.service-role-key-for-status-tests.c2lnbmF0dXJl";
const SECRET_KEY = "sb_secret_status_0123456789abcdef";
const JWT_SECRET = "a-jwt-secret-of-the-project-for-status-tests";
const keys = { serviceRoleKey: KEY, secretKey: SECRET_KEY, jwtSecret: JWT_SECRET };
const page = await Deno.readTextFile(new URL("../../scripts/status_page/status.html", import.meta.url));

const get = (query = "", headers: Record<string, string> = {}, method = "GET") =>
  new Request(`http://localhost/functions/v1/migration-status${query}`, { method, headers });

Deno.test("statusHandler() answers the document to the service role and to admins, 403 to other users, 401 to anyone else", async () => {
  const db = await createTestDatabase("status_handler");
  try {
    await seedMigrationInProgress(db.sql);
    const [{ admin, member }] = await db.sql<{ admin: string; member: string }[]>`
      with a as (insert into auth.users (email) values ('boss@status.test') returning id),
           m as (insert into auth.users (email) values ('member@status.test') returning id),
           r as (insert into public.user_roles (user_id, role)
                 select id, 'admin' from a union all select id, 'member' from m)
      select (select id from a) as admin, (select id from m) as member`;
    const token = (sub: string) => signJwt(JWT_SECRET, { sub, role: "authenticated", aud: "authenticated" });
    const stales: (number | undefined)[] = [];
    const handler = statusHandler({
      sql: db.sql,
      keys,
      page,
      read: (sql, o) => {
        stales.push(o.staleS);
        return readStatus(sql, { ...o, at: AT });
      },
    });

    const ways: Record<string, string>[] = [{ authorization: `Bearer ${KEY}` }, { apikey: SECRET_KEY }];
    for (const headers of ways) {
      const res = await handler(get("", headers));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "application/json");
      const doc = await res.json();
      const files = doc.migrations.find((m: { key: string }) => m.key === "files");
      assert.deepEqual([files.done, files.total, files.rate, files.eta_s], [751, 18323, 2.5, 7024]);
    }
    const byAdmin = await handler(get("", { authorization: `Bearer ${await token(admin)}` }, "POST"));
    assert.equal(byAdmin.status, 200, "supabase.functions.invoke() POSTs: an admin may");
    assert.equal((await byAdmin.json()).migrations.length, 2);

    const byMember = await handler(get("", { authorization: `Bearer ${await token(member)}` }));
    assert.equal(byMember.status, 403);
    assert.deepEqual(await byMember.json(), {
      code: "forbidden",
      message: "The migration status is for admins only",
    });

    const nobody = await handler(get());
    assert.equal(nobody.status, 401);
    assert.equal((await nobody.json()).code, "auth_missing");
    const wrong = await handler(get("", { authorization: "Bearer not-the-key" }));
    assert.equal(wrong.status, 401);
    const wrongText = await wrong.text();
    assert.ok(!wrongText.includes("not-the-key"), "the answer never repeats what was sent");

    const stale = await handler(get("?stale=300", { apikey: SECRET_KEY }));
    assert.equal(stale.status, 200);
    await stale.body?.cancel();
    assert.equal(stales.at(-1), 300);
    const badStale = await handler(get("?stale=soon", { apikey: SECRET_KEY }));
    assert.equal(badStale.status, 400);
    assert.equal((await badStale.json()).code, "bad_request");
    const put = await handler(get("", { apikey: SECRET_KEY }, "PUT"));
    assert.equal(put.status, 405);
    await put.body?.cancel();
  } finally {
    await db.drop();
  }
});

Deno.test("statusHandler() serves the page as a snapshot with ?format=html, and 404 where the page is not bundled", async () => {
  const db = await createTestDatabase("status_html");
  try {
    await seedMigrationInProgress(db.sql);
    const read = (sql: Parameters<typeof readStatus>[0]) => readStatus(sql, { at: AT });
    const res = await statusHandler({ sql: db.sql, keys, page, read })(
      get("?format=html", { apikey: SECRET_KEY }),
    );
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    const html = await res.text();
    assert.match(
      html,
      /<body data-source="" data-interval="3000">/,
      "a browser cannot send the key: no polling",
    );
    const snapshot =
      html.match(/<script id="status-snapshot" type="application\/json">([\s\S]*?)<\/script>/)![1];
    const doc = JSON.parse(snapshot);
    assert.equal(doc.migrations[1].done, EXPECTED.files.done);

    const bare = await statusHandler({ sql: db.sql, keys, read })(
      get("?format=html", { apikey: SECRET_KEY }),
    );
    assert.equal(bare.status, 404);
    assert.match((await bare.json()).message, /deno task status --web/);
    const unauthenticated = await statusHandler({ sql: db.sql, keys, page, read })(get("?format=html"));
    assert.equal(unauthenticated.status, 401, "the page is for admins too");
    await unauthenticated.body?.cancel();
  } finally {
    await db.drop();
  }
});

Deno.test("statusHandler() hides database errors behind a 500 without SQL", async () => {
  const db = await createTestDatabase("status_500");
  try {
    const handler = statusHandler({
      sql: db.sql,
      keys,
      read: (sql) => sql`select passerelle.no_such_function()` as never,
    });
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...a: unknown[]) => errors.push(a);
    try {
      const res = await handler(get("", { apikey: SECRET_KEY }));
      assert.equal(res.status, 500);
      assert.deepEqual(await res.json(), { code: "internal", message: "Cannot read the migration status" });
    } finally {
      console.error = original;
    }
    assert.equal(errors.length, 1, "the cause goes to the function's log");
  } finally {
    await db.drop();
  }
});
