/**
 * A resumable, streamed CSV reader. One Edge Function call has 2 s of CPU, so a
 * large file is read over many calls: each call opens the file at the byte
 * offset where the previous one stopped (an HTTP Range request, a file seek),
 * reads rows until its budget is spent, and stores the `endOffset` and
 * `nextRow` of the last batch it handled as its checkpoint.
 *
 * Why not Papa Parse: its cursor counts UTF-16 characters, and a checkpoint must
 * be a byte offset (a character can take 2 or 3 bytes in UTF-8). This reader
 * decodes with `TextDecoder`, parses the text with the same indexOf-driven
 * approach as Papa (`csv_text.ts`), and counts bytes itself: only for the text
 * it consumed, and not at all where that text is pure ASCII. On the 1M-row,
 * 205 MB benchmark file it parses in about 1.8 s of CPU, as fast as Papa
 * Parse's streamed parse (about 2.0 s), which gives no byte offsets
 * (`testdata/measure_throughput.ts`).
 *
 * Memory stays flat: one chunk of text, the unfinished record, and one batch.
 */
import {
  completeUtf8Prefix,
  CsvSyntaxError,
  firstInvalidUtf8,
  parseRecords,
  utf8Length,
} from "./csv_text.ts";
import { ImportError } from "./import_error.ts";

/**
 * Encodings a CSV can be read in (`utf-8-bom` is UTF-8 whose first 3 bytes are a BOM; UTF-16 is read
 * with its BOM only: Excel's « Texte Unicode », tab-separated).
 */
export type CsvEncoding = "utf-8" | "utf-8-bom" | "windows-1252" | "utf-16le" | "utf-16be";
/** Delimiters a CSV can use. */
export type CsvDelimiter = "," | ";" | "\t";

/** Where and how to read. */
export interface CsvReadOptions {
  encoding: CsvEncoding;
  delimiter: CsvDelimiter;
  /** Byte offset in the file of the first byte `source` gives: 0, `sniff.dataOffset` or a checkpoint's `endOffset`. */
  startOffset: number;
  /** Row number of the record at `startOffset` (1-based, as a spreadsheet numbers rows): `sniff.dataRow` or a checkpoint's `nextRow`. */
  startRow: number;
  /** Stop after this many records (blank ones included). */
  maxRows?: number;
  /** Checked before each read; aborting throws `signal.reason`. */
  signal?: AbortSignal;
  /** Longest field, in bytes; default 1 MiB. Longer: `csv_field_too_large`. */
  maxFieldBytes?: number;
  /**
   * Rows per batch, about: a batch ends at the end of the first chunk of the
   * source that brings it to this many records; default 1000. Smaller batches
   * let a budget stop sooner.
   */
  batchRows?: number;
  /**
   * True when every byte before `startOffset` was ASCII (`sniff.ascii` on the
   * first call, the last batch's `asciiSoFar` after). Then a file sniffed as UTF-8
   * whose first non-ASCII byte turns out not to be UTF-8 is read as Windows-1252
   * from there on (the ASCII before reads the same in both), and batches say so
   * in `encoding`. Otherwise invalid UTF-8 is an `encoding_invalid` error.
   */
  asciiSoFar?: boolean;
  /** For messages: the file's name. */
  fileName?: string;
  /** For messages: the header row, to name a column. */
  headers?: readonly string[];
}

/** One record of the file. */
export interface CsvRow {
  /** 1-based, as a spreadsheet shows it: the header is usually row 1. */
  rowNumber: number;
  values: string[];
}

/** A run of rows, and where to resume after them. */
export interface CsvBatch {
  rows: CsvRow[];
  /** Byte offset just after the last record of this batch: the next call's `startOffset`. */
  endOffset: number;
  /** Row number of the record at `endOffset`: the next call's `startRow`. */
  nextRow: number;
  /** The encoding read with; differs from the option's after a switch to Windows-1252. */
  encoding: CsvEncoding;
  /** Whether everything up to `endOffset` was ASCII: the next call's `asciiSoFar`. */
  asciiSoFar: boolean;
  /** True when the file has no records after these (a later call would read nothing). */
  done: boolean;
}

/** Fields longer than this many bytes are refused unless told otherwise. */
export const DEFAULT_MAX_FIELD_BYTES = 1024 * 1024;

const EMPTY = new Uint8Array(0);

