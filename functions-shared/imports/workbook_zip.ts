/**
 * A workbook's zip (.xlsx, .ods) as the import reads it: the project's one zip reader
 * (`../zip_reader.ts`: central directory, zip64, CRC-32, inflated chunks of at most 256 KiB), its errors
 * as `ImportError`s (`xlsx_corrupt`, `xlsx_zip_bomb` by the bytes really inflated), entries by name, and
 * their text, chunk by chunk. Also what kind of workbook a zip is, from its central directory.
 */
import { Buffer } from "node:buffer";
import { crc32, deflateRawSync, inflateRawSync } from "node:zlib";
import { InflateError, Inflater } from "../inflater.ts";
import { completeUtf8Prefix } from "./csv_text.ts";
import { ImportError } from "./import_error.ts";
import type { Issue } from "./messages.ts";
import {
  openZip,
  type RandomAccessSource,
  type ZipArchive,
  type ZipEntry,
  type ZipLimits,
  type ZipProblem,
} from "../zip_reader.ts";

export {
  bytesSource,
  openFileSource,
  type RandomAccessSource,
  type ZipEntry,
  type ZipLimits,
} from "../zip_reader.ts";

/**
 * Default limits, on the bytes really inflated from the entry's start (whichever calls inflated them).
 * A sheet of 1M lead rows inflates to 400 to 900 MB of XML (shared or inline strings) at a ratio near
 * 10; a sheet at Excel's limits (1,048,576 rows, wide) to a few GB. Since each call inflates only its
 * own part (`entryText`), memory stays flat and the size only bounds the work: 4 GiB. The ratio is the
 * bomb guard: Excel's and LibreOffice's files stay well under 100, zip bombs run at 1000 and more.
 */
export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntryBytes: 4 * 1024 * 1024 * 1024,
  maxRatio: 200,
  ratioFloorBytes: 16 * 1024 * 1024,
};

/** `xlsx_corrupt`'s `detail` for each problem of the zip reader. */
const DETAIL: Record<ZipProblem, string> = {
  truncated: "truncated",
  zip64: "zip64",
  directory: "directory",
  encrypted: "encrypted",
  method: "method",
  local_header: "local_header",
  cut_short: "truncated",
  deflate: "deflate",
  size: "checksum",
  crc: "checksum",
  too_large: "deflate", // (made a bomb below)
};

/** An open workbook zip. */
export interface WorkbookZip {
  /** Entries by name (a leading `/` dropped). */
  entries: Map<string, ZipEntry>;
  archive: ZipArchive;
  limits: ZipLimits;
  fileName?: string;
}

