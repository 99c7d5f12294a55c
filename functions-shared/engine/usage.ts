/**
 * What a call cost: CPU time (`process.cpuUsage()`, which Deno implements)
 * and peak memory, sampled while the call runs. Memory is counted as
 * Supabase's edge runtime counts it against the 256 MB limit: the isolate's
 * V8 heap plus external memory (its MemCheck, supabase/edge-runtime#364), not
 * the process's resident size, which also holds the runtime's own buffers;
 * the resident peak is kept beside it for information. In one process serving
 * several calls at once (the local functions server) both figures cover them
 * all, which errs on the safe side.
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

/** V8 heap in use plus external memory (ArrayBuffers), in bytes: what the edge runtime limits. */
export function isolateBytes(): number {
  const m = Deno.memoryUsage();
  return m.heapUsed + m.external;
}

export interface UsageMeter {
  /** Samples memory now (call it at natural checkpoints too). */
  sample(): void;
  /** Stops sampling and returns the isolate's peak in MB. */
  stop(): number;
  /** Peak of heap + external, in MB. */
  peakMb(): number;
  /** Peak resident size of the process, in MB. */
  peakRssMb(): number;
}

const mb = (bytes: number) => Math.round((bytes / 1_048_576) * 10) / 10;

/** Samples memory every `everyMs` until stopped. */
export function startUsageMeter(everyMs = 50): UsageMeter {
  let peak = 0, peakRss = 0;
  const sample = () => {
    const m = Deno.memoryUsage();
    peak = Math.max(peak, m.heapUsed + m.external);
    peakRss = Math.max(peakRss, m.rss);
  };
  sample();
  const timer = setInterval(sample, everyMs);
  Deno.unrefTimer(timer);
  return {
    sample,
    peakMb: () => mb(peak),
    peakRssMb: () => mb(peakRss),
    stop() {
      clearInterval(timer);
      sample();
      return mb(peak);
    },
  };
}
