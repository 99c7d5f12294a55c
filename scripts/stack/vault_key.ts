/**
 * supabase_vault's root key for a local stack: 64 hex characters created once
 * in the stack's folder (mode 0600, readable by the server's user only) and
 * the executable `vault.getkey_script` that prints it, as the extension reads
 * it at server start. The key is never printed or logged: only the script's
 * path goes into the server's settings.
 */
import { existsSync } from "node:fs";

/** Creates `<dir>/vault/root.key` and `<dir>/vault/getkey` if missing; returns the script's path. */
export async function ensureVaultKey(dir: string, o: { owner?: string } = {}): Promise<string> {
  const vaultDir = `${dir}/vault`;
  const keyFile = `${vaultDir}/root.key`;
  const script = `${vaultDir}/getkey`;
  await Deno.mkdir(vaultDir, { recursive: true, mode: 0o700 });
  if (!existsSync(keyFile)) {
    const key = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16).padStart(2, "0"))
      .join("");
    await Deno.writeTextFile(keyFile, key + "\n", { mode: 0o600, createNew: true });
  }
  if (!existsSync(script)) {
    await Deno.writeTextFile(script, `#!/bin/sh\nexec cat '${keyFile}'\n`, { mode: 0o700 });
  }
  // The server runs as `owner` (Debian's `postgres` when the stack runs as root).
  if (o.owner) {
    const out = await new Deno.Command("chown", { args: ["-R", `${o.owner}:${o.owner}`, vaultDir] }).output();
    if (!out.success) throw new Error(`chown ${vaultDir} failed`);
  }
  await Deno.chmod(keyFile, 0o600);
  await Deno.chmod(script, 0o700);
  await Deno.chmod(vaultDir, 0o700);
  return script;
}
