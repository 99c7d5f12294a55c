/**
 * Reads a zip file in place, by random access, never whole: the central directory is found from the end
 * of the file (zip64 included, as a 12 GB Odoo backup needs) and walked a window at a time, and each
 * entry is streamed from its own file handle, inflated (node:zlib, see `inflate()`) and checked against
 * its CRC-32 and size as it goes. Memory stays at a few windows per open entry whatever
 * the archive's size (APPNOTE.TXT 6.3.10, sections 4.3 and 4.5).
 *
 * Errors are `backup_invalid` and name the zip and the entry: truncated archives (no end record), entries
 * that point outside the file, damaged data (CRC-32 or size mismatch, bad deflate data), encrypted
 * entries and compression methods other than stored and deflate.
 */
import { Readable } from "node:stream";
import { crc32, createInflateRaw } from "node:zlib";
import { basename } from "node:path";
import { PasserelleError } from "../errors.ts";

/** One entry of the central directory. */
export interface ZipEntry {
  /** Path inside the archive, `/`-separated (`filestore/ab/ab12...`). */
  name: string;
  /** 0 stored, 8 deflate. */
  method: number;
  /** General purpose flags (bit 0: encrypted). */
  flags: number;
  crc32: number;
  compressedSize: number;
  size: number;
  /** Where the entry's local header starts. */
  localHeaderOffset: number;
}

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

/** An open zip file. */
export interface ZipFile {
  /** The file's path, for messages. */
  readonly path: string;
  /** The file's size in bytes. */
  readonly size: number;
  /** Number of entries the end record announces. */
  readonly entryCount: number;
  /** Walks the central directory, one window (1 MiB) at a time. */
  entries(): AsyncGenerator<ZipEntry>;
  /**
   * The entry's bytes, inflated and verified: the stream errors with `backup_invalid` when the CRC-32 or
   * the size differ from the central directory's, and with `signal.reason` once `signal` aborts.
   */
  open(entry: ZipEntry, opts?: { signal?: AbortSignal }): ReadableStream<Uint8Array>;
  close(): void;
}

const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const CD_WINDOW = 1 << 20;
/** Read size for entry data: large enough for disk throughput, small enough to keep memory flat. */
export const ZIP_READ_CHUNK = 256 << 10;

const utf8 = new TextDecoder("utf-8");

function invalid(path: string, message: string, cause?: unknown): PasserelleError {
  return new PasserelleError("backup_invalid", `${basename(path)}: ${message}`, false, { cause });
}

/** Reads exactly `length` bytes at `position` (fewer only at the end of the file). */
async function readAt(file: Deno.FsFile, position: number, length: number): Promise<Uint8Array> {
  const buf = new Uint8Array(length);
  await file.seek(position, Deno.SeekMode.Start);
  let got = 0;
  while (got < length) {
    const n = await file.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, got);
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
async function findDirectory(path: string, file: Deno.FsFile, size: number): Promise<Directory> {
  const tailLen = Math.min(size, EOCD_SIZE + MAX_COMMENT);
  const tailStart = size - tailLen;
  const tail = await readAt(file, tailStart, tailLen);
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
    throw invalid(
      path,
      "not a complete zip archive: its end record (end of central directory) is missing, so the file is " +
        "truncated (an interrupted download or copy?) or not a zip at all",
    );
  }
  let count = view.getUint16(at + 10, true);
  let cdSize = view.getUint32(at + 12, true);
  let cdOffset = view.getUint32(at + 16, true);
  const eocdPos = tailStart + at;
  if (eocdPos >= 20) {
    const loc = await readAt(file, eocdPos - 20, 20);
    const lv = new DataView(loc.buffer, loc.byteOffset, loc.byteLength);
    if (loc.length === 20 && lv.getUint32(0, true) === SIG_ZIP64_LOCATOR) {
      const z64Pos = u64(lv, 8);
      const rec = await readAt(file, z64Pos, 56);
      const rv = new DataView(rec.buffer, rec.byteOffset, rec.byteLength);
      if (rec.length < 56 || rv.getUint32(0, true) !== SIG_ZIP64_EOCD) {
        throw invalid(path, "its zip64 end record is missing or damaged");
      }
      count = u64(rv, 32);
      cdSize = u64(rv, 40);
      cdOffset = u64(rv, 48);
    }
  }
  if (cdOffset + cdSize > eocdPos) {
    throw invalid(
      path,
      "its central directory lies beyond the end of the file: the archive is damaged or truncated",
    );
  }
  return { offset: cdOffset, size: cdSize, count };
}

