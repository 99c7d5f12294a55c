/**
 * A batch of parsed rows on its way into `import_rows`, kept as the bytes of
 * a COPY in text format. Each row is encoded once, as it is added, straight
 * into one growing buffer (`TextEncoder.encodeInto`): building the whole
 * batch as one string and encoding it at the end cost 4 times more CPU per
 * row (the concatenated string is flattened, then transcoded as a whole),
 * and the function's CPU is what Supabase limits.
 */
import type { Issue } from "../messages.ts";

/** A row as `import_rows` keeps it. */
export interface StoredRow {
  n: number;
  d: unknown;
  /** Issues: the refusal of an invalid row, the warnings of a valid one. */
  e: Issue[] | null;
  s: "valid" | "invalid";
  em: string | null;
  ph: string | null;
  x: string | null;
}

/** The columns a batch fills, in the order of its lines. */
export const COPY_COLUMNS = [
  "job_id",
  "row_number",
  "data",
  "errors",
  "status",
  "email",
  "phone",
  "external_id",
] as const;

const encoder = new TextEncoder();

/** A value in COPY's text format: backslash, tab and line breaks escaped; null as `\N`. */
function copyField(v: string | null): string {
  if (v === null) return "\\N";
  return /[\\\t\n\r]/.test(v)
    ? v.replace(/\\/g, "\\\\").replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r")
    : v;
}

/** JSON in COPY's text format: JSON never holds a raw tab or line break, only backslashes to double. */
function copyJson(v: unknown): string {
  const json = JSON.stringify(v);
  return json.includes("\\") ? json.replaceAll("\\", "\\\\") : json;
}

/** Rows of one job as COPY text bytes, with their counts. */
export class CopyBatch {
  #buf: Uint8Array;
  #length = 0;
  #prefix: string;
  /** Rows added. */
  rows = 0;
  /** Of which valid. */
  valid = 0;
  /** Of which valid with warnings (`e` set). */
  warned = 0;

  constructor(jobId: string, initialBytes = 1 << 20) {
    this.#prefix = `${jobId}\t`;
    this.#buf = new Uint8Array(initialBytes);
  }

  /** Appends one row. */
  add(r: StoredRow): void {
    const line = `${this.#prefix}${r.n}\t${copyJson(r.d)}\t${r.e ? copyJson(r.e) : "\\N"}\t${r.s}\t${
      copyField(r.em)
    }\t${copyField(r.ph)}\t${copyField(r.x)}\n`;
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const room = this.#length + line.length * 3;
    if (room > this.#buf.length) {
      const bigger = new Uint8Array(Math.max(room, this.#buf.length * 2));
      bigger.set(this.#buf.subarray(0, this.#length));
      this.#buf = bigger;
    }
    this.#length += encoder.encodeInto(line, this.#buf.subarray(this.#length)).written;
    this.rows++;
    if (r.s === "valid") {
      this.valid++;
      if (r.e) this.warned++;
    }
  }

  /** The COPY text so far (a view, not a copy). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#length);
  }
}
