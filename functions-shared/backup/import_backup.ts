/**
 * `importBackup()`: stores the files of an Odoo backup (`dump.sql` + `filestore/`) for the `lead_files`
 * waiting for them, without the Odoo API and without restoring the dump.
 *
 * 1. Scan: the `ir_attachment` rows stream out of dump.sql (or come from a mapping CSV); only those of
 *    a `lead_files` row (by `odoo_id`) are kept, plus, with `createMissing`, those of crm.lead records.
 * 2. Plan: rows already stored are skipped (resume), rows the archive function holds are skipped, and
 *    every other row is matched with its filestore file.
 * 3. Store: a few files ahead of the workers, their rows are claimed with the archive's lease and
 *    states (`backup_claims.ts`), so that archive-odoo-files running meanwhile never works on the same
 *    file; rows it stored or holds by then are left to it. Files go to the ObjectStore under
 *    `archiveKey()` (the archive function's key, `upsert` as the archive does) with bounded
 *    parallelism, each checked against Odoo's sha1 as it streams; content already stored (same sha1) is
 *    copied server-side instead. Results are recorded a batch at a time under their claims, so a row is
 *    either fully recorded or untouched. What is left comes from the table, so the ETA counts only what
 *    no one has done yet.
 *
 * Interrupting (`signal`) stops taking files, abandons those in flight (their uploads fail, so storage
 * keeps nothing under their keys), records what finished and gives back the claims not finished. The
 * key is the row's own and its claim makes this import its only writer, so an object found there (an
 * upload that finished without being recorded: a killed process) is the same verified file: it is
 * replaced, never downloaded to compare.
 */
import type { Sql } from "../deps.ts";
import { PasserelleError } from "../errors.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { archiveKey } from "../storage/safe_key.ts";
import { type Attachment, dumpAttachments } from "./attachment.ts";
import type { Backup, BackupFile } from "./backup_source.ts";
import type { ImportFailure } from "./failures_csv.ts";
import {
  createMissingLeadFiles,
  leadFilesByOdooId,
  type LeadFileTarget,
  leadsByOdooId,
  linkedOdooIds,
  storedCopies,
} from "./lead_file_ledger.ts";
import { emptyProgress, type ImportProgress } from "./progress_bar.ts";
import { sha1FromStoreFname, storeFnameProblem } from "./store_fname.ts";
import { recordBackupOrphans } from "./backup_orphans.ts";
import { byteBudget } from "./byte_budget.ts";
import {
  type BackupClaim,
  claimBackupFiles,
  type ClaimedDone,
  type ClaimedFailure,
  recordClaimed,
  releaseClaims,
  renewClaims,
} from "./backup_claims.ts";
import { type VerifiedBody, verifiedBody } from "./verified_body.ts";

const MIB = 1 << 20;

/** Rows claimed per statement. */
const CLAIM_CHUNK = 5000;

/** sha1 of zero bytes: the content of Odoo's empty attachments. */
export const EMPTY_SHA1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";

