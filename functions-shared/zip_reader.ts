/**
 * The one zip reader of the project (Odoo backups, .xlsx and .ods workbooks). It reads an archive in
 * place, by random access, never whole: the central directory is found from the end of the file (zip64
 * included, as a 12 GB Odoo backup needs) and walked a window at a time, and each entry is streamed,
 * inflated (node:zlib, see `inflate()`) and checked against its CRC-32 and size as it goes. Memory stays
 * at a few windows per open entry whatever the archive's size (APPNOTE.TXT 6.3.10, sections 4.3 and 4.5).
 *
 * Entries are found by the central directory only, never by walking local headers: a writer that sets
 * general-purpose flag bit 3 (LibreOffice does on every entry) puts sizes and CRC in a data descriptor
 * after the data, and its local headers say 0 for both.
 *
 * The source is anything read by offset (`RandomAccessSource`): bytes in memory, a local file, a Storage
 * object read with Range requests. Errors are made by the caller's `error` factory, so that each caller
 * speaks its own language (`backup_invalid` for a backup, `xlsx_corrupt` for a workbook); the messages
 * given to it are English and name the entry.
 */
import { Readable } from "node:stream";
import { crc32, createInflateRaw, inflateRawSync } from "node:zlib";

/** Bytes of a file by offset: a local file, a Storage object read with Range requests, or memory. */
export interface RandomAccessSource {
  /** The file's size in bytes. */
  readonly size: number;
  /** `length` bytes from `offset` (fewer only at the end of the file). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * The bytes `[offset, offset + length)` as one sequential stream (a file handle of its own, one ranged
   * download), for an entry's data. Without it, the data is read by `read` calls of `ZIP_READ_CHUNK`.
   */
  stream?(offset: number, length: number): ReadableStream<Uint8Array>;
}

/** A source over bytes in memory. */
export function bytesSource(bytes: Uint8Array): RandomAccessSource {
  return {
    size: bytes.length,
    read: (offset, length) =>
      Promise.resolve(bytes.subarray(offset, Math.min(bytes.length, offset + Math.max(0, length)))),
  };
}

/** Reads up to `length` bytes at `position` of `file` (fewer only at the end of the file). */
async function readAt(file: Deno.FsFile, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(Math.max(0, length));
  await file.seek(position, Deno.SeekMode.Start);
  let got = 0;
  while (got < buf.length) {
    const n = await file.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return got === buf.length ? buf : buf.subarray(0, got);
}

/** A local file as a source: `read` on one handle (reads take turns), `stream` on a handle of its own. */
export async function openFileSource(path: string): Promise<RandomAccessSource & { close(): void }> {
  const file = await Deno.open(path, { read: true });
  let size: number;
  try {
    size = (await file.stat()).size;
  } catch (e) {
    file.close();
    throw e;
  }
  let turn: Promise<unknown> = Promise.resolve();
  return {
    size,
    read(offset, length) {
      const run = turn.then(() => readAt(file, offset, Math.min(length, size - offset)));
      turn = run.catch(() => {});
      return run;
    },
    // Each entry's data gets its own handle, so that parallel streams never move each other's position.
    stream(offset, length) {
      let h: Deno.FsFile | null = null;
      let left = length;
      const release = () => {
        try {
          h?.close();
        } catch { /* already closed */ }
        h = null;
      };
      return new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          try {
            if (!h) {
              h = await Deno.open(path, { read: true });
              await h.seek(offset, Deno.SeekMode.Start);
            }
            const buf = new Uint8Array(Math.min(ZIP_READ_CHUNK, left));
            const n = left === 0 ? null : await h.read(buf);
            if (n === null) {
              release();
              ctrl.close();
              return;
            }
            left -= n;
            ctrl.enqueue(n === buf.length ? buf : buf.subarray(0, n));
          } catch (e) {
            release();
            throw e;
          }
        },
        cancel() {
          release();
        },
      }, { highWaterMark: 0 });
    },
    close() {
      try {
        file.close();
      } catch { /* already closed */ }
    },
  };
}

/** One entry of the central directory. */
export interface ZipEntry {
  /** Path inside the archive, `/`-separated (`filestore/ab/ab12...`, `xl/workbook.xml`). */
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  /** General purpose flags (bit 0: encrypted; bit 3: sizes in a data descriptor). */
  flags: number;
  crc32: number;
  compressedSize: number;
  /** Inflated size, as the central directory declares it (checked while reading). */
  size: number;
  /** Where the entry's local header starts. */
  localHeaderOffset: number;
}

