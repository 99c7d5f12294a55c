import assert from "node:assert/strict";
import { emptyProgress, formatProgress, type ImportProgress, progressBar } from "./progress_bar.ts";

const storing = (o: Partial<ImportProgress>): ImportProgress => ({
  ...emptyProgress(),
  phase: "storing",
  ...o,
});

Deno.test("formatProgress() shows files, bytes, rates, ETA and errors", () => {
  const p = storing({
    filesTotal: 5000,
    filesDone: 1200,
    filesFailed: 3,
    bytesTotal: 500e6,
    bytesDone: 125e6,
    startedAt: 0,
  });
  assert.equal(
    formatProgress(p, 30_000),
    "[#####...............] 1,200/5,000 files  125.0 MB/500.0 MB  40.0 files/s  4.2 MB/s  ETA 1m30s  3 errors",
  );
  assert.match(
    formatProgress({ ...p, filesDone: 5000, bytesDone: 500e6 }, 60_000),
    /####################\] .* ETA 0s/,
  );
  assert.equal(
    formatProgress({ ...emptyProgress(), scannedBytes: 2.5e9 }, 0),
    "scanning dump.sql: 2.5 GB read",
  );
});

Deno.test("progressBar() redraws one line on a terminal and writes a line every few seconds elsewhere", () => {
  let now = 0;
  const tty: string[] = [];
  const log: string[] = [];
  const a = progressBar({ write: (s) => tty.push(s), tty: true, clock: () => now });
  const b = progressBar({ write: (s) => log.push(s), tty: false, clock: () => now, everyMs: 5000 });
  const p = storing({ filesTotal: 10 });
  for (now = 0; now <= 12_000; now += 50) {
    a.update(p);
    b.update(p);
  }
  assert.ok(tty.length >= 100 && tty.length <= 121, `redrawn at most ten times a second (${tty.length})`);
  assert.ok(tty.every((s) => s.startsWith("\r") && s.endsWith("\x1b[K")));
  assert.equal(log.length, 3, "at 0 s, 5 s and 10 s");
  assert.ok(log.every((s) => s.endsWith("\n") && !s.includes("\r")));
  a.finish();
  assert.equal(tty.at(-1), "\n");
});
