/**
 * What a file is, from its first ~64 KB: XLSX or CSV, and for a CSV its
 * encoding, delimiter, header row and headers, so that a reader can start at the
 * first data row. Files that are neither (old .xls, UTF-16 text without a BOM, PDF, images,
 * archives, junk) are refused here with a message that says what to do.
 */
import { CsvSyntaxError, firstInvalidUtf8, parseRecords, utf8Length } from "./csv_text.ts";
import { ImportError } from "./import_error.ts";
import { type Issue, LIST } from "./messages.ts";
import { kindOfNames } from "./workbook_zip.ts";
import type { CsvDelimiter, CsvEncoding } from "./csv_reader.ts";

/** How many leading bytes `sniffFile` wants. */
export const SNIFF_BYTES = 64 * 1024;

/** What `sniffFile` found. */
export interface SniffResult {
  format: "csv" | "xlsx" | "ods";
  encoding: CsvEncoding;
  delimiter: CsvDelimiter;
  /**
   * 1-based row of the header (leading blank and title lines skipped). For
   * XLSX, 1 until `readXlsxHeader` reads the sheet.
   */
  headerRow: number;
  /** The header's cells, trimmed. Empty for XLSX: use `readXlsxHeader`. */
  headers: string[];
  /** Byte offset of the row after the header: `readCsvRows`'s first `startOffset`. 0 for XLSX. */
  dataOffset: number;
  /** Row number after the header: `readCsvRows`'s first `startRow`. */
  dataRow: number;
  /**
   * The head is pure ASCII, so "utf-8" is a guess the rest of the file may
   * belong: pass it as `readCsvRows`'s `asciiSoFar` to fall back to Windows-1252.
   */
  ascii: boolean;
}

/** Options of `sniffFile`. */
export interface SniffOptions {
  /**
   * The file's size. When `head` holds the whole file, sniffing can tell a
   * header-only file; without it, a head shorter than `SNIFF_BYTES` is taken
   * for the whole file.
   */
  fileSize?: number;
}

const CANDIDATES: CsvDelimiter[] = [";", ",", "\t"];
const UNSUPPORTED = ["|"];
const MAX_RECORDS = 50;

/**
 * Sniffs a file from its first bytes (`SNIFF_BYTES` is enough) and its name.
 *
 * Throws `ImportError` for an empty file (`file_empty`), blank lines only
 * (`file_blank`), a header without rows (`file_header_only`), .xls or
 * password-protected workbooks (`file_xls`), UTF-16 text without a BOM (`file_utf16`), zip
 * archives that are no workbook (`file_zip_not_xlsx`), other binaries
 * (`file_binary`), lone-CR line ends (`file_cr_newlines`) and delimiters other
 * than `,` `;` tab (`delimiter_unsupported`).
 *
 * @example
 * const s = sniffFile(head, "leads.csv");
 * // { format: "csv", encoding: "utf-8-bom", delimiter: ";", headerRow: 1,
 * //   headers: ["Prénom", "Nom", "Courriel"], dataOffset: 27, dataRow: 2, ascii: false }
 */
