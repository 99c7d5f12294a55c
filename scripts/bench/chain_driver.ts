/**
 * Calls a function as production does: each continuation a call queued
 * (`net.http_post` through `passerelle.invoke`, in `net.http_request_queue`)
 * is sent in turn, as pg_net's worker would; when the chain has stopped while
 * work remains, a cron tick fires the next call. So the calls a job costs are
 * counted as they would be billed, idle ones included.
 */
import type { Sql } from "../../functions-shared/deps.ts";
import type { CallCost } from "./report.ts";

export interface ChainDrive {
  sql: Sql;
  /** POSTs `body` to the function with the service-role key; returns its answer (status 200 expected). */
  fire: (body: Record<string, unknown>) => Promise<Response>;
  /** Whether the work is done (the job completed, nothing left to archive). */
  done: () => Promise<boolean>;
  /** Which step the work is at (read before and after each call), to group calls by step. */
  step?: () => Promise<string>;
  maxCalls?: number;
  /** The time (`performance.now()`) the timeline counts from; default the drive's start. */
  t0?: number;
}

/** Drives the chain until `done()`; returns every call's cost, in order. */
export async function driveChain(d: ChainDrive): Promise<CallCost[]> {
  const calls: CallCost[] = [];
  const t0 = d.t0 ?? performance.now();
  const at = () => performance.now() - t0;
  while (!(await d.done())) {
    if (calls.length >= (d.maxCalls ?? 5_000)) throw new Error(`no end after ${calls.length} calls`);
    const [queued] = await d.sql<{ body: Uint8Array | null }[]>`
      delete from net.http_request_queue where id = (select min(id) from net.http_request_queue)
      returning body`;
    const body = queued?.body ? JSON.parse(new TextDecoder().decode(queued.body)) : { trigger: "cron" };
    const before = await d.step?.();
    const startMs = at();
    const res = await d.fire(body);
    const answer = await res.json();
    const endMs = at();
    if (res.status !== 200) throw new Error(`call answered ${res.status}: ${JSON.stringify(answer)}`);
    // A call that moved the work on from one step to the next did some of both.
    const after = await d.step?.();
    const step = before === after ? before : `${before}+${after}`;
    calls.push({
      cpuMs: answer.cpuMs,
      peakMemoryMb: answer.peakMemoryMb,
      peakRssMb: answer.peakRssMb,
      elapsedS: answer.elapsedS,
      step,
      startMs,
      endMs,
      trigger: String(body.trigger ?? "http"),
    });
  }
  // Calls still queued when the work is done are made too (each is billed): they find nothing.
  while (true) {
    const [queued] = await d.sql<{ body: Uint8Array | null }[]>`
      delete from net.http_request_queue where id = (select min(id) from net.http_request_queue)
      returning body`;
    if (!queued) break;
    const body = queued.body ? JSON.parse(new TextDecoder().decode(queued.body)) : {};
    const startMs = at();
    const res = await d.fire(body);
    const answer = await res.json();
    calls.push({
      startMs,
      endMs: at(),
      trigger: String(body.trigger ?? "http"),
      cpuMs: answer.cpuMs,
      peakMemoryMb: answer.peakMemoryMb,
      elapsedS: answer.elapsedS,
      step: "idle",
    });
  }
  return calls;
}
