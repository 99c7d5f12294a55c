/**
 * Streams one table's rows out of a plain-format `pg_dump` (`dump.sql`) without restoring it: the dump is
 * read as bytes, line by line, until the table's `COPY ... FROM stdin;` block ends, and not one byte
 * further (an Odoo dump holds gigabytes of other tables after `ir_attachment`). Only the columns asked
 * for are kept; the others (`db_datas`, `index_content`) are skipped as they stream by, so memory stays
 * flat whatever a row holds.
 *
 * Everything outside COPY blocks (SQL, comments, the `\restrict`/`\unrestrict` lines of recent pg_dump
 * versions) is ignored, and other tables' data blocks are skipped to their `\.` marker, so that a data
 * line that happens to read like a COPY line is never mistaken for one.
 */
import { PasserelleError } from "../errors.ts";
import { type CopyHeader, decodeCopyField, decoderForEncoding, parseCopyHeader } from "./copy_text.ts";

/** What `readCopyTable()` reads. */
export interface CopyTableOptions {
  /** Table name, e.g. `ir_attachment`. */
  table: string;
  /** Schema; a block that names no schema (old pg_dump) matches too. Default `public`. */
  schema?: string;
  /** Columns whose values each row carries; a column the dump lacks reads null. */
  columns: string[];
  /**
   * Columns whose content is never held, only whether it is null: their value reads `""` when not null.
   * For `db_datas`, which may hold a whole file.
   */
  nullness?: string[];
  /** Columns the block must have (the read fails naming the first missing). */
  required?: string[];
  /** Largest kept field, in bytes (default 8 MiB): a bound on memory, whatever the dump holds. */
  maxFieldBytes?: number;
  /** Name of the dump in messages (default `dump.sql`). */
  label?: string;
  /** Stops reading (the generator throws the signal's reason). */
  signal?: AbortSignal;
  /** Called once with the block's header, before the first row. */
  onHeader?: (header: CopyHeader) => void;
}

/** One row: the asked-for columns, decoded (null for SQL NULL). */
export type CopyRow = Record<string, string | null>;

