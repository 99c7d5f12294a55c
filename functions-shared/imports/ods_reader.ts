/**
 * Streamed rows of an OpenDocument spreadsheet (.ods, LibreOffice's own format): the first table of
 * `content.xml`, inflated as a stream (`workbook_zip.ts`) and scanned with `indexOf`, as the XLSX reader
 * scans its sheet. Rows and cells may be repeated (`table:number-rows-repeated`,
 * `table:number-columns-repeated`): LibreOffice ends a sheet with a million repeated empty rows and each
 * row with 16,000 repeated empty cells, which are counted, never materialized.
 *
 * Values come out as strings, as the XLSX reader gives them: floats, percentages and currencies from
 * `office:value` (`1234.5`, percentages with their `%`), dates from `office:date-value` (ISO), booleans
 * as `TRUE`/`FALSE`, text from its `<text:p>` paragraphs (joined by a line break; `<text:s>`,
 * `<text:tab>`, `<text:line-break>` kept, annotations left out), formulas as their cached value. A
 * covered cell (under a merged one) is an empty column. Like an XLSX, an ODS is resumed where a batch's
 * `cursor` says, inside the deflated `content.xml` (a later call inflates nothing before it), or by row
 * number, inflating from the start and skipping rows before `startRow` without reading them.
 */
import { ImportError } from "./import_error.ts";
import { entryText, openWorkbookZip, type RandomAccessSource } from "./workbook_zip.ts";
import {
  HEADER_SCAN_ROWS,
  MAX_PENDING_CHARS,
  sheetHeader,
  tooLong,
  unescapeXml,
  type XlsxBatch,
  type XlsxHeader,
  type XlsxReadOptions,
  type XlsxRow,
} from "./xlsx_reader.ts";

const ROW = "<table:table-row";
const ROW_CLOSE = "</table:table-row>";
const TABLE_CLOSE = "</table:table>";

/** Reads the rows of the first table from `opts.startRow` on, in batches (see `readXlsxRows`). */
export async function* readOdsRows(
  source: RandomAccessSource,
  opts: XlsxReadOptions,
): AsyncGenerator<XlsxBatch, void, undefined> {
  const file: Record<string, string> = opts.fileName ? { file: opts.fileName } : {};
  const zip = await openWorkbookZip(source, { fileName: opts.fileName, limits: opts.limits });
  const content = zip.entries.get("content.xml");
  if (!content) {
    throw new ImportError({
      code: "xlsx_corrupt",
      params: { ...file, detail: "missing_part", entry: "content.xml" },
    });
  }
  const batchRows = Math.max(1, opts.batchRows ?? 1000);
  const maxRows = opts.maxRows ?? Infinity;
  const width = opts.width ?? 0;
  const from = opts.cursor;
  const startRow = from ? from.row : opts.startRow;
  let text = from?.tail ?? "";
  let started = from !== undefined; // inside the first <table:table>
  let ended = false; // past its end: the rest is read only for the CRC-32 check
  let rows: XlsxRow[] = [];
  let rowNumber = from ? from.lastRow + 1 : 1; // number of the next row
  // Row after the last one with a value: where a later call resumes (blank rows give nothing), and where
  // the table ends for the import, since LibreOffice ends it with a million repeated blank rows (which
  // the commit would otherwise walk range by range).
  let contentEnd = startRow;
  let taken = 0;

  for await (const piece of entryText(zip, content, from?.entry)) {
    opts.signal?.throwIfAborted();
    if (ended) continue;
    text += piece.text;
    let pos = 0;
    if (!started) {
      const t = text.search(/<table:table[\s>]/);
      if (t === -1) {
        text = text.slice(Math.max(0, text.length - 16));
        continue;
      }
      started = true;
      pos = t;
    }
    for (;;) {
      const start = text.indexOf(ROW, pos);
      const close = text.indexOf(TABLE_CLOSE, pos);
      if (close !== -1 && (start === -1 || close < start)) {
        ended = true;
        break;
      }
      if (start === -1) {
        // Keep what may be the start of a tag cut by the chunk's end.
        pos = Math.max(pos, text.length - ROW.length);
        break;
      }
      if (start + ROW.length >= text.length) {
        pos = start; // cut by the chunk's end: wait for the rest
        break;
      }
      const after = text.charCodeAt(start + ROW.length);
      if (after !== 32 && after !== 62 && after !== 47) { // <table:table-rows>, <table:table-row-group>
        pos = start + ROW.length;
        continue;
      }
      const tagEnd = text.indexOf(">", start);
      if (tagEnd === -1) {
        pos = start;
        break;
      }
      const selfClosing = text.charCodeAt(tagEnd - 1) === 47;
      let end = tagEnd + 1;
      if (!selfClosing) {
        const c = text.indexOf(ROW_CLOSE, tagEnd);
        if (c === -1) {
          pos = start;
          break;
        }
        end = c + ROW_CLOSE.length;
      }
      const tag = text.slice(start, tagEnd + 1);
      const repeat = Math.max(1, Number(attr(tag, "table:number-rows-repeated") ?? 1) || 1);
      pos = end;
      const first = rowNumber;
      rowNumber += repeat;
      if (rowNumber <= startRow) continue; // resuming: skip without reading cells
      const values = selfClosing ? [] : cells(text, tagEnd + 1, end - ROW_CLOSE.length);
      const blank = values.every((v) => v.trim() === "");
      for (let n = Math.max(first, startRow); n < rowNumber;) {
        if (blank) {
          // Blank rows repeated by the thousand: counted at once.
          const stop = Math.min(rowNumber, n + (maxRows - taken));
          taken += stop - n;
          n = stop;
        } else {
          const row = values.slice();
          while (row.length < width) row.push("");
          rows.push({ rowNumber: n, values: row });
          taken++;
          n++;
          contentEnd = n;
        }
        if (taken >= maxRows) {
          yield { rows, nextRow: contentEnd, done: false };
          return;
        }
      }
    }
    if (ended) continue;
    text = text.slice(pos);
    if (text.length > MAX_PENDING_CHARS) tooLong("content.xml", opts.fileName);
    if (rows.length >= batchRows && (piece.cursor || !opts.cursors || rows.length >= 20 * batchRows)) {
      const cursor = piece.cursor
        ? { entry: piece.cursor(), tail: text, row: contentEnd, lastRow: rowNumber - 1, prefix: "" }
        : undefined;
      yield cursor
        ? { rows, nextRow: contentEnd, done: false, cursor }
        : { rows, nextRow: contentEnd, done: false };
      rows = [];
    }
  }
  if (!started) throw new ImportError({ code: "xlsx_no_sheet", params: file });
  if (!ended) {
    throw new ImportError({ code: "xlsx_corrupt", params: { ...file, detail: "xml", entry: "content.xml" } });
  }
  yield { rows, nextRow: contentEnd, done: true };
}

