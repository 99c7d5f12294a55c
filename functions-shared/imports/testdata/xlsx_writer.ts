/**
 * A small XLSX writer for tests: the parts Excel writes (content types,
 * workbook, relationships, styles, shared strings, one sheet), zipped with
 * fflate, with knobs to produce the odd files the reader must handle
 * (inline strings, formulas with and without cached values, date and percent
 * formats, the 1904 date system, a namespace prefix, parts left out).
 */
import { crc32, deflateRawSync } from "node:zlib";
import { strToU8, type Zippable, zipSync } from "../../deps.ts";

/** One cell. Numbers with `date`/`percent` get the matching number format. */
export type XlsxCell =
  | string
  | number
  | boolean
  | null
  | { date: number }
  | { percent: number }
  | { formula: string; value?: string | number }
  | { inline: string }
  | { error: string };

/** What to write. */
export interface XlsxSpec {
  rows: XlsxCell[][];
  /** Row number of `rows[0]` (default 1): leading rows are left out, as Excel leaves out empty rows. */
  firstRow?: number;
  sheetName?: string;
  date1904?: boolean;
  /** Write `<x:row>`… as the OpenXML SDK does. */
  prefix?: string;
  /** Parts to leave out, e.g. `xl/styles.xml`. */
  omit?: string[];
  /** Parts to add or replace, path → content. */
  extra?: Record<string, string | Uint8Array>;
  /** Deflate level, 0 (stored) to 9; default 6. */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&quot;")
    .replace(/\r/g, "_x000D_");
}

