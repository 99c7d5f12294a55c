import assert from "node:assert/strict";
import { ensureVaultKey } from "./vault_key.ts";

Deno.test("the Vault root key is made once, readable by its owner only, and printed by the getkey script", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = await ensureVaultKey(dir);
    const run = async () => {
      const out = await new Deno.Command(script, { stdout: "piped" }).output();
      assert.ok(out.success);
      return new TextDecoder().decode(out.stdout);
    };
    const first = await run();
    // supabase_vault reads one line of exactly 64 characters and hex-decodes it (vault 0.3.1, src/supabase_vault.c).
    assert.match(first, /^[0-9a-f]{64}\n$/);
    assert.equal((await Deno.stat(`${dir}/vault/root.key`)).mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/vault`)).mode! & 0o777, 0o700);
    assert.equal(await ensureVaultKey(dir), script);
    assert.equal(await run(), first, "a second start keeps the key (the secrets stay readable)");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
