/**
 * Streamed rows of an .xlsx workbook's first sheet (or a chosen one).
 *
 * Why not ExcelJS: its streaming `WorkbookReader` runs in Deno, but took 3.4 s
 * of CPU for 100,000 lead rows here (34 s per million: 17 Edge Function calls
 * of pure parsing). This reader scans the sheet's XML with `indexOf`, which
 * the sheet's regular, machine-written shape allows: see
 * `testdata/measure_throughput.ts` for its figures.
 *
 * A sheet is inflated by `../inflater.ts` (`entryText`), which can stop at a deflate block boundary:
 * with `cursors`, each batch carries the cursor (`SheetCursor`) a later call resumes at, inflating nothing
 * before it; shared strings are looked up a batch at a time (`strings`: an import's staged table, else the
 * workbook's table read whole). So an import reads a workbook of any size over as many calls as it needs.
 *
 * Values come out as strings, as a CSV would give them: numbers as written
 * (`1234.5`), date-formatted cells as ISO dates (`2024-03-15`, 1900 or 1904
 * date system), percent-formatted cells with their `%` (`50%`), booleans as
 * `TRUE`/`FALSE`, errors as Excel shows them (`#N/A`), formulas as their
 * cached value.
 */
import { excelSerialToIso } from "./excel_date.ts";
import { ImportError } from "./import_error.ts";
import { LIST } from "./messages.ts";
import { detectHeaderRow } from "./sniff.ts";
import {
  type EntryCursor,
  entryText,
  openWorkbookZip,
  type RandomAccessSource,
  type WorkbookZip,
  type ZipEntry,
  type ZipLimits,
  zipText,
} from "./workbook_zip.ts";

/** Sources to read a workbook from: bytes in memory, or a local file. */
export { bytesSource, openFileSource, type RandomAccessSource } from "./workbook_zip.ts";

/** Where and how to read. */
export interface XlsxReadOptions {
  /** First row to give (1-based, Excel's numbering): `readXlsxHeader().dataRow` or a checkpoint's `nextRow`. */
  startRow: number;
  /** Stop after this many sheet rows (blank ones included). */
  maxRows?: number;
  /** Checked between chunks; aborting throws `signal.reason`. */
  signal?: AbortSignal;
  /** Rows per batch, about; default 1000. */
  batchRows?: number;
  /** Which sheet: 0-based position in the workbook, or name. Default: the first. */
  sheet?: number | string;
  /** Limits against zip bombs; defaults in `DEFAULT_ZIP_LIMITS`. */
  limits?: Partial<ZipLimits>;
  /**
   * The header's width (`readXlsxHeader().headers.length`): rows are padded
   * with "" to it, since Excel leaves empty cells, trailing ones included, out
   * of the file.
   */
  width?: number;
  /** For messages: the file's name. */
  fileName?: string;
  /**
   * Resume exactly where an earlier batch's `cursor` says (inside the deflated sheet: no byte before it
   * is inflated again); `startRow` is then the cursor's row.
   */
  cursor?: SheetCursor;
  /**
   * Give batches only where a cursor can be made (at deflate block boundaries), each with its `cursor`
   * (but after 20 batches' rows in one block, a batch without one).
   */
  cursors?: boolean;
  /**
   * Where shared strings are looked up, a batch's at once (a table an import staged them in); default:
   * the workbook's table, read whole into memory.
   */
  strings?: SharedStringLookup;
}

/** Shared strings by index, a batch's at once: `undefined` for an index the table does not have. */
export interface SharedStringLookup {
  get(indexes: number[]): Promise<(string | undefined)[]> | (string | undefined)[];
}

/** Where a sheet's read stopped, between two deflate blocks: plain JSON, for a job's checkpoint. */
export interface SheetCursor {
  entry: EntryCursor;
  /** The sheet's XML after the last row read, up to the block's end (a row cut in two). */
  tail: string;
  /** Row number after the last row read. */
  row: number;
  /** Number of the last `<row>` seen, for rows without an `r`. */
  lastRow: number;
  /** Namespace prefix of the sheet's elements (`""`, `"x:"`). */
  prefix: string;
}

/** One row of the sheet. */
export interface XlsxRow {
  /** Excel's row number. */
  rowNumber: number;
  /** Cell texts from column A on; empty cells are "". */
  values: string[];
}

/** A run of rows, and where to resume after them. */
export interface XlsxBatch {
  rows: XlsxRow[];
  /** Row number after the last row read: the next call's `startRow`. */
  nextRow: number;
  /** True when the sheet has no rows after these. */
  done: boolean;
  /** Where to resume after these rows, when the batch ends at a deflate block boundary. */
  cursor?: SheetCursor;
}

