/**
 * Reads a body in fixed-size chunks into a buffer the caller owns, so a 200 MB upload needs one 6 MiB
 * buffer, not 200 MB. Also answers "is there more?" without consuming it, which tells the last TUS chunk
 * apart before it is sent.
 */
export class ChunkReader {
  #reader: ReadableStreamDefaultReader<Uint8Array> | null;
  #bytes: Uint8Array | null;
  #pending: Uint8Array = new Uint8Array();
  #done = false;

  constructor(body: Uint8Array | ReadableStream<Uint8Array>) {
    if (body instanceof Uint8Array) {
      this.#bytes = body;
      this.#reader = null;
    } else {
      this.#bytes = null;
      this.#reader = body.getReader();
    }
  }

  async #next(): Promise<boolean> {
    if (this.#pending.byteLength > 0) return true;
    if (this.#bytes) {
      this.#pending = this.#bytes;
      this.#bytes = null;
      return this.#pending.byteLength > 0;
    }
    if (this.#done || !this.#reader) return false;
    for (;;) {
      const { value, done } = await this.#reader.read();
      if (done) {
        this.#done = true;
        return false;
      }
      if (value && value.byteLength > 0) {
        this.#pending = value;
        return true;
      }
    }
  }

  /** Fills `buf` from the start as far as the body goes; returns how many bytes were written. */
  async fill(buf: Uint8Array): Promise<number> {
    let n = 0;
    while (n < buf.byteLength && await this.#next()) {
      const take = Math.min(buf.byteLength - n, this.#pending.byteLength);
      buf.set(this.#pending.subarray(0, take), n);
      this.#pending = this.#pending.subarray(take);
      n += take;
    }
    return n;
  }

  /** True when bytes remain to be read. */
  more(): Promise<boolean> {
    return this.#next();
  }

  /** Stops reading, cancelling the source stream. */
  async cancel(reason?: unknown): Promise<void> {
    this.#bytes = null;
    this.#pending = new Uint8Array();
    if (this.#reader && !this.#done) {
      this.#done = true;
      await this.#reader.cancel(reason).catch(() => {});
    }
  }
}
