/**
 * What a call cost: CPU time (`process.cpuUsage()`, which Deno implements)
 * and peak resident memory, sampled while the call runs. In one process
 * serving several calls at once (the local functions server) the CPU figure
 * covers them all, which errs on the safe side for a budget.
 */
import process from "node:process";

/** CPU time used by this process so far, in ms. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Resident memory now, in bytes. */
export function rssBytes(): number {
  return Deno.memoryUsage().rss;
}

export interface UsageMeter {
  /** Samples memory now (call it at natural checkpoints too). */
  sample(): void;
  /** Stops sampling and returns the peak in MB. */
  stop(): number;
  peakMb(): number;
}

/** Samples RSS every `everyMs` until stopped. */
export function startUsageMeter(everyMs = 50, rss: () => number = rssBytes): UsageMeter {
  let peak = rss();
  const sample = () => {
    const r = rss();
    if (r > peak) peak = r;
  };
  const timer = setInterval(sample, everyMs);
  Deno.unrefTimer(timer);
  const peakMb = () => Math.round((peak / 1_048_576) * 10) / 10;
  return {
    sample,
    peakMb,
    stop() {
      clearInterval(timer);
      sample();
      return peakMb();
    },
  };
}
