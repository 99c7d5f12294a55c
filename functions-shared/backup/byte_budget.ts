/**
 * `byteBudget()`: a weighted semaphore over the bytes uploads hold in memory at once. A file on its way to
 * Storage holds about one chunk of itself (up to the 6 MiB a TUS chunk or a standard upload buffers)
 * plus the copies fetch makes of it; five big files at once measured 285–330 MB of peak RSS for
 * import-dump against a Storage server (the issue saw 345–401 MB), one at a time 178 MB. Admitting
 * uploads by their weight keeps many small files going at once and only a few big ones.
 */

/** A budget of `limit` bytes; one holder may exceed it alone (a file is never refused). */
export function byteBudget(limit: number) {
  let used = 0;
  const waiting: { n: number; go: () => void }[] = [];
  const wake = () => {
    while (waiting.length && (used === 0 || used + waiting[0].n <= limit)) {
      const w = waiting.shift()!;
      used += w.n;
      w.go();
    }
  };
  return {
    /** Waits until `n` bytes fit, then holds them; call the returned function to give them back. */
    async acquire(n: number): Promise<() => void> {
      if (waiting.length === 0 && (used === 0 || used + n <= limit)) used += n;
      else await new Promise<void>((go) => waiting.push({ n, go }));
      let released = false;
      return () => {
        if (released) return;
        released = true;
        used -= n;
        wake();
      };
    },
    /** Bytes held now. */
    used: () => used,
  };
}