/** What `importBackup()` needs. */
export interface ImportDeps {
  sql: Sql;
  store: ObjectStore;
  backup: Backup;
  /** Attachments from a mapping CSV, read instead of dump.sql. */
  mapping?: Attachment[];
  /** Files stored at once (default 5). */
  concurrency?: number;
  /** Plan and report only: nothing is written to the database or to storage. */
  dryRun?: boolean;
  /** Create `lead_files` rows for crm.lead attachments that have none (their lead must exist). */
  createMissing?: boolean;
  /** Stops the import cleanly (see the module comment). */
  signal?: AbortSignal;
  /** Milliseconds, for rates and batching (default `performance.now`). */
  clock?: () => number;
  /** Waits between retries of a storage call that may succeed later (default a timer). */
  sleep?: (ms: number) => Promise<void>;
  /** Called as the import moves (often: throttle the display, as `progressBar()` does). */
  onProgress?: (p: ImportProgress) => void;
  /** Results recorded per statement (default 200). */
  batchSize?: number;
  /** Longest wait before recording finished results (default 1 s). */
  flushMs?: number;
  /** Tries of a storage call that failed with a retryable error (default 3). */
  attempts?: number;
  /**
   * Seconds a claimed row is held (default 120: the archive's LEASE_S is 180); the claims are renewed
   * every third of it while the import runs (a heartbeat), so a killed import's rows go back to the
   * queue within this time.
   */
  leaseS?: number;
  /**
   * Bytes of file bodies in flight at once (default 6 MiB: one big file at a time, or many small ones),
   * each file weighing what the store holds of it (`putBufferBytes`: Supabase's buffers up to its 6 MiB
   * chunk, the local store's streams), `byte_budget.ts`. Measured against the Storage stand-in on 38
   * files of 5–50 MB, 5 at once: peak RSS 285–330 MB unbounded, 227 MB with 12 MiB, 182–200 MB with
   * 6 MiB (and `collectGarbage`).
   */
  inFlightBytes?: number;
  /**
   * Frees what the uploads left behind (`gc` when the process runs with `--v8-flags=--expose-gc`, as
   * `deno task import-dump` does; `minor`: the young generation only): the read and upload buffers of
   * finished chunks are garbage V8 only collects once about 64 MB of it piled up, a third of the 200 MB
   * the import may take (see `maybeCollect`).
   */
  collectGarbage?: (minor?: boolean) => void;
}

/** What an import did (or, with `dryRun`, would do). */
export interface ImportSummary {
  dryRun: boolean;
  /** Stopped by the signal before the end. */
  interrupted: boolean;
  /** `ir_attachment` rows read (dump or mapping). */
  attachmentsRead: number;
  /** Of those, rows that belong to a `lead_files` row (after creation). */
  matched: number;
  /** `lead_files` rows created (`createMissing`); in a dry run, rows that would be. */
  created: number;
  /** crm.lead attachments without a `lead_files` row whose lead is here, left alone (no `createMissing`). */
  notLinked: number;
  /** crm.lead attachments of leads not synced yet, left alone (no `createMissing`; with it, failures). */
  notSynced: number;
  /** Already stored: skipped. */
  skippedDone: number;
  /** Held by the archive function (live claim), before or during the import: skipped. */
  skippedHeld: number;
  /** Files uploaded (dry run: to upload). */
  uploaded: number;
  /** Files copied within storage from identical content (dry run: to copy). */
  copied: number;
  /** Files found already under their key (an earlier run stopped before recording them). */
  alreadyStored: number;
  /** Files that could not be stored (see `failures`): real failures, the only ones that make the run fail. */
  failed: number;
  /**
   * Attachments left alone on purpose, with their reason: links (`attachment_url`: no file to store) and
   * attachments of leads deleted in Odoo (`lead_deleted`). Not failures: nothing here could be stored.
   */
  skipped: ImportFailure[];
  /** Files planned but not finished (interrupted). */
  abandoned: number;
  bytesUploaded: number;
  /** Files in the backup's filestore (its checklist aside). */
  filestoreFiles: number;
  elapsedMs: number;
  failures: ImportFailure[];
}

interface Item {
  att: Attachment;
  target: LeadFileTarget;
  /** Null for an empty file (no store_fname, nothing to read). */
  file: BackupFile | null;
  size: number;
  sha1: string | null;
  key: string;
  contentType: string;
  /** The row's claim, once taken. */
  claim?: BackupClaim;
}

type Outcome =
  | { kind: "uploaded" | "copied" | "present"; item: Item; sha1: string | null }
  | { kind: "failed"; att: Attachment; target: LeadFileTarget; error: PasserelleError; claim?: BackupClaim }
  | { kind: "abandoned" };

const LEAD_MODEL = "crm.lead";

function failure(code: PasserelleError["code"], message: string): PasserelleError {
  return new PasserelleError(code, message);
}

