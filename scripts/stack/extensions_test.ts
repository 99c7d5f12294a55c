/**
 * The real-or-compatibility decision, as a plain function of the files a
 * PostgreSQL major has installed (CI has neither real extension, so this is
 * where both modes are tested; real_extensions_test.ts runs against them when
 * they are here). Facts: ../../README.md "Local stack" and the reference's
 * "Loading the real extensions": `pg_available_extensions` lists an extension
 * whose control file is installed even when `create extension` cannot load it.
 */
import assert from "node:assert/strict";
import {
  databaseChoice,
  describeChoice,
  type InstalledExtensions,
  installedExtensions,
  planExtensions,
} from "./extensions.ts";

const both: InstalledExtensions = {
  pg_net: { version: "0.20.4", library: true },
  supabase_vault: { version: "0.3.1", library: true },
};
const none: InstalledExtensions = { pg_net: { library: false }, supabase_vault: { library: false } };
const getkeyScript = "/var/tmp/passerelle-dev-x/vault/getkey";

Deno.test("both real extensions loadable: both preloaded, vault.getkey_script set, the stack says real", () => {
  const plan = planExtensions(both, { getkeyScript });
  assert.deepEqual(plan.preload, ["pg_cron", "pg_net", "supabase_vault"]);
  assert.deepEqual(plan.settings, { "vault.getkey_script": getkeyScript });
  assert.deepEqual(describeChoice(plan.choice), ["pg_net: real 0.20.4", "supabase_vault: real 0.3.1"]);
});

Deno.test("nothing installed (as on CI): pg_cron alone, no setting, the compatibility layer for both", () => {
  const plan = planExtensions(none, { getkeyScript });
  assert.deepEqual(plan.preload, ["pg_cron"]);
  assert.deepEqual(plan.settings, {});
  assert.deepEqual(describeChoice(plan.choice), [
    "pg_net: compatibility layer (not installed)",
    "supabase_vault: compatibility layer (not installed)",
  ]);
});

Deno.test("installed but not loadable is missing: a control file without its library is not preloaded", () => {
  const plan = planExtensions({ ...both, pg_net: { version: "0.20.4", library: false } }, { getkeyScript });
  assert.deepEqual(plan.preload, ["pg_cron", "supabase_vault"]);
  assert.equal(plan.choice.pg_net.mode, "compat");
  assert.equal(
    describeChoice(plan.choice)[0],
    "pg_net: compatibility layer (installed without its library pg_net.so)",
  );
});

Deno.test("an extension that failed to load when tried falls back to the compatibility layer, with the reason", () => {
  const refused = { supabase_vault: "does not load: invalid secret key" };
  const plan = planExtensions(both, { getkeyScript, refused });
  assert.deepEqual(plan.preload, ["pg_cron", "pg_net"]);
  assert.deepEqual(plan.settings, {}, "no getkey script without the library");
  assert.equal(
    describeChoice(plan.choice)[1],
    "supabase_vault: compatibility layer (does not load: invalid secret key)",
  );
});

Deno.test("a kept cluster stays as its databases were made: compat stays compat; a real one gone is an error", () => {
  const kept = planExtensions(both, {
    getkeyScript,
    kept: { pg_net: "compat", supabase_vault: "real" },
    dir: "/d",
  });
  assert.deepEqual(kept.preload, ["pg_cron", "supabase_vault"], "no real worker beside the stand-in's queue");
  assert.match(describeChoice(kept.choice)[0], /^pg_net: compatibility layer \(.*delete \/d to use it\)$/);
  assert.throws(
    () => planExtensions(none, { getkeyScript, kept: { pg_net: "real" }, dir: "/d" }),
    /pg_net: this cluster was created with the real extension, which no longer loads \(pg_net.control, pg_net.so missing\)/,
  );
});

Deno.test("pg_net's worker serves one database: the others get the stand-in net, real Vault everywhere", () => {
  const plan = planExtensions(both, { getkeyScript });
  assert.equal(databaseChoice(plan, "postgres").pg_net.mode, "real");
  const template = databaseChoice(plan, "passerelle_template");
  assert.deepEqual(describeChoice(template), [
    "pg_net: compatibility layer (pg_net's worker serves the postgres database only)",
    "supabase_vault: real 0.3.1",
  ]);
});

Deno.test("installedExtensions reads the control file's default_version and looks for the library", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/lib`);
    await Deno.mkdir(`${root}/extension`);
    await Deno.writeTextFile(
      `${root}/extension/pg_net.control`,
      "comment = 'Async HTTP'\ndefault_version = '0.20.4'\nrelocatable = false\n",
    );
    await Deno.writeTextFile(`${root}/extension/supabase_vault.control`, "default_version = '0.3.1'\n");
    await Deno.writeTextFile(`${root}/lib/supabase_vault.so`, "");
    const found = installedExtensions({ lib: `${root}/lib`, extension: `${root}/extension` });
    assert.deepEqual(found, {
      pg_net: { version: "0.20.4", library: false },
      supabase_vault: { version: "0.3.1", library: true },
    });
    assert.deepEqual(planExtensions(found, { getkeyScript }).preload, ["pg_cron", "supabase_vault"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
