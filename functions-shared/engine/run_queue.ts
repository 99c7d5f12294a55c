/**
 * The loop of a queue-backed step: claim a batch (one SQL statement, `FOR
 * UPDATE SKIP LOCKED` with a lease), process it, record what became of each
 * item, and go on until the budget is spent or nothing is left. Before each
 * claim the budget must allow another batch as costly as the costliest so
 * far (wall and CPU time), so a call finishes what it has in flight and does
 * not start what it cannot finish: Supabase stops a worker past 2 s of CPU.
 * An item refused for a key or a right (`pausesWork`) is released, not
 * failed, and the call ends with that error (the engine pauses the function).
 */
import type { Budget } from "./budget.ts";
import { type PasserelleError } from "../errors.ts";
import { pausesWork } from "./pause_reason.ts";

export interface Outcome<Done> {
  done: Done[];
  failed: { id: number | string; error: PasserelleError }[];
  /** Claimed but not started (the budget ran out mid-batch): given back at once. */
  released?: (number | string)[];
}

export interface QueueDeps<Item, Done> {
  budget: Budget;
  batchSize: number;
  claim: (n: number) => Promise<Item[]>;
  process: (items: Item[]) => Promise<Outcome<Done>>;
  /** Records done, failed and released items (set-based, one transaction). */
  record: (o: Outcome<Done>) => Promise<void>;
  /** How many items are still waiting (after this call's work). */
  remaining: () => Promise<number>;
  onBatch?: () => void;
}

export interface QueueResult {
  migrated: number;
  failed: number;
  remaining: number;
  batches: number;
  stoppedBy: "empty" | "wall" | "cpu";
  errors: string[];
}

/** Runs batches until the queue is empty or the budget is spent. */
export async function runQueue<Item, Done>(d: QueueDeps<Item, Done>): Promise<QueueResult> {
  let migrated = 0, failed = 0, batches = 0;
  const errors: string[] = [];
  let stoppedBy: QueueResult["stoppedBy"] = "empty";
  const costliest = { wallMs: 0, cpuMs: 0 };
  while (true) {
    const spent = d.budget.spent() ??
      (d.budget.allows(costliest) ? null : d.budget.allows({ ...costliest, cpuMs: 0 }) ? "cpu" : "wall");
    if (spent) {
      stoppedBy = spent;
      break;
    }
    const wall0 = d.budget.elapsedMs(), cpu0 = d.budget.cpuMs();
    const items = await d.claim(d.batchSize);
    if (items.length === 0) break;
    const outcome = await d.process(items);
    // A refused key or right fails no item: they stay pending, and the call stops
    // with that error so that the engine pauses the function (pause_reason.ts).
    const refused = outcome.failed.find((f) => pausesWork(f.error.code));
    if (refused) {
      const keep = outcome.failed.filter((f) => pausesWork(f.error.code)).map((f) => f.id);
      outcome.failed = outcome.failed.filter((f) => !pausesWork(f.error.code));
      outcome.released = [...(outcome.released ?? []), ...keep];
      await d.record(outcome);
      throw refused.error;
    }
    await d.record(outcome);
    costliest.wallMs = Math.max(costliest.wallMs, d.budget.elapsedMs() - wall0);
    costliest.cpuMs = Math.max(costliest.cpuMs, d.budget.cpuMs() - cpu0);
    batches++;
    migrated += outcome.done.length;
    failed += outcome.failed.length;
    for (const f of outcome.failed) {
      if (errors.length < 20) errors.push(`${f.id}: ${f.error.code}: ${f.error.message}`);
    }
    d.onBatch?.();
  }
  return { migrated, failed, remaining: await d.remaining(), batches, stoppedBy, errors };
}