function describe(att: Attachment): string {
  return `attachment ${att.id} "${att.name}"`;
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Imports a backup's files for `lead_files`; returns what it did. Throws only for what stops the whole
 * import (an unreadable backup or dump, a database error); a file's own problem becomes a failure,
 * recorded on its row and listed in `failures`.
 *
 * @example
 * const backup = await openBackup("backup.zip");
 * const summary = await importBackup({ sql, store, backup, signal: ctrlC.signal, onProgress: bar.update });
 */
export async function importBackup(d: ImportDeps): Promise<ImportSummary> {
  const clock = d.clock ?? (() => performance.now());
  const sleep = d.sleep ?? defaultSleep;
  const concurrency = Math.max(1, Math.floor(d.concurrency ?? 5));
  const batchSize = d.batchSize ?? 200;
  const flushMs = d.flushMs ?? 1000;
  const attempts = d.attempts ?? 3;
  const signal = d.signal;
  const t0 = clock();
  const progress = emptyProgress();
  const report = () => d.onProgress?.(progress);
  const summary: ImportSummary = {
    dryRun: Boolean(d.dryRun),
    interrupted: false,
    attachmentsRead: 0,
    matched: 0,
    created: 0,
    notLinked: 0,
    notSynced: 0,
    skippedDone: 0,
    skippedHeld: 0,
    uploaded: 0,
    copied: 0,
    alreadyStored: 0,
    failed: 0,
    skipped: [],
    abandoned: 0,
    bytesUploaded: 0,
    filestoreFiles: 0,
    elapsedMs: 0,
    failures: [],
  };
  const finish = () => {
    summary.interrupted = Boolean(signal?.aborted);
    summary.elapsedMs = clock() - t0;
    progress.phase = "done";
    report();
    return summary;
  };

  // Before reading the backup: without the bucket every file would be read, then refused.
  await d.store.checkBucket();

  // 1. Scan.
  const linked = await linkedOdooIds(d.sql);
  const kept: Attachment[] = [];
  const orphans: Attachment[] = []; // crm.lead attachments without a row
  for await (const att of attachmentSource(d, progress, report)) {
    summary.attachmentsRead++;
    if (linked.has(att.id)) kept.push(att);
    else if (att.resModel === LEAD_MODEL && att.resId !== null && att.resField === null) orphans.push(att);
  }
  if (signal?.aborted) return finish();
  progress.phase = "planning";
  report();

  // 2. Plan: rows to create, rows to skip, files to find.
  const failures: {
    att: Attachment;
    target: LeadFileTarget | null;
    error: PasserelleError;
    code?: string;
  }[] = [];
  const virtualTargets = new Map<number, LeadFileTarget>();
  // Attachments of leads that are not here: deleted in Odoo (skipped) or not synced yet (failures).
  const leads = orphans.length ? await leadsByOdooId(d.sql, orphans.map((a) => a.resId!)) : new Map();
  const deleted = orphans.length ? await deletedLeadTest(d.sql) : () => false;
  const withLead: Attachment[] = [];
  let leadGone = new Set<number>(); // attachments whose lead went while their rows were made
  for (const a of orphans) {
    if (leads.has(a.resId!)) withLead.push(a);
    else if (deleted(a.resId!)) {
      failures.push({ att: a, target: null, error: leadDeleted(a), code: "lead_deleted" });
    } else if (d.createMissing) failures.push({ att: a, target: null, error: leadMissing(a) });
    else summary.notSynced++; // not part of this run: nothing asked to create its row
  }
  if (d.createMissing && withLead.length) {
    if (d.dryRun) {
      for (const a of withLead) virtualTargets.set(a.id, virtualTarget(a, leads.get(a.resId!)!));
      summary.created = virtualTargets.size;
    } else {
      const r = await createMissingLeadFiles(d.sql, withLead.map(missingRow));
      summary.created = r.created.length;
      const missing = new Set(r.leadMissing);
      for (const a of withLead) {
        if (missing.has(a.id)) failures.push({ att: a, target: null, error: leadMissing(a) });
        else kept.push(a);
      }
      leadGone = missing;
    }
  } else {
    // Only attachments whose lead is here can get a row: the advice to --create-missing counts those.
    summary.notLinked = withLead.length;
  }
  // No lead_files row can hold an attachment whose lead is not here: the status document lists them
  // from passerelle.backup_orphans, with their reason.
  if (!d.dryRun) {
    await recordBackupOrphans(d.sql, orphans.filter((a) => !leads.has(a.resId!) || leadGone.has(a.id)));
  }
  const targets = await leadFilesByOdooId(d.sql, kept.map((a) => a.id));
  // A dry run creates nothing: the rows it would create are planned as they would be.
  for (const [k, v] of virtualTargets) targets.set(k, v);
  if (d.dryRun) kept.push(...orphans.filter((a) => virtualTargets.has(a.id)));

  const pending: { att: Attachment; target: LeadFileTarget }[] = [];
  for (const att of kept) {
    const target = targets.get(att.id);
    if (!target) continue;
    summary.matched++;
    if (target.stored) summary.skippedDone++;
    else if (target.held) summary.skippedHeld++;
    else pending.push({ att, target });
  }

  const wanted: string[] = [];
  const needsFile: { att: Attachment; target: LeadFileTarget }[] = [];
  const items: Item[] = [];
  for (const p of pending) {
    const problem = precheck(p.att, p.target);
    if (problem instanceof PasserelleError) {
      failures.push({ ...p, error: problem });
    } else if (problem === "empty") {
      // Odoo keeps no checksum for an empty file (false over the API, fixture odoo/42): nor do we, as
      // the archive function records it.
      items.push(makeItem(p.att, p.target, null, 0, p.att.checksum?.toLowerCase() ?? null));
    } else {
      needsFile.push(p);
      wanted.push(p.att.storeFname!);
    }
  }
  const located = await d.backup.locate(wanted);
  summary.filestoreFiles = located.filestoreFiles;
  for (const p of needsFile) {
    const file = located.files.get(p.att.storeFname!);
    if (!file) {
      failures.push({
        ...p,
        error: failure(
          "attachment_missing",
          `filestore/${p.att.storeFname} (${describe(p.att)}) is not in ${d.backup.path}`,
        ),
      });
      continue;
    }
    const sha1 = (p.att.checksum ?? sha1FromStoreFname(p.att.storeFname!))?.toLowerCase() ?? null;
    items.push(makeItem(p.att, p.target, file, file.size, sha1));
  }
  // Reading in the backup's order keeps a zip's reads sequential.
  items.sort((a, b) => (a.file?.order ?? -1) - (b.file?.order ?? -1));

  const known = await storedCopies(d.sql, items.flatMap((i) => (i.sha1 ? [i.sha1] : [])));
  progress.filesTotal = items.length + failures.filter((f) => f.target).length;
  const noteFailure = (att: Attachment, target: LeadFileTarget | null, e: PasserelleError, code?: string) => {
    addFailure(summary, att, target, e, code);
    // The progress line's count is the summary's: one count everywhere.
    progress.filesFailed = summary.failed;
  };
  progress.bytesTotal = items.reduce((n, i) => n + i.size, 0);

  if (d.dryRun) {
    const seen = new Set(known.keys());
    for (const i of items) {
      if (i.sha1 && seen.has(i.sha1)) summary.copied++;
      else {
        summary.uploaded++;
        summary.bytesUploaded += i.size;
        if (i.sha1) seen.add(i.sha1);
      }
    }
    for (const f of failures) noteFailure(f.att, f.target, f.error, f.code);
    return finish();
  }

  // 3. Store. What the scan and the plan left (the dump's rows, the zip's directory, query results) is
  // collected first: the uploads' buffers come on top of what is live, not of that garbage.
  d.collectGarbage?.();
  progress.phase = "storing";
  progress.startedAt = clock();
  report();
  const leaseS = d.leaseS ?? 120;

  // leased_until is filled in as the batch is recorded: a heartbeat may have renewed the claim meanwhile.
  let buffer: { done: ClaimedDone[]; failed: ClaimedFailure[]; failures: typeof failures } = {
    done: [],
    failed: [],
    failures: [],
  };
  let lastFlush = clock();
  let flushing: Promise<void> = Promise.resolve();
  let fatal: unknown = null;
  let collectedAt = 0;
  let majorAt = 0;
  /**
   * Collects the garbage as bytes pass and as files end: a young-generation collection every 2 MiB (the
   * read, inflate and upload buffers of finished chunks die young; 0.3 ms each), a full one every 32 MiB
   * (5 ms: what was promoted meanwhile).
   */
  const maybeCollect = () => {
    if (d.collectGarbage && progress.bytesDone - collectedAt >= 2 * MIB) {
      collectedAt = progress.bytesDone;
      const major = progress.bytesDone - majorAt >= 32 * MIB;
      if (major) majorAt = progress.bytesDone;
      d.collectGarbage(!major);
    }
  };
  /** Claims taken and not yet recorded (renewed by the heartbeat; given back if the import stops). */
  const open = new Map<number, BackupClaim>();

  const flush = (): Promise<void> => {
    const batch = buffer;
    buffer = { done: [], failed: [], failures: [] };
    lastFlush = clock();
    flushing = flushing.then(async () => {
      if (fatal) return;
      try {
        // A claim the heartbeat could not renew (its lease ran out, the archive took the row) is gone.
        const done = batch.done.filter((x) => open.has(x.id));
        const failed = batch.failed.filter((x) => open.has(x.id));
        for (const x of [...done, ...failed]) x.leased_until = open.get(x.id)!.leasedUntil;
        const r = await recordClaimed(d.sql, done, failed);
        for (const x of [...done, ...failed]) open.delete(x.id);
        const doneIds = new Set(r.done);
        const failedIds = new Set(r.failed);
        // A claim whose lease ran out and that the archive took meanwhile is the archive's to finish.
        summary.skippedHeld += batch.done.filter((x) => !doneIds.has(x.id)).length;
        summary.skippedHeld += batch.failed.filter((x) => !failedIds.has(x.id)).length;
        for (const f of batch.failures) {
          if (!f.target || failedIds.has(f.target.id)) noteFailure(f.att, f.target, f.error);
        }
      } catch (e) {
        fatal ??= e;
      }
    });
    return flushing;
  };
  const push = (o: Outcome) => {
    if (o.kind === "abandoned") {
      summary.abandoned++;
      return;
    }
    if (o.kind === "failed") {
      const claim = o.claim!;
      buffer.failed.push({
        id: o.target.id,
        leased_until: claim.leasedUntil,
        code: o.error.code,
        message: o.error.message,
        retryable: o.error.retryable,
      });
      buffer.failures.push({ att: o.att, target: o.target, error: o.error });
    } else {
      const claim = o.item.claim!;
      buffer.done.push({
        id: o.item.target.id,
        leased_until: claim.leasedUntil,
        storage_path: o.item.key,
        file_url: d.store.publicPath(o.item.key),
        checksum: o.sha1,
        file_size: o.item.size,
        store_fname: o.item.att.storeFname,
      });
      if (o.kind === "uploaded") summary.uploaded++;
      else if (o.kind === "copied") summary.copied++;
      else summary.alreadyStored++;
    }
    progress.filesDone++;
    maybeCollect();
    report();
    if (buffer.done.length + buffer.failed.length >= batchSize || clock() - lastFlush >= flushMs) {
      void flush();
    }
  };
  /** A planned file someone else stored or holds: it leaves this import's totals. */
  const leftToOthers = (size: number) => {
    summary.skippedHeld++;
    progress.filesTotal--;
    progress.bytesTotal -= size;
  };

  // Failures found while planning are recorded like the others, under a claim.
  const planned = failures.filter((f) => f.target);
  for (const f of failures) if (!f.target) noteFailure(f.att, null, f.error, f.code);
  const plannedClaims = await claimBackupFiles(d.sql, planned.map((f) => f.att.id), leaseS);
  for (const f of planned) {
    const claim = plannedClaims.get(f.att.id);
    if (!claim) leftToOthers(0);
    else {
      open.set(claim.id, claim);
      push({ kind: "failed", att: f.att, target: f.target!, error: f.error, claim });
    }
  }

  // Content already stored, by sha1: from earlier runs, then from this one as uploads finish.
  const sources = new Map<string, Promise<string | null>>();
  for (const [sha, key] of known) sources.set(sha, Promise.resolve(key));

  const storeOne = async (item: Item): Promise<Outcome> => {
    const earlier = item.sha1 ? sources.get(item.sha1) : undefined;
    if (earlier) {
      // Same content as a file stored before or being stored now: wait for it, then copy it.
      const from = await earlier;
      if (signal?.aborted) return { kind: "abandoned" };
      if (from && from !== item.key) {
        const copied = await tryCopy(from, item);
        if (copied) return copied;
      }
      return await upload(item);
    }
    if (!item.sha1) return await upload(item);
    const first = Promise.withResolvers<string | null>();
    sources.set(item.sha1, first.promise);
    const o = await upload(item);
    const stored = o.kind === "uploaded";
    first.resolve(stored ? item.key : null);
    if (!stored) sources.delete(item.sha1);
    return o;
  };

  /**
   * Copies `from` to the item's key; null when the copy cannot be made (the source is gone, or the key
   * holds an unrecorded earlier upload, which a copy never overwrites): then the caller uploads.
   */
  const tryCopy = async (from: string, item: Item): Promise<Outcome | null> => {
    try {
      await retrying(() => d.store.copy(from, item.key));
      progress.bytesDone += item.size;
      return { kind: "copied", item, sha1: item.sha1 };
    } catch (e) {
      if (signal?.aborted) return { kind: "abandoned" };
      if (
        e instanceof PasserelleError && (e.code === "storage_not_found" || e.code === "storage_duplicate")
      ) {
        return null;
      }
      progress.bytesDone += item.size;
      return { kind: "failed", att: item.att, target: item.target, error: asFailure(e), claim: item.claim };
    }
  };

  const upload = async (item: Item): Promise<Outcome> => {
    const where = item.file ? `filestore/${item.file.storeFname}` : `${describe(item.att)} (empty)`;
    let lastBody: VerifiedBody | null = null;
    let counted = 0;
    // However it ends, the file counts as processed in full (the bar reaches its end with failures too).
    const settle = () => {
      progress.bytesDone += item.size - counted;
      counted = item.size;
    };
    // upsert: the key is this row's and the claim makes this import its only writer (module comment).
    const opts = { contentType: item.contentType, size: item.size, upsert: true };
    try {
      await retrying(async () => {
        if (!item.file) {
          await d.store.put(item.key, new Uint8Array(0), { ...opts, size: 0 });
          return;
        }
        progress.bytesDone -= counted; // a retry reads the file again
        counted = 0;
        lastBody = verifiedBody(item.file.open(signal), { sha1: item.sha1, size: item.size, where }, (n) => {
          counted += n;
          progress.bytesDone += n;
          maybeCollect();
        });
        try {
          await d.store.put(item.key, lastBody.stream, opts);
        } catch (e) {
          throw lastBody.error() ?? e;
        }
      });
      summary.bytesUploaded += item.size;
      settle();
      const seen = item.size === 0 ? null : (lastBody as VerifiedBody | null)?.sha1() ?? null;
      return { kind: "uploaded", item, sha1: seen ?? item.sha1 };
    } catch (e) {
      if (signal?.aborted) return { kind: "abandoned" };
      settle();
      return { kind: "failed", att: item.att, target: item.target, error: asFailure(e), claim: item.claim };
    }
  };

  const retrying = async (fn: () => Promise<void>): Promise<void> => {
    for (let attempt = 1;; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (signal?.aborted || attempt >= attempts || !(e instanceof PasserelleError) || !e.retryable) {
          throw e;
        }
        await sleep(500 * 2 ** (attempt - 1));
      }
    }
  };

  // Every planned row is claimed before the first file is read, so that while this import runs the
  // archive's calls find none of them to take (they claim nothing and chain nothing) and store only what
  // the backup lacks; rows the archive holds by then are left to it. A heartbeat renews the claims
  // (every third of the lease), in the recording queue so that a batch is recorded under the token it
  // holds; a claim it could not renew (the lease ran out, the archive took the row) leaves this import.
  const ready: Item[] = [];
  for (let at = 0; at < items.length && !signal?.aborted; at += CLAIM_CHUNK) {
    const batch = items.slice(at, at + CLAIM_CHUNK);
    const claims = await claimBackupFiles(d.sql, batch.map((i) => i.att.id), leaseS);
    for (const item of batch) {
      const claim = claims.get(item.att.id);
      if (!claim) leftToOthers(item.size);
      else {
        item.claim = claim;
        open.set(claim.id, claim);
        ready.push(item);
      }
    }
  }
  report();
  const renew = () => {
    flushing = flushing.then(async () => {
      if (fatal || open.size === 0) return;
      try {
        const lost = await renewClaims(d.sql, [...open.values()], leaseS);
        if (lost.size === 0) return;
        for (const id of lost) open.delete(id);
        const kept = ready.filter((i) => !lost.has(i.claim!.id));
        for (const i of ready) if (lost.has(i.claim!.id)) leftToOthers(i.size);
        ready.splice(0, ready.length, ...kept);
        report();
      } catch (e) {
        fatal ??= e;
      }
    });
  };
  const heartbeat = setInterval(renew, (leaseS * 1000) / 3);
  const take = (): Item | undefined => (signal?.aborted || fatal ? undefined : ready.shift());
  const budget = byteBudget(d.inFlightBytes ?? 6 * MIB);
  const worker = async () => {
    for (let item = take(); item; item = take()) {
      const release = await budget.acquire(
        d.store.putBufferBytes?.(item.size) ?? Math.min(item.size, 6 * MIB),
      );
      try {
        push(await storeOne(item));
      } finally {
        release();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, ready.length) }, worker));
  } finally {
    clearInterval(heartbeat);
  }
  await flush();
  summary.abandoned += ready.length;
  // Claims not finished (interrupted) go back to the queue at once, for the archive or the next run.
  if (open.size) {
    try {
      await releaseClaims(d.sql, [...open.values()]);
    } catch (e) {
      fatal ??= e;
    }
  }
  if (fatal) throw fatal;
  return finish();
}

