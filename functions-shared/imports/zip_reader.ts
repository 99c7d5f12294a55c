/**
 * Reads entries of a zip archive (an .xlsx is one) by random access: the
 * central directory from the end of the file, then one entry's bytes, inflated
 * as a stream with Deno's native `DecompressionStream` and never held whole.
 * Every inflated byte is counted, so a zip bomb (a small entry that expands to
 * gigabytes) is stopped by its real output, whatever sizes its headers claim.
 */
import { completeUtf8Prefix } from "./csv_text.ts";
import { ImportError } from "./import_error.ts";

/** Bytes of a file by offset: a local file, a Storage object read with Range requests, or memory. */
export interface RandomAccessSource {
  /** The file's size in bytes. */
  size: number;
  /** `length` bytes from `offset` (fewer only at the end of the file). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

/** A source over bytes in memory. */
export function bytesSource(bytes: Uint8Array): RandomAccessSource {
  return {
    size: bytes.length,
    read: (offset, length) =>
      Promise.resolve(bytes.subarray(offset, Math.min(bytes.length, offset + length))),
  };
}

/** A source over an open Deno file (the caller closes it). Reads take turns: each is a seek then a read. */
export function fileSource(file: Deno.FsFile, size: number): RandomAccessSource {
  let turn: Promise<unknown> = Promise.resolve();
  const readAt = async (offset: number, length: number) => {
    const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
    await file.seek(offset, Deno.SeekMode.Start);
    let n = 0;
    while (n < buf.length) {
      const got = await file.read(buf.subarray(n));
      if (got === null) break;
      n += got;
    }
    return buf.subarray(0, n);
  };
  return {
    size,
    read(offset, length) {
      const result = turn.then(() => readAt(offset, length));
      turn = result.catch(() => {});
      return result;
    },
  };
}

/** One entry of the central directory. */
export interface ZipEntry {
  name: string;
  /** 0 stored, 8 deflated. */
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** Limits against zip bombs. */
export interface ZipLimits {
  /** Most bytes one entry may inflate to. */
  maxEntryBytes: number;
  /** Most inflated bytes per compressed byte, once past `ratioFloorBytes`. */
  maxRatio: number;
  /** Output below this size is never refused for its ratio (small entries compress very well). */
  ratioFloorBytes: number;
}

/**
 * Default limits. A sheet of 1M lead rows inflates to about 400 MB of XML at a
 * ratio near 10; Excel's own files stay well under 100. Zip bombs run at ratios
 * of 1000 and more.
 */
export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntryBytes: 1024 * 1024 * 1024,
  maxRatio: 200,
  ratioFloorBytes: 16 * 1024 * 1024,
};

/** Bytes per read of the source (an HTTP Range request may be one read). */
const CHUNK = 1024 * 1024;
/** Compressed bytes per write to the inflater. */
const FEED = 32 * 1024;

/** The archive's entries by name; `xlsx_corrupt` if it has no readable central directory. */
export async function readZipDirectory(
  source: RandomAccessSource,
  fileName?: string,
): Promise<Map<string, ZipEntry>> {
  const corrupt = (detail: string): never => {
    throw new ImportError({
      code: "xlsx_corrupt",
      params: { ...(fileName ? { file: fileName } : {}), detail },
    });
  };
  if (source.size < 22) corrupt("truncated");
  // The end-of-central-directory record is in the last 22 bytes, plus a comment of up to 64 KiB.
  const tailLength = Math.min(source.size, 22 + 65535);
  const tail = await source.read(source.size - tailLength, tailLength);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd === -1) corrupt("truncated");
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || count === 0xffff) corrupt("zip64");
  if (cdOffset + cdSize > source.size) corrupt("truncated");

  const cd = await source.read(cdOffset, cdSize);
  const v = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const decoder = new TextDecoder();
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let k = 0; k < count; k++) {
    if (p + 46 > cd.length || v.getUint32(p, true) !== 0x02014b50) corrupt("directory");
    const nameLength = v.getUint16(p + 28, true);
    const extraLength = v.getUint16(p + 30, true);
    const commentLength = v.getUint16(p + 32, true);
    const entry: ZipEntry = {
      flags: v.getUint16(p + 8, true),
      method: v.getUint16(p + 10, true),
      compressedSize: v.getUint32(p + 20, true),
      uncompressedSize: v.getUint32(p + 24, true),
      localHeaderOffset: v.getUint32(p + 42, true),
      name: decoder.decode(cd.subarray(p + 46, p + 46 + nameLength)),
    };
    entries.set(entry.name.replace(/^\//, ""), entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/**
 * The inflated bytes of `entry`, chunk by chunk. Throws `xlsx_zip_bomb` as soon
 * as the output passes `limits`, and `xlsx_corrupt` for encrypted entries,
 * unknown compression methods and damaged data.
 */
export async function* readZipEntry(
  source: RandomAccessSource,
  entry: ZipEntry,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
  fileName?: string,
): AsyncGenerator<Uint8Array, void, undefined> {
  const file: Record<string, string> = fileName ? { file: fileName } : {};
  const corrupt = (detail: string, cause?: unknown): never => {
    throw new ImportError({ code: "xlsx_corrupt", params: { ...file, detail, entry: entry.name } }, {
      cause,
    });
  };
  const bomb = (): never => {
    throw new ImportError({
      code: "xlsx_zip_bomb",
      params: { ...file, entry: entry.name, limit: limits.maxEntryBytes },
    });
  };
  if (entry.flags & 1) corrupt("encrypted");
  if (entry.method !== 0 && entry.method !== 8) corrupt("method");
  if (entry.uncompressedSize > limits.maxEntryBytes) bomb();

  const local = await source.read(entry.localHeaderOffset, 30);
  const lv = new DataView(local.buffer, local.byteOffset, local.byteLength);
  if (local.length < 30 || lv.getUint32(0, true) !== 0x04034b50) corrupt("local_header");
  const start = entry.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
  const end = start + entry.compressedSize;
  if (end > source.size) corrupt("truncated");

  const check = (produced: number) => {
    if (produced > limits.maxEntryBytes) bomb();
    if (produced > limits.ratioFloorBytes && produced > limits.maxRatio * Math.max(1, entry.compressedSize)) {
      bomb();
    }
  };

  if (entry.method === 0) {
    for (let at = start; at < end; at += CHUNK) {
      const chunk = await source.read(at, Math.min(CHUNK, end - at));
      check(at + chunk.length - start);
      yield chunk;
    }
    return;
  }

  const inflate = new DecompressionStream("deflate-raw");
  const writer = inflate.writable.getWriter() as WritableStreamDefaultWriter<Uint8Array>;
  const reader = inflate.readable.getReader();
  // Feed compressed bytes as the reader asks for them; errors surface on read.
  let stopped = false;
  const feed = (async () => {
    for (let at = start; at < end && !stopped; at += CHUNK) {
      const chunk = await source.read(at, Math.min(CHUNK, end - at));
      // Small writes make small outputs (XML inflates ~10x): memory stays flat.
      for (let k = 0; k < chunk.length && !stopped; k += FEED) {
        await writer.write(chunk.subarray(k, k + FEED));
      }
    }
    await writer.close();
  })();
  feed.catch(() => {}); // reported through the reader
  let produced = 0;
  try {
    for (;;) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (e) {
        corrupt("deflate", e);
        return;
      }
      if (r.done) break;
      produced += r.value.length;
      check(produced);
      yield r.value;
    }
    await feed;
  } finally {
    // The caller may stop early: stop feeding before the source is used again.
    stopped = true;
    await reader.cancel().catch(() => {});
    await writer.abort().catch(() => {});
    await feed.catch(() => {});
  }
}

/**
 * The text of an entry, chunk by chunk. Decodes each chunk whole (a character
 * cut by a chunk's end waits for the next): Deno's streaming `TextDecoder`
 * costs several times more per chunk.
 */
export async function* readZipTextChunks(
  source: RandomAccessSource,
  entry: ZipEntry,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
  fileName?: string,
): AsyncGenerator<string, void, undefined> {
  // ignoreBOM takes Deno's quick path (a BOM before "<?xml" is harmless to the scans).
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let carry: Uint8Array | null = null;
  for await (let chunk of readZipEntry(source, entry, limits, fileName)) {
    if (carry) {
      const joined = new Uint8Array(carry.length + chunk.length);
      joined.set(carry);
      joined.set(chunk, carry.length);
      chunk = joined;
      carry = null;
    }
    const cut = completeUtf8Prefix(chunk);
    if (cut < chunk.length) carry = chunk.slice(cut);
    yield decoder.decode(chunk.subarray(0, cut));
  }
  if (carry) yield decoder.decode(carry);
}

/** An entry inflated whole, as text (for the small parts: workbook, styles, relationships). */
export async function readZipText(
  source: RandomAccessSource,
  entry: ZipEntry,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
  fileName?: string,
): Promise<string> {
  const decoder = new TextDecoder();
  let s = "";
  for await (const chunk of readZipEntry(source, entry, limits, fileName)) {
    s += decoder.decode(chunk, { stream: true });
  }
  return s + decoder.decode();
}
