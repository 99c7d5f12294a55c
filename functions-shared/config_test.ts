import assert from "node:assert/strict";
import { loadConfig } from "./config.ts";
import { PasserelleError } from "./errors.ts";
import { importFunction } from "./imports/job/import_function.ts";

const base = {
  SUPABASE_URL: "https://abc.supabase.co",
  SUPABASE_SERVICE_ROLE_KEY: "eyJ.k.s",
  SUPABASE_DB_URL: "postgresql://postgres@db:5432/postgres",
};

Deno.test("loadConfig() gives the documented defaults", () => {
  const c = loadConfig(base);
  assert.deepEqual(c.budget, { wallMs: 50_000, cpuMs: 1_500 });
  assert.equal(c.storage.bucket, "estimation-files");
  assert.equal(c.workers, 2);
  assert.equal(c.chain, true);
  assert.equal(c.odoo, undefined);
});

Deno.test("loadConfig() names every missing or malformed setting in one error", () => {
  try {
    loadConfig({
      SUPABASE_URL: "not a url",
      BATCH_CPU_MS: "fast",
      ODOO_URL: "http://odoo",
      ODOO_TRANSPORT: "xmlrpc",
    });
    assert.fail("should throw");
  } catch (e) {
    assert.ok(e instanceof PasserelleError);
    assert.equal(e.code, "config_invalid");
    for (
      const part of [
        "SUPABASE_URL is not a URL",
        "SUPABASE_SERVICE_ROLE_KEY is missing",
        "SUPABASE_DB_URL is missing",
        "BATCH_CPU_MS must be a whole number",
        "ODOO_TRANSPORT must be",
        "ODOO_DB is missing",
        "ODOO_PASSWORD or ODOO_API_KEY is missing",
      ]
    ) assert.ok(e.message.includes(part), `${part} in: ${e.message}`);
  }
});

Deno.test("loadConfig() never repeats a secret's value in its error", () => {
  assert.throws(
    () =>
      loadConfig({ ...base, ODOO_URL: "http://odoo", ODOO_PASSWORD: "hunter2-secret", ODOO_TIMEOUT_MS: "x" }),
    (e: Error) => !e.message.includes("hunter2-secret"),
  );
});

Deno.test("loadConfig() asks each function only for what it uses: imports and status need no Odoo", () => {
  const halfOdoo = { ...base, ODOO_URL: "http://odoo", ODOO_TRANSPORT: "xmlrpc" };
  assert.equal(loadConfig(halfOdoo, { odoo: "ignored" }).odoo, undefined, "imports ignore a half-set Odoo");
  assert.equal(
    loadConfig({ ...base, STORAGE_KIND: "nope" }, { odoo: "ignored", storage: false }).odoo,
    undefined,
  );
  assert.throws(() => loadConfig(base, { odoo: "required" }), /ODOO_URL is missing/, "the sync needs Odoo");
  assert.equal(loadConfig(base).maxBodyBytes, 1_048_576);
  assert.equal(loadConfig({ ...base, MAX_BODY_BYTES: "2048" }).maxBodyBytes, 2048);
});

Deno.test("loadConfig() takes an empty ODOO_API_KEY as unset: ODOO_PASSWORD stays in force", () => {
  const odoo = { ...base, ODOO_URL: "http://odoo", ODOO_DB: "crm", ODOO_LOGIN: "admin" };
  assert.equal(loadConfig({ ...odoo, ODOO_API_KEY: "", ODOO_PASSWORD: "secret" }).odoo?.secret, "secret");
  assert.equal(loadConfig({ ...odoo, ODOO_API_KEY: " ", ODOO_PASSWORD: "secret" }).odoo?.secret, "secret");
  assert.equal(loadConfig({ ...odoo, ODOO_API_KEY: "key", ODOO_PASSWORD: "secret" }).odoo?.secret, "key");
  assert.throws(
    () => loadConfig({ ...odoo, ODOO_API_KEY: "", ODOO_PASSWORD: "" }),
    /ODOO_PASSWORD or ODOO_API_KEY/,
  );
});

Deno.test("an import function boots with a half-set Odoo and answers the caller, not 500 config_invalid", async () => {
  const env = {
    ...base,
    SUPABASE_DB_URL: "postgresql://postgres@127.0.0.1:1/postgres",
    STORAGE_KIND: "local",
    STORAGE_LOCAL_DIR: "/tmp",
    ODOO_URL: "http://odoo", // no ODOO_DB, login or password: the sync and archive would refuse to boot
  };
  const res = await importFunction(env, "import-leads", "leads")(
    new Request("http://x/functions/v1/import-leads", { method: "POST" }),
  );
  assert.equal(res.status, 401, "it boots: an unauthenticated call is refused as such");
  assert.equal((await res.json()).code, "auth_missing");
});
