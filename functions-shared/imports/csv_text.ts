/**
 * The CSV grammar, over decoded text: records end at LF (a CR before it is
 * dropped), fields at the delimiter, and a field that starts with `"` runs to
 * the next lone `"` (a doubled `""` is one quote), line breaks and delimiters
 * included. As Excel does, a quote inside an unquoted field is an ordinary
 * character, and text after a closing quote is kept (`"ab"c` reads `abc`).
 *
 * Shared by `sniff.ts` (on the first 64 KB) and `csv_reader.ts` (on the whole
 * file, chunk by chunk). It works on strings, not bytes: quotes, delimiters
 * and line breaks are ASCII in UTF-8 and Windows-1252 alike, so the reader
 * counts bytes after the fact (see `utf8Length`).
 */

const LF = 10, CR = 13, QUOTE = 34;

/** A syntax problem at record `record` (0-based within one `parseRecords` call), column `column` (1-based). */
export class CsvSyntaxError extends Error {
  constructor(
    readonly code: "csv_unterminated_quote" | "csv_field_too_large",
    readonly record: number,
    readonly column: number,
  ) {
    super(code);
  }
}

/** How `parseRecords` reads: the delimiter, and the field size limit in bytes. */
export interface CsvGrammar {
  delimiter: string;
  maxFieldBytes: number;
  /** Bytes of a string in the file's encoding. */
  byteLength: (s: string) => number;
}

/**
 * Parses whole records from `text`, from index `start`, pushing each record's
 * values into `out` (a blank line as `[""]`) until `out` holds `limit` records.
 * Returns the index just after the last record taken. Unless `eof`, a record
 * that the text does not finish is left for the next call: the caller appends
 * more text and calls again from the returned index.
 *
 * Throws `CsvSyntaxError` for a quote still open at the end of the file (`eof`)
 * and for a field over `maxFieldBytes` (also while it is still incomplete, so
 * that an unclosed quote cannot make the reader hold the rest of the file).
 */
