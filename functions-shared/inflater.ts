/**
 * A raw deflate (RFC 1951) inflater that can stop at a block boundary and be resumed there by a later
 * process: the point is the bit offset of the block's first bit in the compressed data, and the last
 * 32 KiB of output before it (the window later matches may reach into). node:zlib cannot be entered
 * at a bit offset (no `inflatePrime`) nor tells where its blocks end, so an import that spreads one
 * deflated sheet over many Edge Function calls inflates it here.
 *
 * Output comes in views of a fixed buffer (at most `OUT_CHUNK` bytes each, valid until the next one is
 * asked for), so memory stays flat whatever the data (a run of zeros expands 1032 times). The hot loop
 * follows zlib's `inflate_fast`: one table lookup per code, a 32-bit bit buffer refilled a byte at a time.
 */

/** Where a later inflater can start: a block boundary. */
export interface InflatePoint {
  /** Bit offset of the block's first bit, from the start of the deflate data. */
  bit: number;
  /** The last (up to 32 KiB of) output before it. */
  window: Uint8Array;
}

/** A piece of output. */
export interface InflateChunk {
  /** Output bytes: a view, valid until the next chunk is asked for. */
  bytes: Uint8Array;
  /** The output ends at a block boundary: `point()` gives where to resume after these bytes. */
  blockEnd: boolean;
  /** The last block ended: no more output. */
  final: boolean;
}

/** Bad or truncated deflate data. */
export class InflateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InflateError";
  }
}

const WSIZE = 32 * 1024;
/** Most bytes per output chunk. */
export const OUT_CHUNK = 256 * 1024;
/** Output position past which a chunk is given (a match may add up to 258 bytes after it). */
const FULL = WSIZE + OUT_CHUNK - 258;

const LEN_BASE = [
  3,
  4,
  5,
  6,
  7,
  8,
  9,
  10,
  11,
  13,
  15,
  17,
  19,
  23,
  27,
  31,
  35,
  43,
  51,
  59,
  67,
  83,
  99,
  115,
  131,
  163,
  195,
  227,
  258,
];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [
  1,
  2,
  3,
  4,
  5,
  7,
  9,
  13,
  17,
  25,
  33,
  49,
  65,
  97,
  129,
  193,
  257,
  385,
  513,
  769,
  1025,
  1537,
  2049,
  3073,
  4097,
  6145,
  8193,
  12289,
  16385,
  24577,
];
const DIST_EXTRA = [
  0,
  0,
  0,
  0,
  1,
  1,
  2,
  2,
  3,
  3,
  4,
  4,
  5,
  5,
  6,
  6,
  7,
  7,
  8,
  8,
  9,
  9,
  10,
  10,
  11,
  11,
  12,
  12,
  13,
  13,
];
const CL_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

// Table entries: bits 0-3 the code's length, 4-7 extra bits, 8-9 kind (litlen table), 10+ the value.
const LITERAL = 0, LENGTH = 1 << 8, END = 2 << 8;

/** Litlen symbol `s` as a table entry, without its code length. */
function litlenEntry(s: number): number {
  if (s < 256) return (s << 10) | LITERAL;
  if (s === 256) return END;
  if (s > 285) return -1;
  return (LEN_BASE[s - 257] << 10) | (LEN_EXTRA[s - 257] << 4) | LENGTH;
}
/** Distance symbol `s` as a table entry (its base from bit 8), without its code length. */
function distEntry(s: number): number {
  return s > 29 ? -1 : (DIST_BASE[s] << 8) | (DIST_EXTRA[s] << 4);
}

/**
 * Fills `table` with the canonical Huffman code of `lengths[0, n)`: one entry per `bits`-bit input
 * (bits read LSB first), `-1` where no code matches. Returns `bits`, the longest code's length.
 */
function buildTable(
  table: Int32Array,
  lengths: Uint8Array,
  n: number,
  entry: (s: number) => number,
): number {
  const count = new Uint16Array(16);
  for (let i = 0; i < n; i++) count[lengths[i]]++;
  count[0] = 0;
  let max = 15;
  while (max > 0 && count[max] === 0) max--;
  const bits = Math.max(1, max);
  const size = 1 << bits;
  table.fill(-1, 0, size);
  if (max === 0) return bits; // (no codes: only legal for distances of a block of literals)
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = (left << 1) - count[len];
    if (left < 0) throw new InflateError("invalid deflate data: an over-subscribed Huffman code");
  }
  const next = new Uint16Array(16);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  for (let s = 0; s < n; s++) {
    const len = lengths[s];
    if (!len) continue;
    let code = next[len]++;
    let rev = 0;
    for (let i = 0; i < len; i++) {
      rev = (rev << 1) | (code & 1);
      code >>= 1;
    }
    const e = entry(s);
    const v = e < 0 ? -1 : e | len;
    for (let i = rev; i < size; i += 1 << len) table[i] = v;
  }
  return bits;
}

