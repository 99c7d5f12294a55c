import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { PasserelleError } from "./errors.ts";
import { zipSync } from "./deps.ts";
import { noise } from "./backup/testdata/odoo_backup.ts";
import { openZipFile as openZip, type ZipFile } from "./backup/backup_source.ts";
import {
  bytesSource,
  openZip as openZipArchive,
  ZIP_READ_CHUNK,
  type ZipEntry,
  ZipError,
} from "./zip_reader.ts";

async function tempZip(bytes: Uint8Array): Promise<string> {
  const path = await Deno.makeTempFile({ suffix: ".zip" });
  await Deno.writeFile(path, bytes);
  return path;
}

async function allEntries(zip: ZipFile): Promise<ZipEntry[]> {
  const out: ZipEntry[] = [];
  for await (const e of zip.entries()) out.push(e);
  return out;
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function rejectsWith(p: Promise<unknown>, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof PasserelleError, `a PasserelleError, got ${e}`);
    assert.equal(e.code, code);
    assert.match(e.message, pattern);
    return true;
  });
}

/**
 * A zip64 archive written by hand, as APPNOTE 4.5.3 lays it out: every size and offset in the local
 * and central headers is 0xFFFFFFFF and the real values sit in the zip64 extra field; the end record
 * points to a zip64 end record through its locator, and the archive has a comment.
 */
function zip64Archive(
  files: { name: string; data: Uint8Array }[],
  comment = "PK\x05\x06 in a comment",
): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  let offset = 0;
  const central: Uint8Array[] = [];
  const push = (b: Uint8Array) => {
    parts.push(b);
    offset += b.length;
  };
  for (const f of files) {
    const name = enc.encode(f.name);
    const crc = crc32(f.data);
    const local = new DataView(new ArrayBuffer(30 + name.length + 20));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 45, true);
    local.setUint16(6, 0x0800, true); // UTF-8 names
    local.setUint16(8, 0, true); // stored
    local.setUint32(14, crc, true);
    local.setUint32(18, 0xffffffff, true);
    local.setUint32(22, 0xffffffff, true);
    local.setUint16(26, name.length, true);
    local.setUint16(28, 20, true);
    new Uint8Array(local.buffer).set(name, 30);
    local.setUint16(30 + name.length, 0x0001, true);
    local.setUint16(32 + name.length, 16, true);
    local.setBigUint64(34 + name.length, BigInt(f.data.length), true);
    local.setBigUint64(42 + name.length, BigInt(f.data.length), true);
    const localOffset = offset;
    push(new Uint8Array(local.buffer));
    push(f.data);
    const cd = new DataView(new ArrayBuffer(46 + name.length + 28));
    cd.setUint32(0, 0x02014b50, true);
    cd.setUint16(4, 45, true);
    cd.setUint16(6, 45, true);
    cd.setUint16(8, 0x0800, true);
    cd.setUint16(10, 0, true);
    cd.setUint32(16, crc, true);
    cd.setUint32(20, 0xffffffff, true);
    cd.setUint32(24, 0xffffffff, true);
    cd.setUint16(28, name.length, true);
    cd.setUint16(30, 28, true);
    cd.setUint32(42, 0xffffffff, true);
    new Uint8Array(cd.buffer).set(name, 46);
    const x = 46 + name.length;
    cd.setUint16(x, 0x0001, true);
    cd.setUint16(x + 2, 24, true);
    cd.setBigUint64(x + 4, BigInt(f.data.length), true); // uncompressed
    cd.setBigUint64(x + 12, BigInt(f.data.length), true); // compressed
    cd.setBigUint64(x + 20, BigInt(localOffset), true); // local header offset
    central.push(new Uint8Array(cd.buffer));
  }
  const cdStart = offset;
  for (const c of central) push(c);
  const cdSize = offset - cdStart;
  const z64At = offset;
  const z64 = new DataView(new ArrayBuffer(56));
  z64.setUint32(0, 0x06064b50, true);
  z64.setBigUint64(4, 44n, true);
  z64.setUint16(12, 45, true);
  z64.setUint16(14, 45, true);
  z64.setBigUint64(24, BigInt(files.length), true);
  z64.setBigUint64(32, BigInt(files.length), true);
  z64.setBigUint64(40, BigInt(cdSize), true);
  z64.setBigUint64(48, BigInt(cdStart), true);
  push(new Uint8Array(z64.buffer));
  const loc = new DataView(new ArrayBuffer(20));
  loc.setUint32(0, 0x07064b50, true);
  loc.setBigUint64(8, BigInt(z64At), true);
  loc.setUint32(16, 1, true);
  push(new Uint8Array(loc.buffer));
  const c = enc.encode(comment);
  const eocd = new DataView(new ArrayBuffer(22 + c.length));
  eocd.setUint32(0, 0x06054b50, true);
  eocd.setUint16(8, 0xffff, true);
  eocd.setUint16(10, 0xffff, true);
  eocd.setUint32(12, 0xffffffff, true);
  eocd.setUint32(16, 0xffffffff, true);
  eocd.setUint16(20, c.length, true);
  new Uint8Array(eocd.buffer).set(c, 22);
  push(new Uint8Array(eocd.buffer));
  const out = new Uint8Array(offset);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