/** What `readXlsxHeader` found. */
export interface XlsxHeader {
  sheetName: string;
  headerRow: number;
  headers: string[];
  /** Row after the header: the first `startRow`. */
  dataRow: number;
}

/**
 * Most characters of one unfinished element (a row, a shared string) kept while its end is awaited:
 * far above any real row, and a bound on memory for XML that never closes one.
 */
export const MAX_PENDING_CHARS = 8 << 20;

/** Refuses an element that never ends within `MAX_PENDING_CHARS`. */
export function tooLong(entry: string, fileName?: string): never {
  throw new ImportError({
    code: "xlsx_corrupt",
    params: { ...(fileName ? { file: fileName } : {}), detail: "xml", entry },
  });
}

/** A shared-string cell's value until its batch looks it up (U+0000 is in no value: `unescapeXml`). */
const PENDING = "\u0000s";

/** How a cell style shows numbers. */
const Kind = { Other: 0, Date: 1, Percent: 2 } as const;
type Kind = typeof Kind[keyof typeof Kind];

interface Workbook {
  zip: WorkbookZip;
  sheet: ZipEntry;
  sheetName: string;
  date1904: boolean;
  kinds: Kind[];
  /** `xl/sharedStrings.xml`, if the workbook has one. */
  sst: ZipEntry | undefined;
}

/**
 * Reads the rows of a sheet from `opts.startRow` on, in batches.
 *
 * Throws `ImportError`: `xlsx_corrupt` (not a zip, damaged data, missing
 * parts), `xlsx_zip_bomb` (an entry expanding past the limits),
 * `xlsx_no_sheet`, and `xlsx_formula_no_value` (a formula cell whose value was
 * never computed, naming the cell).
 *
 * @example
 * const source = fileSource(await Deno.open(path), (await Deno.stat(path)).size);
 * for await (const batch of readXlsxRows(source, { startRow: checkpoint.row })) {
 *   handle(batch.rows);
 *   checkpoint = { row: batch.nextRow };
 *   if (budget.spent()) break;
 * }
 */
export async function* readXlsxRows(
  source: RandomAccessSource,
  opts: XlsxReadOptions,
): AsyncGenerator<XlsxBatch, void, undefined> {
  const wb = await openWorkbook(source, opts);
  const strings = opts.strings ?? (wb.sst ? await sharedStrings(wb.zip, wb.sst) : new SharedStrings());
  yield* sheetRows(wb, strings, opts);
}

