/**
 * `deno task status`: the status of every migration and import, read from
 * `passerelle.status()` with the database URL (SUPABASE_DB_URL, or the local
 * stack's supabase/functions/.env), so no function call and no key are needed.
 *
 *   deno task status                 terminal view, refreshed every 2 s (Ctrl-C stops)
 *   deno task status --once          print once and exit
 *   deno task status --json          print the JSON document and exit
 *   deno task status --web [--port 54330]
 *                                    the live status page on http://127.0.0.1:54330/
 *   --stale <seconds>                stale window of the pulse (default 120)
 */
import { parseArgs } from "node:util";
import { connectDb } from "../functions-shared/db.ts";
import { DEFAULT_STALE_S, readStatus } from "../functions-shared/status/read_status.ts";
import { renderTerminal } from "../functions-shared/status/terminal.ts";
import { readStatusPage, serveStatusWeb } from "./status_page/status_web.ts";
import { parseEnvFile } from "./stack/env_file.ts";

/** SUPABASE_DB_URL from the environment, else from supabase/functions/.env; undefined when neither has it. */
export async function findDbUrl(
  env: Record<string, string | undefined>,
  envFile: URL,
): Promise<string | undefined> {
  if (env.SUPABASE_DB_URL) return env.SUPABASE_DB_URL;
  try {
    return parseEnvFile(await Deno.readTextFile(envFile)).SUPABASE_DB_URL || undefined;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      once: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      web: { type: "boolean", default: false },
      port: { type: "string", default: "54330" },
      stale: { type: "string", default: String(DEFAULT_STALE_S) },
      interval: { type: "string", default: "2" },
    },
  });
  const staleS = Number(values.stale);
  const port = Number(values.port);
  const intervalMs = Number(values.interval) * 1000;
  if (!Number.isInteger(staleS) || staleS < 1) {
    throw new Error(`--stale must be whole seconds (got ${values.stale})`);
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port is not a port (got ${values.port})`);
  }
  if (!(intervalMs >= 500)) throw new Error(`--interval must be at least 0.5 s (got ${values.interval})`);

  const dbUrl = await findDbUrl(Deno.env.toObject(), new URL("../supabase/functions/.env", import.meta.url));
  if (!dbUrl) {
    console.error(
      "No database URL: set SUPABASE_DB_URL (Supabase dashboard, Connect, session pooler), " +
        "or start the local stack with `deno task dev`, which writes supabase/functions/.env",
    );
    Deno.exit(2);
  }
  const sql = connectDb(dbUrl, { max: 2 });
  const load = () => readStatus(sql, { staleS });
  const stop = async (code = 0) => {
    await sql.end({ timeout: 2 });
    Deno.exit(code);
  };
  Deno.addSignalListener("SIGINT", () => void stop(0));
  Deno.addSignalListener("SIGTERM", () => void stop(0));

  if (values.web) {
    await load(); // fail now, not in the browser, when the database or the migration is missing
    serveStatusWeb({
      load,
      page: await readStatusPage(),
      port,
      onListen: (a) =>
        console.log(`Status page: http://127.0.0.1:${a.port}/  (JSON at /status.json; Ctrl-C stops)`),
    });
    return;
  }
  if (values.json) {
    console.log(JSON.stringify(await load(), null, 2));
    return await stop(0);
  }
  const tty = Deno.stdout.isTerminal();
  const color = tty && !Deno.env.get("NO_COLOR");
  const width = () => (tty ? Deno.consoleSize().columns : 100);
  if (values.once) {
    await Deno.stdout.write(
      new TextEncoder().encode(renderTerminal(await load(), { color, width: width() })),
    );
    return await stop(0);
  }
  // Reads every `interval`; redraws four times a second so that the spinner turns.
  let text = "Reading the status…\n";
  const reload = async () => {
    try {
      const doc = await load();
      draw = (frame) => renderTerminal(doc, { color, width: width(), frame });
    } catch (e) {
      const message = `Cannot read the status: ${e instanceof Error ? e.message : e}`;
      draw = () => `${message}\n(retrying every ${intervalMs / 1000} s)\n`;
    }
  };
  let draw: (frame: number) => string = () => text;
  await reload();
  setInterval(reload, intervalMs);
  let frame = 0;
  const paint = async () => {
    text = draw(frame++);
    // Home, then each line cleared to its end and the rest of the screen: no flicker, no scrollback flood.
    const out = tty ? "\x1b[H" + text.replaceAll("\n", "\x1b[K\n") + "\x1b[J" : text;
    await Deno.stdout.write(new TextEncoder().encode(out));
  };
  if (tty) {
    await Deno.stdout.write(new TextEncoder().encode("\x1b[2J"));
    setInterval(paint, 250);
  } else {
    await paint();
    setInterval(paint, intervalMs);
  }
}

if (import.meta.main) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    Deno.exit(1);
  });
}