Deno.test("openZip() reads a zip64 archive: sizes and offsets from the zip64 extra field and end record", async () => {
  const files = [
    {
      name: "dump.sql",
      data: new TextEncoder().encode("COPY public.ir_attachment (id) FROM stdin;\n1\n\\.\n"),
    },
    { name: "filestore/ab/abcdef", data: noise(1, 300_000) },
    { name: "filestore/cd/cdef01", data: new Uint8Array(0) },
  ];
  const path = await tempZip(zip64Archive(files));
  const zip = await openZip(path);
  try {
    assert.equal(zip.entryCount, 3);
    const entries = await allEntries(zip);
    assert.deepEqual(
      entries.map((e) => [e.name, e.size, e.compressedSize]),
      files.map((f) => [f.name, f.data.length, f.data.length]),
    );
    for (const [i, e] of entries.entries()) assert.deepEqual(await readAll(zip.open(e)), files[i].data);
  } finally {
    zip.close();
    await Deno.remove(path);
  }
});

Deno.test("openZip() streams stored and deflated entries with their CRC-32 checked", async () => {
  const big = noise(7, 1_500_000);
  const text = new TextEncoder().encode("été\t\\N\n".repeat(50_000));
  const path = await tempZip(zipSync({
    "dump.sql": [text, { level: 6 }],
    "filestore/aa/big": [big, { level: 0 }],
    "filestore/bb/compressible": [text, { level: 9 }],
    "filestore/checklist/aa/big": [new Uint8Array(0), { level: 0 }],
  }));
  const zip = await openZip(path);
  try {
    const byName = new Map((await allEntries(zip)).map((e) => [e.name, e]));
    assert.equal(byName.get("filestore/bb/compressible")!.method, 8);
    assert.ok(byName.get("filestore/bb/compressible")!.compressedSize < text.length / 10);
    assert.deepEqual(await readAll(zip.open(byName.get("dump.sql")!)), text);
    assert.deepEqual(await readAll(zip.open(byName.get("filestore/aa/big")!)), big);
    assert.deepEqual(await readAll(zip.open(byName.get("filestore/bb/compressible")!)), text);
    // Parallel streams each read from their own position.
    const [a, b] = await Promise.all([
      readAll(zip.open(byName.get("filestore/aa/big")!)),
      readAll(zip.open(byName.get("filestore/bb/compressible")!)),
    ]);
    assert.deepEqual(a, big);
    assert.deepEqual(b, text);
  } finally {
    zip.close();
    await Deno.remove(path);
  }
});