/** The rows of the workbook's chosen sheet (see `readXlsxRows`). */
async function* sheetRows(
  wb: Workbook,
  lookup: SharedStrings | SharedStringLookup,
  opts: XlsxReadOptions,
): AsyncGenerator<XlsxBatch, void, undefined> {
  const file: Record<string, string> = opts.fileName ? { file: opts.fileName } : {};
  const batchRows = Math.max(1, opts.batchRows ?? 1000);
  const maxRows = opts.maxRows ?? Infinity;
  const width = opts.width ?? 0;
  const from = opts.cursor;
  const startRow = from ? from.row : opts.startRow;
  const strings: SharedStringLookup = lookup instanceof SharedStrings
    ? { get: (ix) => ix.map((i) => lookup.get(i)) }
    : lookup;

  let text = from?.tail ?? "";
  let prefix: string | null = null; // namespace prefix of the sheet's elements ("" or "x:")
  let rowOpen = "", rowClose = "", cellOpen = "", cellClose = "", sheetDataClose = "";
  let vOpen = "", vClose = "", isOpen = "", isClose = "", tOpen = "", tClose = "";
  const setPrefix = (p: string) => {
    prefix = p;
    vOpen = `<${p}v>`;
    vClose = `</${p}v>`;
    isOpen = `<${p}is>`;
    isClose = `</${p}is>`;
    tOpen = `<${p}t`;
    tClose = `</${p}t>`;
    rowOpen = `<${prefix}row`;
    rowClose = `</${prefix}row>`;
    cellOpen = `<${prefix}c`;
    cellClose = `</${prefix}c>`;
    sheetDataClose = `</${prefix}sheetData>`;
  };
  if (from) setPrefix(from.prefix);
  let rows: XlsxRow[] = [];
  let nextRow = startRow;
  let taken = 0;
  let lastRow = from?.lastRow ?? 0; // row number of the last <row>, for rows without an `r`
  // Shared-string cells of the batch, looked up together when it is given.
  let pendValues: string[][] = [], pendCol: number[] = [], pendIndex: number[] = [], pendRef: string[] = [];

  /** The batch so far, its shared strings looked up; its rows left out if only blank. */
  async function batch(done: boolean, cursor?: SheetCursor): Promise<XlsxBatch> {
    if (pendIndex.length) {
      const unique = [...new Set(pendIndex)].sort((a, b) => a - b);
      const got = await strings.get(unique);
      const byIndex = new Map<number, string | undefined>();
      unique.forEach((ix, k) => byIndex.set(ix, got[k]));
      for (let k = 0; k < pendIndex.length; k++) {
        const v = byIndex.get(pendIndex[k]);
        if (v === undefined) {
          throw new ImportError({
            code: "xlsx_corrupt",
            params: { ...file, detail: "shared_string", entry: pendRef[k] },
          });
        }
        pendValues[k][pendCol[k]] = v;
      }
      pendValues = [];
      pendCol = [];
      pendIndex = [];
      pendRef = [];
    }
    const out = rows.filter((r) => r.values.some((v) => v.trim() !== ""));
    for (const r of out) while (r.values.length < width) r.values.push("");
    rows = [];
    return cursor ? { rows: out, nextRow, done, cursor } : { rows: out, nextRow, done };
  }

  let ended = false; // past </sheetData>: the rest is read only for the CRC-32 check at the entry's end
  for await (const piece of entryText(wb.zip, wb.sheet, from?.entry)) {
    opts.signal?.throwIfAborted();
    if (ended) continue;
    text += piece.text;
    let pos = 0;
    if (prefix === null) {
      const m = /<(\w+:)?sheetData[\s>/]/.exec(text);
      if (!m) {
        text = text.slice(-64); // (what may be the start of the tag, cut by the chunk's end)
        continue;
      }
      setPrefix(m[1] ?? "");
      pos = m.index;
    }
    if (lastRow + 1 < startRow) {
      // Resuming: when the chunk's last row is still before startRow, jump to it
      // rather than reading every row's tag (rows carry their number, r="…").
      const last = text.lastIndexOf(rowOpen);
      const end = last === -1 ? -1 : text.indexOf(">", last);
      const after = text.charCodeAt(last + rowOpen.length);
      if (last > pos && end !== -1 && (after === 32 || after === 62 || after === 47)) {
        const r = Number(attr(text.slice(last, end + 1), "r"));
        if (r < startRow) {
          pos = last;
          lastRow = r - 1;
        }
      }
    }
    for (;;) {
      const start = text.indexOf(rowOpen, pos);
      // Rows come before the end of sheetData: look for it only when no row is left.
      const end = start === -1 ? text.indexOf(sheetDataClose, pos) : -1;
      if (start === -1) {
        if (end !== -1) {
          ended = true;
          text = "";
          break;
        }
        // Keep what may be the start of a tag cut by the chunk's end.
        pos = Math.max(pos, text.length - sheetDataClose.length);
        break;
      }
      const tagEnd = text.indexOf(">", start);
      if (tagEnd === -1) {
        pos = start;
        break;
      }
      const selfClosing = text.charCodeAt(tagEnd - 1) === 47; /* / */
      let close = tagEnd + 1;
      if (!selfClosing) {
        const c = text.indexOf(rowClose, tagEnd);
        if (c === -1) {
          pos = start;
          break;
        }
        close = c + rowClose.length;
      }
      const tag = text.slice(start, tagEnd + 1);
      const r = attr(tag, "r");
      const rowNumber = r === undefined ? lastRow + 1 : Number(r);
      lastRow = rowNumber;
      pos = close;
      if (rowNumber < startRow) continue; // resuming: skip without reading cells
      const values = selfClosing ? [] : cells(text, tagEnd + 1, close - rowClose.length, rowNumber);
      taken++;
      nextRow = rowNumber + 1;
      rows.push({ rowNumber, values });
      if (taken >= maxRows) {
        yield await batch(false);
        return;
      }
    }
    if (ended) continue;
    text = text.slice(pos);
    if (text.length > MAX_PENDING_CHARS) tooLong(wb.sheet.name, opts.fileName);
    // (one deflate block holding more than 20 batches, as a crafted file may: given without a cursor,
    // so that memory stays bounded; the next call resumes by row number then)
    if (rows.length >= batchRows && (piece.cursor || !opts.cursors || rows.length >= 20 * batchRows)) {
      const cursor = piece.cursor
        ? { entry: piece.cursor(), tail: text, row: nextRow, lastRow, prefix: prefix ?? "" }
        : undefined;
      yield await batch(false, cursor);
    }
  }
  if (ended) {
    yield await batch(true);
    return;
  }
  throw new ImportError({
    code: "xlsx_corrupt",
    params: { ...file, detail: "xml", entry: wb.sheet.name },
  });

  /**
   * The values of the cells in text[from, to), by column. The cells machine writers write most (a
   * shared string, an inline string, a plain number) are read in place, without slicing their tag or
   * content: they are most of a sheet, and this loop most of its CPU. The others go through `cellValue`.
   */
  function cells(s: string, from: number, to: number, rowNumber: number): string[] {
    const values: string[] = [];
    let col = -1;
    let q = from;
    const open = cellOpen.length;
    for (;;) {
      const i = s.indexOf(cellOpen, q);
      if (i === -1 || i >= to) break;
      const after = s.charCodeAt(i + open);
      if (after !== 32 && after !== 62 && after !== 47) { // not <c…> (e.g. <col>)
        q = i + open;
        continue;
      }
      const tagEnd = s.indexOf(">", i);
      // The attributes r, t and s, where their values start (-1: absent).
      let rAt = -1, tAt = -1, sAt = -1, quoted = true;
      for (let k = i + open; k < tagEnd; k++) {
        if (s.charCodeAt(k) !== 32 || s.charCodeAt(k + 2) !== 61) continue; // ' x=' only
        const name = s.charCodeAt(k + 1);
        if (s.charCodeAt(k + 3) !== 34) quoted = false; // (single quotes: the general path)
        if (name === 114) rAt = k + 4;
        else if (name === 116) tAt = k + 4;
        else if (name === 115) sAt = k + 4;
      }
      if (rAt === -1) col++;
      else {
        let n = 0;
        for (let k = rAt;; k++) {
          const c = s.charCodeAt(k);
          if (c < 65 || c > 90) break;
          n = n * 26 + (c - 64);
        }
        col = n - 1;
      }
      if (s.charCodeAt(tagEnd - 1) === 47) {
        q = tagEnd + 1;
        continue;
      }
      const close = s.indexOf(cellClose, tagEnd);
      q = close + cellClose.length;
      const value = quoted ? quick(s, tagEnd + 1, close, tAt, sAt) : undefined;
      let v: string;
      if (value !== undefined) v = value;
      else {
        const tag = s.slice(i, tagEnd + 1);
        const ref = attr(tag, "r");
        v = cellValue(tag, s.slice(tagEnd + 1, close), ref ?? `${col + 1}`, rowNumber);
      }
      while (values.length < col) values.push("");
      values[col] = v;
      if (v === PENDING) {
        pendValues.push(values);
        pendCol.push(col);
        if (value !== undefined) {
          pendRef.push(rAt === -1 ? `${col + 1}` : s.slice(rAt, s.indexOf('"', rAt)));
        }
      }
    }
    return values;
  }

  /**
   * A cell's value read in place, for the usual cells: a shared string (its index pended, `PENDING`),
   * an inline string of one run, a number without style or with a plain one. Undefined for any other
   * (formulas without a value, rich text, dates, booleans…): `cellValue` reads those.
   */
  function quick(s: string, from: number, close: number, tAt: number, sAt: number): string | undefined {
    const t = tAt === -1 ? 110 /* n */ : s.charCodeAt(tAt);
    const t2 = tAt === -1 ? 34 : s.charCodeAt(tAt + 1);
    if ((t === 115 && t2 === 34) || (t === 110 && (t2 === 34 || tAt === -1))) { // t="s", t="n" or none
      const vo = s.indexOf(vOpen, from);
      if (vo === -1 || vo >= close) return undefined;
      const vs = vo + vOpen.length;
      const ve = s.indexOf(vClose, vs);
      if (ve === -1 || ve > close || ve === vs) return undefined;
      if (t === 115) {
        let n = 0;
        for (let k = vs; k < ve; k++) {
          const c = s.charCodeAt(k) - 48;
          if (c < 0 || c > 9) return undefined;
          n = n * 10 + c;
        }
        pendIndex.push(n);
        return PENDING;
      }
      if (sAt !== -1) {
        let n = 0;
        for (let k = sAt; s.charCodeAt(k) !== 34; k++) n = n * 10 + (s.charCodeAt(k) - 48);
        if ((wb.kinds[n] ?? Kind.Other) !== Kind.Other) return undefined;
      }
      const v = s.slice(vs, ve);
      return v.includes("E") || v.includes("e") ? String(Number(v)) : v;
    }
    if (t === 105 && s.startsWith(isOpen, from)) { // t="inlineStr": <is><t>…</t></is>
      const to = from + isOpen.length;
      if (!s.startsWith(tOpen, to)) return undefined;
      const after = s.charCodeAt(to + tOpen.length);
      if (after !== 62 && after !== 32) return undefined;
      const gt = s.indexOf(">", to);
      if (s.charCodeAt(gt - 1) === 47) return undefined;
      const te = s.indexOf(tClose, gt);
      if (te === -1 || te > close || !s.startsWith(isClose, te + tClose.length)) return undefined;
      return unescapeXml(s.slice(gt + 1, te));
    }
    return undefined;
  }

  function cellValue(tag: string, inner: string, ref: string, rowNumber: number): string {
    const t = attr(tag, "t");
    let v = element(inner, `${prefix}v`);
    if (t === "s" && v !== undefined) {
      // Looked up with the batch's others (`batch()`): the row's array gets it in place.
      pendIndex.push(Number(v));
      pendRef.push(ref);
      return PENDING;
    }
    // openpyxl writes a formula it cannot compute as <f>…</f><v></v>: no value, unless the value is text.
    if (v === "" && t !== "str" && t !== "s" && t !== "inlineStr" && inner.includes(`<${prefix}f`)) {
      v = undefined;
    }
    if (v === undefined) {
      if (t === "inlineStr") return texts(inner, prefix!);
      const f = element(inner, `${prefix}f`);
      if (f !== undefined || inner.includes(`<${prefix}f`)) {
        throw new ImportError({
          code: "xlsx_formula_no_value",
          row: rowNumber,
          params: { ...file, cell: ref, formula: f ? `=${unescapeXml(f)}` : "=…" },
        });
      }
      return "";
    }
    switch (t) {
      case "s":
        throw new ImportError({
          code: "xlsx_corrupt",
          params: { ...file, detail: "shared_string", entry: ref },
        });
      case "str":
      case "e":
        return unescapeXml(v);
      case "b":
        return v === "1" ? "TRUE" : "FALSE";
      case "d":
        return v.endsWith("T00:00:00") ? v.slice(0, 10) : v;
      case "inlineStr":
        return texts(inner, prefix!);
    }
    const s = attr(tag, "s");
    const kind = s === undefined ? Kind.Other : wb.kinds[Number(s)] ?? Kind.Other;
    if (kind === Kind.Date) return excelSerialToIso(Number(v), wb.date1904) ?? v;
    if (kind === Kind.Percent) return `${Number((Number(v) * 100).toPrecision(12))}%`;
    return v.includes("E") || v.includes("e") ? String(Number(v)) : v;
  }
}