/** Opens the zip of a workbook; `xlsx_corrupt` if it has no readable central directory. */
export async function openWorkbookZip(
  source: RandomAccessSource,
  opts: { fileName?: string; limits?: Partial<ZipLimits> } = {},
): Promise<WorkbookZip> {
  const file: Record<string, string> = opts.fileName ? { file: opts.fileName } : {};
  const limits = { ...DEFAULT_ZIP_LIMITS, ...opts.limits };
  const archive = await openZip(source, {
    error: (problem, _message, entry, cause) =>
      new ImportError(
        problem === "too_large"
          ? {
            code: "xlsx_zip_bomb",
            params: { ...file, entry: entry?.name ?? "", limit: limits.maxEntryBytes },
          }
          : {
            code: "xlsx_corrupt",
            params: { ...file, detail: DETAIL[problem], ...(entry ? { entry: entry.name } : {}) },
          },
        { cause },
      ),
  });
  const entries = new Map<string, ZipEntry>();
  for await (const e of archive.entries()) entries.set(e.name.replace(/^\//, ""), e);
  return { entries, archive, limits, fileName: opts.fileName };
}

/** The inflated bytes of `entry`, chunk by chunk (at most 256 KiB each). */
export async function* zipChunks(zip: WorkbookZip, entry: ZipEntry): AsyncGenerator<Uint8Array> {
  const reader = zip.archive.open(entry, { limits: zip.limits }).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * The text of an entry, chunk by chunk. Decodes each chunk whole (a character
 * cut by a chunk's end waits for the next): Deno's streaming `TextDecoder`
 * costs several times more per chunk.
 */
export async function* zipTextChunks(zip: WorkbookZip, entry: ZipEntry): AsyncGenerator<string> {
  // ignoreBOM takes Deno's quick path (a BOM before "<?xml" is harmless to the scans).
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  let carry: Uint8Array | null = null;
  for await (let chunk of zipChunks(zip, entry)) {
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

/** An entry inflated whole, as text (for the small parts: workbook, styles, relationships, mimetype). */
export async function zipText(zip: WorkbookZip, name: string): Promise<string> {
  let s = "";
  for await (const chunk of zipTextChunks(zip, zip.entries.get(name)!)) s += chunk;
  return s;
}

/**
 * Where the inflate of an entry stopped, at a deflate block boundary: plain JSON, kept in an import's
 * checkpoint so that the next call resumes there (`entryText`) with a ranged read, never inflating the
 * entry from its start again.
 */
export interface EntryCursor {
  /** Bit offset of the next deflate block in the entry's compressed data (a byte offset × 8 if stored). */
  bit: number;
  /**
   * The last (up to 32 KiB of) output before it, what the next block's matches may refer to: deflated
   * (a sheet's XML to about 3 KB: the job row, and its realtime updates, stay small), base64.
   */
  window: string;
  /** CRC-32 of the output before it, carried on to check the whole entry at its end. */
  crc: number;
  /** Bytes of output before it: the zip-bomb limits and the size check count from the entry's start. */
  produced: number;
  /** The start of a UTF-8 character cut by the block's end (at most 3 bytes), base64. */
  carry: string;
}

/** A piece of an entry's text, and where to resume after it when it ends at a block boundary. */
export interface EntryText {
  text: string;
  /** The cursor after this text (null when the piece does not end at a block boundary, or is the last). */
  cursor: (() => EntryCursor) | null;
}

/**
 * The text of `entry`, from its start or from `from` (a cursor an earlier call kept), piece by piece:
 * inflated by `../inflater.ts` (which can stop at a block boundary and be resumed there), its CRC-32 and
 * size checked at its end and the zip-bomb limits on the bytes really inflated since the entry's start,
 * whichever call inflated them. Memory stays flat: pieces of at most 256 KiB.
 */
export async function* entryText(
  zip: WorkbookZip,
  entry: ZipEntry,
  from?: EntryCursor,
): AsyncGenerator<EntryText> {
  const file: Record<string, string> = zip.fileName ? { file: zip.fileName } : {};
  const limits = zip.limits;
  const corrupt = (detail: string, cause?: unknown) =>
    new ImportError({ code: "xlsx_corrupt", params: { ...file, detail, entry: entry.name } }, { cause });
  // The limit the entry passed: its size, or its ratio (then what its compressed bytes may expand to).
  const ratioLimit = Math.max(limits.ratioFloorBytes, limits.maxRatio * Math.max(1, entry.compressedSize));
  const bomb = () =>
    new ImportError({
      code: "xlsx_zip_bomb",
      params: { ...file, entry: entry.name, limit: Math.min(limits.maxEntryBytes, ratioLimit) },
    });
  if (entry.size > limits.maxEntryBytes) throw bomb();
  let crc = from?.crc ?? 0;
  let produced = from?.produced ?? 0;
  let carry: Uint8Array | null = from?.carry ? new Uint8Array(Buffer.from(from.carry, "base64")) : null;
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  const skip = from ? Math.floor(from.bit / 8) : 0;
  const raw = await zip.archive.compressed(entry, skip);
  const inflater = entry.method === 8
    ? new Inflater(
      from
        ? { bit: from.bit, window: new Uint8Array(inflateRawSync(Buffer.from(from.window, "base64"))) }
        : undefined,
    )
    : null;
  let storedAt = skip;
  async function* stored(): AsyncGenerator<{ bytes: Uint8Array; blockEnd: boolean; final: boolean }> {
    for await (const b of raw) {
      storedAt += b.length;
      yield { bytes: b, blockEnd: true, final: false };
    }
    yield { bytes: new Uint8Array(0), blockEnd: true, final: true };
  }
  try {
    for await (const c of inflater ? inflater.inflate(raw) : stored()) {
      let chunk = c.bytes;
      produced += chunk.length;
      // The limits first: a bomb is a bomb, whatever size its headers claim.
      if (produced > limits.maxEntryBytes || produced > ratioLimit) throw bomb();
      if (produced > entry.size) throw corrupt("checksum");
      crc = crc32(chunk, crc);
      if (carry) {
        const joined = new Uint8Array(carry.length + chunk.length);
        joined.set(carry);
        joined.set(chunk, carry.length);
        chunk = joined;
        carry = null;
      }
      const cut = c.final ? chunk.length : completeUtf8Prefix(chunk);
      if (cut < chunk.length) carry = chunk.slice(cut);
      const text = decoder.decode(chunk.subarray(0, cut));
      if (c.final) {
        if (produced !== entry.size || (crc >>> 0) !== entry.crc32) throw corrupt("checksum");
        yield { text, cursor: null };
        return;
      }
      let cursor: (() => EntryCursor) | null = null;
      if (c.blockEnd) {
        const at = { crc, produced, carry: carry ? Buffer.from(carry).toString("base64") : "" };
        cursor = () => {
          if (!inflater) return { bit: storedAt * 8, window: "", ...at };
          const p = inflater.point();
          return { bit: p.bit, window: Buffer.from(deflateRawSync(p.window)).toString("base64"), ...at };
        };
      }
      yield { text, cursor };
    }
  } catch (e) {
    if (e instanceof InflateError) throw corrupt("deflate", e);
    throw e;
  }
  throw corrupt("truncated");
}

/** What kind of workbook a zip is, by the names of its entries (and its `mimetype`, when it has one). */
export type WorkbookKind = "xlsx" | "ods";

/**
 * The kind of workbook in a zip, from its central directory; throws `file_zip_not_xlsx` for an
 * OpenDocument text, a Word document, an archive of files, an empty archive.
 */
export async function workbookKind(zip: WorkbookZip): Promise<WorkbookKind> {
  const names = [...zip.entries.keys()];
  const mimetype = zip.entries.has("mimetype") ? (await zipText(zip, "mimetype")).trim() : undefined;
  const kind = kindOfNames(names, mimetype);
  if (typeof kind === "string") return kind;
  throw new ImportError({
    ...kind,
    params: { ...(zip.fileName ? { file: zip.fileName } : {}), ...kind.params },
  });
}

/**
 * The kind of workbook named by these entries, or the refusal to give. Shared with `sniffFile`, which
 * sees the entries of the file's head only.
 */
export function kindOfNames(names: readonly string[], mimetype?: string): WorkbookKind | Issue {
  if (mimetype !== undefined) {
    if (mimetype === "application/vnd.oasis.opendocument.spreadsheet") return "ods";
    return { code: "file_zip_not_xlsx", params: { kind: "other", detail: mimetype.slice(0, 80) } };
  }
  if (names.includes("xl/workbook.xml") || names.some((n) => n.startsWith("xl/worksheets/"))) return "xlsx";
  if (names.includes("content.xml") && names.includes("META-INF/manifest.xml")) return "ods";
  if (names.some((n) => n.startsWith("word/"))) {
    return { code: "file_zip_not_xlsx", params: { kind: "docx" } };
  }
  if (names.some((n) => n.startsWith("ppt/"))) return { code: "file_zip_not_xlsx", params: { kind: "pptx" } };
  if (names.some((n) => n.startsWith("xl/"))) return "xlsx"; // (its missing parts are the reader's to name)
  return {
    code: "file_zip_not_xlsx",
    params: { kind: names.length ? "archive" : "empty", count: String(names.length) },
  };
}
