/**
 * What one call may spend: wall time (Supabase stops a worker at 150 s on the
 * free plan, 400 s on paid ones, and answers 504 past 150 s without a
 * response) and CPU time (2 s per request, status 546 past it). The default
 * leaves room to finish what is in flight: 50 s of wall time, 1.5 s of CPU.
 */
import type { BudgetConfig } from "../config.ts";

/** Hard ceilings of a hosted call; a request may lower the budget, never raise it past these. */
export const SUPABASE_LIMITS = { wallMs: 140_000, cpuMs: 1_900 } as const;

export interface Budget {
  readonly limits: BudgetConfig;
  /** Why the budget is spent (`wall` or `cpu`), or null while some is left. */
  spent(): "wall" | "cpu" | null;
  elapsedMs(): number;
  cpuMs(): number;
  /** Wall time left, in ms (never negative). */
  remainingMs(): number;
  /** Whether work expected to cost `cost` still fits (so that a call never starts what it cannot finish). */
  allows(cost: { wallMs: number; cpuMs: number }): boolean;
}

export interface Meters {
  /** Monotonic time in ms. */
  now: () => number;
  /** CPU time used so far by this process, in ms. */
  cpu: () => number;
}

/** Starts a budget now. */
export function startBudget(limits: BudgetConfig, meters: Meters): Budget {
  const t0 = meters.now();
  const c0 = meters.cpu();
  const elapsedMs = () => meters.now() - t0;
  const cpuMs = () => meters.cpu() - c0;
  return {
    limits,
    elapsedMs,
    cpuMs,
    remainingMs: () => Math.max(0, limits.wallMs - elapsedMs()),
    spent: () => elapsedMs() >= limits.wallMs ? "wall" : cpuMs() >= limits.cpuMs ? "cpu" : null,
    allows: (cost) => elapsedMs() + cost.wallMs <= limits.wallMs && cpuMs() + cost.cpuMs <= limits.cpuMs,
  };
}

/** A budget asked for in a request body, kept within the configured defaults' ceilings. */
export function requestedBudget(asked: unknown, defaults: BudgetConfig): BudgetConfig {
  const a = (asked && typeof asked === "object" ? asked : {}) as Record<string, unknown>;
  const pick = (v: unknown, fallback: number, max: number) =>
    typeof v === "number" && Number.isFinite(v) && v > 0 ? Math.min(v, max) : fallback;
  return {
    wallMs: pick(a.wallMs, defaults.wallMs, SUPABASE_LIMITS.wallMs),
    cpuMs: pick(a.cpuMs, defaults.cpuMs, SUPABASE_LIMITS.cpuMs),
  };
}
