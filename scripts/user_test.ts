import assert from "node:assert/strict";
import { jose } from "../functions-shared/deps.ts";
import { importKit, JWT_SECRET } from "./testing/import_kit.ts";
import { settings } from "./user.ts";

async function user(args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./user.ts", import.meta.url).pathname, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("deno task user add: a local user, their company role, and a token the functions accept", async () => {
  const kit = await importKit("user_task");
  try {
    const env = { SUPABASE_DB_URL: kit.db.url, JWT_SECRET, NO_COLOR: "1" };
    const made = await user(["add", "Claire@Exemple.fr", "--company", String(kit.company)], env);
    assert.equal(made.code, 0, made.stderr);
    assert.match(
      made.stderr,
      new RegExp(`^Created Claire@Exemple.fr \\([0-9a-f-]{36}\\): member of company ${kit.company}$`, "m"),
    );
    const { payload } = await jose.jwtVerify(made.stdout, new TextEncoder().encode(JWT_SECRET));
    assert.equal(payload.role, "authenticated");
    assert.equal(payload.email, "Claire@Exemple.fr");
    assert.ok(
      Math.abs(payload.exp! - payload.iat! - 3600) <= 1,
      "valid one hour, as Supabase Auth's jwt_expiry",
    );
    const [row] = await kit.db.sql`select id from auth.users where email = 'Claire@Exemple.fr'`;
    assert.equal(payload.sub, row.id);

    // The token signs in: the member starts an activities import, and may not import leads.
    const path = await kit.put(
      "act.csv",
      new TextEncoder().encode("Email du lead;Type\r\na@b.fr;Appel\r\n"),
      row.id,
    );
    const start = (kind: "leads" | "activities") =>
      kit.call(kit.handler(kind), made.stdout, { action: "start", companyId: kit.company, file: { path } });
    assert.equal((await start("leads")).status, 403);
    assert.equal((await start("activities")).status, 202);

    // Again, as an admin: the same user, now admin of the company and operator.
    const again = await user([
      "add",
      "claire@exemple.fr",
      "--admin",
      "--company",
      String(kit.company),
      "--hours",
      "24",
    ], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(
      again.stderr,
      new RegExp(`^Found claire@exemple.fr \\(${row.id}\\): admin of company ${kit.company}; operator$`, "m"),
    );
    const p2 = (await jose.jwtVerify(again.stdout, new TextEncoder().encode(JWT_SECRET))).payload;
    assert.equal(p2.sub, row.id);
    assert.ok(Math.abs(p2.exp! - p2.iat! - 24 * 3600) <= 1);
    const roles = await kit.db.sql`select role from public.user_roles where user_id = ${row.id}`;
    assert.deepEqual(roles.map((r) => r.role), ["admin"]);

    const none = await user(["add", "seul@exemple.fr"], env);
    assert.equal(none.code, 0);
    assert.match(none.stderr, /member of no company \(add one with --company <id>\)/);
    const missing = await user(["add", "x@exemple.fr", "--company", "999"], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^Could not add x@exemple.fr: No company 999$/m);
    const usage = await user(["add", "pas-un-email"], env);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /^usage: deno task user add <email>/);
  } finally {
    await kit.close();
  }
});

Deno.test("settings() take the environment first, then supabase/functions/.env as the stack writes it", async () => {
  const file = await Deno.makeTempFile({ suffix: ".env" });
  try {
    await Deno.writeTextFile(
      file,
      'SUPABASE_DB_URL="postgresql://postgres@127.0.0.1:54322/postgres"\nJWT_SECRET=abc\n',
    );
    const url = new URL(`file://${file}`);
    assert.deepEqual(await settings({}, url), {
      dbUrl: "postgresql://postgres@127.0.0.1:54322/postgres",
      jwtSecret: "abc",
    });
    assert.equal((await settings({ JWT_SECRET: "env" }, url)).jwtSecret, "env");
    assert.deepEqual(await settings({}, new URL("file:///nonexistent/.env")), {
      dbUrl: undefined,
      jwtSecret: undefined,
    });
  } finally {
    await Deno.remove(file);
  }
});
