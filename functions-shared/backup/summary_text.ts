/**
 * The end-of-import summary, as the CLI prints it: what was stored, skipped and refused, and what to do
 * next when something is left.
 */
import type { ImportSummary } from "./import_backup.ts";
import { formatBytes, formatDuration } from "./progress_bar.ts";

const n = new Intl.NumberFormat("en-US");

/** What a skip reason means, for the summary line. */
const SKIP_REASONS: Record<string, string> = {
  attachment_url: "links: no file to store",
  lead_deleted: "their lead was deleted in Odoo",
};

/**
 * A few lines a person reads at the end of a run (dry runs say "would").
 *
 * @example
 * console.log(formatSummary(summary, { failuresPath: "failures.csv" }));
 */
export function formatSummary(s: ImportSummary, opts: { failuresPath?: string | null } = {}): string {
  const d = s.dryRun;
  const lines: string[] = [];
  const title = d ? "Dry run: nothing was written." : s.interrupted ? "Interrupted." : "Import finished.";
  lines.push(`${title} (${formatDuration(s.elapsedMs)})`);
  const rows: [string, string][] = [
    [
      "attachments in the backup",
      `${n.format(s.attachmentsRead)} (filestore: ${n.format(s.filestoreFiles)} files)`,
    ],
    ["matching lead_files", n.format(s.matched)],
  ];
  if (s.created) {
    rows.push([d ? "lead_files rows to create" : "lead_files rows created", n.format(s.created)]);
  }
  rows.push([d ? "to upload" : "uploaded", `${n.format(s.uploaded)} (${formatBytes(s.bytesUploaded)})`]);
  rows.push([d ? "to copy (same content)" : "copied (same content)", n.format(s.copied)]);
  if (s.alreadyStored) rows.push(["found stored, now recorded", n.format(s.alreadyStored)]);
  rows.push(["already stored (skipped)", n.format(s.skippedDone)]);
  if (s.skippedHeld) rows.push(["held by archive-odoo-files", `${n.format(s.skippedHeld)} (skipped)`]);
  if (s.skipped.length) rows.push(["skipped (nothing to store)", n.format(s.skipped.length)]);
  rows.push([d ? "would fail" : "failed", n.format(s.failed)]);
  if (s.abandoned) rows.push(["not done (interrupted)", n.format(s.abandoned)]);
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) lines.push(`  ${label.padEnd(width)}  ${value}`);
  if (s.notSynced) {
    lines.push(
      `  ${
        n.format(s.notSynced)
      } crm.lead attachments belong to leads not synced yet: run sync-odoo-leads first`,
    );
  }
  if (s.notLinked) {
    lines.push(
      `  ${
        n.format(s.notLinked)
      } crm.lead attachments have no lead_files row: run again with --create-missing to import them`,
    );
  }
  if (s.skipped.length) {
    const byCode = new Map<string, number>();
    for (const f of s.skipped) byCode.set(f.code, (byCode.get(f.code) ?? 0) + 1);
    lines.push(
      `  skipped by reason: ${
        [...byCode].map(([c, k]) => `${c} ${n.format(k)}${SKIP_REASONS[c] ? ` (${SKIP_REASONS[c]})` : ""}`)
          .join(", ")
      }`,
    );
  }
  if (s.failures.length) {
    const byCode = new Map<string, number>();
    for (const f of s.failures) byCode.set(f.code, (byCode.get(f.code) ?? 0) + 1);
    lines.push(`  failures by reason: ${[...byCode].map(([c, k]) => `${c} ${n.format(k)}`).join(", ")}`);
    if (opts.failuresPath) lines.push(`  the failures are listed in ${opts.failuresPath}`);
    else if (d) lines.push("  (a dry run writes no failures file)");
  }
  if (s.interrupted) lines.push("  Run the same command again to resume: stored files are skipped.");
  return lines.join("\n");
}