/**
 * The header of a sheet: its first rows, with title and blank rows skipped as
 * `sniffFile` does for a CSV. Throws `file_blank` for an empty sheet and
 * `file_header_only` for a header with no rows under it.
 */
export async function readXlsxHeader(
  source: RandomAccessSource,
  opts: Omit<XlsxReadOptions, "startRow" | "maxRows" | "batchRows"> = {},
): Promise<XlsxHeader> {
  const wb = await openWorkbook(source, opts);
  // The header's strings only, read from the table's start up to the last one it needs.
  const strings = wb.sst ? firstSharedStrings(wb.zip, wb.sst) : new SharedStrings();
  const rows = sheetRows(wb, strings, {
    ...opts,
    startRow: 1,
    maxRows: HEADER_SCAN_ROWS,
    batchRows: HEADER_SCAN_ROWS,
  });
  return await sheetHeader(rows, wb.sheetName, opts.fileName);
}

/** Rows a sheet's header is looked for in (title and blank rows above it included). */
export const HEADER_SCAN_ROWS = 50;

/**
 * The header of a sheet, XLSX or ODS, from its first `HEADER_SCAN_ROWS` rows:
 * title and blank rows skipped (`detectHeaderRow`), a sheet without data
 * below its header refused (`file_header_only`), a blank one (`file_blank`).
 */