Deno.test("openZip() refuses a truncated zip, naming the file", async () => {
  const whole = zipSync({ "dump.sql": [noise(2, 50_000), { level: 0 }] });
  const path = await tempZip(whole.subarray(0, whole.length - 30));
  try {
    await rejectsWith(openZip(path), "backup_invalid", /\.zip: not a complete zip archive.*truncated/);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a damaged entry fails its stream with the entry's name: CRC-32, bad deflate data", async () => {
  const data = noise(3, 200_000);
  const stored = zipSync({ "filestore/ab/damaged": [data, { level: 0 }] });
  // The local header (30 bytes + name) precedes the data: flip a byte in the middle of the data.
  stored[30 + "filestore/ab/damaged".length + 100_000] ^= 0xff;
  const deflated = zipSync({
    "filestore/cd/garbled": [new TextEncoder().encode("x".repeat(100_000)), { level: 9 }],
  });
  deflated[30 + "filestore/cd/garbled".length + 2] ^= 0x5a;
  for (
    const [bytes, name, pattern] of [
      [stored, "filestore/ab/damaged", /CRC-32 does not match/],
      [deflated, "filestore/cd/garbled", /entry filestore\/cd\/garbled (cannot be read|is damaged)/],
    ] as const
  ) {
    const path = await tempZip(bytes);
    const zip = await openZip(path);
    try {
      const [entry] = await allEntries(zip);
      await rejectsWith(readAll(zip.open(entry)), "backup_invalid", new RegExp(`\\.zip: entry ${name}`));
      await rejectsWith(readAll(zip.open(entry)), "backup_invalid", pattern);
    } finally {
      zip.close();
      await Deno.remove(path);
    }
  }
});

Deno.test("an entry's stream stops with the signal's reason once aborted", async () => {
  const path = await tempZip(zipSync({ "filestore/ab/big": [noise(4, 2_000_000), { level: 0 }] }));
  const zip = await openZip(path);
  try {
    const [entry] = await allEntries(zip);
    const ctrl = new AbortController();
    const reader = zip.open(entry, { signal: ctrl.signal }).getReader();
    assert.ok((await reader.read()).value!.length > 0);
    ctrl.abort(new Error("stop"));
    await assert.rejects(reader.read(), /stop/);
  } finally {
    zip.close();
    await Deno.remove(path);
  }
});

Deno.test("openZip() refuses a file that is not a zip", async () => {
  const path = await tempZip(new TextEncoder().encode("-- PostgreSQL database dump\n"));
  try {
    await rejectsWith(openZip(path), "backup_invalid", /not a complete zip archive/);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("a deflated run of zeros streams in chunks of at most 256 KiB, and stops when cancelled", async () => {
  const zeros = new Uint8Array(32 << 20);
  const path = await tempZip(zipSync({ "filestore/00/zeros": [zeros, { level: 6 }] }));
  const zip = await openZip(path);
  try {
    const [entry] = await allEntries(zip);
    assert.ok(entry.compressedSize < 100_000, "32 MiB of zeros deflate to a few dozen kB");
    let total = 0;
    let largest = 0;
    for await (const chunk of zip.open(entry)) {
      total += chunk.length;
      largest = Math.max(largest, chunk.length);
    }
    assert.equal(total, zeros.length);
    assert.ok(largest <= ZIP_READ_CHUNK, `largest chunk ${largest} bytes`);
    const reader = zip.open(entry).getReader();
    assert.ok(!(await reader.read()).done);
    await reader.cancel();
  } finally {
    zip.close();
    await Deno.remove(path);
  }
});

Deno.test("over bytes in memory (no stream), a bomb stops at the limit by the bytes it really inflates", async () => {
  const zeros = new Uint8Array(64 << 20);
  const bytes = zipSync({ "xl/worksheets/sheet1.xml": [zeros, { level: 9 }] });
  const zip = await openZipArchive(bytesSource(bytes));
  const entries: ZipEntry[] = [];
  for await (const e of zip.entries()) entries.push(e);
  const [entry] = entries;
  // Its header says 64 MiB: a limit of 8 MiB refuses it before inflating anything...
  const limits = { maxEntryBytes: 8 << 20, maxRatio: 1e9, ratioFloorBytes: 0 };
  await assert.rejects(readAll(zip.open(entry, { limits })), (e: unknown) => {
    assert.ok(e instanceof ZipError && e.problem === "too_large", String(e));
    return true;
  });
  // ... and a header that lies is caught by what comes out, in chunks of at most 256 KiB.
  let largest = 0, total = 0;
  await assert.rejects(
    (async () => {
      for await (const c of zip.open({ ...entry, size: 1000 }, { limits })) {
        largest = Math.max(largest, c.length);
        total += c.length;
      }
    })(),
    (e: unknown) => e instanceof ZipError && e.problem === "size",
  );
  assert.ok(total <= ZIP_READ_CHUNK && largest <= ZIP_READ_CHUNK, `${total} bytes out`);
  // A ratio past the limit, once past its floor, is refused too.
  const ratio = { maxEntryBytes: 1 << 30, maxRatio: 100, ratioFloorBytes: 1 << 20 };
  await assert.rejects(
    readAll(zip.open(entry, { limits: ratio })),
    (e: unknown) => e instanceof ZipError && e.problem === "too_large",
  );
});
