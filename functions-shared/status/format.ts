/**
 * How the status figures read, in the terminal and on the page
 * (`scripts/status_page/status.html` carries the same rules in its inline
 * script; its test checks that both print the same text). Plain code rather
 * than `Intl`, so that no locale on either side changes a figure.
 */
import type { ProgressFigures } from "./status_document.ts";

/** `18323` → `"18,323"`; unknown → `"?"`. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "?";
  const sign = n < 0 ? "-" : "";
  return sign + String(Math.trunc(Math.abs(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `"751 / 18,323 migrated"` (`imported` for import jobs). */
export function formatProgress(m: Pick<ProgressFigures, "key" | "done" | "total">): string {
  const verb = m.key.startsWith("import:") ? "imported" : "migrated";
  return `${formatCount(m.done)} / ${formatCount(m.total)} ${verb}`;
}

/** `4.1` → `"4.1%"`; unknown → `"—"`. */
export function formatPercent(p: number | null | undefined): string {
  return p === null || p === undefined ? "—" : `${Number(p).toFixed(1)}%`;
}

/** A duration in seconds for a person: `45 s`, `24 min`, `3 h 05 min`, `2 d 4 h`. */
export function formatDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return "—";
  s = Math.max(0, s);
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.min(59, Math.max(1, Math.round(s / 60)))} min`;
  if (s < 86400) {
    let h = Math.floor(s / 3600);
    let m = Math.round((s % 3600) / 60);
    if (m === 60) [h, m] = [h + 1, 0];
    if (h === 24) return "1 d 0 h";
    return `${h} h ${String(m).padStart(2, "0")} min`;
  }
  let d = Math.floor(s / 86400);
  let h = Math.round((s % 86400) / 3600);
  if (h === 24) [d, h] = [d + 1, 0];
  return `${d} d ${h} h`;
}

/** `"ETA 24 min"`, `"complete"`, or `"ETA unknown"` (no recent batch to measure a rate). */
export function formatEta(m: Pick<ProgressFigures, "eta_s" | "complete">): string {
  if (m.complete) return "complete";
  if (m.eta_s === null || m.eta_s === undefined) return "ETA unknown";
  return `ETA ${formatDuration(m.eta_s)}`;
}

/** `"17,572 remaining"`, or `"remaining unknown"` before the total is known. */
export function formatRemaining(m: Pick<ProgressFigures, "remaining">): string {
  return m.remaining === null || m.remaining === undefined
    ? "remaining unknown"
    : `${formatCount(m.remaining)} remaining`;
}

/** `"12.5 files/s"`, below one a second `"4.2 files/min"`; `"no recent batch"` without a rate. */
export function formatRate(rate: number | null | undefined, unit: string): string {
  if (rate === null || rate === undefined) return "no recent batch";
  if (rate === 0) return `0 ${unit}/s`;
  if (rate >= 1) return `${rate.toFixed(1)} ${unit}/s`;
  return `${(rate * 60).toFixed(1)} ${unit}/min`;
}

/** `"35 s ago"` relative to `now` (the document's generated_at, so every view agrees); `"never"`. */
export function formatAgo(ts: string | null | undefined, now: string): string {
  if (!ts) return "never";
  return `${formatDuration((Date.parse(now) - Date.parse(ts)) / 1000)} ago`;
}