export function sniffFile(head: Uint8Array, name?: string, opts: SniffOptions = {}): SniffResult {
  const file: Record<string, string> = name ? { file: name } : {};
  const refuse = (code: Issue["code"], params: Record<string, string> = {}): never => {
    throw new ImportError({ code, params: { ...file, ...params } });
  };
  if (head.length === 0) refuse("file_empty");
  const complete = opts.fileSize !== undefined ? head.length >= opts.fileSize : head.length < SNIFF_BYTES;

  // Binary formats, by their magic numbers.
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) {
    return {
      format: checkZip(head, refuse),
      encoding: "utf-8",
      delimiter: ",",
      headerRow: 1,
      headers: [],
      dataOffset: 0,
      dataRow: 2,
      ascii: false,
    };
  }
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) refuse("file_xls");
  const utf16: CsvEncoding | null = startsWith(head, [0xff, 0xfe])
    ? "utf-16le"
    : startsWith(head, [0xfe, 0xff])
    ? "utf-16be"
    : null;
  // Without a BOM, UTF-16 is only a guess from its NUL bytes: refused with the advice to save as UTF-8.
  if (!utf16 && looksUtf16(head)) refuse("file_utf16");
  const kind = utf16 ? null : binaryKind(head);
  if (kind) refuse("file_binary", { kind });

  // Text: encoding.
  let bom = 0;
  let encoding: CsvEncoding;
  let text: string;
  if (utf16) {
    // Excel's « Texte Unicode »: UTF-16 with its BOM, tab-separated. Whole code units only, and no
    // half surrogate pair at the head's end, so that each character is 2 bytes of the file.
    bom = 2;
    encoding = utf16;
    let end = complete ? head.length : head.length & ~1;
    if (!complete && end >= 4) {
      const high = utf16 === "utf-16le" ? head[end - 1] : head[end - 2];
      if (high >= 0xd8 && high <= 0xdb) end -= 2;
    }
    text = new TextDecoder(utf16, { ignoreBOM: true }).decode(head.subarray(2, end));
  } else if (startsWith(head, [0xef, 0xbb, 0xbf])) {
    bom = 3;
    encoding = "utf-8-bom";
    // A BOM says UTF-8, the bytes say otherwise: a file pieced together from two sources.
    text = decodeUtf8(head.subarray(3), complete) ?? refuseMixed(head, 3, file);
  } else {
    const s = decodeUtf8(head, complete);
    if (s !== null) {
      encoding = "utf-8";
      text = s;
    } else {
      if (utf8Sequences(head) >= 2) refuseMixed(head, 0, file);
      encoding = "windows-1252";
      text = new TextDecoder("windows-1252").decode(head);
    }
  }
  if (controlShare(text) > 0.02) refuse("file_binary", { kind: "binary" });
  const ascii = encoding !== "windows-1252" && !utf16 && utf8Length(text) === text.length;

  if (text.trim() === "") refuse(bom || text.length ? "file_blank" : "file_empty");
  if (text.indexOf("\n") === -1 && text.indexOf("\r") !== text.lastIndexOf("\r")) refuse("file_cr_newlines");

  // Delimiter: the candidate that splits lines into the same number of fields most consistently.
  let best: { delimiter: string; records: string[][]; score: number } | null = null;
  for (const delimiter of [...CANDIDATES, ...UNSUPPORTED]) {
    const records = headRecords(text, delimiter, complete);
    const { modal, share } = consistency(records);
    if (modal < 2) continue;
    // Consistency first; among equally consistent ones, more fields.
    const score = share * 1000 + Math.min(modal, 999);
    if (!best || score > best.score) best = { delimiter, records, score };
  }
  if (best && UNSUPPORTED.includes(best.delimiter)) {
    refuse("delimiter_unsupported", { delimiter: best.delimiter });
  }
  // One column (a list of emails, say): any delimiter reads it.
  const delimiter = (best?.delimiter ?? (text.indexOf(";") !== -1 ? ";" : ",")) as CsvDelimiter;
  const records = best?.records ?? headRecords(text, delimiter, complete);

  const headerIndex = detectHeaderRow(records);
  if (headerIndex === -1) refuse("file_blank");
  const headers = records[headerIndex].map((h) => h.trim());
  const hasData = records.slice(headerIndex + 1).some((r) => r.some((v) => v.trim() !== ""));
  if (!hasData && complete) refuse("file_header_only", { headers: headers.filter((h) => h).join(LIST) });

  // Byte offset after the header: parse exactly up to it again, and count its bytes.
  const end = parseRecords(text, 0, complete, headerIndex + 1, [], {
    delimiter,
    maxFieldBytes: Infinity,
    byteLength: (s) => s.length,
  });
  const dataOffset = bom +
    (utf16 ? 2 * end : encoding === "windows-1252" ? end : utf8Length(text, 0, end));

  return {
    format: "csv",
    encoding,
    delimiter,
    headerRow: headerIndex + 1,
    headers,
    dataOffset,
    dataRow: headerIndex + 2,
    ascii,
  };
}

/**
 * The first records of the head. A quote left open is the reader's to report
 * (with its row): here the records before it are enough.
 */