/**
 * Reads the records of a CSV from `source`, which gives the file's bytes from
 * `opts.startOffset` on, as batches of rows. Reading the file in one go, or in
 * pieces resumed at any batch's `endOffset`/`nextRow`, gives the same rows.
 *
 * Rows whose cells are all blank are skipped (they still count in row
 * numbers); U+0000 characters are removed from values (PostgreSQL's `text`
 * cannot hold them, and they carry no meaning in a CSV). A BOM at offset 0 is
 * skipped. Breaking out of the loop cancels `source`.
 *
 * Throws `ImportError` with issue `csv_unterminated_quote`,
 * `csv_field_too_large` (naming row and column) or `encoding_invalid` (naming
 * the row).
 *
 * @example
 * const file = await Deno.open(path);
 * await file.seek(checkpoint.offset, Deno.SeekMode.Start);
 * for await (const batch of readCsvRows(file.readable, { encoding, delimiter,
 *   startOffset: checkpoint.offset, startRow: checkpoint.row, asciiSoFar: checkpoint.ascii })) {
 *   handle(batch.rows);
 *   checkpoint = { offset: batch.endOffset, row: batch.nextRow, ascii: batch.asciiSoFar, encoding: batch.encoding };
 *   if (budget.spent()) break;
 * }
 */