export async function sheetHeader(
  rows: AsyncIterable<XlsxBatch>,
  sheetName: string,
  fileName?: string,
): Promise<XlsxHeader> {
  const file: Record<string, string> = fileName ? { file: fileName } : {};
  const records: string[][] = [];
  let done = false;
  for await (const b of rows) {
    for (const r of b.rows) {
      while (records.length < r.rowNumber - 1) records.push([""]);
      records.push(r.values);
    }
    done = b.done;
  }
  const index = detectHeaderRow(records);
  if (index === -1) throw new ImportError({ code: "file_blank", params: file });
  const headers = records[index].map((h) => h.trim());
  const hasData = records.slice(index + 1).some((r) => r.some((v) => v.trim() !== ""));
  if (!hasData && done) {
    throw new ImportError({
      code: "file_header_only",
      params: { ...file, headers: headers.filter((h) => h).join(LIST) },
    });
  }
  return { sheetName, headerRow: index + 1, headers, dataRow: index + 2 };
}

/** Reads what the sheet's cells refer to: workbook, relationships, styles, shared strings. */
async function openWorkbook(
  source: RandomAccessSource,
  opts: Pick<XlsxReadOptions, "sheet" | "fileName" | "limits">,
): Promise<Workbook> {
  const { sheet, fileName } = opts;
  const file: Record<string, string> = fileName ? { file: fileName } : {};
  const zip = await openWorkbookZip(source, { fileName, limits: opts.limits });
  const entries = zip.entries;
  const text = (name: string) => zipText(zip, name);
  const need = (name: string) => {
    if (!entries.has(name)) {
      throw new ImportError({
        code: "xlsx_corrupt",
        params: { ...file, detail: "missing_part", entry: name },
      });
    }
  };
  need("xl/workbook.xml");
  const workbook = await text("xl/workbook.xml");
  const date1904 = /<(?:\w+:)?workbookPr\b[^>]*\bdate1904="(?:1|true)"/.test(workbook);
  const sheets = [...workbook.matchAll(/<(?:\w+:)?sheet\b[^>]*>/g)].map((m) => ({
    name: unescapeXml(attr(m[0], "name") ?? ""),
    rel: /\s[\w]+:id="([^"]*)"/.exec(m[0])?.[1],
  }));
  const chosen = typeof sheet === "string" ? sheets.find((s) => s.name === sheet) : sheets[sheet ?? 0];
  if (!chosen) throw new ImportError({ code: "xlsx_no_sheet", params: file });

  // The sheet's part, through the workbook's relationships (sheet1.xml is only the usual name).
  let sheetPath = "xl/worksheets/sheet1.xml";
  if (entries.has("xl/_rels/workbook.xml.rels")) {
    const rels = await text("xl/_rels/workbook.xml.rels");
    for (const m of rels.matchAll(/<(?:\w+:)?Relationship\b[^>]*>/g)) {
      if (attr(m[0], "Id") !== chosen.rel) continue;
      const target = attr(m[0], "Target") ?? "";
      sheetPath = target.startsWith("/") ? target.slice(1) : normalizePath(`xl/${target}`);
    }
  }
  need(sheetPath);
  const kinds = entries.has("xl/styles.xml") ? styleKinds(await text("xl/styles.xml")) : [];
  const sst = entries.get("xl/sharedStrings.xml");
  return { zip, sheet: entries.get(sheetPath)!, sheetName: chosen.name, date1904, kinds, sst };
}

