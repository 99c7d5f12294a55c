/** One `migration_logs` row per batch call, whatever happened. */
import { isDbUnavailable } from "../db.ts";
import type { Sql } from "../deps.ts";

export interface BatchLogRow {
  functionName: string;
  status: "success" | "error" | "auth_error";
  migrated: number;
  failed: number;
  remaining: number | null;
  elapsedS: number;
  errors: string[];
  cpuMs: number;
  peakMemoryMb: number;
  /** The process's resident peak, kept in `details` for information. */
  peakRssMb?: number;
  trigger: string;
  details?: Record<string, unknown>;
}

/** Inserts the row (inside the caller's transaction when given one). */
export async function writeBatchLog(sql: Sql, row: BatchLogRow): Promise<void> {
  await sql`
    insert into public.migration_logs
      (function_name, status, migrated, failed, remaining, elapsed_s, errors, cpu_ms, peak_memory_mb, trigger, details)
    values (${row.functionName}, ${row.status}, ${row.migrated}, ${row.failed}, ${row.remaining},
            ${row.elapsedS}, ${row.errors.slice(0, 50)}, ${row.cpuMs}, ${row.peakMemoryMb}, ${row.trigger},
            ${
    row.details || row.peakRssMb
      ? sql.json({ ...row.details, ...(row.peakRssMb ? { peakRssMb: row.peakRssMb } : {}) } as never)
      : null
  })`;
}

/**
 * Log rows of calls that lost the database, written once it is back: at the
 * start of the next call, or by a retry every few seconds meanwhile. Bounded:
 * past `max` rows the oldest go (a database down for long is said by the first).
 */
export class LogBacklog {
  #rows: { row: BatchLogRow; callId: string | null }[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly sql: Sql,
    private readonly onError: (e: unknown) => void,
    private readonly max = 50,
    private readonly retryMs = 5_000,
  ) {}

  get size(): number {
    return this.#rows.length;
  }

  add(row: BatchLogRow, callId: string | null): void {
    this.#rows.push({ row, callId });
    if (this.#rows.length > this.max) this.#rows.shift();
    this.#schedule();
  }

  /** Writes what is kept; throws when the database still cannot be reached. */
  async flush(): Promise<void> {
    while (this.#rows.length) {
      const { row, callId } = this.#rows[0];
      try {
        await this.sql.begin(async (tx) => {
          await writeBatchLog(tx as unknown as Sql, row);
          if (callId) await tx`select passerelle.finish_call(${callId}::uuid, false, 0, false)`;
        });
      } catch (e) {
        if (isDbUnavailable(e)) throw e;
        this.onError(e); // a row the database refuses is not kept forever
      }
      this.#rows.shift();
    }
  }

  #schedule(): void {
    if (this.#timer !== undefined) return;
    const timer = setTimeout(async () => {
      this.#timer = undefined;
      try {
        await this.flush();
      } catch (e) {
        this.onError(e);
        this.#schedule();
      }
    }, this.retryMs);
    this.#timer = timer;
    Deno.unrefTimer(timer as unknown as number);
  }
}
