/**
 * Object keys that Supabase Storage stores under exactly the name we asked for.
 *
 * Storage (v1.70.6, `src/storage/limits.ts`) accepts a key only when, URL-decoded, it matches
 * `^[A-Za-z0-9_/!.*'() &$=@;:+,?-]*$`; anything else is answered `400 InvalidKey`. Worse than a refusal,
 * some names are silently changed on the way: supabase-js does not encode the path, so `?` and `#` truncate
 * the key, `\` becomes `/`, `..` segments are resolved by the URL parser (escaping the lead folder), tabs and
 * newlines are dropped, `//` is collapsed on upload but not on download, and a segment longer than 255 bytes
 * makes the file backend fail with a 500 (reference: storage.md section 3). Odoo file names carry all of
 * these, so keys are built with `safeKeySegment()` and checked with `isValidStorageKey()`.
 */

import { PasserelleError } from "../errors.ts";

/** The server's whitelist for object names (after URL-decoding). */
export const STORAGE_KEY_CHARS = /^[A-Za-z0-9_/!.*'() &$=@;:+,?-]*$/;

/** ext4 refuses longer names (ENAMETOOLONG), which Storage's file backend answers with a 500. */
export const MAX_SEGMENT_BYTES = 255;

/** S3 (hosted Supabase's backend) caps keys at 1024 bytes; the file backend took 1025, we stay portable. */
export const MAX_KEY_BYTES = 1024;

/** Default byte budget of one segment built by `safeKeySegment()`: readable, far below every limit. */
export const DEFAULT_SEGMENT_BYTES = 120;

const encoder = new TextEncoder();

function byteLength(s: string): number {
  return encoder.encode(s).length;
}

/**
 * What the Storage server itself checks (`mustBeValidKey`): non-empty and whitelisted. The stand-in uses
 * this to answer `InvalidKey` exactly where the real server does.
 */
export function isServerValidKey(key: string): boolean {
  return typeof key === "string" && key.length > 0 && STORAGE_KEY_CHARS.test(key);
}

/**
 * Why `key` would not be stored under exactly that name, or null when it would. Beyond the server's
 * whitelist: no empty segment (supabase-js collapses `//` on upload, download then misses), no `.`/`..`
 * segment (resolved by URL parsing), no segment over 255 bytes (500 from the file backend), at most
 * 1024 bytes in all.
 */
export function storageKeyProblem(key: string): string | null {
  if (typeof key !== "string" || key.length === 0) return "the key is empty";
  if (!STORAGE_KEY_CHARS.test(key)) return "it holds characters Storage refuses";
  if (byteLength(key) > MAX_KEY_BYTES) return `it is longer than ${MAX_KEY_BYTES} bytes`;
  for (const segment of key.split("/")) {
    if (segment === "") return "it has an empty path segment (leading, trailing or double slash)";
    if (segment === "." || segment === "..") return `it has a "${segment}" path segment`;
    if (byteLength(segment) > MAX_SEGMENT_BYTES) {
      return `a path segment is longer than ${MAX_SEGMENT_BYTES} bytes`;
    }
  }
  return null;
}

/**
 * True when Storage accepts `key` and stores it under exactly that name. Both adapters refuse other keys
 * with `storage_invalid_key` before touching anything.
 *
 * @example
 * isValidStorageKey("odoo-archive/12/345-devis (v2).pdf"); // true
 * isValidStorageKey("odoo-archive/12/345-résumé.pdf"); // false: InvalidKey on the server
 * isValidStorageKey("odoo-archive/12/../345.pdf"); // false: the URL parser would resolve ".."
 */
export function isValidStorageKey(key: string): boolean {
  return storageKeyProblem(key) === null;
}

/** Letters that canonical decomposition leaves alone; folded by hand so French and Polish names stay readable. */
const FOLDS: Record<string, string> = {
  "œ": "oe",
  "Œ": "OE",
  "æ": "ae",
  "Æ": "AE",
  "ß": "ss",
  "ẞ": "SS",
  "ł": "l",
  "Ł": "L",
  "ø": "o",
  "Ø": "O",
  "đ": "d",
  "Đ": "D",
  "ð": "d",
  "Ð": "D",
  "þ": "th",
  "Þ": "Th",
  "ı": "i",
  "ħ": "h",
  "Ħ": "H",
  "ŧ": "t",
  "Ŧ": "T",
  "ſ": "s",
  "‘": "'",
  "’": "'",
  "‚": "'",
  "′": "'",
  "‐": "-",
  "‑": "-",
  "‒": "-",
  "–": "-",
  "—": "-",
  "−": "-",
  "…": "...",
  "°": "o", // "n°7" reads "no7", as French writes "numéro"
};

/**
 * Characters the server accepts but that we never put in a segment: `?` (supabase-js treats it as the
 * query string), `:` and `*` (refused by Windows and macOS file systems, where the local adapter and
 * restored archives may live). `/`, `\`, `%` and `#` are already outside the whitelist.
 */
const AVOIDED = /[?:*]/g;

/** Anything outside the whitelist (minus `/`), as a run: one `_` replaces each run. */
const OUTSIDE = /[^A-Za-z0-9_!.'() &$=@;+,-]+/g;

const EXTENSION = /^\.[A-Za-z0-9]{1,16}$/;

/** Trims what must not start or end a name: spaces and dots (".." tricks, Windows' trailing-dot rule). */
function trimEnds(s: string): string {
  return s.replace(/^[ .]+/, "").replace(/[ .]+$/, "");
}

function isBlank(base: string): boolean {
  return /^[ ._-]*$/.test(base);
}

/**
 * One readable key segment from any name: accents folded (`é`→`e`, `œ`→`oe`, `ß`→`ss`, `Ł`→`L`), path
 * separators and `..` dropped, whitespace (tabs, newlines) collapsed to one space, control and invisible
 * characters removed, every other character Storage refuses (plus `?`, `:`, `*`) replaced by `_`, leading
 * and trailing dots and spaces trimmed, at most `maxBytes` bytes with the extension kept, and `file` when
 * nothing readable is left.
 *
 * @example
 * safeKeySegment("Résumé été (copie) [1].pdf"); // "Resume ete (copie) _1_.pdf"
 * safeKeySegment("../../etc/passwd.txt"); // "etc_passwd.txt"
 * safeKeySegment("📄📄.pdf"); // "file.pdf"
 */
export function safeKeySegment(name: string, maxBytes: number = DEFAULT_SEGMENT_BYTES): string {
  const budget = Math.max(8, Math.floor(maxBytes));
  let s = String(name ?? "");
  s = s.replace(/[^ -~]/g, (c) => FOLDS[c] ?? c); // anything but printable ASCII may need folding
  // NFKD also splits compatibility forms (ligature "ﬁ", full-width letters, superscripts) into ASCII.
  s = s.normalize("NFKD").replace(/\p{M}+/gu, "");
  s = s.replace(/\s+/gu, " ");
  s = s.replace(/[\p{Cc}\p{Cf}]/gu, "");
  // Path-like names ("../../etc/passwd", "C:\\docs\\a.pdf"): keep the readable parts, drop traversal.
  s = s.split(/[/\\]/).map((p) => p.trim()).filter((p) => p !== "" && !/^\.+$/.test(p)).join("_");
  s = s.replace(AVOIDED, "_").replace(OUTSIDE, "_");
  s = s.replace(/\.{2,}/g, ".").replace(/ {2,}/g, " ");

  let base = s;
  let ext = "";
  const dot = s.lastIndexOf(".");
  if (dot > 0 && EXTENSION.test(s.slice(dot))) {
    base = s.slice(0, dot);
    ext = s.slice(dot);
  }
  base = trimEnds(base);
  if (isBlank(base)) base = "file";
  if (base.length + ext.length > budget) {
    base = trimEnds(base.slice(0, Math.max(1, budget - ext.length)));
    if (isBlank(base)) base = "file";
  }
  return base + ext;
}

/**
 * The key of an archived Odoo attachment: `odoo-archive/{lead_id}/{odoo_id}-{safe filename}`, one segment
 * per level, the file part at most 120 bytes. The odoo_id prefix keeps keys unique when two attachments of
 * a lead share a name; the original name belongs in `lead_files.name`.
 *
 * @example
 * archiveKey(12, 345, "Devis n°7 — été.pdf"); // "odoo-archive/12/345-Devis no7 - ete.pdf"
 */
export function archiveKey(leadId: number, odooId: number, filename: string): string {
  for (const [label, n] of [["lead id", leadId], ["odoo id", odooId]] as const) {
    if (!Number.isSafeInteger(n) || n < 1) {
      throw new PasserelleError(
        "storage_invalid_key",
        `archiveKey(): ${label} must be a positive integer (got ${n})`,
      );
    }
  }
  const prefix = `${odooId}-`;
  return `odoo-archive/${leadId}/${prefix}${safeKeySegment(filename, DEFAULT_SEGMENT_BYTES - prefix.length)}`;
}