/** `xl/worksheets/../x.xml` → `xl/x.xml`. */
function normalizePath(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "..") out.pop();
    else if (part !== "." && part !== "") out.push(part);
  }
  return out.join("/");
}

/** Built-in number formats that show dates or times (ECMA-376 §18.8.30, and the East Asian ones). */
const DATE_FORMAT_IDS = new Set([
  14,
  15,
  16,
  17,
  18,
  19,
  20,
  21,
  22,
  27,
  28,
  29,
  30,
  31,
  32,
  33,
  34,
  35,
  36,
  45,
  46,
  47,
  50,
  51,
  52,
  53,
  54,
  55,
  56,
  57,
  58,
]);

/** What each cell style (`s="…"`) shows its numbers as: dates, percents, or numbers. */
function styleKinds(styles: string): Kind[] {
  const custom = new Map<number, string>();
  for (const m of styles.matchAll(/<(?:\w+:)?numFmt\b[^>]*>/g)) {
    custom.set(Number(attr(m[0], "numFmtId")), unescapeXml(attr(m[0], "formatCode") ?? ""));
  }
  const xfs = /<(?:\w+:)?cellXfs\b[^>]*>([\s\S]*?)<\/(?:\w+:)?cellXfs>/.exec(styles)?.[1] ?? "";
  return [...xfs.matchAll(/<(?:\w+:)?xf\b[^>]*>/g)].map((m) => {
    const id = Number(attr(m[0], "numFmtId") ?? 0);
    if (id === 9 || id === 10) return Kind.Percent;
    if (DATE_FORMAT_IDS.has(id)) return Kind.Date;
    const code = custom.get(id);
    return code === undefined ? Kind.Other : formatKind(code);
  });
}

/** Date if a format code shows day, month, year, hour or second; percent if it shows `%`. */
function formatKind(code: string): Kind {
  // Literal text ("…", \x) and [colours], [conditions], [$-locale] say nothing of the value.
  const bare = code.replace(/"[^"]*"|\\.|\[[^\]]*\]|_.|\*./g, "");
  if (/[dmyhs]/i.test(bare)) return Kind.Date;
  if (bare.includes("%")) return Kind.Percent;
  return Kind.Other;
}

/**
 * The shared strings table, compactly: strings read from one inflated chunk
 * are joined into one string (a copy, so the chunk's XML can be freed: a
 * substring would keep it alive), and a string is a slice of its piece, made on
 * demand. A million strings then cost their characters plus 4 bytes each.
 */
export class SharedStrings {
  private pieces: string[] = [];
  private firstOfPiece: number[] = []; // index of each piece's first string
  private starts = new Uint32Array(1024); // each string's start within its piece
  private count = 0;

