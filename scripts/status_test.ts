/** `deno task status` as an operator runs it: a child process reading SUPABASE_DB_URL. */
import assert from "node:assert/strict";
import {
  EXPECTED,
  seedMigrationInProgress,
} from "../functions-shared/status/testdata/migration_in_progress.ts";
import { createTestDatabase } from "./testing/test_database.ts";
import { findDbUrl } from "./status.ts";
import { parseEnvFile } from "./stack/env_file.ts";

const script = new URL("./status.ts", import.meta.url).pathname;

function run(args: string[], env: Record<string, string>) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    env: { ...env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("deno task status --once and --json print the same figures", async () => {
  const db = await createTestDatabase("status_cli");
  try {
    await seedMigrationInProgress(db.sql);
    const once = await run(["--once"], { SUPABASE_DB_URL: db.url }).output();
    const text = new TextDecoder().decode(once.stdout);
    assert.ok(once.success, new TextDecoder().decode(once.stderr));
    assert.ok(!text.includes("\x1b["), "no colour when not a terminal");
    assert.ok(
      text.includes(`${EXPECTED.files.progress} · 12 failed · ${EXPECTED.files.remainingText}`),
      text,
    );
    assert.ok(text.includes(EXPECTED.leads.progress), text);

    const json = await run(["--json"], { SUPABASE_DB_URL: db.url }).output();
    assert.ok(json.success, new TextDecoder().decode(json.stderr));
    const doc = JSON.parse(new TextDecoder().decode(json.stdout));
    const files = doc.migrations.find((m: { key: string }) => m.key === "files");
    assert.deepEqual([files.done, files.total, files.remaining], [751, 18323, 17560]);
  } finally {
    await db.drop();
  }
});

Deno.test("deno task status --web serves the page and the document on 127.0.0.1", async () => {
  const db = await createTestDatabase("status_web");
  const child = run(["--web", "--port", "0"], { SUPABASE_DB_URL: db.url }).spawn();
  try {
    await seedMigrationInProgress(db.sql);
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!/http:\/\/127\.0\.0\.1:\d+\//.test(out)) {
      const { value, done } = await reader.read();
      assert.ok(!done, `the server stopped:\n${out}`);
      out += value;
    }
    reader.releaseLock();
    const base = out.match(/http:\/\/127\.0\.0\.1:\d+/)![0];
    const page = await fetch(`${base}/`);
    assert.match(await page.text(), /<body data-source="\.\/status\.json"/);
    const doc = await (await fetch(`${base}/status.json`)).json();
    assert.equal(doc.migrations.find((m: { key: string }) => m.key === "files").done, 751);
  } finally {
    child.kill("SIGTERM");
    await child.status;
    await child.stdout.cancel().catch(() => {});
    await child.stderr.cancel();
    await db.drop();
  }
});

Deno.test("deno task status finds the database URL in the environment, else in supabase/functions/.env", async () => {
  assert.deepEqual(parseEnvFile("# stack\nSUPABASE_DB_URL=postgresql://a@b/c\nexport X='y z'\nBAD LINE\n"), {
    SUPABASE_DB_URL: "postgresql://a@b/c",
    X: "y z",
  });
  const dir = await Deno.makeTempDir();
  try {
    const file = new URL(`file://${dir}/.env`);
    assert.equal(await findDbUrl({}, file), undefined);
    await Deno.writeTextFile(file, "SUPABASE_URL=http://x\nSUPABASE_DB_URL=postgresql://from-file\n");
    assert.equal(await findDbUrl({}, file), "postgresql://from-file");
    assert.equal(
      await findDbUrl({ SUPABASE_DB_URL: "postgresql://from-env" }, file),
      "postgresql://from-env",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
