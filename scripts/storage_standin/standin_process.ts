/**
 * The Storage stand-in in a process of its own, as the real Storage server runs beside the functions:
 * its md5s and disk writes then do not share the event loop and CPU of the process that starts it (the
 * migration bench, whose simulator, pg_net worker and checks run there).
 *
 * The child is `server.ts` run as a script; it prints its URL as one JSON line, and answers each
 * `stats` line on its stdin with its `StandinStats` as one JSON line. Closing its stdin stops it.
 */
import type { StandinStats } from "./server.ts";

/** A stand-in running as a child process. */
export interface StandinProcess {
  url: string;
  pid: number;
  /** What the stand-in saw so far (asked of the child). */
  stats(): Promise<StandinStats>;
  close(): Promise<void>;
}

/** Starts `server.ts` as a child with `jwtSecret` and the `estimation-files` bucket (on `port`: 0, a free one). */
export async function startStandinProcess(
  o: { jwtSecret: string; buckets?: string[]; port?: number },
): Promise<StandinProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./server.ts", import.meta.url).pathname, "--stdin-control"],
    env: {
      JWT_SECRET: o.jwtSecret,
      STORAGE_BUCKETS: (o.buckets ?? ["estimation-files"]).join(","),
      STORAGE_PORT: String(o.port ?? 0),
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  const nextLine = async (): Promise<string> => {
    while (!pending.includes("\n")) {
      const { value, done } = await lines.read();
      if (done) throw new Error("storage stand-in process ended");
      pending += value;
    }
    const i = pending.indexOf("\n");
    const line = pending.slice(0, i);
    pending = pending.slice(i + 1);
    return line;
  };
  const { url } = JSON.parse(await nextLine()) as { url: string };
  const stdin = child.stdin.getWriter();
  const encoder = new TextEncoder();
  return {
    url,
    pid: child.pid,
    async stats() {
      await stdin.write(encoder.encode("stats\n"));
      return JSON.parse(await nextLine()) as StandinStats;
    },
    async close() {
      await stdin.close().catch(() => {});
      await child.status;
      await lines.cancel().catch(() => {});
    },
  };
}
