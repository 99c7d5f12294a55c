/**
 * A workbook's zip (.xlsx, .ods) as the import reads it: the project's one zip reader
 * (`../zip_reader.ts`: central directory, zip64, CRC-32, inflated chunks of at most 256 KiB), its errors
 * as `ImportError`s (`xlsx_corrupt`, `xlsx_zip_bomb` by the bytes really inflated), entries by name, and
 * their text, chunk by chunk. Also what kind of workbook a zip is, from its central directory.
 */
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
 * Default limits. A sheet of 1M lead rows inflates to about 400 MB of XML at a
 * ratio near 10; Excel's own files stay well under 100. Zip bombs run at ratios
 * of 1000 and more.
 */
export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntryBytes: 1024 * 1024 * 1024,
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
