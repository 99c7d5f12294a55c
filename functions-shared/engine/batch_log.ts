/** One `migration_logs` row per batch call, whatever happened. */
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
