import assert from "node:assert/strict";
import { excerpt, fromHttpStatus, fromOdooError, redact } from "./errors.ts";

Deno.test("fromOdooError() branches on the Python class name", () => {
  const cases: [string, string, string, boolean][] = [
    [
      "odoo.exceptions.AccessError",
      "You are not allowed to access 'Lead/Opportunity'",
      "odoo_access_denied",
      false,
    ],
    ["odoo.exceptions.AccessDenied", "Access Denied", "odoo_auth_failed", false],
    ["werkzeug.exceptions.Unauthorized", "Invalid apikey", "odoo_auth_failed", false],
    ["psycopg2.OperationalError", "server closed the connection unexpectedly", "odoo_unavailable", true],
    ["psycopg2.errors.SerializationFailure", "could not serialize access", "odoo_unavailable", true],
    ["psycopg2.errors.DeadlockDetected", "deadlock detected", "odoo_unavailable", true],
    ["odoo.exceptions.ConcurrencyError", "concurrent update", "odoo_unavailable", true],
    ["builtins.ValueError", "Invalid field 'x' on model 'crm.lead'", "odoo_error", false],
    ["odoo.exceptions.UserError", "Object crm.nope doesn't exist", "odoo_error", false],
    ["builtins.KeyError", "nope", "odoo_error", false],
  ];
  for (const [name, message, code, retryable] of cases) {
    const e = fromOdooError({ name, message }, "crm.lead.search_read");
    assert.equal(e.code, code, name);
    assert.equal(e.retryable, retryable, name);
    assert.ok(e.message.includes(message), `${name}: the message carries Odoo's own`);
  }
});

Deno.test("fromOdooError() does not retry an unknown database, an OperationalError no retry will fix", () => {
  const e = fromOdooError(
    {
      name: "psycopg2.OperationalError",
      message: 'connection to server at "127.0.0.1", port 5499 failed: FATAL:  database "x" does not exist\n',
    },
    "common.authenticate",
  );
  assert.equal(e.code, "odoo_error");
  assert.equal(e.retryable, false);
  assert.match(e.message, /check ODOO_DB/);
});

Deno.test("fromOdooError() keeps the secret out of the message and the cause", () => {
  const e = fromOdooError(
    { name: "builtins.ValueError", message: "got tops3cret", debug: "tops3cret" },
    "x",
    "tops3cret",
  );
  assert.ok(!JSON.stringify({ m: e.message, c: e.cause }).includes("tops3cret"));
});

Deno.test("fromHttpStatus() retries only 429 and 5xx", () => {
  assert.equal(fromHttpStatus(502, "x", "http://o", "").retryable, true);
  assert.equal(fromHttpStatus(429, "x", "http://o", "").retryable, true);
  assert.equal(fromHttpStatus(404, "x", "http://o", "").code, "odoo_error");
  assert.equal(fromHttpStatus(401, "x", "http://o", "").code, "odoo_auth_failed");
  assert.equal(fromHttpStatus(400, "x", "http://o", "").retryable, false);
  assert.equal(
    fromHttpStatus(502, "common.authenticate", "http://o:8069/jsonrpc", "502 Bad Gateway").message,
    "Odoo answered HTTP 502 to common.authenticate (http://o:8069/jsonrpc): 502 Bad Gateway",
    "the message names the URL and what answered",
  );
});

Deno.test("redact() and excerpt() make safe one-line messages", () => {
  assert.equal(redact("a pw b pw", "pw"), "a [redacted] b [redacted]");
  assert.equal(redact("nothing", ""), "nothing");
  assert.equal(excerpt("<html><h1>502 Bad\nGateway</h1></html>"), "502 Bad Gateway");
});
