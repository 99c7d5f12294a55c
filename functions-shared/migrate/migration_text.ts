/**
 * The migration as text: the checks, one line per part (counts, rate, ETA), import-dump's own line while
 * it runs, and at the end the summary with what failed and why.
 */
import { formatBytes, formatDuration } from "../backup/progress_bar.ts";
import type { Check } from "./preconditions.ts";
import type { MigrationResult, MigrationView, Part } from "./run_migration.ts";

const count = new Intl.NumberFormat("en-US");

const MARK: Record<Check["state"], string> = { ok: "ok  ", warn: "warn", fail: "FAIL", fix: "fix " };

/** The checks, one a line: `ok   bucket: "estimation-files" is there`. */
export function formatChecks(checks: Check[]): string[] {
  return checks.map((c) => `${MARK[c.state]} ${c.name}: ${c.detail}`);
}

function figures(p: Part): string {
  const of = p.total === null ? "" : `/${count.format(p.total)}`;
  const failed = p.failed ? ` (${count.format(p.failed)} failed)` : "";
  return `${count.format(p.done)}${of} ${p.unit}${failed}`;
}

/** One part: `files          1,200/17,366 files  95.0 files/s  ETA 2m50s  running`. */
export function formatPart(p: Part): string {
  const rate = p.rate === null ? "" : `  ${p.rate.toFixed(1)} ${p.unit}/s`;
  const eta = p.state === "running" && p.etaS !== null ? `  ETA ${formatDuration(p.etaS * 1000)}` : "";
  const took = p.startedAt !== null && p.endedAt !== null
    ? `  in ${formatDuration(p.endedAt - p.startedAt)}`
    : "";
  const body = p.state === "waiting" || p.state === "skipped" ? "" : `${figures(p)}${rate}${eta}${took}`;
  return `${p.label.padEnd(15)}${p.state.padEnd(9)} ${body}${body ? "  " : ""}${p.detail}`.trimEnd();
}

/** Every line of one moment. */
export function formatView(v: MigrationView): string[] {
  const lines = [`migration ${formatDuration(v.elapsedMs)}`, ...v.parts.map((p) => `  ${formatPart(p)}`)];
  const d = v.dump;
  if (d && d.phase !== "done") {
    lines.push(
      d.phase === "storing"
        ? `    import-dump: ${count.format(d.filesDone)}/${count.format(d.filesTotal)} files, ` +
          `${formatBytes(d.bytesDone)}/${formatBytes(d.bytesTotal)}`
        : `    import-dump: ${d.phase} (${formatBytes(d.scannedBytes)} of dump.sql read)`,
    );
  }
  return lines;
}

/** The summary the command ends with. */
export function formatResult(r: MigrationResult): string {
  const lines: string[] = [];
  if (r.refused) {
    lines.push("The migration did not start:");
    for (const c of r.checks.filter((c) => c.state === "fail")) lines.push(`  ${c.name}: ${c.detail}`);
    return lines.join("\n");
  }
  lines.push(`Migration ${r.ok ? "complete" : "NOT complete"} in ${formatDuration(r.elapsedMs)}`);
  for (const p of r.parts) lines.push(`  ${formatPart(p)}`);
  const s = r.dumpSummary;
  if (s) {
    lines.push(
      `  import-dump: ${count.format(s.uploaded)} uploaded, ${count.format(s.copied)} copied, ` +
        `${count.format(s.skippedHeld)} left to the archive, ${count.format(s.failed)} failed, ` +
        `${formatBytes(s.bytesUploaded)} in ${formatDuration(s.elapsedMs)}`,
    );
  }
  const c = r.chatterSummary;
  if (c) {
    lines.push(
      `  import-dump's chatter: ${count.format(c.messages.read)} messages, ` +
        `${count.format(c.activities.read)} activities read from dump.sql`,
    );
  }
  const problems = r.parts.filter((p) => p.problems.length);
  if (problems.length) {
    lines.push("What did not go through, and why:");
    for (const p of problems) for (const m of p.problems) lines.push(`  ${p.label}: ${m}`);
  }
  return lines.join("\n");
}