const FIXED_LIT = new Int32Array(1 << 9);
const FIXED_DIST = new Int32Array(1 << 5);
const FIXED_LIT_BITS = (() => {
  const l = new Uint8Array(288);
  l.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
  return buildTable(FIXED_LIT, l, 288, litlenEntry);
})();
const FIXED_DIST_BITS = buildTable(FIXED_DIST, new Uint8Array(30).fill(5), 30, distEntry);

const enum State {
  Header,
  Stored,
  Huffman,
  Done,
}

/**
 * Inflates raw deflate data from `input` (its compressed bytes, from `from.bit >> 3` on when resuming),
 * chunk by chunk. At each block boundary the chunk says so, and `point()` (called before asking for the
 * next chunk) gives the point to resume at. Throws `InflateError` on bad or truncated data.
 *
 * @example
 * const inflater = new Inflater(resumeAt);
 * for await (const c of inflater.inflate(ranged(file, resumeAt ? resumeAt.bit >> 3 : 0))) {
 *   consume(c.bytes);
 *   if (c.blockEnd && enough()) { save(inflater.point()); break; }
 * }
 */
export class Inflater {
  private out = new Uint8Array(WSIZE + OUT_CHUNK);
  private op = WSIZE;
  /** Start of the history a match may reach (0 once the window is full). */
  private histStart: number;
  private inb: Uint8Array = new Uint8Array(0);
  private ip = 0;
  /** Absolute byte offset of `inb[0]` in the deflate data. */
  private inBase: number;
  /** Real bytes in `inb` (the rest is zero padding after the end of the input). */
  private inLen = 0;
  private eof = false;
  private bitbuf = 0;
  private bitcnt = 0;
  private state = State.Header;
  private last = false;
  private storedLeft = 0;
  private lit = new Int32Array(1 << 15);
  private dist = new Int32Array(1 << 15);
  private litBits = 0;
  private distBits = 0;
  private useFixed = false;
  private skipBits: number;

  constructor(from?: InflatePoint) {
    const w = from?.window ?? new Uint8Array(0);
    if (w.length > WSIZE) throw new RangeError("a window holds at most 32 KiB");
    this.out.set(w, WSIZE - w.length);
    this.histStart = WSIZE - w.length;
    this.inBase = from ? Math.floor(from.bit / 8) : 0;
    this.skipBits = from ? from.bit % 8 : 0;
  }

  /** The point after the output given so far: valid when the last chunk had `blockEnd`. */
  point(): InflatePoint {
    if (this.state !== State.Header && this.state !== State.Done) {
      throw new Error("point() is only known at a block boundary");
    }
    const bit = (this.inBase + this.ip) * 8 - this.bitcnt;
    return { bit, window: this.out.slice(Math.max(this.histStart, this.op - WSIZE), this.op) };
  }

  /** Bytes of compressed input consumed so far, from the start of the deflate data. */
  get consumed(): number {
    return Math.ceil(((this.inBase + this.ip) * 8 - this.bitcnt) / 8);
  }

  /** Inflates `input`; see the class's example. */
  async *inflate(input: AsyncIterable<Uint8Array>): AsyncGenerator<InflateChunk> {
    const it = input[Symbol.asyncIterator]();
    try {
      const more = async (): Promise<void> => {
        const r = await it.next();
        const rest = this.inLen - this.ip;
        const add = r.done ? new Uint8Array(0) : r.value;
        const buf = new Uint8Array(rest + add.length + (r.done ? 64 : 0));
        buf.set(this.inb.subarray(this.ip, this.inLen));
        buf.set(add, rest);
        this.inBase += this.ip;
        this.inb = buf;
        this.ip = 0;
        this.inLen = rest + add.length;
        if (r.done) this.eof = true;
      };
      if (this.skipBits) {
        while (this.inLen === 0 && !this.eof) await more();
        this.need(8);
        this.drop(this.skipBits);
        this.skipBits = 0;
      }
      for (;;) {
        // Enough input for a block header (at most ~330 bytes) or the hot loop's reads, unless at the end.
        while (!this.eof && this.inLen - this.ip < 2048) await more();
        if (this.ip > this.inLen + 4) {
          throw new InflateError("deflate data cut short: the input ends inside a block");
        }
        const step = this.run();
        const full = this.op >= FULL;
        if (step === "block" || step === "done" || full) {
          const bytes = this.out.subarray(this.emitStart, this.op);
          const final = step === "done";
          yield { bytes, blockEnd: step !== "more", final };
          if (final) return;
          this.emitStart = this.op;
          if (this.op >= FULL) this.slide();
        }
      }
    } finally {
      await it.return?.();
    }
  }