export async function* readCsvRows(
  source: ReadableStream<Uint8Array>,
  opts: CsvReadOptions,
): AsyncGenerator<CsvBatch, void, undefined> {
  const batchRows = Math.max(1, opts.batchRows ?? 1000);
  const maxRows = opts.maxRows ?? Infinity;
  let encoding: CsvEncoding = opts.encoding;
  let single = encoding === "windows-1252"; // one byte, one character
  // Two bytes per UTF-16 code unit, so per character of a JavaScript string: offsets need no count.
  const wide = encoding === "utf-16le" || encoding === "utf-16be";
  const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
  const cp1252 = new TextDecoder("windows-1252");
  const utf16 = wide ? new TextDecoder(encoding, { ignoreBOM: true }) : null;
  const grammar = {
    delimiter: opts.delimiter,
    maxFieldBytes: opts.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES,
    byteLength: (s: string) => wide ? 2 * s.length : single ? s.length : utf8Length(s),
  };
  const file: Record<string, string> = opts.fileName ? { file: opts.fileName } : {};

  let asciiSoFar = (opts.asciiSoFar ?? false) && !single && !wide;
  let doneOffset = opts.startOffset; // byte offset after the last batch yielded
  let pendingBytes = 0; // bytes of the records parsed but not yet yielded
  let rowBase = opts.startRow; // row number of records[0]
  let records: string[][] = [];
  let taken = 0; // records yielded by this call
  let text = ""; // decoded, not yet parsed into records
  let textBytes = 0; // its length in bytes
  let nulSeen = false;
  let carry: Uint8Array | null = null; // bytes of a character cut by the chunk's end
  let atStart = opts.startOffset === 0 && !single;
  const bomLength = wide ? 2 : 3;
  let eof = false;

  /** Decodes `bytes` (keeping an unfinished character for later): the text, and where bytes stop being UTF-8. */
  const decode = (bytes: Uint8Array): { s: string; used: number; bad: number } => {
    if (single) return { s: cp1252.decode(bytes), used: bytes.length, bad: -1 };
    if (utf16) {
      // Whole code units, and never half a surrogate pair, so that 2 bytes are exactly 1 character.
      let cut = eof ? bytes.length : bytes.length & ~1;
      if (!eof && cut >= 2) {
        const high = encoding === "utf-16le" ? bytes[cut - 1] : bytes[cut - 2];
        if (high >= 0xd8 && high <= 0xdb) cut -= 2;
      }
      if (cut < bytes.length) carry = bytes.slice(cut);
      return { s: utf16.decode(bytes.subarray(0, cut)), used: cut, bad: -1 };
    }
    const cut = eof ? bytes.length : completeUtf8Prefix(bytes);
    // The lenient decoder is 5x faster than a fatal one here; a U+FFFD in its
    // output sends us to check the bytes (the file may hold a genuine U+FFFD).
    const s = utf8.decode(bytes.subarray(0, cut));
    const bad = s.indexOf("\ufffd") === -1 ? cut : firstInvalidUtf8(bytes.subarray(0, cut));
    if (bad === cut) {
      if (cut < bytes.length) carry = bytes.slice(cut);
      return { s, used: cut, bad: -1 };
    }
    if (asciiSoFar && textBytes === text.length && isAscii(bytes, bad)) {
      // Nothing but ASCII so far, and the first other byte is not UTF-8: the
      // file is Windows-1252 (Excel's "CSV (séparateur: point-virgule)"); the
      // ASCII read so far reads the same in both.
      encoding = "windows-1252";
      single = true;
      asciiSoFar = false;
      return { s: cp1252.decode(bytes), used: bytes.length, bad: -1 };
    }
    return { s: utf8.decode(bytes.subarray(0, bad)), used: bad, bad };
  };

  /** Parses the whole records of `text` into `records`, up to `maxRows`; keeps the rest in `text`. */
  const parse = (final: boolean): void => {
    let end: number;
    try {
      end = parseRecords(text, 0, final, maxRows - taken, records, grammar);
    } catch (e) {
      if (!(e instanceof CsvSyntaxError)) throw e;
      const column = opts.headers?.[e.column - 1];
      throw new ImportError({
        code: e.code,
        row: rowBase + e.record,
        params: {
          ...file,
          columnNumber: e.column,
          max: grammar.maxFieldBytes,
          ...(column ? { column } : {}),
        },
      });
    }
    // Bytes consumed = bytes of the text - bytes of what is left (usually part
    // of one record), so the text itself is never counted character by character.
    const rest = end === text.length ? "" : text.slice(end);
    const restBytes = wide
      ? 2 * rest.length
      : single || textBytes === text.length
      ? rest.length
      : utf8Length(rest);
    const consumed = textBytes - restBytes;
    if (consumed !== end && !wide) asciiSoFar = false;
    pendingBytes += consumed;
    text = rest;
    textBytes = restBytes;
  };

  const emit = (): CsvBatch => {
    const rows: CsvRow[] = [];
    for (let i = 0; i < records.length; i++) {
      const values = records[i];
      if (isBlank(values)) continue;
      if (nulSeen) {
        for (let k = 0; k < values.length; k++) {
          if (values[k].indexOf("\0") !== -1) values[k] = values[k].replaceAll("\0", "");
        }
      }
      rows.push({ rowNumber: rowBase + i, values });
    }
    rowBase += records.length;
    taken += records.length;
    doneOffset += pendingBytes;
    pendingBytes = 0;
    records = [];
    return {
      rows,
      endOffset: doneOffset,
      nextRow: rowBase,
      encoding,
      asciiSoFar: asciiSoFar && !single,
      done: eof && text.length === 0,
    };
  };

  const reader = source.getReader();
  try {
    while (taken < maxRows) {
      opts.signal?.throwIfAborted();
      const r = await reader.read();
      let chunk: Uint8Array;
      if (r.done) {
        eof = true;
        chunk = carry ?? EMPTY;
      } else chunk = carry ? concat(carry, r.value) : r.value;
      carry = null;
      if (atStart) {
        if (chunk.length < bomLength && !eof) {
          carry = chunk.slice();
          continue;
        }
        atStart = false;
        const bom = wide
          ? (chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)
          : chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
        if (bom) {
          chunk = chunk.subarray(bomLength);
          doneOffset += bomLength;
        }
      }

      const { s, used, bad } = decode(chunk);
      if (!nulSeen && s.indexOf("\0") !== -1) nulSeen = true;
      text = text.length ? text + s : s;
      textBytes += used;

      parse(eof && bad === -1);
      if (bad !== -1) {
        // The bytes that are not UTF-8 lie in the record after the last whole one.
        throw new ImportError({ code: "encoding_invalid", row: rowBase + records.length, params: file });
      }
      // Batches end where chunks do, so that no byte count is needed within a chunk.
      if (records.length >= batchRows || taken + records.length >= maxRows || (eof && records.length)) {
        yield emit();
      }
      if (eof) return;
    }
  } finally {
    // Stop the source (an HTTP body, a file) when the caller stops early.
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}

/** True for a record whose cells are all blank. */
function isBlank(values: string[]): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== "" && v.trim() !== "") return false;
  }
  return true;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function isAscii(bytes: Uint8Array, end: number): boolean {
  for (let i = 0; i < end; i++) if (bytes[i] >= 0x80) return false;
  return true;
}
