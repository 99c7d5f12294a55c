/**
 * Uploads a generated stream through supabaseStore() and prints how much this process's memory grew:
 * run in its own process so the stand-in's buffers are not counted (as storage.md measured the client),
 * with `--v8-flags=--expose-gc` so that garbage V8 has not collected yet (each 6 MiB chunk is copied by
 * fetch) does not hide what the adapter really holds. Args: <project url> <service key> <bytes>
 */
import { patternStream } from "../object_store_contract.ts";
import { supabaseStore } from "../supabase_store.ts";

const [url, serviceRoleKey, bytes] = Deno.args;
const size = Number(bytes);
const store = supabaseStore({ url, serviceRoleKey, bucket: "estimation-files" });
await store.put("warmup.bin", patternStream(13 * 1024 * 1024), {
  contentType: "application/octet-stream",
  upsert: true,
});
const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
const rss = () => {
  gc();
  return Deno.memoryUsage().rss;
};
const before = rss();
let peak = before;
const source = patternStream(size).getReader();
let reads = 0;
const body = new ReadableStream<Uint8Array>({
  async pull(ctrl) {
    if (reads++ % 128 === 0) peak = Math.max(peak, rss()); // every 8 MiB
    const { value, done } = await source.read();
    if (done) ctrl.close();
    else ctrl.enqueue(value);
  },
});
await store.put("big/stream.bin", body, { contentType: "application/octet-stream", upsert: true });
peak = Math.max(peak, rss());
console.log(JSON.stringify({ growth: peak - before }));