/** Column letters of a 0-based index: 0 → A, 27 → AB. */
export function columnName(i: number): string {
  let s = "";
  for (let n = i + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** The sheet XML and shared strings of `spec`. */
function sheetXml(spec: XlsxSpec): { sheet: string; sst: string } {
  const p = spec.prefix ? `${spec.prefix}:` : "";
  const strings: string[] = [];
  const index = new Map<string, number>();
  const shared = (s: string) => {
    let i = index.get(s);
    if (i === undefined) {
      i = strings.length;
      strings.push(s);
      index.set(s, i);
    }
    return i;
  };
  const out: string[] = [];
  const first = spec.firstRow ?? 1;
  spec.rows.forEach((cells, ri) => {
    const r = first + ri;
    const parts: string[] = [];
    cells.forEach((c, ci) => {
      const ref = `${columnName(ci)}${r}`;
      if (c === null || c === "") return;
      if (typeof c === "string") parts.push(`<${p}c r="${ref}" t="s"><${p}v>${shared(c)}</${p}v></${p}c>`);
      else if (typeof c === "number") parts.push(`<${p}c r="${ref}"><${p}v>${c}</${p}v></${p}c>`);
      else if (typeof c === "boolean") {
        parts.push(`<${p}c r="${ref}" t="b"><${p}v>${c ? 1 : 0}</${p}v></${p}c>`);
      } else if ("date" in c) parts.push(`<${p}c r="${ref}" s="1"><${p}v>${c.date}</${p}v></${p}c>`);
      else if ("percent" in c) parts.push(`<${p}c r="${ref}" s="2"><${p}v>${c.percent}</${p}v></${p}c>`);
      else if ("inline" in c) {
        parts.push(
          `<${p}c r="${ref}" t="inlineStr"><${p}is><${p}t>${esc(c.inline)}</${p}t></${p}is></${p}c>`,
        );
      } else if ("error" in c) parts.push(`<${p}c r="${ref}" t="e"><${p}v>${esc(c.error)}</${p}v></${p}c>`);
      else {
        const t = typeof c.value === "string" ? ` t="str"` : "";
        const v = c.value === undefined ? "" : `<${p}v>${esc(String(c.value))}</${p}v>`;
        parts.push(`<${p}c r="${ref}"${t}><${p}f>${esc(c.formula)}</${p}f>${v}</${p}c>`);
      }
    });
    out.push(`<${p}row r="${r}">${parts.join("")}</${p}row>`);
  });
  const ns = spec.prefix ? `xmlns:${spec.prefix}` : "xmlns";
  const sheet = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
    `<${p}worksheet ${ns}="http://schemas.openxmlformats.org/spreadsheetml/2006/main">` +
    `<${p}sheetData>${out.join("")}</${p}sheetData></${p}worksheet>`;
  const sst = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
    `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${strings.length}" uniqueCount="${strings.length}">` +
    strings.map((s) => `<si><t xml:space="preserve">${esc(s)}</t></si>`).join("") + `</sst>`;
  return { sheet, sst };
}

/** The parts of a workbook for `spec`, path → content (before zipping). */
export function xlsxParts(spec: XlsxSpec): Record<string, string | Uint8Array> {
  const { sheet, sst } = sheetXml(spec);
  const parts: Record<string, string | Uint8Array> = {
    "[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`,
    "_rels/.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    "xl/workbook.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><workbookPr${
      spec.date1904 ? ' date1904="1"' : ""
    }/><sheets><sheet name="${
      esc(spec.sheetName ?? "Feuil1")
    }" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    "xl/_rels/workbook.xml.rels": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    "xl/styles.xml": `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy\\ hh:mm"/></numFmts><cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/><xf numFmtId="9" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`,
    "xl/sharedStrings.xml": sst,
    "xl/worksheets/sheet1.xml": sheet,
  };
  for (const path of spec.omit ?? []) delete parts[path];
  return { ...parts, ...spec.extra };
}

/** A zip of `parts` (strings as UTF-8). */
export function zip(parts: Record<string, string | Uint8Array>, level: XlsxSpec["level"] = 6): Uint8Array {
  const files: Zippable = {};
  for (const [path, content] of Object.entries(parts)) {
    files[path] = [typeof content === "string" ? strToU8(content) : content, { level }];
  }
  return zipSync(files);
}

/** An .xlsx file for `spec`. */
export function buildXlsx(spec: XlsxSpec): Uint8Array {
  return zip(xlsxParts(spec), spec.level);
}

/**
 * A zip of `parts` as streaming writers make it (LibreOffice on every entry, XlsxWriter's
 * constant_memory mode, ExcelJS's streaming writer): general-purpose flag bit 3 set (0x0808), CRC and
 * sizes 0 in the local headers and given in a data descriptor after each entry's data, so that only the
 * central directory says where the next entry starts. With `zip64`, the central directory's sizes and
 * offsets are in zip64 extra fields and the end record points to a zip64 end record.
 */
export function streamedZip(
  parts: Record<string, string | Uint8Array>,
  opts: { zip64?: boolean; order?: string[] } = {},
): Uint8Array {
  const enc = new TextEncoder();
  const out: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  const push = (b: Uint8Array) => {
    out.push(b);
    offset += b.length;
  };
  const names = opts.order ?? Object.keys(parts);
  for (const path of names) {
    const content = parts[path];
    const data = typeof content === "string" ? enc.encode(content) : content;
    const packed = deflateRawSync(data);
    const crc = crc32(data);
    const name = enc.encode(path);
    const local = new DataView(new ArrayBuffer(30 + name.length));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(6, 0x0808, true);
    local.setUint16(8, 8, true);
    local.setUint16(26, name.length, true);
    new Uint8Array(local.buffer).set(name, 30);
    const at = offset;
    push(new Uint8Array(local.buffer));
    push(packed);
    const dd = new DataView(new ArrayBuffer(16));
    dd.setUint32(0, 0x08074b50, true);
    dd.setUint32(4, crc, true);
    dd.setUint32(8, packed.length, true);
    dd.setUint32(12, data.length, true);
    push(new Uint8Array(dd.buffer));
    const extra = opts.zip64 ? 28 : 0;
    const cd = new DataView(new ArrayBuffer(46 + name.length + extra));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(4, 45, true);
    cd.setUint16(6, 20, true);
    cd.setUint16(8, 0x0808, true);
    cd.setUint16(10, 8, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, opts.zip64 ? 0xffffffff : packed.length, true);
    cd.setUint32(24, opts.zip64 ? 0xffffffff : data.length, true);
    cd.setUint16(28, name.length, true);
    cd.setUint16(30, extra, true);
    cd.setUint32(42, opts.zip64 ? 0xffffffff : at, true);
    new Uint8Array(cd.buffer).set(name, 46);
    if (opts.zip64) {
      const x = 46 + name.length;
      cd.setUint16(x, 0x0001, true);
      cd.setUint16(x + 2, 24, true);
      cd.setBigUint64(x + 4, BigInt(data.length), true);
      cd.setBigUint64(x + 12, BigInt(packed.length), true);
      cd.setBigUint64(x + 20, BigInt(at), true);
    }
    central.push(new Uint8Array(cd.buffer));
  }
  const cdStart = offset;
  for (const c of central) push(c);
  const cdSize = offset - cdStart;
  if (opts.zip64) {
    const z64At = offset;
    const z64 = new DataView(new ArrayBuffer(56));
    z64.setUint32(0, 0x06064b50, true);
    z64.setBigUint64(4, 44n, true);
    z64.setUint16(12, 45, true);
    z64.setUint16(14, 45, true);
    z64.setBigUint64(24, BigInt(names.length), true);
    z64.setBigUint64(32, BigInt(names.length), true);
    z64.setBigUint64(40, BigInt(cdSize), true);
    z64.setBigUint64(48, BigInt(cdStart), true);
    push(new Uint8Array(z64.buffer));
    const loc = new DataView(new ArrayBuffer(20));
    loc.setUint32(0, 0x07064b50, true);
    loc.setBigUint64(8, BigInt(z64At), true);
    loc.setUint32(16, 1, true);
    push(new Uint8Array(loc.buffer));
  }
  const eocd = new DataView(new ArrayBuffer(22));
  eocd.setUint32(0, 0x06054b50, true);
  eocd.setUint16(8, opts.zip64 ? 0xffff : names.length, true);
  eocd.setUint16(10, opts.zip64 ? 0xffff : names.length, true);
  eocd.setUint32(12, opts.zip64 ? 0xffffffff : cdSize, true);
  eocd.setUint32(16, opts.zip64 ? 0xffffffff : cdStart, true);
  push(new Uint8Array(eocd.buffer));
  const bytes = new Uint8Array(offset);
  let o = 0;
  for (const b of out) {
    bytes.set(b, o);
    o += b.length;
  }
  return bytes;
}