  /** How many strings. */
  get length(): number {
    return this.count;
  }

  /** Adds the strings read from one chunk. */
  addPiece(strings: string[]): void {
    if (!strings.length) return;
    while (this.count + strings.length > this.starts.length) {
      const grown = new Uint32Array(this.starts.length * 2);
      grown.set(this.starts);
      this.starts = grown;
    }
    let at = 0;
    for (let i = 0; i < strings.length; i++) {
      this.starts[this.count + i] = at;
      at += strings[i].length;
    }
    this.firstOfPiece.push(this.count);
    this.pieces.push(strings.join(""));
    this.count += strings.length;
  }

  /** String `i`, or undefined past the end. */
  get(i: number): string | undefined {
    if (!(i >= 0 && i < this.count)) return undefined;
    // The last piece whose first string is at most i.
    let lo = 0, hi = this.firstOfPiece.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.firstOfPiece[mid] <= i) lo = mid;
      else hi = mid - 1;
    }
    const piece = this.pieces[lo];
    const nextFirst = lo + 1 < this.firstOfPiece.length ? this.firstOfPiece[lo + 1] : this.count;
    const end = i + 1 < nextFirst ? this.starts[i + 1] : piece.length;
    return piece.slice(this.starts[i], end);
  }
}

/** Where a read of the shared strings stopped, between two deflate blocks (JSON, for a job's checkpoint). */
export interface StringsCursor {
  entry: EntryCursor;
  /** The XML after the last string read, up to the block's end. */
  tail: string;
  /** Index of the next string. */
  next: number;
  /** Namespace prefix (`""`, `"x:"`), once known. */
  prefix: string | null;
}

/** Strings read from the table, from index `first` on, and where to resume after them. */
export interface StringsPiece {
  first: number;
  strings: string[];
  /** Where to resume after these (at a deflate block boundary), or null after the last. */
  cursor: StringsCursor | null;
}

/**
 * The shared strings table as a stream of pieces, from its start or from `from`; rich text runs joined,
 * phonetic runs left out. With `cursors`, pieces end only at deflate block boundaries (each with its
 * cursor), at least `minStrings` strings each.
 */
async function* stringPieces(
  zip: WorkbookZip,
  entry: ZipEntry,
  opts: { from?: StringsCursor; cursors?: boolean; minStrings?: number } = {},
): AsyncGenerator<StringsPiece> {
  const from = opts.from;
  let text = from?.tail ?? "";
  let prefix: string | null = from?.prefix ?? null;
  let open = prefix === null ? "" : `<${prefix}si>`, close = prefix === null ? "" : `</${prefix}si>`;
  let next = from?.next ?? 0;
  let strings: string[] = [];
  let first = next;
  for await (const piece of entryText(zip, entry, from?.entry)) {
    text += piece.text;
    if (prefix === null) {
      const m = /<(\w+:)?sst[\s>]/.exec(text);
      if (!m) {
        text = text.slice(-64);
        continue;
      }
      prefix = m[1] ?? "";
      open = `<${prefix}si>`;
      close = `</${prefix}si>`;
    }
    let pos = 0;
    let open_ = -1; // where an unfinished string starts
    for (;;) {
      const start = text.indexOf(open, pos);
      if (start === -1) break;
      const end = text.indexOf(close, start);
      if (end === -1) {
        open_ = start;
        break;
      }
      strings.push(texts(text.slice(start + open.length, end), prefix));
      pos = end + close.length;
    }
    // Keep an unfinished string, or what may be the start of a tag cut by the piece's end.
    text = text.slice(open_ !== -1 ? open_ : Math.max(pos, text.length - open.length));
    if (text.length > MAX_PENDING_CHARS) tooLong(entry.name, zip.fileName);
    if (opts.cursors ? piece.cursor && strings.length >= (opts.minStrings ?? 1) : strings.length) {
      next = first + strings.length;
      const cursor = piece.cursor ? { entry: piece.cursor(), tail: text, next, prefix } : null;
      yield { first, strings, cursor };
      first = next;
      strings = [];
    }
  }
  yield { first, strings, cursor: null };
}

/** The shared strings table, read whole into memory (`SharedStrings`). */
async function sharedStrings(zip: WorkbookZip, entry: ZipEntry): Promise<SharedStrings> {
  const table = new SharedStrings();
  for await (const p of stringPieces(zip, entry)) table.addPiece(p.strings);
  return table;
}

