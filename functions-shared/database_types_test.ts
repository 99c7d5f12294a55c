/**
 * functions-shared/database.types.ts is what `supabase gen types typescript`
 * makes of the migrations: regenerate it (bash scripts/gen_types.sh) when a
 * migration changes a table.
 */
import assert from "node:assert/strict";
import { testClusterUrl } from "../scripts/testing/test_database.ts";

Deno.test("database.types.ts matches the migrated schema", async () => {
  const url = `${testClusterUrl()}/passerelle_template`;
  const gen = await new Deno.Command("supabase", {
    args: ["gen", "types", "typescript", `--remote=${url}`, "--schema", "public"],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.ok(gen.success, "supabase gen types failed");
  const text = new TextDecoder().decode(gen.stdout);
  const types = text.slice(text.indexOf("export type Json"));
  const fmt = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", "ts", "-"],
    stdin: "piped",
    stdout: "piped",
  })
    .spawn();
  const writer = fmt.stdin.getWriter();
  await writer.write(new TextEncoder().encode(types));
  await writer.close();
  const formatted = new TextDecoder().decode((await fmt.output()).stdout);
  const committed = await Deno.readTextFile(new URL("./database.types.ts", import.meta.url));
  assert.equal(formatted, committed, "run: bash scripts/gen_types.sh");
});