/** Where attachments come from: the mapping CSV if given, else dump.sql (its bytes counted as read). */
async function* attachmentSource(
  d: ImportDeps,
  progress: ImportProgress,
  report: () => void,
): AsyncGenerator<Attachment> {
  if (d.mapping) {
    yield* d.mapping;
    return;
  }
  const counted = d.backup.dump(d.signal).pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, ctrl) {
        progress.scannedBytes += chunk.length;
        report();
        ctrl.enqueue(chunk);
      },
    }),
  );
  try {
    yield* dumpAttachments(counted, { signal: d.signal, label: `${d.backup.path}: dump.sql` });
  } catch (e) {
    if (d.signal?.aborted) return;
    throw e;
  }
}

/** A file's problem found without reading it, "empty" for an empty file, or null. */
function precheck(att: Attachment, target: LeadFileTarget): PasserelleError | "empty" | null {
  const type = att.type ?? target.odooType;
  if (type === "url") {
    return failure(
      "attachment_url",
      `${describe(att)} is a link (type url), not a file: there is nothing to store`,
    );
  }
  if (att.storeFname === null) {
    if (att.inDatabase) {
      return failure(
        "attachment_in_database",
        `${describe(att)} is kept in the database (db_datas), not in the filestore: archive it through the ` +
          "Odoo API (archive-odoo-files)",
      );
    }
    if ((att.fileSize ?? target.fileSize ?? 0) === 0) return "empty";
    return failure("attachment_missing", `${describe(att)} has no file in the filestore (no store_fname)`);
  }
  const problem = storeFnameProblem(att.storeFname);
  if (problem) {
    return failure(
      "attachment_unsafe_path",
      `${describe(att)}: store_fname "${att.storeFname}" would leave the filestore (${problem}): refused`,
    );
  }
  return null;
}

