/**
 * The status document as terminal text (`deno task status`): per migration
 * and import, a progress bar, the figures, a gear that spins while work is
 * active, a pulse (green while the last batch is younger than the stale
 * window, red when stale), a "Cron failing" badge and the recent errors.
 * Pure: `frame` advances the spinner, so the caller animates and tests pin it.
 */
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
import type { ImportStatus, MigrationStatus, StatusDocument } from "./status_document.ts";

export interface TerminalOptions {
  /** ANSI colours (off when the output is not a terminal). */
  color?: boolean;
  /** Columns available; lines are cut to fit. Default 80. */
  width?: number;
  /** Spinner frame (the caller increments it on every refresh). */
  frame?: number;
  /** Error lines per card (default 5). */
  maxErrors?: number;
}

type Style = "bold" | "dim" | "green" | "red" | "yellow" | "cyan" | "badge-red" | "badge-yellow" | "plain";

const ANSI: Record<Style, [string, string]> = {
  bold: ["\x1b[1m", "\x1b[22m"],
  dim: ["\x1b[2m", "\x1b[22m"],
  green: ["\x1b[32m", "\x1b[39m"],
  red: ["\x1b[31m", "\x1b[39m"],
  yellow: ["\x1b[33m", "\x1b[39m"],
  cyan: ["\x1b[36m", "\x1b[39m"],
  "badge-red": ["\x1b[41;97;1m", "\x1b[0m"],
  "badge-yellow": ["\x1b[43;30m", "\x1b[0m"],
  plain: ["", ""],
};

/** Braille spinner: the terminal's spinning gear. */
export const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

type Segment = [string, Style];

/** Joins segments, cut to `width` visible characters, painted when `color`. */
function render(segments: Segment[], width: number, color: boolean): string {
  let left = width;
  let out = "";
  for (const [text, style] of segments) {
    if (left <= 0) break;
    const chars = [...text];
    let piece = chars.length > left ? chars.slice(0, Math.max(0, left - 1)).join("") + "…" : text;
    left -= Math.min(chars.length, left);
    if (color && style !== "plain") piece = ANSI[style][0] + piece + ANSI[style][1];
    out += piece;
  }
  return out;
}

/** `████████░░░░` for `percent` over `cells` cells. */
export function progressBar(percent: number | null, cells: number): string {
  const full = percent === null ? 0 : Math.round((Math.min(100, Math.max(0, percent)) / 100) * cells);
  return "█".repeat(full) + "░".repeat(cells - full);
}

function card(
  m: MigrationStatus | ImportStatus,
  doc: StatusDocument,
  o: Required<TerminalOptions>,
): Segment[][] {
  const lines: Segment[][] = [];
  const now = doc.generated_at;
  const gear: Segment[] = m.active
    ? [[`⚙ ${SPINNER[o.frame % SPINNER.length]} working`, "cyan"]]
    : [["⚙ idle", "dim"]];
  const pulse: Segment = m.alive === null
    ? ["○ closed", "dim"]
    : m.alive
    ? ["● live", "green"]
    : ["● stale", "red"];
  const head: Segment[] = [[m.label, "bold"], ["  ", "plain"], ...gear, ["  ", "plain"], pulse];
  const migration = "cron" in m ? m : null;
  if (migration?.cron.failing) head.push(["  ", "plain"], [" Cron failing ", "badge-red"]);
  if (migration?.paused) head.push(["  ", "plain"], [" Paused ", "badge-yellow"]);
  if ("status" in m) head.push(["  ", "plain"], [m.status, m.status === "failed" ? "red" : "dim"]);
  lines.push(head);

  const barCells = Math.max(10, Math.min(60, o.width - 12));
  lines.push([
    ["  ", "plain"],
    [progressBar(m.percent, barCells), m.complete ? "green" : "cyan"],
    [`  ${formatPercent(m.percent)}`, "bold"],
  ]);
  const figures: Segment[] = [["  ", "plain"], [formatProgress(m), "bold"]];
  if (m.failed > 0) figures.push([" · ", "dim"], [`${formatCount(m.failed)} failed`, "red"]);
  figures.push([" · ", "dim"], [formatRemaining(m), "plain"], [" · ", "dim"], [formatEta(m), "plain"]);
  lines.push(figures);

  const activity: Segment[] = [["  ", "plain"], [formatRate(m.rate, m.unit), "plain"]];
  if (migration) {
    activity.push([" · ", "dim"], [`last batch ${formatAgo(migration.last_batch_at, now)}`, "plain"]);
    if (migration.running_calls > 0) {
      activity.push([" · ", "dim"], [`${migration.running_calls} running`, "cyan"]);
    }
  }
  activity.push([" · ", "dim"], [`last success ${formatAgo(m.last_success_at, now)}`, "plain"]);
  if (m.last_failure_at) {
    activity.push([" · ", "dim"], [`last failure ${formatAgo(m.last_failure_at, now)}`, "red"]);
  }
  lines.push(activity);
  // Why it is paused: what to fix before `passerelle.resume` (a refused key says which setting).
  if (migration?.paused && migration.paused_reason) {
    lines.push([["  paused: ", "yellow"], [migration.paused_reason, "plain"]]);
  }

  if (migration) {
    const c = migration.cron;
    const cron: Segment[] = [["  cron ", "dim"]];
    if (!c.scheduled) {
      cron.push([
        doc.cron_available ? "not scheduled" : "not scheduled (no pg_cron in this database)",
        "yellow",
      ]);
    } else {
      cron.push([
        `${c.schedule}${c.active === false ? " (inactive)" : ""}`,
        c.active === false ? "yellow" : "plain",
      ]);
      cron.push([" · ", "dim"], [`last run ${formatAgo(c.last_run_at, now)}`, "plain"]);
      if (c.last_status) cron.push([`: ${c.last_status}`, c.last_status === "failed" ? "red" : "plain"]);
    }
    if (c.failing) cron.push([" · ", "dim"], [`${c.source}: ${c.message}`, "red"]);
    lines.push(cron);
  }

  const errors = m.recent_errors.slice(0, o.maxErrors);
  if (errors.length) {
    lines.push([["  errors, newest first:", "dim"]]);
    for (const e of errors) {
      lines.push([
        ["    ", "plain"],
        [`${e.count}× `, "red"],
        [e.message, "plain"],
        [` · ${formatAgo(e.last_seen, now)}`, "dim"],
      ]);
    }
  }
  return lines;
}

