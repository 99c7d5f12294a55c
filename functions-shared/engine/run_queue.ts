/**
 * The loop of a queue-backed step: claim a batch (one SQL statement, `FOR
 * UPDATE SKIP LOCKED` with a lease), process it, record what became of each
 * item, and go on until the budget is spent or nothing is left. The budget is
 * checked before each claim, so a call finishes what it has in flight and
 * never starts what it cannot finish.
 */
import type { Budget } from "./budget.ts";
import { type PasserelleError } from "../errors.ts";

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
  while (true) {
    const spent = d.budget.spent();
    if (spent) {
      stoppedBy = spent;
      break;
    }
    const items = await d.claim(d.batchSize);
    if (items.length === 0) break;
    const outcome = await d.process(items);
    await d.record(outcome);
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
