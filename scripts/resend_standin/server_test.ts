import assert from "node:assert/strict";
import { startResendStandin } from "./server.ts";

const post = (url: string, body: unknown, key?: string) =>
  fetch(`${url}/emails`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

Deno.test("the Resend stand-in answers as Resend does: 200 with an id, 401, 403 and 422", async () => {
  const s = startResendStandin({ keys: ["re_test_123"] });
  try {
    const mail = {
      from: "Passerelle <imports@exemple.fr>",
      to: ["admin@exemple.fr"],
      subject: "Import",
      text: "ok",
    };
    const ok = await post(s.url, mail, "re_test_123");
    assert.equal(ok.status, 200);
    const { id } = await ok.json();
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal(s.sent[0].subject, "Import");

    const missing = await post(s.url, mail);
    assert.equal(missing.status, 401);
    assert.deepEqual(await missing.json(), {
      statusCode: 401,
      name: "missing_api_key",
      message: "Missing API key in the authorization header.",
    });
    const invalid = await post(s.url, mail, "re_wrong");
    assert.equal(invalid.status, 403);
    assert.equal((await invalid.json()).name, "invalid_api_key");

    for (
      const bad of [{ ...mail, to: undefined }, { ...mail, text: undefined }, {
        ...mail,
        to: ["pas-un-email"],
      }]
    ) {
      const r = await post(s.url, bad, "re_test_123");
      assert.equal(r.status, 422);
      const b = await r.json();
      assert.equal(b.name, "validation_error");
      assert.equal(b.statusCode, 422);
    }
    const got = await fetch(`${s.url}/emails/${id}`, { headers: { authorization: "Bearer re_test_123" } });
    assert.equal((await got.json()).to[0], "admin@exemple.fr");
    assert.equal(s.sent.length, 1);
  } finally {
    await s.close();
  }
});