function makeItem(
  att: Attachment,
  target: LeadFileTarget,
  file: BackupFile | null,
  size: number,
  sha1: string | null,
): Item {
  // The row's name, as the archive function uses it, so that both give the same key.
  return {
    att,
    target,
    file,
    size,
    sha1,
    key: archiveKey(target.leadId, target.odooId, target.name),
    contentType: target.mimetype ?? att.mimetype ?? "application/octet-stream",
  };
}

/**
 * Whether a crm.lead id absent here was deleted in Odoo: the lead sync has read every lead Odoo had (it
 * caught up once, or finished a pass), so a lead it never wrote is gone. The same rule as `passerelle.file_exceptions()`, which
 * the status document lists orphans by.
 */
async function deletedLeadTest(sql: Sql): Promise<(crmLeadId: number) => boolean> {
  const [r] = await sql<{ complete: boolean | null }[]>`
    select coalesce(bool_or(caught_up_at is not null or passes > 0), false) as complete
      from public.sync_state where source = 'odoo_leads'`;
  return () => Boolean(r?.complete);
}

/** Reported as `lead_deleted` (a skip): the code stays Odoo's `lead_missing`, as the archive says it. */
function leadDeleted(a: Attachment): PasserelleError {
  return failure(
    "lead_missing",
    `crm.lead ${a.resId} of ${describe(a)} was deleted in Odoo (the lead sync read every lead and not this ` +
      "one): the file has no lead to belong to",
  );
}

