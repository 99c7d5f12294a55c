/**
 * The import's live progress line, for stderr: on a terminal one line redrawn in place (at most ten times
 * a second); elsewhere (CI, a log file) a plain line every few seconds, so logs stay readable.
 */

/** Where the import stands. */
export interface ImportProgress {
  phase: "scanning" | "planning" | "storing" | "done";
  /** Bytes of dump.sql read so far (scanning). */
  scannedBytes: number;
  filesTotal: number;
  /** Files finished, stored or failed. */
  filesDone: number;
  filesFailed: number;
  bytesTotal: number;
  bytesDone: number;
  /** Clock reading (ms) when storing began. */
  startedAt: number;
}

/** A fresh progress record. */
export function emptyProgress(): ImportProgress {
  return {
    phase: "scanning",
    scannedBytes: 0,
    filesTotal: 0,
    filesDone: 0,
    filesFailed: 0,
    bytesTotal: 0,
    bytesDone: 0,
    startedAt: 0,
  };
}

/** `1.5 GB`, `12.0 MB`, `512 B` (decimal units, as download sizes are shown). */
export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** `1h02m`, `3m05s`, `42s`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

const count = new Intl.NumberFormat("en-US");

/**
 * One progress line: a bar, files done of total, bytes, files/s, MB/s, ETA and errors.
 *
 * @example
 * formatProgress({ ...p, filesDone: 1200, filesTotal: 5000 }, now);
 * // "[#####...............] 1,200/5,000 files  120.0 MB/500.0 MB  40.0 files/s  4.0 MB/s  ETA 1m35s  0 errors"
 */
export function formatProgress(p: ImportProgress, now: number, width = 20): string {
  if (p.phase === "scanning") return `scanning dump.sql: ${formatBytes(p.scannedBytes)} read`;
  if (p.phase === "planning") return "matching attachments with lead_files and the filestore...";
  const elapsedS = Math.max(0.001, (now - p.startedAt) / 1000);
  const ratio = p.bytesTotal > 0
    ? p.bytesDone / p.bytesTotal
    : p.filesTotal > 0
    ? p.filesDone / p.filesTotal
    : 1;
  const filled = Math.min(width, Math.floor(ratio * width));
  const bar = "#".repeat(filled) + ".".repeat(width - filled);
  const fps = p.filesDone / elapsedS;
  const mbps = p.bytesDone / 1e6 / elapsedS;
  let eta = "--";
  if (p.filesDone >= p.filesTotal) eta = "0s";
  else if (ratio > 0) eta = formatDuration((elapsedS * 1000 * (1 - ratio)) / ratio);
  return `[${bar}] ${count.format(p.filesDone)}/${count.format(p.filesTotal)} files  ` +
    `${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)}  ${fps.toFixed(1)} files/s  ` +
    `${mbps.toFixed(1)} MB/s  ETA ${eta}  ${count.format(p.filesFailed)} error${
      p.filesFailed === 1 ? "" : "s"
    }`;
}

/** Options of `progressBar()`. */
export interface ProgressBarOptions {
  write: (text: string) => void;
  /** A terminal: redraw one line in place. */
  tty: boolean;
  clock: () => number;
  /** Between plain lines when not a terminal (default 5 s). */
  everyMs?: number;
}

/**
 * Draws progress as it is reported: a change of phase (the last one, `done`, included) is always drawn.
 * `finish()` ends the redrawn line on a terminal.
 */
export function progressBar(o: ProgressBarOptions): {
  update(p: ImportProgress): void;
  finish(): void;
} {
  const every = o.tty ? 100 : (o.everyMs ?? 5000);
  let last = -Infinity;
  let lastPhase = "";
  let lastLine = "";
  const draw = (p: ImportProgress, now: number) => {
    const line = formatProgress(p, now);
    lastLine = line;
    o.write(o.tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  return {
    update(p) {
      const now = o.clock();
      if (now - last < every && p.phase === lastPhase) return;
      last = now;
      lastPhase = p.phase;
      draw(p, now);
    },
    finish() {
      if (o.tty && lastLine) o.write("\n");
    },
  };
}
