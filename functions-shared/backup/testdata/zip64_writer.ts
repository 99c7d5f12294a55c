/**
 * A zip written entry by entry to a file, as big as needed (zip64: offsets past 4 GiB and more than
 * 65,535 entries, as Odoo.sh's backups of a 12 GB filestore are). Entries are deflate (method 8, as
 * Python's `zipfile.ZIP_DEFLATED` writes Odoo's backups) made of stored blocks: what zlib itself emits
 * for incompressible content (PDFs, photos), valid deflate that any reader inflates, and written at
 * the disk's speed instead of a compressor's (fflate's streaming `Zip` neither writes zip64 nor
 * deflates 12 GB in minutes). For test and bench backups only.
 */
import { crc32 } from "node:zlib";

const STORED_BLOCK = 65_535;
const UTF8_NAME = 0x0800;
const VERSION = 45; // zip64

/** One entry as the central directory lists it. */
interface Written {
  name: Uint8Array;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

/** A zip being written: `add` entries one at a time, then `close`. */
export interface Zip64Writer {
  /** Adds an entry of these bytes (its CRC-32 and deflate framing computed here). */
  add(name: string, bytes: Uint8Array): Promise<void>;
  /** Writes the central directory and the (zip64) end records, and closes the file. */
  close(): Promise<void>;
}

/** Bytes of raw deflate holding `bytes` in stored blocks. */
function storedDeflateSize(n: number): number {
  return n + 5 * Math.max(1, Math.ceil(n / STORED_BLOCK));
}

/**
 * Opens `path` for writing (truncated).
 *
 * @example
 * const zip = await zip64Writer("backup.zip");
 * await zip.add("dump.sql", dump);
 * await zip.close();
 */
export async function zip64Writer(path: string): Promise<Zip64Writer> {
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  const entries: Written[] = [];
  let offset = 0;
  const utf8 = new TextEncoder();
  const write = async (b: Uint8Array) => {
    let done = 0;
    while (done < b.length) done += await file.write(b.subarray(done));
    offset += b.length;
  };

  return {
    async add(nameText, bytes) {
      const name = utf8.encode(nameText);
      const crc = crc32(bytes) >>> 0;
      const compressed = storedDeflateSize(bytes.length);
      const head = new Uint8Array(30 + name.length);
      const v = new DataView(head.buffer);
      v.setUint32(0, 0x04034b50, true);
      v.setUint16(4, VERSION, true);
      v.setUint16(6, UTF8_NAME, true);
      v.setUint16(8, 8, true);
      v.setUint16(10, 0, true); // 00:00
      v.setUint16(12, (46 << 9) | (11 << 5) | 24, true); // 2026-11-24
      v.setUint32(14, crc, true);
      v.setUint32(18, compressed, true);
      v.setUint32(22, bytes.length, true);
      v.setUint16(26, name.length, true);
      v.setUint16(28, 0, true);
      head.set(name, 30);
      entries.push({ name, crc, compressed, size: bytes.length, offset });
      // The local header and the deflate stream in one buffer: one write per entry (the sizes here stay
      // under 4 GiB per entry, so the local header needs no zip64 field).
      const out = new Uint8Array(head.length + compressed);
      out.set(head, 0);
      let at = head.length;
      let from = 0;
      do {
        const n = Math.min(STORED_BLOCK, bytes.length - from);
        const last = from + n >= bytes.length;
        out[at] = last ? 1 : 0;
        out[at + 1] = n & 0xff;
        out[at + 2] = n >>> 8;
        out[at + 3] = ~n & 0xff;
        out[at + 4] = (~n >>> 8) & 0xff;
        out.set(bytes.subarray(from, from + n), at + 5);
        at += 5 + n;
        from += n;
      } while (from < bytes.length);
      await write(out);
    },

    async close() {
      const cdStart = offset;
      const parts: Uint8Array[] = [];
      let cdSize = 0;
      for (const e of entries) {
        const big = e.offset >= 0xffffffff;
        const rec = new Uint8Array(46 + e.name.length + (big ? 12 : 0));
        const v = new DataView(rec.buffer);
        v.setUint32(0, 0x02014b50, true);
        v.setUint16(4, (3 << 8) | VERSION, true); // made on Unix
        v.setUint16(6, VERSION, true);
        v.setUint16(8, UTF8_NAME, true);
        v.setUint16(10, 8, true);
        v.setUint16(12, 0, true);
        v.setUint16(14, (46 << 9) | (11 << 5) | 24, true);
        v.setUint32(16, e.crc, true);
        v.setUint32(20, e.compressed, true);
        v.setUint32(24, e.size, true);
        v.setUint16(28, e.name.length, true);
        v.setUint16(30, big ? 12 : 0, true);
        v.setUint32(38, (0o100644 << 16) >>> 0, true);
        v.setUint32(42, big ? 0xffffffff : e.offset, true);
        rec.set(e.name, 46);
        if (big) {
          const x = 46 + e.name.length;
          v.setUint16(x, 0x0001, true);
          v.setUint16(x + 2, 8, true);
          v.setBigUint64(x + 4, BigInt(e.offset), true);
        }
        parts.push(rec);
        cdSize += rec.length;
        if (cdSize > 4 << 20) {
          for (const p of parts.splice(0)) await write(p);
        }
      }
      for (const p of parts.splice(0)) await write(p);
      cdSize = offset - cdStart;
      const z64At = offset;
      const end = new Uint8Array(56 + 20 + 22);
      const v = new DataView(end.buffer);
      v.setUint32(0, 0x06064b50, true);
      v.setBigUint64(4, 44n, true);
      v.setUint16(12, (3 << 8) | VERSION, true);
      v.setUint16(14, VERSION, true);
      v.setBigUint64(24, BigInt(entries.length), true);
      v.setBigUint64(32, BigInt(entries.length), true);
      v.setBigUint64(40, BigInt(cdSize), true);
      v.setBigUint64(48, BigInt(cdStart), true);
      v.setUint32(56, 0x07064b50, true);
      v.setBigUint64(64, BigInt(z64At), true);
      v.setUint32(72, 1, true);
      v.setUint32(76, 0x06054b50, true);
      v.setUint16(84, Math.min(entries.length, 0xffff), true);
      v.setUint16(86, Math.min(entries.length, 0xffff), true);
      v.setUint32(88, Math.min(cdSize, 0xffffffff), true);
      v.setUint32(92, 0xffffffff, true);
      await write(end);
      file.close();
    },
  };
}