  private emitStart = WSIZE;

  /** Moves the last 32 KiB of output to the front. */
  private slide(): void {
    this.out.copyWithin(0, this.op - WSIZE, this.op);
    this.histStart = Math.max(0, this.histStart - (this.op - WSIZE));
    this.op = WSIZE;
    this.emitStart = WSIZE;
  }

  private need(n: number): void {
    while (this.bitcnt < n) {
      if (this.ip >= this.inb.length) throw new InflateError("deflate data cut short");
      this.bitbuf |= this.inb[this.ip++] << this.bitcnt;
      this.bitcnt += 8;
    }
  }
  private drop(n: number): void {
    this.bitbuf >>>= n;
    this.bitcnt -= n;
  }
  private bits(n: number): number {
    this.need(n);
    const v = this.bitbuf & ((1 << n) - 1);
    this.drop(n);
    return v;
  }

  /** Decodes until a block ends ("block"), the last one ends ("done"), or input or output space runs low ("more"). */
  private run(): "block" | "done" | "more" {
    for (;;) {
      if (this.state === State.Done) return "done";
      if (this.state === State.Header) {
        if (this.op >= FULL) return "more";
        this.header();
        continue;
      }
      const ended = this.state === State.Stored ? this.stored() : this.huffman();
      if (!ended) return "more";
      if (this.last) {
        this.state = State.Done;
        if (this.ip > this.inLen + (this.bitcnt >> 3)) {
          throw new InflateError("deflate data cut short: the input ends inside the last block");
        }
        return "done";
      }
      this.state = State.Header;
      return "block";
    }
  }

  private header(): void {
    this.last = this.bits(1) === 1;
    const type = this.bits(2);
    if (type === 0) {
      this.drop(this.bitcnt & 7);
      const len = this.bits(16), nlen = this.bits(16);
      if ((len ^ 0xffff) !== nlen) throw new InflateError("invalid deflate data: bad stored block length");
      this.storedLeft = len;
      this.state = State.Stored;
    } else if (type === 1) {
      this.useFixed = true;
      this.state = State.Huffman;
    } else if (type === 2) {
      this.dynamic();
      this.useFixed = false;
      this.state = State.Huffman;
    } else {
      throw new InflateError("invalid deflate data: block type 3");
    }
  }

  private dynamic(): void {
    const hlit = this.bits(5) + 257, hdist = this.bits(5) + 1, hclen = this.bits(4) + 4;
    if (hlit > 286 || hdist > 30) throw new InflateError("invalid deflate data: too many codes");
    const cl = new Uint8Array(19);
    for (let i = 0; i < hclen; i++) cl[CL_ORDER[i]] = this.bits(3);
    const clTable = new Int32Array(1 << 7);
    const clBits = buildTable(clTable, cl, 19, (s) => s << 10);
    const lengths = new Uint8Array(hlit + hdist);
    for (let i = 0; i < hlit + hdist;) {
      this.need(clBits);
      const e = clTable[this.bitbuf & ((1 << clBits) - 1)];
      if (e < 0) throw new InflateError("invalid deflate data: bad code length code");
      this.drop(e & 15);
      const sym = e >>> 10;
      if (sym < 16) {
        lengths[i++] = sym;
        continue;
      }
      let rep: number, val = 0;
      if (sym === 16) {
        if (i === 0) throw new InflateError("invalid deflate data: repeat with no length before");
        val = lengths[i - 1];
        rep = 3 + this.bits(2);
      } else if (sym === 17) rep = 3 + this.bits(3);
      else rep = 11 + this.bits(7);
      if (i + rep > hlit + hdist) throw new InflateError("invalid deflate data: too many code lengths");
      lengths.fill(val, i, i + rep);
      i += rep;
    }
    if (lengths[256] === 0) throw new InflateError("invalid deflate data: no end-of-block code");
    this.litBits = buildTable(this.lit, lengths, hlit, litlenEntry);
    this.distBits = buildTable(this.dist, lengths.subarray(hlit), hdist, distEntry);
  }

