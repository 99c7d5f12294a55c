/**
 * Random access to a stored file, for the XLSX reader (a zip is read from its
 * end, then entry by entry): each read is a ranged download (`get` with an
 * offset), cut to the length wanted. Reads ahead by `window` bytes and keeps
 * the last window, since the zip reader asks for many small pieces in a row; an entry's data is one
 * ranged download, streamed.
 */
import type { ObjectStore } from "../../storage/object_store.ts";
import type { RandomAccessSource } from "../xlsx_reader.ts";

/** A `RandomAccessSource` over `key` in `store` (`size` from `stat`). */
export function storeSource(
  store: ObjectStore,
  key: string,
  size: number,
  window = 1 << 20,
): RandomAccessSource {
  let cached: { at: number; bytes: Uint8Array } | null = null;
  function fetchRange(offset: number, length: number): Promise<Uint8Array> {
    return readBytes(store, key, offset, Math.min(size - offset, Math.max(length, window)));
  }
  return {
    size,
    async read(offset, length) {
      if (offset >= size || length <= 0) return new Uint8Array(0);
      const end = Math.min(size, offset + length);
      if (!cached || offset < cached.at || end > cached.at + cached.bytes.length) {
        cached = { at: offset, bytes: await fetchRange(offset, end - offset) };
      }
      return cached.bytes.subarray(offset - cached.at, end - cached.at);
    },
    // An entry's data: one ranged download read as it comes (the zip reader stops at its length).
    stream(offset) {
      let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
      return new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          reader ??= (await store.get(key, { offset })).getReader();
          const { done, value } = await reader.read();
          if (done) ctrl.close();
          else ctrl.enqueue(value);
        },
        cancel: (reason) => reader?.cancel(reason),
      }, { highWaterMark: 0 });
    },
  };
}

/** Up to `length` bytes of a stored object from `offset` (fewer at its end), reading no further. */
export async function readBytes(
  store: ObjectStore,
  key: string,
  offset: number,
  length: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(Math.max(0, length));
  const reader = (await store.get(key, { offset })).getReader();
  let n = 0;
  try {
    while (n < out.length) {
      const { value, done } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, out.length - n);
      out.set(value.subarray(0, take), n);
      n += take;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return out.subarray(0, n);
}
