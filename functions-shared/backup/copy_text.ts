/**
 * PostgreSQL's COPY text format, as `pg_dump` writes table data in a plain dump: one row a line, fields
 * separated by a tab, `\N` for null, and backslash escapes for what would break the line (PostgreSQL
 * docs, "COPY", File Formats > Text Format). Decoding works on bytes, not text: `\NNN` and `\xHH` stand
 * for bytes, which may combine into one UTF-8 character, so a field is unescaped first and decoded after.
 */
import { PasserelleError } from "../errors.ts";

const BACKSLASH = 0x5c;

/** The single-letter escapes COPY TO writes (and COPY FROM reads). */
const SIMPLE_ESCAPES: Record<number, number> = {
  0x62: 0x08, // \b backspace
  0x66: 0x0c, // \f form feed
  0x6e: 0x0a, // \n newline
  0x72: 0x0d, // \r carriage return
  0x74: 0x09, // \t tab
  0x76: 0x0b, // \v vertical tab
};

function octal(b: number): boolean {
  return b >= 0x30 && b <= 0x37;
}

function hexValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  if (b >= 0x61 && b <= 0x66) return b - 0x61 + 10;
  if (b >= 0x41 && b <= 0x46) return b - 0x41 + 10;
  return -1;
}

/**
 * The bytes a raw COPY text field stands for, or null for `\N`. As COPY FROM does: `\N` means null only
 * as the whole field; `\b \f \n \r \t \v \\`, octal `\N`, `\NN`, `\NNN` and hex `\xH`, `\xHH` give
 * bytes; a backslash before any other character gives that character (`\.` is `.`, `\x` without hex
 * digits is `x`).
 */
export function unescapeCopyField(raw: Uint8Array): Uint8Array | null {
  if (raw.length === 2 && raw[0] === BACKSLASH && raw[1] === 0x4e) return null;
  const first = raw.indexOf(BACKSLASH);
  if (first < 0) return raw;
  const out = new Uint8Array(raw.length);
  out.set(raw.subarray(0, first));
  let o = first;
  let i = first;
  while (i < raw.length) {
    const b = raw[i];
    if (b !== BACKSLASH || i + 1 >= raw.length) {
      out[o++] = b;
      i++;
      continue;
    }
    const c = raw[i + 1];
    i += 2;
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) {
      out[o++] = simple;
    } else if (octal(c)) {
      let v = c - 0x30;
      for (let k = 0; k < 2 && i < raw.length && octal(raw[i]); k++) v = v * 8 + (raw[i++] - 0x30);
      out[o++] = v & 0xff;
    } else if (c === 0x78 && i < raw.length && hexValue(raw[i]) >= 0) {
      let v = hexValue(raw[i++]);
      if (i < raw.length && hexValue(raw[i]) >= 0) v = v * 16 + hexValue(raw[i++]);
      out[o++] = v;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}

/**
 * Decodes one raw COPY text field into a string (null for `\N`), with the dump's encoding (`utf-8`
 * unless the dump says otherwise).
 *
 * @example
 * decodeCopyField(new TextEncoder().encode("a\\tb\\\\c")); // "a\tb\\c"
 * decodeCopyField(new TextEncoder().encode("\\303\\251t\\xc3\\xa9")); // "été"
 */
export function decodeCopyField(raw: Uint8Array, decoder: TextDecoder = utf8): string | null {
  const bytes = unescapeCopyField(raw);
  return bytes === null ? null : decoder.decode(bytes);
}

const utf8 = new TextDecoder("utf-8");

/** What a `COPY schema.table (col, ...) FROM stdin;` line announces. */
export interface CopyHeader {
  /** Null when the dump names the table without a schema (very old pg_dump versions). */
  schema: string | null;
  table: string;
  columns: string[];
}

/**
 * Reads one SQL identifier at `s[i]`: quoted (`"a""b"` is `a"b`, case kept) or plain (folded to lower
 * case, as PostgreSQL does). Returns the name and the index after it, or null.
 */
function identifier(s: string, i: number): [string, number] | null {
  if (s[i] === '"') {
    let name = "";
    let j = i + 1;
    while (j < s.length) {
      if (s[j] === '"') {
        if (s[j + 1] === '"') {
          name += '"';
          j += 2;
          continue;
        }
        return [name, j + 1];
      }
      name += s[j++];
    }
    return null;
  }
  const m = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*/.exec(s.slice(i));
  return m ? [m[0].toLowerCase(), i + m[0].length] : null;
}

/**
 * Parses the line pg_dump writes before a table's data, or returns null for any other line.
 *
 * @example
 * parseCopyHeader('COPY public.ir_attachment (id, name, "position") FROM stdin;');
 * // { schema: "public", table: "ir_attachment", columns: ["id", "name", "position"] }
 */
export function parseCopyHeader(line: string): CopyHeader | null {
  if (!line.startsWith("COPY ") || !/\)\s+FROM\s+stdin;\s*$/i.test(line)) return null;
  let i = 5;
  const first = identifier(line, i);
  if (!first) return null;
  let schema: string | null = null;
  let table = first[0];
  i = first[1];
  if (line[i] === ".") {
    const second = identifier(line, i + 1);
    if (!second) return null;
    schema = table;
    table = second[0];
    i = second[1];
  }
  while (line[i] === " ") i++;
  if (line[i] !== "(") return null;
  i++;
  const columns: string[] = [];
  for (;;) {
    while (line[i] === " ") i++;
    const col = identifier(line, i);
    if (!col) return null;
    columns.push(col[0]);
    i = col[1];
    while (line[i] === " ") i++;
    if (line[i] === ",") {
      i++;
      continue;
    }
    if (line[i] === ")") break;
    return null;
  }
  return { schema, table, columns };
}

/** PostgreSQL encoding names (as in `SET client_encoding = '...'`) that a TextDecoder reads. */
const ENCODINGS: Record<string, string> = {
  UTF8: "utf-8",
  UNICODE: "utf-8",
  SQL_ASCII: "utf-8",
  LATIN1: "windows-1252",
  WIN1252: "windows-1252",
  LATIN9: "iso-8859-15",
  WIN1250: "windows-1250",
  LATIN2: "iso-8859-2",
};

/**
 * The decoder for a dump's `client_encoding`. Odoo databases are UTF8; the others listed are accepted
 * because a TextDecoder reads them exactly.
 */
export function decoderForEncoding(pgName: string): TextDecoder {
  const label = ENCODINGS[pgName.toUpperCase()];
  if (!label) {
    throw new PasserelleError(
      "backup_invalid",
      `dump.sql is written in the ${pgName} encoding, which this import cannot read (Odoo uses UTF8)`,
    );
  }
  return new TextDecoder(label);
}
