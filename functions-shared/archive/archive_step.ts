/**
 * The step of `archive-odoo-files`: discover attachments, then claim batches
 * of `lead_files` and, for each, read the bytes from Odoo (batched by size),
 * verify the sha1 against Odoo's checksum, upload to the bucket at
 * `odoo-archive/{lead_id}/{odoo_id}-{safe name}` (bounded concurrency), and
 * record the outcome set-based. Content already stored under the same
 * checksum is copied inside Storage instead of being read and sent again.
 */
import { createHash } from "node:crypto";
import type { Sql } from "../deps.ts";
import { asPasserelleError, PasserelleError } from "../errors.ts";
import type { StepResult } from "../engine/batch_result.ts";
import type { Budget } from "../engine/budget.ts";
import { mapLimit } from "../engine/map_limit.ts";
import { type Outcome, runQueue } from "../engine/run_queue.ts";
import type { ObjectStore } from "../storage/object_store.ts";
import { archiveKey } from "../storage/safe_key.ts";
import { storedCopies } from "../backup/lead_file_ledger.ts";
import { verifiedBody } from "../backup/verified_body.ts";
import type { OdooClient } from "../odoo/client.ts";
import type { OdooReader } from "../sync/odoo_reader.ts";
import { assertCanReadLeads, discoverAttachments } from "./attachment_discovery.ts";
import { type Content, readBatches, readContents } from "./attachment_content.ts";
import {
  claimLeadFiles,
  type LeadFile,
  recordLeadFiles,
  remainingLeadFiles,
  type StoredFile,
} from "./lead_file_queue.ts";

/** What the archive needs from Odoo: batched reads, discovery, and a streamed read for big files. */
export type ArchiveOdoo = OdooReader & Pick<OdooClient, "readBinary">;

export interface ArchiveOptions {
  /** Files claimed per batch. */
  batchSize?: number;
  /** Bytes of files per Odoo read call (base64 adds a third on the wire). */
  maxReadBytes?: number;
  /** Files at least this big are streamed from Odoo to Storage, never held whole in memory. */
  streamFromBytes?: number;
  /** Uploads at once. */
  concurrency?: number;
  /** Odoo reads at once (groups, or big files streamed). */
  readLanes?: number;
  /** Seconds a claim is held before another call may take it again. */
  leaseS?: number;
  /** Skip discovery (the backup import already created the rows). */
  discover?: boolean;
}

/** Lowercase hex sha1, as Odoo's `checksum`. */
export function sha1Hex(bytes: Uint8Array): string {
  return createHash("sha1").update(bytes).digest("hex");
}

type Job =
  | { kind: "fail"; file: LeadFile; error: PasserelleError }
  | { kind: "copy"; file: LeadFile; from: string }
  | { kind: "upload"; file: LeadFile };

/** Decides, without reading any bytes, what each claimed file needs. */
export function planFiles(files: LeadFile[], storedByChecksum: Map<string, string>): Job[] {
  const jobs: Job[] = [];
  for (const file of files) {
    if (file.odoo_type === "url") {
      jobs.push({
        kind: "fail",
        file,
        error: new PasserelleError(
          "attachment_url",
          `Attachment ${file.odoo_id} is a link, not a stored file`,
        ),
      });
    } else if (file.odoo_id === null) {
      jobs.push({
        kind: "fail",
        file,
        error: new PasserelleError("attachment_missing", `File ${file.id} has no Odoo attachment id`),
      });
    } else if (file.checksum && storedByChecksum.has(file.checksum)) {
      jobs.push({ kind: "copy", file, from: storedByChecksum.get(file.checksum)! });
    } else {
      jobs.push({ kind: "upload", file });
    }
  }
  return jobs;
}