/** Applies a zip64 extended information extra field (0x0001) to the fields that overflowed. */
function applyZip64(entry: ZipEntry, extra: DataView, path: string): void {
  let i = 0;
  while (i + 4 <= extra.byteLength) {
    const id = extra.getUint16(i, true);
    const len = extra.getUint16(i + 2, true);
    if (id === 0x0001) {
      let p = i + 4;
      const end = p + len;
      const take = () => {
        if (p + 8 > end) throw invalid(path, `the zip64 field of entry ${entry.name} is too short`);
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

/**
 * Opens a zip file and finds its central directory. Throws `backup_invalid` naming the file when it is
 * not a complete zip.
 *
 * @example
 * const zip = await openZip("backup.zip");
 * for await (const e of zip.entries()) if (e.name === "dump.sql") await zip.open(e).pipeTo(out);
 * zip.close();
 */
export async function openZip(path: string): Promise<ZipFile> {
  const file = await Deno.open(path, { read: true });
  let size: number;
  let dir: Directory;
  try {
    size = (await file.stat()).size;
    dir = await findDirectory(path, file, size);
  } catch (e) {
    file.close();
    if (e instanceof PasserelleError) throw e;
    throw invalid(path, `cannot be read as a zip archive (${e instanceof Error ? e.message : e})`, e);
  }
  // Reads of the directory and of local headers share one handle; each entry's data gets its own, so
  // that parallel streams never move each other's file position.
  let lock: Promise<unknown> = Promise.resolve();
  const locked = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn, fn);
    lock = run.catch(() => {});
    return run;
  };

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
        window = await locked(() => readAt(file, pos, len));
        winStart = pos;
        if (window.length < n) {
          throw invalid(path, "its central directory is cut short: the archive is damaged");
        }
      };
      await need(46);
      let v = new DataView(window.buffer, window.byteOffset, window.byteLength);
      let o = pos - winStart;
      if (v.getUint32(o, true) !== SIG_CENTRAL) {
        throw invalid(path, `its central directory is damaged (entry ${seen + 1} has no valid signature)`);
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
      applyZip64(entry, new DataView(window.buffer, extraAt, extraLen), path);
      pos += total;
      seen++;
      yield entry;
    }
  }

  function open(entry: ZipEntry, opts: { signal?: AbortSignal } = {}): ReadableStream<Uint8Array> {
    const where = `entry ${entry.name}`;
    let handle: Deno.FsFile | null = null;
    let inner: PullReader | null = null;
    let crc = 0;
    let produced = 0;
    const release = () => {
      try {
        handle?.close();
      } catch { /* already closed */ }
      handle = null;
    };

    async function start(): Promise<PullReader> {
      if (entry.flags & 1) throw invalid(path, `${where} is encrypted, which this import cannot read`);
      if (entry.method !== 0 && entry.method !== 8) {
        throw invalid(
          path,
          `${where} uses compression method ${entry.method}; only stored and deflate are read`,
        );
      }
      const local = await locked(() => readAt(file, entry.localHeaderOffset, 30));
      const lv = new DataView(local.buffer, local.byteOffset, local.byteLength);
      if (local.length < 30 || lv.getUint32(0, true) !== SIG_LOCAL) {
        throw invalid(path, `${where} cannot be read: its local header is missing (the archive is damaged)`);
      }
      const dataStart = entry.localHeaderOffset + 30 + lv.getUint16(26, true) + lv.getUint16(28, true);
      if (dataStart + entry.compressedSize > dir.offset) {
        throw invalid(path, `${where} runs past the start of the central directory (the archive is damaged)`);
      }
      const h = await Deno.open(path, { read: true });
      handle = h;
      await h.seek(dataStart, Deno.SeekMode.Start);
      let left = entry.compressedSize;
      const raw = new ReadableStream<Uint8Array>({
        async pull(ctrl) {
          if (left === 0) {
            release();
            ctrl.close();
            return;
          }
          const buf = new Uint8Array(Math.min(ZIP_READ_CHUNK, left));
          const n = await h.read(buf);
          if (n === null) {
            release();
            ctrl.error(invalid(path, `${where} is cut short: the file ends inside it (truncated archive)`));
            return;
          }
          left -= n;
          ctrl.enqueue(n === buf.length ? buf : buf.subarray(0, n));
        },
        cancel() {
          release();
        },
      }, { highWaterMark: 0 });
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
              throw invalid(path, `${where} is damaged: ${produced} bytes instead of ${entry.size}`);
            }
            if ((crc >>> 0) !== entry.crc32) {
              throw invalid(path, `${where} is damaged: its CRC-32 does not match (corrupt data)`);
            }
            ctrl.close();
            return;
          }
          produced += value.length;
          if (produced > entry.size) {
            throw invalid(path, `${where} is damaged: it inflates beyond its ${entry.size} bytes`);
          }
          crc = crc32(value, crc);
          ctrl.enqueue(value);
        } catch (e) {
          inner?.cancel().catch(() => {});
          release();
          if (e instanceof PasserelleError || (opts.signal?.aborted && e === opts.signal.reason)) throw e;
          // zlib answers bad deflate data with its own error ("invalid stored block lengths", ...).
          throw invalid(path, `${where} cannot be read (${e instanceof Error ? e.message : e})`, e);
        }
      },
      async cancel(reason) {
        await inner?.cancel(reason).catch(() => {});
        release();
      },
    }, { highWaterMark: 0 });
  }

  return {
    path,
    size,
    entryCount: dir.count,
    entries,
    open,
    close() {
      try {
        file.close();
      } catch { /* already closed */ }
    },
  };
}
