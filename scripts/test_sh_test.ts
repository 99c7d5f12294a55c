/**
 * `bash scripts/test.sh` when the test cluster cannot start: it stops at once
 * with the reason, runs no test, and still ends with its `total:` line and a
 * non-zero exit (it once went on, failed 54 tests with "PASSERELLE_TEST_PG is
 * not set" and died on "unbound variable" with no total).
 */
import assert from "node:assert/strict";

Deno.test("test.sh stops with the reason when the test cluster cannot start, and ends with its total line", async () => {
  // Outside the work tree and open to the server's user, as stack_dir.ts places stacks.
  const dir = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "passerelle-test-sh-" });
  await Deno.chmod(dir, 0o755);
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    const out = await new Deno.Command("bash", {
      args: ["scripts/test.sh", "scripts/stack/extensions_test.ts"],
      cwd: new URL("../", import.meta.url).pathname,
      // The port is held here, so PostgreSQL cannot listen on it.
      env: {
        PASSERELLE_TEST_PG_PORT: String(port),
        PASSERELLE_TEST_STACK_DIR: `${dir}/stack`,
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    assert.notEqual(out.code, 0);
    assert.equal(stdout.trim().split("\n").pop(), "total: 0 passed, 1 failed");
    assert.match(stderr, /the test cluster could not be prepared: .*pg_ctl.*failed/s);
    assert.match(stderr, /the test cluster could not start: no test was run/);
    assert.doesNotMatch(stdout + stderr, /unbound variable|PASSERELLE_TEST_PG is not set|running \d+ test/);
  } finally {
    taken.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
});