/** Shared strings read from the table's start only as far as the highest index asked for. */
function firstSharedStrings(zip: WorkbookZip, entry: ZipEntry): SharedStringLookup {
  return {
    async get(indexes) {
      const table = new SharedStrings();
      const max = Math.max(-1, ...indexes);
      if (max >= 0) {
        for await (const p of stringPieces(zip, entry)) {
          table.addPiece(p.strings);
          if (table.length > max) break;
        }
      }
      return indexes.map((i) => table.get(i));
    },
  };
}

/**
 * The shared strings of a workbook's chosen sheet, piece by piece, from the start or from `cursor`: for
 * an import that stages them (in a table it then looks a batch's up in) over as many calls as they need.
 * Each piece but the last ends at a deflate block boundary with the cursor to resume after it, and holds
 * at least `minStrings` strings. A workbook without a table gives one empty last piece.
 */
export async function* readSharedStrings(
  source: RandomAccessSource,
  opts: Pick<XlsxReadOptions, "sheet" | "fileName" | "limits"> & {
    cursor?: StringsCursor;
    minStrings?: number;
  },
): AsyncGenerator<StringsPiece> {
  const wb = await openWorkbook(source, opts);
  if (!wb.sst) {
    yield { first: 0, strings: [], cursor: null };
    return;
  }
  yield* stringPieces(wb.zip, wb.sst, { from: opts.cursor, cursors: true, minStrings: opts.minStrings });
}

/** The text of the `<t>` elements of `s` (a `<si>` or `<is>`), phonetic runs (`<rPh>`) left out. */
function texts(s: string, prefix: string): string {
  const t = `<${prefix}t`;
  const tClose = `</${prefix}t>`;
  // Quick path: a plain string, <t>…</t> alone.
  if (s.startsWith(t) && s.indexOf(tClose) === s.length - tClose.length) {
    const gt = s.indexOf(">");
    return s.charCodeAt(gt - 1) === 47 ? "" : unescapeXml(s.slice(gt + 1, s.length - tClose.length));
  }
  if (s.includes(`<${prefix}rPh`)) {
    s = s.replace(new RegExp(`<${prefix}rPh\\b[\\s\\S]*?</${prefix}rPh>`, "g"), "");
  }
  let out = "";
  let q = 0;
  for (;;) {
    const i = s.indexOf(t, q);
    if (i === -1) break;
    const after = s.charCodeAt(i + t.length);
    const gt = s.indexOf(">", i);
    if (after !== 62 && after !== 32 && after !== 47) { // <tx…>, not <t>
      q = gt + 1;
      continue;
    }
    if (s.charCodeAt(gt - 1) === 47) {
      q = gt + 1;
      continue;
    }
    const end = s.indexOf(tClose, gt);
    out += s.slice(gt + 1, end);
    q = end + tClose.length;
  }
  return unescapeXml(out);
}

/** The text of the first `<name>…</name>` in `s`; `undefined` if there is none (`""` for `<name/>`). */
function element(s: string, name: string): string | undefined {
  const i = s.indexOf(`<${name}`);
  if (i === -1) return undefined;
  const after = s.charCodeAt(i + name.length + 1);
  if (after !== 62 && after !== 32 && after !== 47) return undefined;
  const gt = s.indexOf(">", i);
  if (s.charCodeAt(gt - 1) === 47) return "";
  const end = s.indexOf(`</${name}>`, gt);
  return end === -1 ? undefined : s.slice(gt + 1, end);
}

/** The value of attribute `name` in a start tag, unescaped later by the caller if needed. */
function attr(tag: string, name: string): string | undefined {
  const key = ` ${name}="`;
  let i = tag.indexOf(key);
  if (i === -1) {
    // Also single quotes, which some writers use.
    i = tag.indexOf(` ${name}='`);
    if (i === -1) return undefined;
    return tag.slice(i + key.length, tag.indexOf("'", i + key.length));
  }
  return tag.slice(i + key.length, tag.indexOf('"', i + key.length));
}

const ENTITY = /&(?:(amp|lt|gt|quot|apos)|#(\d+)|#x([0-9a-fA-F]+));/g;
const NAMED: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

/**
 * XML text to a string: entities, and the `_xHHHH_` escapes Excel writes for
 * characters XML cannot hold (`_x000D_` for CR). U+0000 is dropped (PostgreSQL's
 * `text` cannot hold it).
 */
export function unescapeXml(s: string): string {
  if (s.indexOf("&") !== -1) {
    s = s.replace(
      ENTITY,
      (_, name, dec, hex) => name ? NAMED[name] : String.fromCodePoint(dec ? Number(dec) : parseInt(hex, 16)),
    );
  }
  if (s.indexOf("_x") !== -1) {
    s = s.replace(/_x([0-9A-Fa-f]{4})_/g, (_, hex) => {
      const c = parseInt(hex, 16);
      return c === 0 ? "" : String.fromCharCode(c);
    });
  }
  return s;
}