function utc(ts: string): string {
  return new Date(ts).toISOString().replace("T", " ").slice(0, 19) + " UTC";
}

/** Files never to be stored (links, orphans): a count and the reason, then the first few named. */
function exceptionLines(doc: StatusDocument): Segment[][] {
  const ex = doc.file_exceptions;
  if (!ex) return [];
  const lines: Segment[][] = [];
  for (const [label, g] of [["link", ex.links], ["orphan", ex.orphans]] as const) {
    if (g.count === 0) continue;
    const what = `${formatCount(g.count)} ${label}${g.count === 1 ? "" : "s"}`;
    lines.push([], [[`  ${what} not stored: `, "yellow"], [g.reason, "plain"]]);
    for (const i of g.items.slice(0, 3)) {
      lines.push([["    ", "plain"], [`${i.odoo_id} "${i.name}": `, "dim"], [i.reason, "plain"]]);
    }
  }
  return lines;
}

/**
 * The chatter syncs, one block each: rows read and written, stored (and linked to their lead), the pass and
 * cursor, the last run, the last failure, and the notice of what the sync goes on without.
 */
function chatterLines(doc: StatusDocument): Segment[][] {
  const syncs = doc.chatter ?? [];
  if (!syncs.some((c) => c.last_batch_at || c.stored)) return [];
  const lines: Segment[][] = [[], [["Chatter", "bold"]]];
  for (const c of syncs) {
    const pass = c.phase === null
      ? "not run yet"
      : c.phase === "incremental"
      ? `caught up ${formatAgo(c.caught_up_at, doc.generated_at)} (${c.passes} pass${
        c.passes === 1 ? "" : "es"
      })`
      : `first pass, cursor at id ${c.cursor_id ?? 0}`;
    lines.push([
      [`  ${c.label} `, "plain"],
      [`(${c.function_name}) `, "dim"],
      [
        `${formatCount(c.read)} read · ${formatCount(c.written)} written · ${formatCount(c.stored)} stored`,
        "plain",
      ],
      [` (${formatCount(c.linked)} on a lead) · ${pass}`, "dim"],
    ]);
    lines.push([
      ["    last run ", "dim"],
      [formatAgo(c.last_batch_at, doc.generated_at), "plain"],
      ...(c.last_failure_at
        ? [[` · last failure ${formatAgo(c.last_failure_at, doc.generated_at)}: `, "red"] as Segment, [
          c.last_failure_message ?? "",
          "plain",
        ] as Segment]
        : []),
    ]);
    if (c.notice) lines.push([["    ", "plain"], [c.notice, "yellow"]]);
  }
  return lines;
}

/** Renders the whole document; lines end with `\n`. */
export function renderTerminal(doc: StatusDocument, opts: TerminalOptions = {}): string {
  const o: Required<TerminalOptions> = {
    color: opts.color ?? false,
    width: opts.width ?? 80,
    frame: opts.frame ?? 0,
    maxErrors: opts.maxErrors ?? 5,
  };
  const lines: Segment[][] = [[
    ["Passerelle status", "bold"],
    [` · ${utc(doc.generated_at)} · stale after ${formatDuration(doc.stale_s)}`, "dim"],
  ]];
  for (const m of doc.migrations) lines.push([], ...card(m, doc, o));
  lines.push(...exceptionLines(doc));
  lines.push(...chatterLines(doc));
  if (doc.imports.length) {
    lines.push([], [["Imports", "bold"]]);
    for (const j of doc.imports) lines.push([], ...card(j, doc, o));
  }
  if (doc.net.failures > 0) {
    lines.push([], [
      ["pg_net ", "dim"],
      [`${formatCount(doc.net.failures)} failed of ${formatCount(doc.net.responses)} answers`, "red"],
      [
        ` in ${formatDuration(doc.window_s)} · last ${
          formatAgo(doc.net.last_failure_at, doc.generated_at)
        }: `,
        "dim",
      ],
      [doc.net.last_failure ?? "", "plain"],
    ]);
  }
  const rec = doc.reconcile;
  if (rec) {
    const kinds = Object.entries(rec.by_kind ?? {}).map(([k, n]) => `${k} ${n}`).join(", ");
    lines.push([], [
      ["Reconcile ", "dim"],
      rec.phase !== "done"
        ? [`run ${rec.run_id}: ${rec.phase}`, "plain"]
        : rec.differences
        ? [`run ${rec.run_id}: ${formatCount(rec.differences)} difference(s): ${kinds}`, "red"]
        : [`run ${rec.run_id}: nothing differs`, "green"],
      [` · ${formatCount(rec.deleted_kept ?? 0)} deletion(s) kept`, "dim"],
    ]);
  }
  return lines.map((l) => render(l, o.width, o.color)).join("\n") + "\n";
}
