/**
 * The Odoo simulator in a process of its own, so that a benchmark's CPU and
 * memory figures are the code under test's alone.
 */
export interface OdooProcess {
  url: string;
  stop(): Promise<void>;
}

/** Starts `scripts/odoo_simulator/main.ts` with `args` and waits for its URL. */
export async function startOdooProcess(args: string[]): Promise<OdooProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../odoo_simulator/main.ts", import.meta.url).pathname,
      "--port",
      "0",
      ...args,
    ],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`the Odoo simulator exited:\n${text}`);
    text += value;
    const m = text.match(/http:\/\/127\.0\.0\.1:\d+/);
    if (m) {
      // Keep draining its output so that it never blocks on a full pipe.
      (async () => {
        try {
          while (!(await reader.read()).done) { /* discard */ }
        } catch { /* closed */ }
      })();
      return {
        url: m[0],
        async stop() {
          child.kill("SIGTERM");
          await child.status;
        },
      };
    }
  }
}
