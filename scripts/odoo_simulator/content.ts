/**
 * Attachment bytes, made on demand from a seed so that a 20 MB attachment costs
 * nothing until it is read: the same (seed, size, mimetype) always gives the
 * same bytes, hence the same sha1 (`checksum`) and `store_fname`, which is how
 * Odoo's filestore deduplicates identical contents.
 */
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";

/** Where an attachment's bytes come from. */
export type AttachmentContent =
  | { kind: "generated"; seed: number; size: number; mimetype: string }
  | { kind: "bytes"; bytes: Uint8Array };

/** The size of a content without making it. */
export function contentSize(c: AttachmentContent): number {
  return c.kind === "bytes" ? c.bytes.length : c.size;
}

/** A key equal for equal contents, for caching checksums. */
export function contentKey(c: AttachmentContent): string | null {
  return c.kind === "generated" ? `${c.seed}:${c.size}:${c.mimetype}` : null;
}

const HEADERS: Record<string, string> = {
  "application/pdf": "%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n",
  "image/png": "\x89PNG\r\n\x1a\n",
  "image/jpeg": "\xff\xd8\xff\xe0\x00\x10JFIF\x00",
  "application/zip": "PK\x03\x04",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "PK\x03\x04",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "PK\x03\x04",
};

const WORDS = ["devis", "client", "réunion", "offre", "contrat", "livraison", "facture", "été", "café", "🚀"];

/** The bytes of a content (a fresh buffer each time: callers may keep it). */
export function contentBytes(c: AttachmentContent): Uint8Array {
  if (c.kind === "bytes") return c.bytes.slice();
  const out = new Uint8Array(c.size);
  if (c.size === 0) return out;
  const isText = c.mimetype.startsWith("text/") || c.mimetype === "application/json";
  if (isText) {
    fillText(out, c.seed);
    return out;
  }
  const header = HEADERS[c.mimetype];
  let start = 0;
  if (header) {
    for (let i = 0; i < header.length && i < out.length; i++) out[i] = header.charCodeAt(i) & 0xff;
    start = Math.min(header.length, out.length);
  }
  fillRandom(out, start, c.seed);
  return out;
}

/** xorshift32 over whole 32-bit words: ~1 GB/s, enough for 20 MB reads. */
function fillRandom(out: Uint8Array, start: number, seed: number): void {
  let x = (seed ^ 0x9e3779b9) >>> 0 || 1;
  let i = start;
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (; i + 4 <= out.length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    view.setUint32(i, x, true);
  }
  for (; i < out.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
}

/** UTF-8 text lines, cut at `size` bytes (a cut may split the last character, as a truncated file would). */
function fillText(out: Uint8Array, seed: number): void {
  const encoder = new TextEncoder();
  let x = (seed ^ 0x85ebca6b) >>> 0 || 1;
  let pos = 0;
  let line = 1;
  while (pos < out.length) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    const text = `${line++};${WORDS[x % WORDS.length]};${(x % 100000) / 100}\n`;
    const { written } = encoder.encodeInto(text, out.subarray(pos));
    if (!written) break;
    pos += written;
  }
}

/** Hex sha1, as Odoo's `checksum`. */
export function sha1Hex(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}

/** Base64, as Odoo's `datas`. */
export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** Decodes base64 (for fixture contents). */
export function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}
