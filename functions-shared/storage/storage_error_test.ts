import assert from "node:assert/strict";
import { failureFromResponse, invalidKeyError, storageError } from "./storage_error.ts";

const KEY = "odoo-archive/1/2-devis.pdf";

/** Failures as supabase-js reports them for storage.md's observations, and the code each must map to. */
const CASES: [string, Parameters<typeof storageError>[2], string, boolean][] = [
  [
    "duplicate (HTTP 400, statusCode '409')",
    {
      name: "StorageApiError",
      status: 400,
      statusCode: "409",
      code: "KeyAlreadyExists",
      message: "The resource already exists",
    },
    "storage_duplicate",
    false,
  ],
  [
    "missing object",
    {
      status: 400,
      statusCode: "404",
      code: "NoSuchKey",
      message: "Object not found",
    },
    "storage_not_found",
    false,
  ],
  [
    "missing bucket",
    {
      status: 400,
      statusCode: "404",
      code: "NoSuchBucket",
      message: "Bucket not found",
    },
    "storage_not_found",
    false,
  ],
  [
    "invalid key",
    {
      status: 400,
      statusCode: "400",
      code: "InvalidKey",
      message: `Invalid key: ${KEY}`,
    },
    "storage_invalid_key",
    false,
  ],
  [
    "wrong service key",
    {
      status: 400,
      statusCode: "403",
      code: "AccessDenied",
      message: "signature verification failed",
    },
    "storage_forbidden",
    false,
  ],
  [
    "bucket size limit",
    {
      status: 400,
      statusCode: "413",
      code: "EntityTooLarge",
      message: "The object exceeded the maximum allowed size",
    },
    "storage_too_large",
    false,
  ],
  [
    "mime type",
    {
      status: 400,
      statusCode: "415",
      code: "InvalidMimeType",
      message: "mime type text/csv; charset=utf-8 is not supported",
    },
    "storage_error",
    false,
  ],
  [
    "file backend crash",
    {
      status: 500,
      statusCode: "500",
      code: "InternalError",
      message: "Internal Server Error",
    },
    "storage_unavailable",
    true,
  ],
  [
    "fastify bad URL (numeric statusCode)",
    {
      status: 400,
      statusCode: 400,
      code: "FST_ERR_BAD_URL",
      message: "not a valid url component",
    },
    "storage_error",
    false,
  ],
  [
    "route not found (HTTP 404)",
    {
      status: 404,
      statusCode: "404",
      code: "InvalidRequest",
      message: "Route POST:/object/19-escape.pdf not found",
    },
    "storage_not_found",
    false,
  ],
  [
    "gateway 502 without body",
    { status: 502, statusCode: "502", message: "Bad Gateway" },
    "storage_unavailable",
    true,
  ],
  ["network", { name: "StorageUnknownError", message: "fetch failed" }, "storage_unavailable", true],
  [
    "TUS duplicate at creation (plain text)",
    {
      status: 409,
      statusCode: 409,
      message: "The resource already exists",
    },
    "storage_duplicate",
    false,
  ],
  [
    "rate limited",
    { status: 429, statusCode: 429, message: "Too Many Requests" },
    "storage_unavailable",
    true,
  ],
];

for (const [what, failure, code, retryable] of CASES) {
  Deno.test(`storageError() maps ${what} to ${code}`, () => {
    const e = storageError("upload", KEY, failure);
    assert.equal(e.code, code);
    assert.equal(e.retryable, retryable);
    assert.ok(e.message.startsWith(`Storage could not upload "${KEY}": `), e.message);
    assert.deepEqual(Object.keys(e.toJSON()), ["code", "message"]);
  });
}

Deno.test("storageError() names the Storage code and status in its message", () => {
  const e = storageError("download", KEY, {
    status: 400,
    statusCode: "404",
    code: "NoSuchKey",
    message: "Object not found",
  });
  assert.equal(e.message, `Storage could not download "${KEY}": Object not found (NoSuchKey 404)`);
});

Deno.test("failureFromResponse() reads JSON error bodies and plain TUS text", async () => {
  const json = await failureFromResponse(Response.json(
    {
      statusCode: "409",
      error: "Duplicate",
      message: "The resource already exists",
      code: "KeyAlreadyExists",
    },
    { status: 400 },
  ));
  assert.deepEqual(json, {
    status: 400,
    statusCode: "409",
    code: "KeyAlreadyExists",
    message: "The resource already exists",
  });
  const text = await failureFromResponse(new Response("Upload-Offset conflict\n", { status: 409 }));
  assert.deepEqual(text, { status: 409, statusCode: 409, message: "Upload-Offset conflict\n" });
});

Deno.test("invalidKeyError() explains what is wrong with a key", () => {
  assert.equal(invalidKeyError("upload", KEY), null);
  assert.match(invalidKeyError("upload", "a/../b")!.message, /"\.\." path segment/);
  assert.match(invalidKeyError("upload", "résumé.pdf")!.message, /characters Storage refuses/);
  assert.equal(invalidKeyError("upload", "a//b")!.code, "storage_invalid_key");
});