function headRecords(text: string, delimiter: string, complete: boolean): string[][] {
  const grammar = { delimiter, maxFieldBytes: Infinity, byteLength: (s: string) => s.length };
  let records: string[][] = [];
  try {
    parseRecords(text, 0, complete, MAX_RECORDS, records, grammar);
  } catch (e) {
    if (!(e instanceof CsvSyntaxError)) throw e;
    records = [];
    parseRecords(text, 0, false, MAX_RECORDS, records, grammar);
  }
  return records;
}

/**
 * Index of the header among `records` (rows of cells), or -1 if all are blank.
 * Skips blank lines and title lines ("Export des leads du 12/03/2024", perhaps
 * followed by empty cells): the header is the first row filling at least half
 * of the columns that most rows have, and at least 2 (1 for one-column files).
 * Shared with the XLSX reader.
 */
export function detectHeaderRow(records: readonly (readonly string[])[]): number {
  const filled = records.map((r) => r.filter((v) => v.trim() !== "").length);
  const { modal } = consistency(records.filter((_, i) => filled[i] > 0).map((r) => trimEnd(r)));
  const need = modal <= 1 ? 1 : Math.max(2, Math.ceil(modal / 2));
  const first = filled.findIndex((n) => n > 0);
  if (first === -1) return -1;
  const limit = Math.min(records.length, 20);
  for (let i = first; i < limit; i++) if (filled[i] >= need) return i;
  return first;
}

/** `r` without its trailing empty cells (title rows exported with `;;;;`). */
function trimEnd(r: readonly string[]): string[] {
  let n = r.length;
  while (n > 1 && r[n - 1].trim() === "") n--;
  return r.slice(0, n) as string[];
}

/** The most common field count among non-blank records, and the share of records that have it. */
function consistency(records: readonly (readonly string[])[]): { modal: number; share: number } {
  const counts = new Map<number, number>();
  let n = 0;
  for (const r of records) {
    if (r.length === 1 && r[0].trim() === "") continue;
    counts.set(r.length, (counts.get(r.length) ?? 0) + 1);
    n++;
  }
  let modal = 0, most = 0;
  for (const [count, times] of counts) {
    if (times > most || (times === most && count > modal)) modal = count, most = times;
  }
  return { modal, share: n ? most / n : 0 };
}

function startsWith(bytes: Uint8Array, magic: number[]): boolean {
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return false;
  return true;
}

/** UTF-16 without a BOM: ASCII text with a NUL after (or before) every character. */
function looksUtf16(head: Uint8Array): boolean {
  const n = Math.min(head.length, 1024) & ~1;
  if (n < 8) return false;
  let even = 0, odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) even++;
    if (head[i + 1] === 0) odd++;
  }
  return even > n / 2 * 0.4 || odd > n / 2 * 0.4;
}

/** The kind of a binary file people upload by mistake (a `file_binary` kind), or null for text. */
function binaryKind(head: Uint8Array): string | null {
  const magic: [number[], string][] = [
    [[0x25, 0x50, 0x44, 0x46], "pdf"],
    [[0x89, 0x50, 0x4e, 0x47], "png"],
    [[0xff, 0xd8, 0xff], "jpeg"],
    [[0x47, 0x49, 0x46, 0x38], "gif"],
    [[0x1f, 0x8b], "gzip"],
    [[0x52, 0x61, 0x72, 0x21], "rar"],
    [[0x37, 0x7a, 0xbc, 0xaf], "7z"],
    [[0x7b, 0x5c, 0x72, 0x74, 0x66], "rtf"],
  ];
  for (const [m, kind] of magic) if (startsWith(head, m)) return kind;
  // Many ".xls" exports of web applications are HTML tables.
  const start = new TextDecoder().decode(head.subarray(0, 512)).trimStart().toLowerCase();
  if (start.startsWith("<!doctype html") || start.startsWith("<html") || start.startsWith("<table")) {
    return "html";
  }
  if (start.startsWith("<?xml")) return "xml";
  // NUL bytes within the first KB: no spreadsheet text has them.
  const early = head.subarray(0, 1024);
  let nul = 0;
  for (const b of early) if (b === 0) nul++;
  return nul > 0 ? "binary" : null;
}