function leadMissing(a: Attachment): PasserelleError {
  return failure(
    "lead_missing",
    `crm.lead ${a.resId} of ${describe(a)} has no lead here: sync the leads first`,
  );
}

function virtualTarget(a: Attachment, leadId: number): LeadFileTarget {
  return {
    id: 0,
    leadId,
    odooId: a.id,
    name: a.name,
    mimetype: a.mimetype,
    fileSize: a.fileSize,
    odooType: a.type ?? "binary",
    status: "pending",
    stored: false,
    held: false,
  };
}

function missingRow(a: Attachment) {
  return {
    odoo_id: a.id,
    res_id: a.resId!,
    name: a.name,
    mimetype: a.mimetype,
    checksum: a.checksum,
    // A link has no file, so no size (as archive-odoo-files records it).
    file_size: a.type === "url" ? null : a.fileSize,
    store_fname: a.storeFname,
    odoo_type: a.type ?? "binary",
  };
}

function asFailure(e: unknown): PasserelleError {
  if (e instanceof PasserelleError) return e;
  return new PasserelleError("internal", e instanceof Error ? e.message : String(e), false, { cause: e });
}

/** Why an attachment is skipped, not failed: nothing of it could be stored. */
const SKIPPED = new Set(["attachment_url", "lead_deleted"]);

function addFailure(
  s: ImportSummary,
  att: Attachment,
  target: LeadFileTarget | null,
  e: PasserelleError,
  code: string = e.code,
): void {
  const skipped = SKIPPED.has(code);
  if (!skipped) s.failed++;
  (skipped ? s.skipped : s.failures).push({
    odooId: att.id,
    leadFileId: target && target.id > 0 ? target.id : null,
    leadId: target ? target.leadId : null,
    name: att.name,
    storeFname: att.storeFname,
    code,
    message: e.message,
  });
}
