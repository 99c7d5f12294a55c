import assert from "node:assert/strict";
import type { Config } from "../config.ts";
import { storeFromConfig } from "./store_from_config.ts";

const base = { supabaseUrl: "https://abc.supabase.co", serviceRoleKey: "service-key" };

Deno.test("storeFromConfig() gives the Supabase adapter on the configured bucket by default", async () => {
  const seen: string[] = [];
  const fakeFetch: typeof fetch = (input, init) => {
    const req = new Request(input, init);
    seen.push(`${req.method} ${req.url} ${req.headers.get("authorization")}`);
    return Promise.resolve(Response.json({ size: 1, contentType: "text/plain" }));
  };
  const config: Pick<Config, "storage" | "supabaseUrl" | "serviceRoleKey"> = {
    ...base,
    storage: { kind: "supabase", bucket: "estimation-files" },
  };
  const store = storeFromConfig(config, { fetch: fakeFetch });
  assert.equal(store.bucket, "estimation-files");
  assert.equal(await store.exists("a.txt"), true);
  assert.deepEqual(seen, [
    "GET https://abc.supabase.co/storage/v1/object/info/estimation-files/a.txt Bearer service-key",
  ]);
});

Deno.test("storeFromConfig() gives the local adapter with STORAGE_KIND=local", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const store = storeFromConfig({ ...base, storage: { kind: "local", bucket: "b", localDir: dir } });
    await store.put("x.txt", new TextEncoder().encode("x"), { contentType: "text/plain" });
    assert.equal(await Deno.readTextFile(`${dir}/b/x.txt`), "x");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("storeFromConfig() refuses a local store without a directory", () => {
  assert.throws(() => storeFromConfig({ ...base, storage: { kind: "local", bucket: "b" } }), {
    code: "config_invalid",
  });
});