/** The header of the first table, title and blank rows skipped (see `readXlsxHeader`). */
export async function readOdsHeader(
  source: RandomAccessSource,
  opts: Omit<XlsxReadOptions, "startRow" | "maxRows" | "batchRows"> = {},
): Promise<XlsxHeader> {
  const rows = readOdsRows(source, {
    ...opts,
    startRow: 1,
    maxRows: HEADER_SCAN_ROWS,
    batchRows: HEADER_SCAN_ROWS,
  });
  return await sheetHeader(rows, "", opts.fileName);
}

const CELL = "<table:table-cell";
const COVERED = "<table:covered-table-cell";

/** The values of the cells in s[from, to), by column; trailing empty cells left out. */
function cells(s: string, from: number, to: number): string[] {
  const values: string[] = [];
  let pending = 0; // empty cells since the last value: columns only if a value follows
  let q = from;
  for (;;) {
    const i = s.indexOf("<table:", q);
    if (i === -1 || i >= to) break;
    const covered = s.startsWith(COVERED, i);
    if (!covered && !s.startsWith(CELL, i)) {
      q = i + 7;
      continue;
    }
    const tagEnd = s.indexOf(">", i);
    const tag = s.slice(i, tagEnd + 1);
    let end = tagEnd + 1;
    let inner = "";
    if (s.charCodeAt(tagEnd - 1) !== 47) {
      const close = covered ? "</table:covered-table-cell>" : "</table:table-cell>";
      const c = s.indexOf(close, tagEnd);
      inner = s.slice(tagEnd + 1, c);
      end = c + close.length;
    }
    q = end;
    const repeat = Math.max(1, Number(attr(tag, "table:number-columns-repeated") ?? 1) || 1);
    const value = covered ? "" : cellValue(tag, inner);
    if (value === "") pending += repeat;
    else {
      for (; pending > 0; pending--) values.push("");
      for (let k = 0; k < repeat; k++) values.push(value);
    }
  }
  return values;
}

/** A cell's value as text. */
function cellValue(tag: string, inner: string): string {
  const type = attr(tag, "office:value-type");
  switch (type) {
    case undefined:
      return "";
    case "float":
    case "currency": {
      const v = attr(tag, "office:value") ?? "";
      return v.includes("E") || v.includes("e") ? String(Number(v)) : v;
    }
    case "percentage":
      return `${Number((Number(attr(tag, "office:value")) * 100).toPrecision(12))}%`;
    case "date": {
      const v = attr(tag, "office:date-value") ?? "";
      return v.endsWith("T00:00:00") ? v.slice(0, 10) : v;
    }
    case "boolean":
      return attr(tag, "office:boolean-value") === "true" ? "TRUE" : "FALSE";
    case "time":
      return attr(tag, "office:time-value") ?? paragraphs(inner);
    default: // string (its text is in the paragraphs; office:string-value when a formula gave it)
      return attr(tag, "office:string-value") !== undefined
        ? unescapeXml(attr(tag, "office:string-value")!)
        : paragraphs(inner);
  }
}

/** The text of a cell's `<text:p>` paragraphs, joined by line breaks; annotations left out. */
function paragraphs(inner: string): string {
  if (inner.includes("<office:annotation")) {
    inner = inner.replace(/<office:annotation\b[\s\S]*?<\/office:annotation>/g, "");
  }
  const out: string[] = [];
  let q = 0;
  for (;;) {
    const i = inner.indexOf("<text:p", q);
    if (i === -1) break;
    const gt = inner.indexOf(">", i);
    if (inner.charCodeAt(gt - 1) === 47) {
      out.push("");
      q = gt + 1;
      continue;
    }
    const end = inner.indexOf("</text:p>", gt);
    out.push(inline(inner.slice(gt + 1, end)));
    q = end + 9;
  }
  return out.join("\n");
}

/** A paragraph's content: spans and links unwrapped, spaces, tabs and line breaks as characters. */
function inline(p: string): string {
  if (p.indexOf("<") === -1) return unescapeXml(p);
  p = p.replace(/<text:s(?:\s+text:c="(\d+)")?\s*\/>/g, (_, c) => " ".repeat(c ? Number(c) : 1))
    .replace(/<text:tab\s*\/>/g, "\t")
    .replace(/<text:line-break\s*\/>/g, "\n")
    .replace(/<[^>]*>/g, "");
  return unescapeXml(p);
}

/** The value of attribute `name` in a start tag. */
function attr(tag: string, name: string): string | undefined {
  const key = ` ${name}="`;
  const i = tag.indexOf(key);
  if (i === -1) return undefined;
  return tag.slice(i + key.length, tag.indexOf('"', i + key.length));
}
