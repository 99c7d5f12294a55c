import assert from "node:assert/strict";
import {
  formatAgo,
  formatCount,
  formatDuration,
  formatEta,
  formatPercent,
  formatProgress,
  formatRate,
  formatRemaining,
} from "./format.ts";

Deno.test("formatProgress() reads like the card: 751 / 18,323 migrated", () => {
  assert.equal(formatProgress({ key: "files", done: 751, total: 18323 }), "751 / 18,323 migrated");
  assert.equal(formatProgress({ key: "leads", done: 1234567, total: null }), "1,234,567 / ? migrated");
  assert.equal(formatProgress({ key: "import:3f2a", done: 0, total: 999 }), "0 / 999 imported");
});

Deno.test("formatCount() groups thousands with commas whatever the locale", () => {
  assert.deepEqual([0, 999, 1000, 18323, 1000000, -4500].map(formatCount), [
    "0",
    "999",
    "1,000",
    "18,323",
    "1,000,000",
    "-4,500",
  ]);
  assert.equal(formatCount(null), "?");
});

Deno.test("formatDuration() and formatEta() say how long is left in words a person reads at a glance", () => {
  assert.deepEqual(
    [0, 44.6, 59.4, 60, 89, 3599, 3600, 7024, 7170, 86399, 86400, 190000].map(formatDuration),
    [
      "0 s",
      "45 s",
      "59 s",
      "1 min",
      "1 min",
      "59 min",
      "1 h 00 min",
      "1 h 57 min",
      "2 h 00 min",
      "1 d 0 h",
      "1 d 0 h",
      "2 d 5 h",
    ],
  );
  assert.equal(formatDuration(null), "—");
  assert.equal(formatEta({ eta_s: 160, complete: false }), "ETA 3 min");
  assert.equal(formatEta({ eta_s: null, complete: false }), "ETA unknown");
  assert.equal(formatEta({ eta_s: 0, complete: true }), "complete");
});

Deno.test("formatRate(), formatPercent() and formatRemaining() show unknowns as such", () => {
  assert.equal(formatRate(2.5, "files"), "2.5 files/s");
  assert.equal(formatRate(0.07, "files"), "4.2 files/min");
  assert.equal(formatRate(0, "leads"), "0 leads/s");
  assert.equal(formatRate(null, "leads"), "no recent batch");
  assert.equal(formatPercent(4.1), "4.1%");
  assert.equal(formatPercent(84), "84.0%");
  assert.equal(formatPercent(null), "—");
  assert.equal(formatRemaining({ remaining: 17560 }), "17,560 remaining");
  assert.equal(formatRemaining({ remaining: null }), "remaining unknown");
});

Deno.test("formatAgo() counts from the document's time, so every view agrees", () => {
  const now = "2026-11-24T12:00:00+00:00";
  assert.equal(formatAgo("2026-11-24T11:59:25+00:00", now), "35 s ago");
  assert.equal(formatAgo("2026-11-24T11:57:00.4+00:00", now), "3 min ago");
  assert.equal(formatAgo(null, now), "never");
});