/** Limits against zip bombs (a small entry that expands to gigabytes), on the bytes really inflated. */
export interface ZipLimits {
  /** Most bytes one entry may inflate to. */
  maxEntryBytes: number;
  /** Most inflated bytes per compressed byte, once past `ratioFloorBytes`. */
  maxRatio: number;
  /** Output below this size is never refused for its ratio (small entries compress very well). */
  ratioFloorBytes: number;
}

/** What went wrong, for the caller's error factory. */
export type ZipProblem =
  | "truncated" // no end record: not a (complete) zip
  | "zip64" // a zip64 record damaged, or a value past 2^53
  | "directory" // the central directory is damaged or lies outside the file
  | "encrypted"
  | "method" // neither stored nor deflate
  | "local_header" // an entry's local header is missing or points outside
  | "cut_short" // the file ends inside an entry
  | "deflate" // bad deflate data
  | "size" // more or fewer bytes than declared
  | "crc"
  | "too_large"; // past the caller's `ZipLimits`

/** Makes the error a problem is thrown as; `entry` is null for problems of the whole archive. */
export type ZipErrorFactory = (
  problem: ZipProblem,
  message: string,
  entry: ZipEntry | null,
  cause?: unknown,
) => Error;

/** The default error: the problem and its message. */
export class ZipError extends Error {
  constructor(readonly problem: ZipProblem, message: string, readonly entry: string | null, cause?: unknown) {
    super(message, { cause });
    this.name = "ZipError";
  }
}