/** Share of control characters (other than tab, CR, LF, FF) in `text`. */
function controlShare(text: string): number {
  let n = 0;
  // deno-lint-ignore no-control-regex
  const re = /[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd]/g;
  while (re.exec(text)) n++;
  return text.length ? n / text.length : 0;
}

/**
 * How many multi-byte UTF-8 characters come before the first byte that is not
 * UTF-8. Windows-1252 text almost never forms one (`Ã©` would have to be
 * written on purpose), so two or more mean UTF-8 text with foreign bytes later.
 */
function utf8Sequences(head: Uint8Array): number {
  const bad = firstInvalidUtf8(head);
  let n = 0;
  for (let i = 0; i < bad; i++) if (head[i] >= 0xc2) n++;
  return n;
}

/** Refuses a head that mixes UTF-8 with another encoding, naming the row of the first foreign byte. */
function refuseMixed(head: Uint8Array, bom: number, file: Record<string, string>): never {
  const bad = firstInvalidUtf8(head.subarray(bom)) + bom;
  // Rows before it: whole records of the text before it (one byte, one character in Windows-1252).
  const before = new TextDecoder("windows-1252").decode(head.subarray(bom, bad));
  const records: string[][] = [];
  parseRecords(before, 0, false, Infinity, records, {
    delimiter: "\u0000",
    maxFieldBytes: Infinity,
    byteLength: (s) => s.length,
  });
  throw new ImportError({ code: "encoding_invalid", row: records.length + 1, params: file });
}

/** `bytes` as UTF-8, or null if they are not; a character cut by the head's end is dropped. */
function decodeUtf8(bytes: Uint8Array, complete: boolean): string | null {
  let end = bytes.length;
  if (!complete) {
    // Drop an unfinished character at the end of the head.
    for (let i = end - 1; i >= 0 && i >= end - 4; i--) {
      const b = bytes[i];
      if (b < 0x80) break;
      if (b >= 0xc0) {
        const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        if (end - i < need) end = i;
        break;
      }
    }
  }
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.subarray(0, end));
  } catch {
    return null;
  }
}

/**
 * What a zip's head says it is, by the entries whose local headers it can see: an OpenDocument
 * spreadsheet (ODF puts its stored `mimetype` entry first), or a zip refused at once (a Word document, an
 * OpenDocument text). Anything else is "xlsx" for now: a zip is only known by its central directory, at
 * its end (an entry with general-purpose flag bit 3 set, as LibreOffice writes every one, hides where the
 * next starts), so `workbookKind` decides from it before the file is read.
 */
function checkZip(
  head: Uint8Array,
  refuse: (code: Issue["code"], p?: Record<string, string>) => never,
): "xlsx" | "ods" {
  const names: string[] = [];
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  let p = 0;
  let mimetype: string | undefined;
  while (p + 30 <= head.length && view.getUint32(p, true) === 0x04034b50) {
    const flags = view.getUint16(p + 6, true);
    const size = view.getUint32(p + 18, true);
    const nameLength = view.getUint16(p + 26, true), extraLength = view.getUint16(p + 28, true);
    if (p + 30 + nameLength > head.length) break;
    const name = new TextDecoder().decode(head.subarray(p + 30, p + 30 + nameLength));
    names.push(name);
    // (stored, as ODF requires: a deflated one is not read here, the central directory tells)
    const stored = view.getUint16(p + 8, true) === 0;
    if (name === "mimetype" && names.length === 1 && !(flags & 0x08) && stored) {
      mimetype = new TextDecoder().decode(
        head.subarray(p + 30 + nameLength + extraLength).subarray(0, size),
      ).trim();
      break;
    }
    if (flags & 0x08) break; // sizes follow the data: cannot skip to the next entry
    p += 30 + nameLength + extraLength + size;
  }
  const kind = kindOfNames(names, mimetype);
  if (typeof kind !== "string") {
    // Only what the head shows for certain: the rest waits for the central directory.
    if (mimetype !== undefined || kind.params?.kind === "docx" || kind.params?.kind === "pptx") {
      refuse(kind.code, kind.params as Record<string, string>);
    }
    return "xlsx";
  }
  return kind;
}
