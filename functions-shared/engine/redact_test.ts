import assert from "node:assert/strict";
import { redact } from "./redact.ts";

Deno.test("redact() removes known secrets, JWTs and sb_secret_ keys from any text", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoic2VydmljZV9yb2xlIn0.c2lnbmF0dXJlc2ln";
  const text = `failed with hunter2-pass and ${jwt} and sb_secret_abcDEF123 ok`;
  const out = redact(text, ["hunter2-pass", undefined]);
  assert.equal(out, "failed with [redacted] and [redacted] and [redacted] ok");
});