  /** Copies a stored block's bytes; true once it ended. */
  private stored(): boolean {
    // Whole bytes still in the bit buffer come first.
    while (this.storedLeft > 0 && this.bitcnt >= 8) {
      if (this.op >= FULL) return false;
      this.out[this.op++] = this.bitbuf & 0xff;
      this.drop(8);
      this.storedLeft--;
    }
    while (this.storedLeft > 0) {
      const room = FULL - this.op;
      const avail = this.inLen - this.ip;
      if (room <= 0 || (avail <= 0 && !this.eof)) return false;
      if (avail <= 0) throw new InflateError("deflate data cut short: the input ends inside a stored block");
      const n = Math.min(room, avail, this.storedLeft);
      this.out.set(this.inb.subarray(this.ip, this.ip + n), this.op);
      this.op += n;
      this.ip += n;
      this.storedLeft -= n;
    }
    return true;
  }

  /** Decodes a Huffman block's codes; true once its end-of-block code came. */
  private huffman(): boolean {
    const out = this.out, inb = this.inb;
    const lt = this.useFixed ? FIXED_LIT : this.lit;
    const dt = this.useFixed ? FIXED_DIST : this.dist;
    const lmask = (1 << (this.useFixed ? FIXED_LIT_BITS : this.litBits)) - 1;
    const dmask = (1 << (this.useFixed ? FIXED_DIST_BITS : this.distBits)) - 1;
    const outLimit = FULL;
    // Each code reads at most 6 bytes: stop 16 before the end of real input, unless it is the end.
    const inLimit = this.eof ? inb.length - 16 : this.inLen - 16;
    let op = this.op, ip = this.ip, bitbuf = this.bitbuf, bitcnt = this.bitcnt;
    const histStart = this.histStart;
    let ended = false;
    try {
      while (op < outLimit && ip < inLimit) {
        if (bitcnt <= 24) {
          bitbuf |= inb[ip++] << bitcnt;
          bitcnt += 8;
          if (bitcnt <= 24) {
            bitbuf |= inb[ip++] << bitcnt;
            bitcnt += 8;
            if (bitcnt <= 24) {
              bitbuf |= inb[ip++] << bitcnt;
              bitcnt += 8;
            }
          }
        }
        let e = lt[bitbuf & lmask];
        if (e < 0) throw new InflateError("invalid deflate data: bad literal/length code");
        let n = e & 15;
        bitbuf >>>= n;
        bitcnt -= n;
        const kind = e & 0x300;
        if (kind === LITERAL) {
          out[op++] = e >>> 10;
          continue;
        }
        if (kind === END) {
          ended = true;
          break;
        }
        let len = e >>> 10;
        n = (e >>> 4) & 15;
        if (n) {
          len += bitbuf & ((1 << n) - 1);
          bitbuf >>>= n;
          bitcnt -= n;
        }
        while (bitcnt <= 24) {
          bitbuf |= inb[ip++] << bitcnt;
          bitcnt += 8;
        }
        e = dt[bitbuf & dmask];
        if (e < 0) throw new InflateError("invalid deflate data: bad distance code");
        n = e & 15;
        bitbuf >>>= n;
        bitcnt -= n;
        let d = e >>> 8;
        n = (e >>> 4) & 15;
        if (n) {
          if (bitcnt < n) {
            bitbuf |= inb[ip++] << bitcnt;
            bitcnt += 8;
          }
          d += bitbuf & ((1 << n) - 1);
          bitbuf >>>= n;
          bitcnt -= n;
        }
        if (d > op - histStart) throw new InflateError("invalid deflate data: distance too far back");
        let from = op - d;
        if (d >= len && len > 32) {
          out.copyWithin(op, from, from + len);
          op += len;
        } else {
          const end = op + len;
          while (op < end) out[op++] = out[from++];
        }
      }
    } finally {
      this.op = op;
      this.ip = ip;
      this.bitbuf = bitbuf;
      this.bitcnt = bitcnt;
    }
    return ended;
  }
}
