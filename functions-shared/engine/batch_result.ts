/** What a step reports and what a call answers. */

/** A step's account of one call's work. */
export interface StepResult {
  migrated: number;
  failed: number;
  /** Items left after this call (null when the step cannot know, e.g. a sync before it counted). */
  remaining: number | null;
  /** Whether more work is known to remain (a sync page was full, files are pending). */
  more: boolean;
  errors: string[];
  /**
   * Whether the call did anything (default: it moved or failed items). A call
   * that did nothing never chains, whatever `more` says: it found its work
   * leased by another call or waiting, and that call's chain or cron goes on.
   */
  worked?: boolean;
  details?: Record<string, unknown>;
}

/** The answer of every batch call: the seed's fields plus what the call cost. */
export interface BatchAnswer {
  migrated: number;
  failed: number;
  remaining: number | null;
  remainingFlag: boolean;
  elapsedS: number;
  cpuMs: number;
  /** Peak of the isolate's V8 heap + external memory (what Supabase's 256 MB limit counts), in MB. */
  peakMemoryMb: number;
  /** Peak resident size of the whole process, in MB (information). */
  peakRssMb: number;
  status: "success" | "error" | "auth_error";
  errors: string[];
  chained?: number;
  details?: Record<string, unknown>;
}
