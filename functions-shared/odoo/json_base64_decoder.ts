/**
 * Decodes the content of a JSON string holding base64 (Odoo's binary fields,
 * `"datas": "iVBOR..."`) as it arrives, chunk by chunk, without ever holding
 * the whole string: each push decodes the 4-character groups it completes and
 * carries the 0-3 characters left over (and a JSON escape cut by a chunk
 * boundary) to the next push. It also finds where the string ends (the first
 * unescaped `"`), so the caller knows where the rest of the JSON answer begins.
 *
 * Decoding goes through node's `Buffer.from(text, "base64")`, which is native
 * and fast but silently skips characters outside the alphabet; so every slice's
 * output length is checked against its input length, which catches any stray
 * character (whitespace, a non-ASCII byte, an escaped quote) at no extra cost.
 *
 * ```ts
 * const decoder = createJsonBase64Decoder();
 * const { bytes, end } = decoder.push(chunk, afterOpeningQuote);
 * if (end >= 0) bytes2 = decoder.finish(); // the JSON answer goes on at chunk[end]
 * ```
 */
import { Buffer } from "node:buffer";
import { PasserelleError } from "../errors.ts";

/** What one push gives. */
export interface DecodedPush {
  /** The bytes the push completed (often empty for tiny pushes). */
  bytes: Uint8Array;
  /** Index in the chunk of the closing quote, or -1 while the string goes on. */
  end: number;
}

/** An incremental decoder of one JSON string of base64. */
export interface JsonBase64Decoder {
  /**
   * Decodes `chunk` from `start` up to the closing quote (or its end). Calls after
   * the closing quote was found are a mistake of the caller.
   */
  push(chunk: Uint8Array, start?: number): DecodedPush;
  /** After the closing quote: decodes the last group and checks the padding. */
  finish(): Uint8Array;
  /** Base64 characters seen so far (for messages). */
  readonly chars: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const EMPTY = new Uint8Array(0);

/** Creates a decoder; `what` names the call in error messages ("ir.attachment.read"). */
export function createJsonBase64Decoder(what = "the binary field"): JsonBase64Decoder {
  let carry = ""; // 0-3 characters of an incomplete group, or a padded last group
  let padded = false; // an "=" was seen: only "=" may follow, then the quote
  let pendingEscape: number[] | null = null; // a backslash escape cut by a chunk boundary
  let chars = 0;
  let ended = false;

  const malformed = (detail: string) =>
    new PasserelleError(
      "odoo_malformed",
      `Odoo's ${what} answered a value that is not base64: ${detail} (after ${chars} characters)`,
    );

  /** What one JSON escape stands for: a base64 character, "" for the whitespace a decoder ignores. */
  function unescape(seq: number[]): string {
    const c = String.fromCharCode(seq[1]);
    if (c === "/") return "/"; // json.dumps does not escape "/", other encoders (PHP, Java) do
    if (c === "n" || c === "r" || c === "t") return ""; // MIME-style line breaks, as Python's b64decode skips
    if (c === "u") {
      const hex = String.fromCharCode(...seq.slice(2, 6));
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw malformed(`bad escape \\u${hex}`);
      const ch = String.fromCharCode(parseInt(hex, 16));
      if (/^[A-Za-z0-9+/=]$/.test(ch)) return ch;
      if (ch === "\n" || ch === "\r" || ch === "\t") return "";
      throw malformed(`escaped character U+${hex.toUpperCase()}`);
    }
    throw malformed(`escape \\${c}`);
  }

  /** The escape starting at `seq[0]` is complete when it has 2 bytes (6 for \u). */
  const escapeLength = (seq: number[]) => (seq.length >= 2 && seq[1] === 0x75 /* u */ ? 6 : 2);

  /** Decodes `text` (characters that follow `carry`), keeping the incomplete tail. */
  function decode(text: string): Uint8Array {
    if (text.length === 0) return EMPTY;
    chars += text.length;
    if (padded) {
      if (!/^=*$/.test(text)) throw malformed('data after the "=" padding');
      carry += text;
      if (carry.length > 4) throw malformed('too much "=" padding');
      return EMPTY;
    }
    const eq = text.indexOf("=");
    let body = carry.length ? carry + text : text;
    let pad = "";
    if (eq >= 0) {
      const at = carry.length + eq;
      pad = body.slice(at);
      body = body.slice(0, at);
      if (!/^=*$/.test(pad)) throw malformed('data after the "=" padding');
      padded = true;
    }
    const aligned = body.length - (body.length % 4);
    carry = body.slice(aligned) + pad;
    if (padded && carry.length > 4) throw malformed('too much "=" padding');
    if (aligned === 0) return EMPTY;
    const out = Buffer.from(aligned === body.length ? body : body.slice(0, aligned), "base64");
    if (out.length !== (aligned / 4) * 3) throw malformed("a character outside the base64 alphabet");
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  function latin1(chunk: Uint8Array, from: number, to: number): string {
    // Exact byte-to-character mapping: a non-ASCII byte becomes a non-base64 character, caught by decode().
    return Buffer.from(chunk.buffer, chunk.byteOffset + from, to - from).toString("latin1");
  }

  return {
    get chars() {
      return chars;
    },

    push(chunk: Uint8Array, start = 0): DecodedPush {
      if (ended) throw new Error("JsonBase64Decoder.push() after the end of the string");
      let text = "";
      let p = start;
      // Finish an escape the previous chunk cut.
      while (pendingEscape && p < chunk.length) {
        pendingEscape.push(chunk[p++]);
        if (pendingEscape.length === escapeLength(pendingEscape)) {
          text += unescape(pendingEscape);
          pendingEscape = null;
        }
      }
      let end = -1;
      while (p < chunk.length) {
        const quote = chunk.indexOf(QUOTE, p);
        const slash = chunk.indexOf(BACKSLASH, p);
        const stop = quote < 0 ? slash : slash < 0 ? quote : Math.min(quote, slash);
        if (stop < 0) {
          text += latin1(chunk, p, chunk.length);
          p = chunk.length;
          break;
        }
        if (stop > p) text += latin1(chunk, p, stop);
        if (stop === quote) {
          end = quote;
          ended = true;
          break;
        }
        // A backslash: take the whole escape if this chunk has it, else carry it over.
        const seq = [BACKSLASH];
        p = stop + 1;
        while (p < chunk.length && seq.length < escapeLength(seq)) seq.push(chunk[p++]);
        if (seq.length === escapeLength(seq)) text += unescape(seq);
        else pendingEscape = seq;
      }
      return { bytes: decode(text), end };
    },

    finish(): Uint8Array {
      if (!ended) throw new Error("JsonBase64Decoder.finish() before the end of the string");
      if (pendingEscape) throw malformed("an unfinished escape");
      if (carry.length === 0) return EMPTY;
      if (carry.length !== 4) {
        throw malformed(`${chars} characters is not a whole number of 4-character groups`);
      }
      const pads = carry.length - carry.replace(/=+$/, "").length;
      const out = Buffer.from(carry, "base64");
      if (pads > 2 || out.length !== 3 - pads) throw malformed("a bad last group");
      carry = "";
      return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    },
  };
}