const NL = 0x0a, TAB = 0x09, BACKSLASH = 0x5c, DOT = 0x2e;
/** Longest line kept outside data blocks: COPY headers and SET lines are far shorter. */
const HEAD_CAP = 1 << 20;
const enc = new TextEncoder();
const COPY_PREFIX = enc.encode("COPY ");
const PGDMP = enc.encode("PGDMP");

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function isEndMarker(line: Uint8Array): boolean {
  const n = line.length > 0 && line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
  return n === 2 && line[0] === BACKSLASH && line[1] === DOT;
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Yields the rows of `schema.table` from a plain pg_dump stream, then stops reading and cancels the
 * stream. Throws `backup_invalid` when the dump holds no such block, ends inside it, is a custom-format
 * dump, or has a row whose field count differs from the COPY line's.
 *
 * @example
 * for await (const row of readCopyTable(dumpStream, { table: "ir_attachment", columns: ["id", "name"] })) {
 *   console.log(row.id, row.name);
 * }
 */
export async function* readCopyTable(
  body: ReadableStream<Uint8Array>,
  opts: CopyTableOptions,
): AsyncGenerator<CopyRow> {
  const label = opts.label ?? "dump.sql";
  const schema = opts.schema ?? "public";
  const maxField = opts.maxFieldBytes ?? 8 << 20;
  const reader = body.getReader();
  const text = new TextDecoder("utf-8");
  let decoder = decoderForEncoding("UTF8");

  // Changed inside the helpers below, hence the cast: TypeScript would narrow it to "outside" here.
  let state = "outside" as "outside" | "skip" | "target" | "done";
  // A line split across chunks (outside/skip states), kept up to HEAD_CAP bytes.
  let carry: Uint8Array[] = [];
  let carryLen = 0;
  let carryOverflow = false;
  let firstChunk = true;

  // Target block state.
  let header: CopyHeader | null = null;
  let slots: Int32Array = new Int32Array(0); // per dump column, see startTarget()
  let names: string[] = [];
  let col = 0;
  let rowNo = 0;
  let parts: Uint8Array[] = [];
  let partsLen = 0;
  let rawLen = 0; // raw bytes of the current field, kept or not
  let head0 = -1, head1 = -1; // first two raw bytes of the current field (for `\N` and `\.`)
  let values: (string | null)[] = [];
  const ready: CopyRow[] = [];

  function invalid(message: string): PasserelleError {
    return new PasserelleError("backup_invalid", `${label}: ${message}`);
  }

  function onLine(line: Uint8Array, overflow: boolean): void {
    if (state === "skip") {
      if (!overflow && isEndMarker(line)) state = "outside";
      return;
    }
    if (overflow || line.length === 0) return;
    if (line[0] === 0x53 /* S */) {
      const m = /^SET client_encoding = '([^']+)';/.exec(text.decode(line.subarray(0, 64)));
      if (m) decoder = decoderForEncoding(m[1]);
      return;
    }
    if (!startsWith(line, COPY_PREFIX)) return;
    const s = text.decode(line).replace(/\r$/, "");
    if (!/FROM stdin;$/i.test(s)) return;
    const h = parseCopyHeader(s);
    if (h && h.table === opts.table && (h.schema === schema || h.schema === null)) {
      startTarget(h);
    } else {
      state = "skip";
    }
  }

  function startTarget(h: CopyHeader): void {
    for (const r of opts.required ?? []) {
      if (!h.columns.includes(r)) {
        throw invalid(
          `the data of ${opts.table} has no column "${r}" (its COPY line lists ${h.columns.join(", ")})`,
        );
      }
    }
    header = h;
    // Kept columns first, then nullness-only ones: slot k >= 0 keeps the value, -(k + 2) only its nullness.
    names = [...opts.columns, ...(opts.nullness ?? []).filter((c) => !opts.columns.includes(c))];
    slots = Int32Array.from(h.columns, (c) => {
      const k = names.indexOf(c);
      if (k < 0) return -1;
      return k < opts.columns.length ? k : -(k + 2);
    });
    values = new Array(names.length).fill(null);
    opts.onHeader?.(h);
    state = "target";
  }

  /** Ends the current field at a tab or newline; returns false when the block has ended. */
  function endField(atNewline: boolean): boolean {
    if (col === 0 && atNewline && rawLen === 2 && head0 === BACKSLASH && head1 === DOT) {
      state = "done";
      return false;
    }
    if (col >= slots.length) {
      throw invalid(
        `row ${rowNo + 1} of ${opts.table} has more fields than its COPY line's ${slots.length} columns`,
      );
    }
    const slot = slots[col];
    if (slot >= 0) {
      values[slot] = decodeCopyField(concat(parts, partsLen), decoder);
    } else if (slot <= -2) {
      const isNull = rawLen === 2 && head0 === BACKSLASH && head1 === 0x4e;
      values[-slot - 2] = isNull ? null : "";
    }
    parts = [];
    partsLen = 0;
    rawLen = 0;
    head0 = head1 = -1;
    col++;
    if (atNewline) {
      if (col !== slots.length) {
        throw invalid(
          `row ${rowNo + 1} of ${opts.table} has ${col} fields, its COPY line ${slots.length} columns`,
        );
      }
      const row: CopyRow = {};
      for (let k = 0; k < names.length; k++) row[names[k]] = values[k];
      ready.push(row);
      values = new Array(names.length).fill(null);
      rowNo++;
      col = 0;
    }
    return true;
  }

  function takeField(chunk: Uint8Array, from: number, to: number): void {
    if (to <= from) return;
    if (rawLen === 0) {
      head0 = chunk[from];
      head1 = to - from > 1 ? chunk[from + 1] : -1;
    } else if (rawLen === 1) {
      head1 = chunk[from];
    }
    rawLen += to - from;
    if (col < slots.length && slots[col] >= 0) {
      partsLen += to - from;
      if (partsLen > maxField) {
        throw invalid(
          `row ${rowNo + 1} of ${opts.table}: column ${
            header!.columns[col]
          } holds more than ${maxField} bytes`,
        );
      }
      parts.push(chunk.slice(from, to));
    }
  }

  /** Consumes target-block bytes from `pos`; returns where it stopped. */
  function consumeTarget(chunk: Uint8Array, pos: number): number {
    let nextTab = chunk.indexOf(TAB, pos);
    let nextNl = chunk.indexOf(NL, pos);
    while (pos < chunk.length) {
      if (nextTab >= 0 && nextTab < pos) nextTab = chunk.indexOf(TAB, pos);
      if (nextNl >= 0 && nextNl < pos) nextNl = chunk.indexOf(NL, pos);
      let end: number;
      if (nextTab < 0 && nextNl < 0) end = -1;
      else if (nextTab < 0) end = nextNl;
      else if (nextNl < 0) end = nextTab;
      else end = Math.min(nextTab, nextNl);
      if (end < 0) {
        takeField(chunk, pos, chunk.length);
        return chunk.length;
      }
      takeField(chunk, pos, end);
      pos = end + 1;
      if (!endField(chunk[end] === NL)) return pos;
    }
    return pos;
  }

  function consumeLines(chunk: Uint8Array, pos: number): number {
    while (pos < chunk.length && (state === "outside" || state === "skip")) {
      const nl = chunk.indexOf(NL, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (carryLen === 0 && nl >= 0) {
        onLine(chunk.subarray(pos, end), false);
      } else {
        const room = HEAD_CAP - carryLen;
        if (end - pos > room) carryOverflow = true;
        const piece = chunk.slice(pos, pos + Math.min(end - pos, Math.max(room, 0)));
        if (piece.length) {
          carry.push(piece);
          carryLen += piece.length;
        }
        if (nl >= 0) {
          onLine(concat(carry, carryLen), carryOverflow);
          carry = [];
          carryLen = 0;
          carryOverflow = false;
        }
      }
      pos = nl < 0 ? chunk.length : nl + 1;
    }
    return pos;
  }

  try {
    for (;;) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const { done, value } = await reader.read();
      if (done) break;
      if (firstChunk && value.length > 0) {
        firstChunk = false;
        if (startsWith(value, PGDMP)) {
          throw invalid(
            "this is a custom-format pg_dump archive, not plain SQL: convert it with " +
              "`pg_restore -f dump.sql <file>` first",
          );
        }
      }
      let pos = 0;
      while (pos < value.length && state !== "done") {
        pos = state === "target" ? consumeTarget(value, pos) : consumeLines(value, pos);
      }
      for (const row of ready.splice(0)) yield row;
      if (state === "done") return;
    }
    if (carryLen > 0 && state !== "target") onLine(concat(carry, carryLen), carryOverflow);
    if (state === "target") {
      throw invalid(`it ends inside the data of ${opts.table} (after ${rowNo} rows): the dump is truncated`);
    }
    throw invalid(
      `it holds no data block for ${schema}.${opts.table} (no "COPY ${schema}.${opts.table} (...) FROM stdin;" ` +
        "line): is it a plain-format pg_dump of an Odoo database, made without --inserts?",
    );
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
