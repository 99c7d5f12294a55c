/**
 * A multipart/form-data body read as it arrives, part after part, each part's
 * bytes a stream of their own: a file part goes on to Storage while it is
 * read, so an upload of any size holds about one network chunk in memory
 * (Deno's `Request.formData()` holds the whole body). The caller consumes (or
 * cancels) each part's body before asking for the next part.
 */

/** One part of the body. */
export interface Part {
  /** The form field's name. */
  name: string;
  /** The file's name, for a file part. */
  filename?: string;
  /** The part's own content type. */
  type?: string;
  body: ReadableStream<Uint8Array>;
}

const CRLF2 = new Uint8Array([13, 10, 13, 10]);
const MAX_HEADERS = 16 * 1024;

/** The boundary of a `multipart/form-data; boundary=…` content type, or null. */
export function boundaryOf(contentType: string): string | null {
  const m = contentType.match(/boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i);
  return m ? (m[1] ?? m[2]) : null;
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from = 0): number {
  const first = needle[0];
  for (
    let i = hay.indexOf(first, from);
    i !== -1 && i <= hay.length - needle.length;
    i = hay.indexOf(first, i + 1)
  ) {
    let j = 1;
    while (j < needle.length && hay[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (!a.length) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Thrown for a body that is not the multipart it says it is. */
export class MultipartError extends Error {}

function parseHeaders(text: string): { name: string; filename?: string; type?: string } {
  let name: string | undefined, filename: string | undefined, type: string | undefined;
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === "content-type") type = value;
    if (key !== "content-disposition") continue;
    for (const m of value.matchAll(/;\s*([a-z*]+)=(?:"((?:[^"\\]|\\.)*)"|([^;]*))/gi)) {
      const k = m[1].toLowerCase();
      const v = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3].trim();
      if (k === "name") name = v;
      else if (k === "filename" && filename === undefined) filename = v;
      else if (k === "filename*") {
        const star = v.match(/^[^']*'[^']*'(.*)$/);
        try {
          filename = decodeURIComponent(star ? star[1] : v);
        } catch { /* keep the plain filename */ }
      }
    }
  }
  if (name === undefined) throw new MultipartError("a part has no Content-Disposition name");
  return { name, filename, type };
}

/** The parts of `body`, one at a time. */
export async function* multipartParts(
  body: ReadableStream<Uint8Array>,
  boundary: string,
): AsyncGenerator<Part> {
  const reader = body.getReader();
  const enc = new TextEncoder();
  // The delimiter before every part but the first is CRLF + "--" + boundary; a body may also
  // start right at "--" + boundary, so the buffer starts with a CRLF of our own.
  const delim = enc.encode(`\r\n--${boundary}`);
  let buf: Uint8Array = new Uint8Array([13, 10]);
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      return false;
    }
    buf = concat(buf, value);
    return true;
  };
  const need = async (n: number) => {
    while (buf.length < n) if (!(await more())) throw new MultipartError("the body ends inside a part");
  };
  try {
    // The preamble, up to the first delimiter.
    for (;;) {
      const at = indexOf(buf, delim);
      if (at >= 0) {
        buf = buf.subarray(at + delim.length);
        break;
      }
      buf = buf.subarray(Math.max(0, buf.length - delim.length + 1));
      if (!(await more())) throw new MultipartError("no part found");
    }
    for (;;) {
      await need(2);
      if (buf[0] === 45 && buf[1] === 45) return; // "--": the closing delimiter
      // Transport padding after the delimiter, then CRLF, then the part's headers.
      let eol: number;
      while ((eol = buf.indexOf(10)) < 0) {
        if (buf.length > MAX_HEADERS || !(await more())) throw new MultipartError("unreadable delimiter");
      }
      buf = buf.subarray(eol + 1);
      let end: number;
      while ((end = indexOf(buf, CRLF2)) < 0) {
        if (buf.length > MAX_HEADERS || !(await more())) throw new MultipartError("unreadable part headers");
      }
      const headers = parseHeaders(new TextDecoder().decode(buf.subarray(0, end)));
      buf = buf.subarray(end + 4);

      let finished!: () => void;
      const done = new Promise<void>((r) => (finished = r));
      let over = false;
      const partBody = new ReadableStream<Uint8Array>({
        async pull(c) {
          for (;;) {
            const at = indexOf(buf, delim);
            if (at >= 0) {
              if (at > 0) c.enqueue(buf.slice(0, at));
              buf = buf.subarray(at + delim.length);
              over = true;
              c.close();
              finished();
              return;
            }
            // Keep what could be the start of a delimiter; pass the rest on.
            const keep = delim.length - 1;
            if (buf.length > keep) {
              c.enqueue(buf.slice(0, buf.length - keep));
              buf = buf.subarray(buf.length - keep);
              return;
            }
            if (!(await more())) {
              const e = new MultipartError("the body ends inside a part");
              c.error(e);
              finished();
              return;
            }
          }
        },
        async cancel() {
          // Skip the rest of the part so that the next one can be read.
          while (!over) {
            const at = indexOf(buf, delim);
            if (at >= 0) {
              buf = buf.subarray(at + delim.length);
              over = true;
            } else {
              buf = buf.subarray(Math.max(0, buf.length - delim.length + 1));
              if (!(await more())) break;
            }
          }
          finished();
        },
      }, { highWaterMark: 0 });
      yield { ...headers, body: partBody };
      await done;
      if (!over) throw new MultipartError("the body ends inside a part");
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