/** Builds the step with its dependencies. */
export function archiveFiles(deps: { odoo: ArchiveOdoo; store: ObjectStore; options?: ArchiveOptions }) {
  const o = {
    batchSize: 200,
    maxReadBytes: 4 * 1024 * 1024,
    streamFromBytes: 2 * 1024 * 1024,
    concurrency: 5,
    readLanes: 3,
    leaseS: 180,
    discover: true,
    ...deps.options,
  };
  const { odoo, store } = deps;

  const keyOf = (f: LeadFile) => archiveKey(f.lead_id, f.odoo_id!, f.name);

  /** What the ledger records of a file stored at `key`. */
  function stored(file: LeadFile, key: string): StoredFile {
    return { id: file.id, storage_path: key, file_url: store.publicPath(key) };
  }

  async function upload(file: LeadFile, bytes: Uint8Array): Promise<StoredFile> {
    if (file.checksum) {
      const sha1 = sha1Hex(bytes);
      if (sha1 !== file.checksum.toLowerCase()) {
        throw new PasserelleError(
          "checksum_mismatch",
          `Attachment ${file.odoo_id}: sha1 ${sha1} of the ${bytes.length} bytes read differs from Odoo's checksum ${file.checksum}`,
        );
      }
    }
    const key = keyOf(file);
    // The key is this attachment's own: writing it again after a crash
    // replaces the same verified bytes, so an object is never stored twice.
    await store.put(key, bytes, {
      contentType: file.mimetype || "application/octet-stream",
      size: bytes.length,
      upsert: true,
    });
    return stored(file, key);
  }

  /**
   * A big file goes from Odoo's answer to Storage as a stream, checked on
   * the way (`verifiedBody`): bytes that do not match Odoo's checksum or size
   * end the upload with an error, and the store keeps nothing.
   */
  async function uploadStreamed(file: LeadFile): Promise<StoredFile> {
    const read = await odoo.readBinary("ir.attachment", file.odoo_id!, "datas");
    if (!read) {
      throw new PasserelleError("attachment_missing", `Attachment ${file.odoo_id} no longer exists in Odoo`);
    }
    const size = file.file_size!; // (streamed files are those whose size says they are big)
    const body = verifiedBody(read.stream, {
      sha1: file.checksum,
      size,
      where: `Attachment ${file.odoo_id}`,
    });
    const key = keyOf(file);
    try {
      await store.put(key, body.stream, {
        contentType: file.mimetype || "application/octet-stream",
        size,
        upsert: true,
      });
    } catch (e) {
      throw body.error() ?? e;
    }
    return stored(file, key);
  }

  async function copy(file: LeadFile, from: string): Promise<StoredFile> {
    const key = keyOf(file);
    if (key !== from) {
      try {
        await store.copy(from, key);
      } catch (e) {
        if (!(e instanceof PasserelleError && e.code === "storage_duplicate")) throw e;
        // Something is already under the row's own key: a copy made before a crash, or the damaged
        // object repair requeued (reconcile's object_sha1/object_size). Storage's copy never overwrites,
        // so the key is cleared and copied again, as an upload's upsert replaces it: the key is this
        // row's and its claim makes this call its only writer.
        await store.remove([key]);
        await store.copy(from, key);
      }
    }
    return stored(file, key);
  }

  async function process(sql: Sql, budget: Budget, files: LeadFile[]): Promise<Outcome<StoredFile>> {
    const copies = await storedCopies(sql, files.flatMap((f) => (f.checksum ? [f.checksum] : [])));
    const jobs = planFiles(files, copies);
    const outcome: Outcome<StoredFile> = { done: [], failed: [], released: [] };
    const settle = async (file: LeadFile, work: () => Promise<StoredFile>) => {
      try {
        outcome.done.push(await work());
      } catch (e) {
        outcome.failed.push({ id: file.id, error: asPasserelleError(e) });
      }
    };

    for (const j of jobs) if (j.kind === "fail") outcome.failed.push({ id: j.file.id, error: j.error });
    await mapLimit(
      jobs.filter((j) => j.kind === "copy"),
      o.concurrency,
      (j) => settle(j.file, () => copy(j.file, (j as { from: string }).from)),
    );

    // One read per checksum: the first file of each content uploads, the
    // others copy it once it is stored.
    const uploads = jobs.filter((j): j is Extract<Job, { kind: "upload" }> => j.kind === "upload").map((j) =>
      j.file
    );
    const leaderOf = new Map<string, LeadFile>();
    const followers: LeadFile[] = [];
    const leaders: LeadFile[] = [];
    for (const f of uploads) {
      if (f.checksum && leaderOf.has(f.checksum)) followers.push(f);
      else {
        if (f.checksum) leaderOf.set(f.checksum, f);
        leaders.push(f);
      }
    }
    const isBig = (f: LeadFile) => (f.file_size ?? 0) >= o.streamFromBytes;
    const big = leaders.filter(isBig);
    const sized = leaders.filter((f) => !isBig(f)).map((f) => ({ file: f, size: f.file_size ?? 0 }));
    let started = false;
    // A checkpoint before each big file and each read group: it starts only if
    // the budget still allows one as costly as the costliest so far (wall and
    // CPU), else its files are given back. Checking only that the budget was
    // not yet spent let a group started at 49 s run to 68 s (issue #12).
    const costliest = { wallMs: 0, cpuMs: 0 };
    const fits = () => !started || (!budget.spent() && budget.allows(costliest));
    const measured = async (work: () => Promise<void>) => {
      const wall0 = budget.elapsedMs(), cpu0 = budget.cpuMs();
      await work();
      costliest.wallMs = Math.max(costliest.wallMs, budget.elapsedMs() - wall0);
      costliest.cpuMs = Math.max(costliest.cpuMs, budget.cpuMs() - cpu0);
    };
    const readGroup = (group: typeof sized): Promise<Map<number, Content>> => {
      const needsRead = group.filter((g) => g.size > 0 || g.file.checksum);
      return needsRead.length
        ? readContents(
          odoo,
          needsRead.map((g) => ({ id: g.file.id, odooId: g.file.odoo_id!, size: g.size })),
          { maxBytes: o.maxReadBytes },
        )
        : Promise.resolve(new Map());
    };
    const storeGroup = async (group: typeof sized) => {
      const contents = await readGroup(group);
      await mapLimit(group, o.concurrency, (g) =>
        settle(g.file, () => {
          const c = contents.get(g.file.id); // (none for an empty file without checksum: nothing to read)
          if (c instanceof PasserelleError) return Promise.reject(c);
          return upload(g.file, c ?? new Uint8Array(0));
        }));
      contents.clear();
    };
    // Reads in `readLanes` lanes: Odoo is threaded and serves them at once (issue 16: one lane left it idle
    // while this process hashed and stored). A lane holds one group's bytes (or one big file's stream
    // buffers) at a time; big files, streamed, go first, so that the small groups fill the lanes around them.
    const tasks = [
      ...big.map((f) => ({ ids: [f.id], run: () => settle(f, () => uploadStreamed(f)) })),
      ...readBatches(sized, o.maxReadBytes).map((group) => ({
        ids: group.map((g) => g.file.id),
        run: () => storeGroup(group),
      })),
    ];
    await mapLimit(tasks, o.readLanes, async (task) => {
      if (!fits()) {
        outcome.released!.push(...task.ids);
        return;
      }
      started = true;
      await measured(task.run);
    });
    const doneIds = new Map(outcome.done.map((d) => [d.id, d]));
    const failedIds = new Map(outcome.failed.map((f) => [f.id, f.error]));
    const releasedIds = new Set(outcome.released);
    await mapLimit(followers, o.concurrency, (f) => {
      const leader = leaderOf.get(f.checksum!)!;
      if (releasedIds.has(leader.id)) {
        outcome.released!.push(f.id);
        return Promise.resolve();
      }
      const leaderDone = doneIds.get(leader.id);
      if (leaderDone) return settle(f, () => copy(f, leaderDone.storage_path));
      const err = failedIds.get(leader.id)!;
      outcome.failed.push({ id: f.id, error: err });
      return Promise.resolve();
    });
    return outcome;
  }

  return async (ctx: { sql: Sql; budget: Budget; sampleMemory?: () => void }): Promise<StepResult> => {
    const { sql, budget } = ctx;
    // Before any Odoo call: without the bucket every file would be read, then refused.
    await store.checkBucket();
    // A login without Sales rights sees no attachment at all: refuse it before anything is done.
    await assertCanReadLeads(odoo);
    const discovery = o.discover
      ? await discoverAttachments({ odoo, sql, budget })
      : { pages: 0, seen: 0, created: 0, passDone: false };
    const r = await runQueue<LeadFile, StoredFile>({
      budget,
      batchSize: o.batchSize,
      claim: (n) => claimLeadFiles(sql, n, o.leaseS),
      process: (files) => process(sql, budget, files),
      record: (outcome) => recordLeadFiles(sql, outcome),
      remaining: () => remainingLeadFiles(sql),
      onBatch: ctx.sampleMemory,
    });
    const discoveryPending = o.discover && discovery.pages > 0 && !discovery.passDone;
    return {
      migrated: r.migrated,
      failed: r.failed,
      remaining: r.remaining,
      // Files waiting out a backoff are not work for now: chaining stops, and
      // the cron job comes back for them.
      more: r.stoppedBy !== "empty" || discoveryPending,
      // Claimed nothing and discovered nothing: no chain (the lease holders' chains or cron go on).
      worked: r.batches > 0 || discovery.pages > 0,
      errors: r.errors,
      details: { batches: r.batches, stoppedBy: r.stoppedBy, discovery },
    };
  };
}