/** An open archive. */
export interface ZipArchive {
  /** The source's size in bytes. */
  readonly size: number;
  /** Number of entries the end record announces. */
  readonly entryCount: number;
  /** Walks the central directory, one window (1 MiB) at a time. */
  entries(): AsyncGenerator<ZipEntry>;
  /**
   * The entry's bytes, inflated and verified: the stream errors when the CRC-32 or the size differ from
   * the central directory's, as soon as the output passes `limits`, and with `signal.reason` once
   * `signal` aborts. Chunks are at most `ZIP_READ_CHUNK` bytes, whatever the data.
   */
  open(entry: ZipEntry, opts?: { signal?: AbortSignal; limits?: ZipLimits }): ReadableStream<Uint8Array>;
  /**
   * The entry's compressed bytes from byte `skip` of its data on, one ranged read (for an inflater that
   * resumes inside the entry, `../inflater.ts`): its local header checked, encryption and methods other
   * than stored and deflate refused, a source ending early refused as `cut_short`.
   */
  compressed(entry: ZipEntry, skip?: number): Promise<ReadableStream<Uint8Array>>;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const CD_WINDOW = 1 << 20;
/** Read size for entry data, and most bytes per inflated chunk: large enough for disk throughput, small enough to keep memory flat. */
export const ZIP_READ_CHUNK = 256 << 10;
/** Entries up to this size (inflated and compressed) are read and inflated whole (see `wholeEntry`). */
const WHOLE_ENTRY_BYTES = 1 << 20;

const utf8 = new TextDecoder("utf-8");

type PullReader = Pick<ReadableStreamDefaultReader<Uint8Array>, "read" | "cancel">;

/**
 * Inflates raw deflate data as a pull stream whose chunks never exceed ZIP_READ_CHUNK bytes.
 *
 * Not `DecompressionStream("deflate-raw")`: it hands back all the output of one input chunk at once, and
 * deflate packs up to 1032 bytes in one, so 256 KiB of a compressed run of zeros came out as one chunk
 * of 264 MB (measured in Deno 2.9.6: RSS grew by 770 MB inflating 512 MB of zeros). Node's zlib stream
 * cuts its output into `chunkSize` pieces and stops inflating while they wait to be read; it was also
 * faster here (1.1 to 2.8 GB/s against 0.1 to 2 GB/s).
 */
function inflate(raw: ReadableStream<Uint8Array>): PullReader {
  const inflater = createInflateRaw({ chunkSize: ZIP_READ_CHUNK });
  const source = Readable.fromWeb(raw as unknown as import("node:stream/web").ReadableStream<Uint8Array>);
  source.on("error", (e) => inflater.destroy(e));
  source.pipe(inflater);
  const output = inflater[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  return {
    async read() {
      const r = await output.next();
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
    },
    async cancel() {
      inflater.destroy();
      source.destroy();
      await output.return?.();
    },
  };
}

function u64(view: DataView, at: number): number {
  const v = view.getBigUint64(at, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError("zip64 value beyond 2^53");
  return Number(v);
}

interface Directory {
  offset: number;
  size: number;
  count: number;
}

/** Finds the central directory from the end record (and the zip64 end record when there is one). */
async function findDirectory(source: RandomAccessSource, fail: ZipErrorFactory): Promise<Directory> {
  const size = source.size;
  const tailLen = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = size - tailLen;
  const tail = await source.read(tailStart, tailLen);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let at = -1;
  // The last record whose comment runs exactly to the end of the file: a comment may itself hold "PK\5\6".
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (
      view.getUint32(i, true) === SIG_EOCD && i + EOCD_SIZE + view.getUint16(i + 20, true) === tail.length
    ) {
      at = i;
      break;
    }
  }
  if (at < 0) {
    throw fail(
      "truncated",
      "not a complete zip archive: its end record (end of central directory) is missing, so the file is " +
        "truncated (an interrupted download or copy?) or not a zip at all",
      null,
    );
  }
  let count = view.getUint16(at + 10, true);
  let cdSize = view.getUint32(at + 12, true);
  let cdOffset = view.getUint32(at + 16, true);
  const eocdPos = tailStart + at;
  if (eocdPos >= 20) {
    const loc = await source.read(eocdPos - 20, 20);
    const lv = new DataView(loc.buffer, loc.byteOffset, loc.byteLength);
    if (loc.length === 20 && lv.getUint32(0, true) === SIG_ZIP64_LOCATOR) {
      try {
        const z64Pos = u64(lv, 8);
        const rec = await source.read(z64Pos, 56);
        const rv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
        if (rec.length < 56 || rv.getUint32(0, true) !== SIG_ZIP64_EOCD) throw new Error("no record");
        count = u64(rv, 32);
        cdSize = u64(rv, 40);
        cdOffset = u64(rv, 48);
      } catch (e) {
        throw fail("zip64", "its zip64 end record is missing or damaged", null, e);
      }
    }
  }
  if (cdOffset + cdSize > eocdPos) {
    throw fail(
      "directory",
      "its central directory lies beyond the end of the file: the archive is damaged or truncated",
      null,
    );
  }
  return { offset: cdOffset, size: cdSize, count };
}

/** Applies a zip64 extended information extra field (0x0001) to the fields that overflowed. */
function applyZip64(entry: ZipEntry, extra: DataView, fail: ZipErrorFactory): void {
  let i = 0;
  while (i + 4 <= extra.byteLength) {
    const id = extra.getUint16(i, true);
    const len = extra.getUint16(i + 2, true);
    if (id === 0x0001) {
      let p = i + 4;
      const end = p + len;
      const take = () => {
        if (p + 8 > end) throw fail("zip64", `the zip64 field of entry ${entry.name} is too short`, entry);
        const v = u64(extra, p);
        p += 8;
        return v;
      };
      // Only the fields whose 32-bit value is 0xFFFFFFFF are present, in this order.
      if (entry.size === 0xffffffff) entry.size = take();
      if (entry.compressedSize === 0xffffffff) entry.compressedSize = take();
      if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = take();
      return;
    }
    i += 4 + len;
  }
}

/** Options of `openZip`. */
export interface OpenZipOptions {
  /** Makes the errors thrown (default: `ZipError`). */
  error?: ZipErrorFactory;
}

/**
 * Opens an archive and finds its central directory. Throws (through `opts.error`) when it is not a
 * complete zip.
 *
 * @example
 * const zip = await openZip(await openFileSource("backup.zip"));
 * for await (const e of zip.entries()) if (e.name === "dump.sql") await zip.open(e).pipeTo(out);
 */
export async function openZip(source: RandomAccessSource, opts: OpenZipOptions = {}): Promise<ZipArchive> {
  const make: ZipErrorFactory = opts.error ??
    ((problem, message, entry, cause) => new ZipError(problem, message, entry?.name ?? null, cause));
  // Errors made here pass through the entry stream's catch as they are; anything else there is zlib's.
  const made = new WeakSet<object>();
  const fail: ZipErrorFactory = (...args) => {
    const e = make(...args);
    made.add(e);
    return e;
  };
  const dir = await findDirectory(source, fail);

  async function* entries(): AsyncGenerator<ZipEntry> {
    let pos = dir.offset;
    const end = dir.offset + dir.size;
    let window: Uint8Array = new Uint8Array(0);
    let winStart = pos;
    let seen = 0;
    while (pos < end) {
      // Refill so the whole fixed part (and then the variable part) of the next record is in the window.
      const need = async (n: number) => {
        if (pos + n <= winStart + window.length) return;
        const len = Math.min(Math.max(CD_WINDOW, n), end - pos);
        window = await source.read(pos, len);
        winStart = pos;
        if (window.length < n) {
          throw fail("directory", "its central directory is cut short: the archive is damaged", null);
        }
      };
      await need(46);
      let v = new DataView(window.buffer, window.byteOffset, window.byteLength);
      let o = pos - winStart;
      if (v.getUint32(o, true) !== SIG_CENTRAL) {
        throw fail(
          "directory",
          `its central directory is damaged (entry ${seen + 1} has no valid signature)`,
          null,
        );
      }
      const nameLen = v.getUint16(o + 28, true);
      const extraLen = v.getUint16(o + 30, true);
      const commentLen = v.getUint16(o + 32, true);
      const total = 46 + nameLen + extraLen + commentLen;
      await need(total);
      v = new DataView(window.buffer, window.byteOffset, window.byteLength);
      o = pos - winStart;
      const entry: ZipEntry = {
        name: utf8.decode(window.subarray(o + 46, o + 46 + nameLen)),
        method: v.getUint16(o + 10, true),
        flags: v.getUint16(o + 8, true),
        crc32: v.getUint32(o + 16, true),
        compressedSize: v.getUint32(o + 20, true),
        size: v.getUint32(o + 24, true),
        localHeaderOffset: v.getUint32(o + 42, true),
      };
      const extraAt = window.byteOffset + o + 46 + nameLen;
      applyZip64(entry, new DataView(window.buffer, extraAt, extraLen), fail);
      pos += total;
      seen++;
      yield entry;
    }
  }

  /** The entry's compressed bytes, counted: a source that ends early is a truncated archive. */
  function rawData(
    entry: ZipEntry,
    start: number,
    length: number,
    where: string,
  ): ReadableStream<Uint8Array> {
    const cutShort = () =>
      fail("cut_short", `${where} is cut short: the file ends inside it (truncated archive)`, entry);
    if (source.stream) {
      const reader = source.stream(start, length).getReader();
      let got = 0;
      return new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          const { done, value } = await reader.read();
          if (done) {
            if (got < length) throw cutShort();
            ctrl.close();
            return;
          }
          got += value.length;
          ctrl.enqueue(got > length ? value.subarray(0, value.length - (got - length)) : value);
          if (got >= length) {
            await reader.cancel().catch(() => {});
            ctrl.close();
          }
        },
        cancel: (reason) => reader.cancel(reason),
      }, { highWaterMark: 0 });
    }
    let at = start;
    const end = start + length;
    return new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        if (at >= end) {
          ctrl.close();
          return;
        }
        const chunk = await source.read(at, Math.min(ZIP_READ_CHUNK, end - at));
        if (chunk.length === 0) throw cutShort();
        at += chunk.length;
        ctrl.enqueue(chunk);
      },
    }, { highWaterMark: 0 });
  }

  /** Where the entry's data starts, from its local header; refuses what cannot be read. */
  async function dataStart(entry: ZipEntry): Promise<number> {
    const where = `entry ${entry.name}`;
    if (entry.flags & 1) {
      throw fail("encrypted", `${where} is encrypted, which this import cannot read`, entry);
    }
    if (entry.method !== 0 && entry.method !== 8) {
      throw fail(
        "method",
        `${where} uses compression method ${entry.method}; only stored and deflate are read`,
        entry,
      );
    }
    const local = await source.read(entry.localHeaderOffset, 30);
    const lv = new DataView(local.buffer, local.byteOffset, local.byteLength);
    if (local.length < 30 || lv.getUint32(0, true) !== SIG_LOCAL) {
      throw fail(
        "local_header",
        `${where} cannot be read: its local header is missing (the archive is damaged)`,
        entry,
      );
    }
    const at = entry.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
    if (at + entry.compressedSize > dir.offset) {
      throw fail(
        "local_header",
        `${where} runs past the start of the central directory (the archive is damaged)`,
        entry,
      );
    }
    return at;
  }

  async function compressed(entry: ZipEntry, skip = 0): Promise<ReadableStream<Uint8Array>> {
    const at = await dataStart(entry);
    const from = Math.min(skip, entry.compressedSize);
    return rawData(entry, at + from, entry.compressedSize - from, `entry ${entry.name}`);
  }

  /** A small entry's bytes read at once (one read of the shared handle) and inflated at once. */
  async function wholeEntry(entry: ZipEntry, start: number, where: string): Promise<PullReader> {
    const raw = entry.compressedSize === 0
      ? new Uint8Array(0)
      : await source.read(start, entry.compressedSize);
    if (raw.length < entry.compressedSize) {
      throw fail("cut_short", `${where} is cut short: the file ends inside it (truncated archive)`, entry);
    }
    let bytes: Uint8Array = raw;
    if (entry.method === 8) {
      try {
        // One byte more than announced tells an entry that inflates beyond its size, without inflating it all.
        bytes = inflateRawSync(raw, { maxOutputLength: entry.size + 1 });
      } catch (e) {
        if ((e as { code?: string }).code !== "ERR_BUFFER_TOO_LARGE") throw e;
        throw fail("size", `${where} is damaged: it inflates beyond its ${entry.size} bytes`, entry);
      }
    }
    let at = 0;
    return {
      read() {
        if (at >= bytes.length) return Promise.resolve({ done: true, value: undefined });
        const value = bytes.subarray(at, at + ZIP_READ_CHUNK);
        at += value.length;
        return Promise.resolve({ done: false, value });
      },
      cancel() {
        at = bytes.length;
        return Promise.resolve();
      },
    };
  }

  function open(
    entry: ZipEntry,
    opts: { signal?: AbortSignal; limits?: ZipLimits } = {},
  ): ReadableStream<Uint8Array> {
    const where = `entry ${entry.name}`;
    const limits = opts.limits;
    let inner: PullReader | null = null;
    let crc = 0;
    let produced = 0;
    const tooLarge = () =>
      fail("too_large", `${where} inflates past the limit of ${limits!.maxEntryBytes} bytes`, entry);

    async function start(): Promise<PullReader> {
      const at = await dataStart(entry);
      if (limits && entry.size > limits.maxEntryBytes) throw tooLarge();
      // A small entry read for a caller without limits (a backup's file) is read and inflated in one go:
      // a zlib stream per file (its window, its 256 KiB output buffer, its stream objects) cost more than
      // the file, and thousands of them kept ~100 MB alive between collections (measured on 16,500
      // files of 2 KB–8 MB through Storage: peak RSS 330 MB).
      if (!limits && entry.size <= WHOLE_ENTRY_BYTES && entry.compressedSize <= WHOLE_ENTRY_BYTES) {
        return wholeEntry(entry, at, where);
      }
      const raw = rawData(entry, at, entry.compressedSize, where);
      return entry.method === 8 ? inflate(raw) : raw.getReader();
    }

    return new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        try {
          if (opts.signal?.aborted) throw opts.signal.reason;
          inner ??= await start();
          const { done, value } = await inner.read();
          if (done) {
            if (produced !== entry.size) {
              throw fail("size", `${where} is damaged: ${produced} bytes instead of ${entry.size}`, entry);
            }
            if ((crc >>> 0) !== entry.crc32) {
              throw fail("crc", `${where} is damaged: its CRC-32 does not match (corrupt data)`, entry);
            }
            ctrl.close();
            return;
          }
          produced += value.length;
          // The limits first: a bomb is a bomb, whatever size its headers claim.
          if (limits) {
            if (produced > limits.maxEntryBytes) throw tooLarge();
            if (
              produced > limits.ratioFloorBytes &&
              produced > limits.maxRatio * Math.max(1, entry.compressedSize)
            ) {
              throw tooLarge();
            }
          }
          if (produced > entry.size) {
            throw fail("size", `${where} is damaged: it inflates beyond its ${entry.size} bytes`, entry);
          }
          crc = crc32(value, crc);
          ctrl.enqueue(value);
        } catch (e) {
          inner?.cancel().catch(() => {});
          if (made.has(e as object) || (opts.signal?.aborted && e === opts.signal.reason)) throw e;
          // zlib answers bad deflate data with its own error ("invalid stored block lengths", ...).
          throw fail("deflate", `${where} cannot be read (${e instanceof Error ? e.message : e})`, entry, e);
        }
      },
      async cancel(reason) {
        await inner?.cancel(reason).catch(() => {});
      },
    }, { highWaterMark: 0 });
  }

  return { size: source.size, entryCount: dir.count, entries, open, compressed };
}
