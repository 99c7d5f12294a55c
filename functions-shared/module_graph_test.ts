/**
 * `supabase functions deploy` bundles each function's module graph: it must
 * stay inside the project root with only relative and `npm:` imports (no
 * import map, no JSR, no remote URLs), and nothing under functions-shared may
 * read the environment (configuration is read once, at the edge).
 */
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);
const rootPath = decodeURIComponent(root.pathname);

async function functionEntries(): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(new URL("supabase/functions/", root))) {
    if (e.isDirectory && !e.name.startsWith("_") && !e.name.startsWith(".")) {
      out.push(`${rootPath}supabase/functions/${e.name}/index.ts`);
    }
  }
  return out;
}

interface GraphModule {
  specifier: string;
  dependencies?: { specifier: string; code?: { specifier?: string } }[];
}

Deno.test("every function's module graph stays in the project root with only relative and npm: imports", async () => {
  const entries = await functionEntries();
  assert.ok(entries.length >= 1, "there are functions to check");
  for (const entry of entries) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--no-config", entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: GraphModule[] };
    for (const m of graph.modules) {
      if (m.specifier.startsWith("npm:") || m.specifier.startsWith("node:")) continue;
      assert.ok(
        m.specifier.startsWith(`file://${rootPath}`),
        `${entry} reaches ${m.specifier}, outside the project root`,
      );
      for (const dep of m.dependencies ?? []) {
        const ok = dep.specifier.startsWith("./") || dep.specifier.startsWith("../") ||
          dep.specifier.startsWith("npm:") || dep.specifier.startsWith("node:");
        assert.ok(
          ok,
          `${m.specifier} imports "${dep.specifier}": only relative, npm: and node: imports deploy`,
        );
      }
    }
  }
});

Deno.test("nothing under functions-shared reads the environment", async () => {
  const offenders: string[] = [];
  const walk = async (dir: URL) => {
    for await (const e of Deno.readDir(dir)) {
      const url = new URL(e.name + (e.isDirectory ? "/" : ""), dir);
      if (e.isDirectory) await walk(url);
      else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
        const text = await Deno.readTextFile(url);
        if (/Deno\.env\.(get|toObject)/.test(text)) offenders.push(url.pathname);
      }
    }
  };
  await walk(new URL("./", import.meta.url));
  assert.deepEqual(offenders, []);
});