export function parseRecords(
  text: string,
  start: number,
  eof: boolean,
  limit: number,
  out: string[][],
  g: CsvGrammar,
): number {
  const delim = g.delimiter;
  const delimCode = delim.charCodeAt(0);
  const len = text.length;
  const max = g.maxFieldBytes;
  // A field of n characters holds at most 3n bytes (UTF-8; n in Windows-1252),
  // so most fields need no exact count.
  const quickMax = Math.floor(max / 3);
  const tooLarge = (s: string) => s.length > quickMax && (s.length > max || g.byteLength(s) > max);

  let pos = start;
  let nextLf = -2, nextQuote = -2, nextDelim = -2; // -2: not searched yet; -1: none left
  const findLf = (from: number) => {
    if (nextLf !== -1 && nextLf < from) nextLf = text.indexOf("\n", from);
    return nextLf;
  };
  const findQuote = (from: number) => {
    if (nextQuote !== -1 && nextQuote < from) nextQuote = text.indexOf('"', from);
    return nextQuote;
  };
  const findDelim = (from: number) => {
    if (nextDelim !== -1 && nextDelim < from) nextDelim = text.indexOf(delim, from);
    return nextDelim;
  };

  while (out.length < limit && pos < len) {
    const lf = findLf(pos);
    const quote = findQuote(pos);
    if (lf !== -1 && (quote === -1 || quote > lf)) {
      // Fast path: a whole line without quotes.
      let end = lf;
      if (end > pos && text.charCodeAt(end - 1) === CR) end--;
      if (end === pos) out.push([""]);
      else {
        const line = text.slice(pos, end);
        const values = line.split(delim);
        if (line.length > quickMax) {
          for (let i = 0; i < values.length; i++) {
            if (tooLarge(values[i])) throw new CsvSyntaxError("csv_field_too_large", out.length, i + 1);
          }
        }
        out.push(values);
      }
      pos = lf + 1;
      continue;
    }

    // General path: quoted fields, or the last line of the file.
    const values: string[] = [];
    let p = pos;
    let done = false;
    while (!done) {
      let value: string;
      if (text.charCodeAt(p) === QUOTE) {
        value = "";
        let s = p + 1;
        for (;;) {
          const j = text.indexOf('"', s);
          if (j === -1 || (j + 1 === len && !eof)) {
            // The closing quote (or what follows it) is not in the text yet.
            if (len - p > max) throw new CsvSyntaxError("csv_field_too_large", out.length, values.length + 1);
            if (!eof) return pos;
            throw new CsvSyntaxError("csv_unterminated_quote", out.length, values.length + 1);
          }
          if (text.charCodeAt(j + 1) === QUOTE) {
            value += text.slice(s, j + 1);
            s = j + 2;
            continue;
          }
          value += text.slice(s, j);
          p = j + 1;
          break;
        }
        // After the closing quote: a delimiter, a line end, the end, or stray text kept as Excel does.
        const c = text.charCodeAt(p);
        let stray = p < len && c !== delimCode && c !== LF;
        if (c === CR) {
          if (p + 1 === len) {
            if (!eof) return pos; // is an LF coming?
            stray = false;
          } else stray = text.charCodeAt(p + 1) !== LF;
        }
        if (stray) {
          const d = findDelim(p), l = findLf(p);
          let e = d !== -1 && (l === -1 || d < l) ? d : l;
          if (e === -1) {
            if (!eof) return pos;
            e = len;
          }
          let vEnd = e;
          if (e === l && vEnd > p && text.charCodeAt(vEnd - 1) === CR) vEnd--;
          value += text.slice(p, vEnd);
          p = e;
        }
      } else {
        const d = findDelim(p), l = findLf(p);
        if (d !== -1 && (l === -1 || d < l)) {
          value = text.slice(p, d);
          p = d;
        } else if (l === -1) {
          if (!eof) {
            if (len - p > max) throw new CsvSyntaxError("csv_field_too_large", out.length, values.length + 1);
            return pos;
          }
          value = text.slice(p);
          if (value.charCodeAt(value.length - 1) === CR) value = value.slice(0, -1);
          p = len;
        } else {
          value = text.slice(p, l > p && text.charCodeAt(l - 1) === CR ? l - 1 : l);
          p = l;
        }
      }
      if (tooLarge(value)) throw new CsvSyntaxError("csv_field_too_large", out.length, values.length + 1);
      values.push(value);
      // p is at a delimiter, a line end or the end of the text.
      const c = text.charCodeAt(p);
      if (c === delimCode) {
        p++;
        if (p === len && !eof) return pos; // the next field has not arrived
        if (p === len) {
          values.push("");
          done = true;
        }
      } else {
        if (c === CR) p++;
        if (text.charCodeAt(p) === LF) p++;
        done = true;
      }
    }
    out.push(values);
    pos = p;
  }
  return pos;
}

/** Bytes of `s` in UTF-8, without encoding it. */
export function utf8Length(s: string, from = 0, to = s.length): number {
  let n = to - from;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < to) {
      n += 2; // a surrogate pair: 2 chars, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/** Length of the longest prefix of `bytes` that does not end inside a UTF-8 character. */
export function completeUtf8Prefix(bytes: Uint8Array): number {
  const n = bytes.length;
  // Look back at most 3 bytes for the lead byte of the last character.
  for (let i = n - 1; i >= 0 && i >= n - 4; i--) {
    const b = bytes[i];
    if (b < 0x80) return n; // ASCII: complete
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return n - i >= need ? n : i;
    }
  }
  return n; // no lead byte: invalid anyway, let the decoder say so
}

/** Index of the first byte that starts an invalid UTF-8 sequence (bytes.length if none). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number, min: number;
    if (b >= 0xc2 && b <= 0xdf) need = 1, min = 0x80;
    else if (b >= 0xe0 && b <= 0xef) need = 2, min = 0x800;
    else if (b >= 0xf0 && b <= 0xf4) need = 3, min = 0x10000;
    else return i;
    if (i + need >= n) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return n;
}
